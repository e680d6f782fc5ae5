#!/bin/sh
# The C unit tests (t/unit/): one binary that prints TAP for every suite.
# XC_UNIT points at another build of it (make check-sanitize).
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root" || exit 1
exec "${XC_UNIT:-$root/t/unit/unit}"

#!/bin/sh
# 0150-install: make install into a staging root (DESTDIR, PREFIX) with
# explicit modes; the installed programs and manual pages work from there;
# make uninstall leaves nothing, and removes only directories that install
# made; the build honours CPPFLAGS, CFLAGS and LDFLAGS.
# shellcheck source=t/lib.sh
. "$(dirname "$0")/lib.sh"

plan 14

if [ -n "${XC_SANITIZE:-}" ]; then
	# The rule under test is the Makefile's, not the programs' code.
	skip 14 "the install rule is tested by make check"
	done_testing
	exit
fi

progs='xc-keygen xc-seal xc-open xc-verify xc-send xc-fetch xc-node'
mk() { make -s -C "$root" "$@" >"$OUT" 2>"$ERR"; }

dest=$tmp/stage
ok "make install DESTDIR PREFIX=/usr" mk install DESTDIR="$dest" PREFIX=/usr
modes=
for p in $progs; do modes="$modes $(stat -c %a "$dest/usr/bin/$p")"; done
is "$modes" " 755 755 755 755 755 755 755" "programs installed mode 755"
is "$(stat -c %a "$dest/usr/share/man/man1/xc-open.1") $(stat -c %a "$dest/usr/share/man/man7/xc.7")" \
    "644 644" "manual pages installed mode 644"
is "$(readlink "$dest/usr/share/bash-completion/completions/xc-open")" xc-keygen \
    "bash completion linked for every program"

# The installed programs work on their own.
"$dest/usr/bin/xc-keygen" --age -o k 2>/dev/null
echo hello | "$dest/usr/bin/xc-seal" --raw -r "$("$dest/usr/bin/xc-keygen" -y k)" -o m.age
is "$("$dest/usr/bin/xc-open" --raw -i k m.age)" hello \
    "the installed xc-seal and xc-open round-trip"
like "$(mandoc -Thtml "$dest/usr/share/man/man1/xc-open.1" | grep -m 1 "<title>")" \
    '<title>XC-OPEN\(1\)</title>' "the installed xc-open(1) formats"

ok "make uninstall" mk uninstall DESTDIR="$dest" PREFIX=/usr
is "$(find "$dest" -mindepth 1 | wc -l)" 0 "uninstall leaves nothing in the staging root"

# Directories that were there before install stay, with what they held.
dest2=$tmp/stage2
mkdir -p "$dest2/opt/bin" && echo mine >"$dest2/opt/bin/other"
mk install DESTDIR="$dest2" PREFIX=/opt
mk install DESTDIR="$dest2" PREFIX=/opt	# twice: still one record
is "$(sort -u "$dest2/opt/share/xc/installed-dirs" | wc -l)" \
    "$(wc -l <"$dest2/opt/share/xc/installed-dirs")" "a second install records no directory twice"
mk uninstall DESTDIR="$dest2" PREFIX=/opt
is "$(cd "$dest2" && find . | sort | tr '\n' ' ')" ". ./opt ./opt/bin ./opt/bin/other " \
    "uninstall keeps directories it did not make"

# CPPFLAGS, CFLAGS and LDFLAGS reach the compiler and the linker.
make -n -B -C "$root" lib/b64.o CPPFLAGS=-DXC_PKG_TEST CFLAGS=-O1 >"$OUT" 2>&1
like "$(grep 'b64.c' "$OUT")" ' -DXC_PKG_TEST .* -O1 ' "CPPFLAGS and CFLAGS on the compile line"
make -n -B -C "$root" bin/xc-send LDFLAGS=-Wl,--as-needed >"$OUT" 2>&1
like "$(grep -- '-o bin/xc-send ' "$OUT")" '-Wl,--as-needed' "LDFLAGS on the link line"
make -n -C "$root" install DESTDIR=/nonexistent PREFIX=/usr >"$OUT" 2>&1
like "$(grep -c 'install -m' "$OUT")" '^[1-9]' "install uses install(1) with modes"
ok "nothing was installed outside the staging roots" test ! -e /nonexistent

done_testing

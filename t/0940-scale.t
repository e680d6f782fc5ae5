#!/bin/sh
# 0940-scale: what xc-fetch costs grows linearly (TESTPLAN H03).  10^5 and
# then 10^6 junk files under envelope names in bob's bucket (hard links to
# a few files of random bytes) beside one real letter: the first fetch
# looks at each once, the next ones remember them by their copy (state/
# skipped); the time of each grows less than 15 times for 10 times the
# files.  The same for 10^5 and 10^6 ids in state/seen, and for 10^5 and
# 10^6 attachments due in state/expiring.d.  The figures are printed.  A
# run that hits --max-files says so, and the next run goes on.
# Times are CPU times (user and system) of xc-fetch, wall times beside.
# (make check-sanitize: 10^4 and 10^5, to keep its time in bounds.)
# shellcheck source=t/lib.sh
. "$(dirname "$0")/lib.sh"

plan 19

need_delivery
small=100000 big=1000000
if [ -n "${XC_SANITIZE:-}" ]; then
	small=10000 big=100000
fi
parties alice bob
printf 'the one real letter\n' | xc-seal --home alice -r @bob -o m1.age ||
    bail "xc-seal"
id1=$(b2sum -l 256 m1.age | cut -c1-64)

# junk DIR N: N names of random envelope ids in DIR, hard links to files
# of random bytes (a file takes at most 60000 links).
cat > "$tmp/junk.py" <<'PY'
import os, secrets, sys
d, n = sys.argv[1], int(sys.argv[2])
fd = os.open(d, os.O_RDONLY | os.O_DIRECTORY)
src = None
for i in range(n):
    if i % 60000 == 0:
        src = '%s.src%d' % (d, i)
        with open(src, 'wb') as f:
            f.write(os.urandom(2000))
    os.link(src, secrets.token_hex(32) + '-0.age', dst_dir_fd=fd)
PY
# timed VAR CMD...: runs CMD; sets VAR to its CPU time (user and system)
# in ms and VAR_wall to its wall time, and _rc to its exit status; CMD's
# output goes to $OUT and $ERR.  The assertions use CPU time: this machine
# may be shared, and other processes' load is not ours.
cat > "$tmp/timed.py" <<'PY'
import os, resource, subprocess, sys, time
t0 = time.time()
with open(sys.argv[1], 'wb') as o, open(sys.argv[2], 'wb') as e:
    rc = subprocess.call(sys.argv[3:], stdout=o, stderr=e)
wall = time.time() - t0
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
print(rc, int((ru.ru_utime + ru.ru_stime) * 1000), int(wall * 1000))
PY
timed() {
	_v=$1
	shift
	set -- $(python3 "$tmp/timed.py" "$OUT" "$ERR" "$@")
	_rc=$1
	eval "$_v=$2 ${_v}_wall=$3"
}
ms() {
	printf '%d.%03d s' $(($1 / 1000)) $(($1 % 1000))
}
# ratio A B: B/A with one decimal
ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", (a > 0 ? b / a : 999) }'
}

# ---- junk names in my bucket ----
for n in $small $big; do
	rm -rf S B
	xc-send --home alice --spool S m1.age > /dev/null || bail "xc-send"
	BB=$(cd S && ls -d [0-9a-f][0-9a-f])
	python3 "$tmp/junk.py" "S/$BB" "$n" || bail "junk"
	mkdir B && cp -R bob/ids B/ || bail "cp"
	timed t1 xc-fetch --home B --spool S --max-files 2M
	is "$_rc|$(cat "$OUT")" "0|B/inbox/new/$id1-0.age" "$n junk names: the real letter is fetched, exit 0"
	timed t2 xc-fetch --home B --spool S --max-files 2M
	is "$_rc|$(cat "$OUT")$(cat "$ERR")" "0|" "... the next run: nothing, silently"
	is "$(wc -l < B/state/skipped | tr -d ' ')" "$n" "... state/skipped remembers the $n junk copies"
	eval "first_$n=$t1 again_$n=$t2"
	diag "$n junk names: first fetch $(ms "$t1") of CPU ($(ms "$t1_wall") wall)," \
	    "next fetch $(ms "$t2") of CPU ($(ms "$t2_wall") wall)"
done
rm -rf S B
eval "f1=\$first_$small f2=\$first_$big a1=\$again_$small a2=\$again_$big"
r1=$(ratio "$f1" "$f2") r2=$(ratio "$a1" "$a2")
diag "CPU time of the first fetch: $(ms "$f1") for $small, $(ms "$f2") for $big: x$r1" \
    "CPU time of the next fetch:  $(ms "$a1") for $small, $(ms "$a2") for $big: x$r2"
ok "first fetch: 10 times the junk, less than 15 times the time (x$r1)" \
    awk -v r="$r1" 'BEGIN { exit !(r < 15) }'
ok "next fetch: 10 times the junk, less than 15 times the time (x$r2)" \
    awk -v r="$r2" 'BEGIN { exit !(r < 15) }'

# ---- many ids in state/seen, many attachments due ----
cat > "$tmp/state.py" <<'PY'
import os, secrets, sys, time
kind, path, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
now = int(time.time())
with open(path, 'w') as f:
    for i in range(n):
        if kind == 'seen':
            f.write('%s %d\n' % (secrets.token_hex(32), now + 86400 * 30))
        else:
            f.write('%d 1 %d /nonexistent/%d\n' % (now - 10, i, i))
os.chmod(path, 0o600)
PY
xc-send --home alice --spool S m1.age > /dev/null || bail "xc-send"
for n in $small $big; do
	rm -rf B
	mkdir B && cp -R bob/ids B/ || bail "cp"
	xc-fetch --home B --spool S > /dev/null || bail "xc-fetch"
	python3 "$tmp/state.py" seen B/state/seen.new "$n" || bail "seen"
	cat B/state/seen >> B/state/seen.new && mv B/state/seen.new B/state/seen
	timed t xc-fetch --home B --spool S
	is "$_rc|$(cat "$OUT")" "0|" "$n ids in state/seen: nothing new, exit 0"
	eval "seen_$n=\$t"
	mkdir -p B/state/expiring.d
	python3 "$tmp/state.py" due "B/state/expiring.d/$(($(date +%s) / 86400))" "$n" ||
	    bail "expiring"
	timed t xc-fetch --home B --spool S
	is "$_rc|$(ls B/state/expiring.d)" "0|" "$n attachments due: the list is read and gone"
	eval "due_$n=\$t"
done
rm -rf B
eval "s1=\$seen_$small s2=\$seen_$big d1=\$due_$small d2=\$due_$big"
r3=$(ratio "$s1" "$s2") r4=$(ratio "$d1" "$d2")
diag "CPU time with state/seen: $(ms "$s1") for $small ids, $(ms "$s2") for $big: x$r3" \
    "CPU time with attachments due: $(ms "$d1") for $small, $(ms "$d2") for $big: x$r4"
ok "state/seen: 10 times the ids, less than 15 times the time (x$r3)" \
    awk -v r="$r3" 'BEGIN { exit !(r < 15) }'
ok "attachments due: 10 times the lines, less than 15 times the time (x$r4)" \
    awk -v r="$r4" 'BEGIN { exit !(r < 15) }'

# ---- the caps ----
rm -rf S B
xc-send --home alice --spool S m1.age > /dev/null || bail "xc-send"
BB=$(cd S && ls -d [0-9a-f][0-9a-f])
python3 "$tmp/junk.py" "S/$BB" 7 || bail "junk"
mkdir B && cp -R bob/ids B/ || bail "cp"
runs=0 got=
while [ $runs -lt 10 ] && [ -z "$got" ]; do
	runs=$((runs + 1))
	xc-fetch --home B --spool S --max-files 3 > "$OUT" 2> "$ERR" || break
	got=$(cat "$OUT")
	[ -n "$got" ] || grep -q "^xc-fetch: warning: stopped after 3 file(s)" "$ERR" || break
done
is "$got" "B/inbox/new/$id1-0.age" "--max-files 3 over 8 files: the letter comes"
ok "... within 3 runs ($runs), each stopped run saying so" test "$runs" -le 3
must_fail 2 xc-fetch --home B --spool S --max-files 0
must_fail 2 xc-fetch --home B --spool S --max-bytes 12X
must_fail 2 xc-fetch --home B --spool S --gc --max-files 3

done_testing

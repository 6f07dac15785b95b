#!/usr/bin/env bash
# porten up's start time: from launch to the "sandbox ready" line, on a fresh directory
# (the first start: test PKI, 13 RSA keys, the population) and on a reused one (a
# restart), RUNS times each, with the default population of 10 000 persons. The
# reference, measured in the same run, is what the first start cannot avoid on this
# machine: generating the same 13 RSA-2048 keys one after the other with `openssl
# genpkey`, and the population alone (`porten freg --persons 10000` until it listens).
#   bench/up.sh [BUILD_DIR] [RUNS]
set -euo pipefail
build=${1:-build}
runs=${2:-5}
porten=$build/porten
[ -x "$porten" ] || { echo "build first: cmake --build $build" >&2; exit 2; }
dir=$(mktemp -d /tmp/porten-bench-up.XXXXXX)
trap 'rm -rf "$dir"' EXIT

# Seconds from launch of "$@" until a stdout line matching $pat, then SIGTERM; prints them.
time_to_line() {
  local pat=$1; shift
  /usr/bin/python3 - "$pat" "$@" <<'PY'
import subprocess, sys, time, signal
pat, cmd = sys.argv[1], sys.argv[2:]
t0 = time.monotonic()
p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
for line in p.stdout:
    if pat in line:
        dt = time.monotonic() - t0
        break
else:
    sys.exit("no '%s' line from %s" % (pat, cmd[0]))
p.send_signal(signal.SIGTERM)
p.wait(timeout=30)
print("%.3f" % dt)
PY
}

median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }

echo "machine: $(nproc) CPUs; runs: $runs; population: 10000 persons (the default)"
first=() restart=() keys=() pop=()
for i in $(seq 1 "$runs"); do
  rm -rf "$dir/sb" "$dir/freg" "$dir/keys"
  first+=("$(time_to_line "sandbox ready in" "$porten" up --data "$dir/sb" --authz-listen 127.0.0.1:0 --freg-listen 127.0.0.1:0)")
  restart+=("$(time_to_line "sandbox ready in" "$porten" up --data "$dir/sb" --authz-listen 127.0.0.1:0 --freg-listen 127.0.0.1:0)")
  mkdir -p "$dir/keys"
  t0=$(date +%s.%N)
  for k in $(seq 1 13); do openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$dir/keys/$k.pem" 2>/dev/null; done
  keys+=("$(echo "$(date +%s.%N) - $t0" | bc)")
  pop+=("$(time_to_line "listening on" "$porten" freg --listen 127.0.0.1:0 --issuer https://bench.test/ \
           --data "$dir/freg" --plain-http --persons 10000)")
done
f=$(printf '%s\n' "${first[@]}" | median)
r=$(printf '%s\n' "${restart[@]}" | median)
k=$(printf '%s\n' "${keys[@]}" | median)
p=$(printf '%s\n' "${pop[@]}" | median)
echo "first start (fresh DIR):     median ${f} s   runs: ${first[*]}"
echo "restart (same DIR):          median ${r} s   runs: ${restart[*]}"
echo "reference: 13 RSA-2048 keys one after the other (openssl genpkey): median ${k} s"
echo "reference: the population alone (porten freg --persons 10000): median ${p} s"
awk -v f="$f" -v k="$k" -v p="$p" 'BEGIN {
  printf "ratio first start / (keys + population, done one after the other): %.2f\n", f / (k + p)
  printf "target: ready in under 3 s: %s\n", (f < 3 ? "met" : "MISSED") }'

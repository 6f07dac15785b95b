#!/usr/bin/env bash
# Register benchmark (issue 4): a full 1000-event feed page and a small response
# (siste/sekvensnummer) from `porten freg --plain-http` with a valid Maskinporten token, at
# concurrency 64, next to the same bytes served as static files by nginx in the same run.
#   bench/freg.sh [BUILD_DIR]
# Environment: FEED_REQUESTS (default 30000), SMALL_REQUESTS (default 150000),
# CONCURRENCY (default 64), ROUNDS (default 5), FREG_THREADS (default 0: porten's default,
# 4 per CPU), NGINX_WORKERS (default: as many as porten's worker threads), NGINX_LISTEN_OPTS
# (default " reuseport"), PERSONS (default 3000), PERF_OUT (record the freg process with perf
# during the porten runs; PERF_OPTS, default "-F 999 -g", e.g. "-F 499 --call-graph dwarf").
# Fairness: server, reference and load generator share all CPUs, nothing pinned; nginx
# gets as many worker processes as porten has worker threads (on a shared machine the
# scheduler shares CPU per task), and a reuseport listener each, which spreads the 64
# connections over them as porten's thread pool does (without it one worker took them all).
# Needs nginx (Debian: apt-get install nginx-light) and curl.
set -euo pipefail
build=${1:-build}
porten=$build/porten
fb=$build/bench/freg_bench
feed_n=${FEED_REQUESTS:-30000}
small_n=${SMALL_REQUESTS:-150000}
conc=${CONCURRENCY:-64}
rounds=${ROUNDS:-5}
freg_threads=${FREG_THREADS:-0}
cores=$(nproc)
threads=$([ "$freg_threads" = 0 ] && echo $((4 * cores)) || echo "$freg_threads")   # porten's default: 4 per CPU
nginx_workers=${NGINX_WORKERS:-$threads}
persons=${PERSONS:-3000}
[ -x "$porten" ] && [ -x "$fb" ] || { echo "build first: cmake --build $build" >&2; exit 2; }
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
bench_need_nginx

dir=$(mktemp -d /tmp/porten-fregbench.XXXXXX)
trap bench_cleanup EXIT
trap 'exit 130' INT TERM

api=/folkeregisteret/offentlig-med-hjemmel/api/v1/hendelser
feed_path="$api/feed?seq=1"
small_path="$api/siste/sekvensnummer"

# ---- Maskinporten (test PKI, porten authz, one token) and the register ----
bench_authz
bench_token
bench_freg "$dir/freg" "$persons" "$freg_threads" 300

# ---- the same bytes as static files, at the same paths ----
www=$dir/www
mkdir -p "$www$api/siste"
fetch() {
  curl -sS --fail-with-body -H "Authorization: Bearer $token" -H "Accept: application/json" \
    -o "$2" "http://127.0.0.1:$fport$1"
}
fetch "$feed_path" "$www$api/feed"
fetch "$small_path" "$www$api/siste/sekvensnummer"
events=$(grep -o '"sekvensnummer":' "$www$api/feed" | wc -l)
[ "$events" = 1000 ] || { echo "the feed page holds $events events, not 1000 (more --persons?)" >&2; exit 1; }
feed_bytes=$(stat -c %s "$www$api/feed")
small_bytes=$(stat -c %s "$www$api/siste/sekvensnummer")

bench_nginx "$www" "$nginx_workers" "$small_path"
curl -sS -o "$dir/check" "http://127.0.0.1:$nport$feed_path" 2>/dev/null && cmp -s "$dir/check" "$www$api/feed" ||
  { echo "nginx serves other bytes:" >&2; cat "$dir/nginx-error.log" "$dir/nginx.out" >&2; exit 1; }

echo "reference: nginx $("$nginx" -v 2>&1 | sed 's|.*/||'), $nworkers worker processes (worker_processes $nginx_workers, listen${NGINX_LISTEN_OPTS- reuseport}), static files, sendfile on, access_log off"
echo "server: porten freg, $threads$([ "$freg_threads" = 0 ] && echo " (default)") worker threads, plain HTTP, log level warn, $persons persons; $cores CPUs shared by server and load generator, nothing pinned"
echo "feed page: $feed_path, $events events, $feed_bytes bytes; small: $small_path, $small_bytes bytes"

# run PORT PATH N BYTES: one timed run after a short warm-up; prints the line.
run() {
  "$fb" --port "$1" --path "$2" --token-file "$dir/token" --concurrency "$conc" --requests $((conc * 20)) \
    --expect-bytes "$4" > /dev/null || true
  "$fb" --port "$1" --path "$2" --token-file "$dir/token" --concurrency "$conc" --requests "$3" \
    --expect-bytes "$4" || true
}
rate() { local v; v=$(sed -n 's/.*req_per_s=\([0-9.]*\).*/\1/p' <<<"$1"); echo "${v:-0}"; }
median() { printf '%s\n' "$@" | sort -g | awk '{v[NR] = $1} END {print NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
ev() { awk -v r="$1" 'BEGIN {printf "%.0f", r * 1000}'; }

# Rounds interleave server and reference (who goes first alternates), so a neighbour's
# load hits both alike; each round gives a ratio, and the ratios reported are the medians.
if [ -n "${PERF_OUT:-}" ]; then
  perf record ${PERF_OPTS:--F 999 -g} -p $fpid -o "$PERF_OUT" >/dev/null 2>&1 & perfpid=$!
fi
pf=() nf=() ps=() ns=() rf=() rs=()
# pair NAME PATH N BYTES ROUND: porten and nginx on one resource; sets $lp $ln.
pair() {
  local order="porten nginx" who l
  [ $(($5 % 2)) = 0 ] && order="nginx porten"
  for who in $order; do
    l=$(run "$([ $who = porten ] && echo "$fport" || echo "$nport")" "$2" "$3" "$4")
    [ -n "$l" ] || l="FAILED (see the message above)"
    if [ $who = porten ]; then lp=$l; else ln=$l; fi
    printf 'round %s %-6s %-5s %s%s\n' "$5" $who "$1:" "$l" \
      "$([ "$1" = feed ] && echo " events_per_s=$(ev "$(rate "$l")")")"
  done
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.3f", (b > 0 ? a / b : 0)}'; }
for r in $(seq 1 "$rounds"); do
  pair feed "$feed_path" "$feed_n" "$feed_bytes" "$r"
  pf+=("$(rate "$lp")"); nf+=("$(rate "$ln")"); rf+=("$(ratio "${pf[-1]}" "${nf[-1]}")")
  pair small "$small_path" "$small_n" "$small_bytes" "$r"
  ps+=("$(rate "$lp")"); ns+=("$(rate "$ln")"); rs+=("$(ratio "${ps[-1]}" "${ns[-1]}")")
  echo "round $r ratio_feed_page=${rf[-1]} ratio_small=${rs[-1]}"
done
if [ -n "$perfpid" ]; then kill -INT $perfpid; wait $perfpid 2>/dev/null || true; perfpid=; fi
mpf=$(median "${pf[@]}") mnf=$(median "${nf[@]}") mps=$(median "${ps[@]}") mns=$(median "${ns[@]}")
echo "median of $rounds: porten feed req_per_s=$mpf events_per_s=$(ev "$mpf"); nginx feed req_per_s=$mnf events_per_s=$(ev "$mnf")"
echo "median of $rounds: porten small req_per_s=$mps; nginx small req_per_s=$mns"
awk -v f="$(median "${rf[@]}")" -v s="$(median "${rs[@]}")" -v fl="$(printf '%s\n' "${rf[@]}" | sort -g | head -1)" \
    -v fh="$(printf '%s\n' "${rf[@]}" | sort -g | tail -1)" -v sl="$(printf '%s\n' "${rs[@]}" | sort -g | head -1)" \
    -v sh="$(printf '%s\n' "${rs[@]}" | sort -g | tail -1)" \
  'BEGIN {printf "ratio_feed_page=%.2f (target 0.70, rounds %.2f-%.2f) ratio_small=%.2f (target 0.80, rounds %.2f-%.2f)\n", f, fl, fh, s, sl, sh}'

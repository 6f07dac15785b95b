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
nginx=$(command -v nginx || true)
[ -n "$nginx" ] || { [ -x /usr/sbin/nginx ] && nginx=/usr/sbin/nginx; }
[ -n "$nginx" ] || { echo "nginx not found: the reference server (Debian: apt-get install nginx-light)" >&2; exit 2; }
command -v curl >/dev/null || { echo "curl not found (Debian: apt-get install curl)" >&2; exit 2; }

dir=$(mktemp -d /tmp/porten-fregbench.XXXXXX)
apid= fpid= npid= perfpid=
cleanup() {
  [ -n "$perfpid" ] && kill -INT "$perfpid" 2>/dev/null || true
  for p in $fpid $apid; do kill "$p" 2>/dev/null || true; done
  [ -n "$npid" ] && kill -QUIT "$npid" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

issuer=https://bench.test/
scope=folkeregister:deling/offentligmedhjemmel
orgno=991825827
api=/folkeregisteret/offentlig-med-hjemmel/api/v1/hendelser
feed_path="$api/feed?seq=1"
small_path="$api/siste/sekvensnummer"

# Waits for "listening on http://127.0.0.1:PORT/" in file $1 (process $2, up to $3 s); prints PORT.
wait_port() {
  local i
  for i in $(seq 1 $(($3 * 10))); do
    grep -q "listening on" "$1" 2>/dev/null && break
    kill -0 "$2" 2>/dev/null || break
    sleep 0.1
  done
  sed -n 's|.*listening on http://127.0.0.1:\([0-9]*\)/.*|\1|p' "$1"
}

# ---- Maskinporten: a test PKI and porten authz with one x5c client ----
"$porten" pki init --dir "$dir/pki" >/dev/null
"$porten" pki issue --dir "$dir/pki" --orgno "$orgno" --name "BENCH AS" --out "$dir/leaf" >/dev/null
cat > "$dir/authz-seed.json" <<JSON
{"scopes":[{"prefix":"folkeregister","subscope":"deling/offentligmedhjemmel","description":"bench","owner_orgno":"974761076"}],
 "access":[{"scope":"$scope","consumer_orgno":"$orgno"}],
 "clients":[{"client_id":"bench","client_orgno":"$orgno","scopes":["$scope"]}]}
JSON
"$porten" authz --listen 127.0.0.1:0 --issuer "$issuer" --data "$dir/authz" --plain-http \
  --seed "$dir/authz-seed.json" --trust-anchors "$dir/pki/root.pem" --intermediates "$dir/pki/intermediate.pem" \
  --crl "$dir/pki/crl.pem" --log-level warn --token-lifetime 3600 > "$dir/authz.out" 2> "$dir/authz.err" &
apid=$!
aport=$(wait_port "$dir/authz.out" $apid 10)
[ -n "$aport" ] || { echo "porten authz did not start:" >&2; cat "$dir/authz.err" >&2; exit 1; }
authz_url=http://127.0.0.1:$aport/
"$fb" token --authz-url "$authz_url" --client-id bench --cert "$dir/leaf.pem" --key "$dir/leaf-key.pem" \
  --scope "$scope" > "$dir/token"
token=$(cat "$dir/token")

# ---- the register: porten freg trusting that authz, the organisation holding the package ----
cat > "$dir/freg-seed.json" <<JSON
{"consumers":[{"orgno":"$orgno","packages":["offentligmedhjemmel"]}]}
JSON
# The per-IP limit (default 60000/min, spec 9) would answer most of the benchmark with 429:
# all load comes from one address here, so it is set out of reach.
"$porten" freg --plain-http --log-level warn --listen 127.0.0.1:0 --issuer "$issuer" --issuer-url "$authz_url" \
  --data "$dir/freg" --persons "$persons" --seed "$dir/freg-seed.json" --rate-limit 2000000000 \
  --threads "$freg_threads" > "$dir/freg.out" 2> "$dir/freg.err" &
fpid=$!
fport=$(wait_port "$dir/freg.out" $fpid 300)
[ -n "$fport" ] || { echo "porten freg did not start:" >&2; cat "$dir/freg.err" >&2; exit 1; }

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

# A free port for nginx: the kernel picks one for a listening socket we then close.
nport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null ||
        echo $((20000 + RANDOM % 20000)))
user_line=
[ "$(id -u)" = 0 ] && user_line="user $(id -un) $(id -gn);"    # else workers become nobody
cat > "$dir/nginx.conf" <<CONF
$user_line
worker_processes $nginx_workers;
error_log $dir/nginx-error.log warn;
pid $dir/nginx.pid;
daemon off;
events { worker_connections 1024; }
http {
    access_log off;
    types { }
    default_type application/json;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 100000000;
    keepalive_timeout 300s;
    client_body_temp_path $dir/nginx-tmp/body;
    proxy_temp_path $dir/nginx-tmp/proxy;
    fastcgi_temp_path $dir/nginx-tmp/fastcgi;
    uwsgi_temp_path $dir/nginx-tmp/uwsgi;
    scgi_temp_path $dir/nginx-tmp/scgi;
    server {
        listen 127.0.0.1:$nport${NGINX_LISTEN_OPTS- reuseport};
        root $www;
    }
}
CONF
mkdir -p "$dir/nginx-tmp"
"$nginx" -p "$dir" -c "$dir/nginx.conf" -e "$dir/nginx-error.log" > "$dir/nginx.out" 2>&1 &
npid=$!
for _ in $(seq 1 100); do
  curl -s -o /dev/null "http://127.0.0.1:$nport$small_path" && break
  kill -0 $npid 2>/dev/null || break
  sleep 0.1
done
curl -sS -o "$dir/check" "http://127.0.0.1:$nport$feed_path" 2>/dev/null && cmp -s "$dir/check" "$www$api/feed" ||
  { echo "nginx did not start or serves other bytes:" >&2; cat "$dir/nginx-error.log" "$dir/nginx.out" >&2; exit 1; }
nworkers=$(pgrep -c -P $npid || true)

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

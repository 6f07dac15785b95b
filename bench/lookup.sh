#!/usr/bin/env bash
# Scale benchmark of the lookups (issue: the full Norwegian population): generates PERSONS
# synthetic persons into SQLite with `porten freg --persons`, then measures personer/{id},
# personer/entydigsoek, personer/soek and a 1000-id personer/bulkoppslag at each
# concurrency, every request for a different person of the register, next to nginx
# serving a static file of the same size as the endpoint's response at the same
# concurrency (the floor). Reports generation time, database size and server memory.
#   bench/lookup.sh [BUILD_DIR]
# Environment:
#   PERSONS (default 5600000)   persons to generate into an empty register
#   DATA (default: a temporary directory, removed at the end)  the register's data
#     directory; kept, and reused when it already holds a register (then nothing is
#     generated and PERSONS is ignored). The request inputs are cached next to it, in
#     DATA.lookup-inputs/.
#   CONCURRENCY (default "8 64"); REQUESTS (default 20000) per run for the GET endpoints;
#   BULK_REQUESTS (default 400) per run for the bulk endpoints
#   ENDPOINTS (default "person entydig soek bulk"; also "feed" = hendelser/feed?seq=N, a
#     1000-event page, and "hbulk" = hendelser/bulkoppslag with 1000 event ids)
#   SAMPLE (default 50000) persons picked at random for the request inputs; BULK_BODIES
#   (default 100) distinct 1000-id bodies; SEED (default 1) of that choice
#   BENCH_DB: a postgresql:// URI of an empty database: the register on PostgreSQL (--db)
#     instead of DATA/freg.db; then INPUTS must name the request inputs directory of an
#     SQLite run with the same PERSONS (the inputs are read from a freg.db; bench/pg.sh
#     does both runs). Known gap: the PostgreSQL register does not get the same
#     identifiers from the generator, so part of the requests answer 404 there
#   INPUTS: the request inputs directory to use (default: DATA.lookup-inputs/..., chosen
#     from DATA/freg.db)
#   FREG_THREADS (default 0: porten's default, 4 per CPU); NGINX_WORKERS (default: as many
#   as porten's worker threads); GEN_TIMEOUT (default 14400 s) for generation
# Fairness as in bench/freg.sh: server, nginx and load generator share all CPUs, nothing
# pinned. Needs nginx (Debian: apt-get install nginx-light) and curl.
set -euo pipefail
build=${1:-build}
porten=$build/porten
fb=$build/bench/freg_bench
lb=$build/bench/lookup_bench
persons=${PERSONS:-5600000}
concs=${CONCURRENCY:-8 64}
requests=${REQUESTS:-20000}
bulk_requests=${BULK_REQUESTS:-400}
endpoints=${ENDPOINTS:-person entydig soek bulk}
sample=${SAMPLE:-50000}
bulk_bodies=${BULK_BODIES:-100}
seed=${SEED:-1}
freg_threads=${FREG_THREADS:-0}
gen_timeout=${GEN_TIMEOUT:-14400}
cores=$(nproc)
threads=$([ "$freg_threads" = 0 ] && echo $((4 * cores)) || echo "$freg_threads")
nginx_workers=${NGINX_WORKERS:-$threads}
[ -x "$porten" ] && [ -x "$fb" ] && [ -x "$lb" ] || { echo "build first: cmake --build $build" >&2; exit 2; }
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
bench_need_nginx
command -v bc >/dev/null || command -v awk >/dev/null || { echo "awk not found" >&2; exit 2; }

dir=$(mktemp -d /tmp/porten-lookupbench.XXXXXX)
trap bench_cleanup EXIT
trap 'exit 130' INT TERM
data=${DATA:-$dir/freg}
data=${data%/}

# Endpoint table: request file, label, p99 target (ms, - for none), Freg's service level (ms).
ep_file()   { echo "$1.req"; }
ep_label()  { case $1 in person) echo "personer/{id}";; entydig) echo "entydigsoek";; soek) echo "soek";;
              bulk) echo "bulkoppslag 1000";; feed) echo "hendelser/feed";; hbulk) echo "hend/bulkoppslag 1000";; esac; }
ep_target() { case $1 in person) echo 5;; entydig) echo 50;; bulk) echo 500;; *) echo -;; esac; }
ep_sla()    { case $1 in person|feed) echo 500;; entydig|soek) echo 2000;; bulk|hbulk) echo 10000;; esac; }
ep_n()      { case $1 in bulk|hbulk) echo "$bulk_requests";; *) echo "$requests";; esac; }
for e in $endpoints; do
  [ -n "$(ep_label "$e")" ] || { echo "unknown endpoint '$e' (person entydig soek bulk feed hbulk)" >&2; exit 2; }
done

field() { sed -n "s/.*[ ^]$1=\([^ ]*\).*/\1/p" <<<" $2"; }
fd() { local v; v=$(field "$1" "$2"); echo "${v:--}"; }   # "-" when missing, for the table rows
kv() { sed -n "s/^$1=//p" "$2"; }
mib() { awk -v b="$1" 'BEGIN {printf "%.1f MiB", b / 1048576}'; }
human() { awk -v b="$1" 'BEGIN {if (b >= 1e9) printf "%.2f GB", b / 1e9; else if (b >= 1e6) printf "%.1f MB", b / 1e6; else if (b >= 1e3) printf "%.1f kB", b / 1e3; else printf "%d B", b}'; }
proc_kb() { sed -n "s/^$1:[[:space:]]*\([0-9]*\) kB/\1/p" "/proc/$fpid/status"; }
db_sizes() {
  local wal=0
  if [ -n "${BENCH_DB:-}" ]; then
    echo "PostgreSQL database $(human "$(psql -XAtq "$BENCH_DB" -c 'SELECT pg_database_size(current_database())' 2>/dev/null || echo 0)") (pg_database_size)"
    return
  fi
  [ -f "$data/freg.db-wal" ] && wal=$(stat -c %s "$data/freg.db-wal")
  echo "data dir $(human "$(du -sb "$data" | cut -f1)") (du), freg.db $(human "$(stat -c %s "$data/freg.db")"), freg.db-wal $(human "$wal")"
}

# ---- machine ----
echo "== machine"
echo "cpus: $cores x $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)"
echo "memory: $(free -m | awk '/^Mem:/ {printf "%d MiB total, %d MiB available", $2, $7}')"
mkdir -p "$data"
echo "disk ($data): $(df -h "$data" | awk 'NR == 2 {printf "%s of %s free on %s", $4, $2, $1}')"
echo "kernel $(uname -r); load average $(cut -d' ' -f1-3 /proc/loadavg); sqlite $(sqlite3 --version 2>/dev/null | cut -d' ' -f1 || echo '?') (cli)"

# ---- the register: generation timed until the server listens ----
bench_authz
reuse=no
[ -z "${BENCH_DB:-}" ] && [ -s "$data/freg.db" ] && reuse=yes
echo "store: $(bench_backend)"
echo "== generation"
t0=$(date +%s.%N)
bench_freg "$data" "$persons" "$freg_threads" "$gen_timeout"
t1=$(date +%s.%N)
tck=$(getconf CLK_TCK)
cpu=$(awk -v t="$tck" '{print ($14 + $15) / t}' "/proc/$fpid/stat")
if [ $reuse = yes ]; then
  echo "reused $data (nothing generated); server start $(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.1f", b - a}') s"
else
  echo "porten freg --persons $persons: $(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.1f", b - a}') s wall, ${cpu} s CPU (user+sys) until it listened"
fi
echo "database after start: $(db_sizes)"
echo "server memory after start: VmRSS $(mib $(($(proc_kb VmRSS) * 1024))), VmHWM $(mib $(($(proc_kb VmHWM) * 1024)))"
bench_token

# ---- request inputs from the register's own file ----
inputs=${INPUTS:-$data.lookup-inputs/s$sample-b$bulk_bodies-r$seed}
if [ -n "${BENCH_DB:-}" ] && [ ! -s "$inputs/facts" ]; then
  echo "BENCH_DB needs INPUTS: the inputs of an SQLite run with the same PERSONS" >&2; exit 2
elif [ ! -s "$inputs/facts" ]; then
  rm -rf "$inputs"
  t0=$(date +%s.%N)
  "$lb" inputs --db "$data/freg.db" --out "$inputs.tmp" --sample "$sample" --bulk "$bulk_bodies" --seed "$seed" > "$dir/facts"
  mv "$dir/facts" "$inputs.tmp/facts"
  mv "$inputs.tmp" "$inputs"
  echo "== inputs: chosen in $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b - a}') s into $inputs"
else
  echo "== inputs: reused $inputs"
fi
f=$inputs/facts
echo "register: $(kv persons "$f") persons, $(kv events "$f") events; stored person document $(kv doc_bytes_avg "$f") bytes on average"
echo "sample: $(kv sampled "$f") persons (seed $seed); entydigsoek: $(kv entydig_unique "$f") with a unique (name, birth date), $(kv entydig_ambiguous "$f") ambiguous left out; soek: $(kv soek "$f") with an ungraded postnummer; $(kv bulk_bodies "$f") bulk bodies of 1000 ids"

# ---- nginx: one static file per endpoint, its size that of porten's response ----
www=$dir/www
mkdir -p "$www/ref"
echo x > "$www/ref/ping"
bench_nginx "$www" "$nginx_workers" /ref/ping
echo "reference: nginx $("$nginx" -v 2>&1 | sed 's|.*/||'), $nworkers workers, static files, sendfile on, access_log off"
echo "server: porten freg, $threads worker threads, plain HTTP, log level warn; $cores CPUs shared by server, nginx and load generator"

# run PORT REQFILE C N START TAG: one run; the line in $dir/TAG.out, the first bad response in $dir/TAG.err.
run() {
  "$lb" --port "$1" --token-file "$dir/token" --requests-file "$2" --concurrency "$3" --requests "$4" \
    --start "$5" > "$dir/$6.out" 2> "$dir/$6.err" || true
  cat "$dir/$6.out"
}
rows=()
for e in $endpoints; do
  req=$inputs/$(ep_file "$e")
  lines=$(grep -c . "$req" || true)
  if [ "$lines" = 0 ]; then rows+=("$e - - - - - - - - - - - - no-inputs"); continue; fi
  n=$(ep_n "$e")
  # Probe (one connection, also the warm-up): the response size for nginx's file.
  pn=$([ "$e" = bulk ] || [ "$e" = hbulk ] && echo 5 || echo 200)
  pl=$(run "$fport" "$req" 1 "$pn" 0 "probe-$e")
  bytes=$(field body_bytes "$pl") perr=$(field errors "$pl")
  est=
  if [ -z "$pl" ] || [ "${perr:-1}" != 0 ]; then
    # No good answer to size by: the stored document's size stands in.
    doc=$(kv doc_bytes_avg "$f")
    case $e in
      person|entydig) bytes=$doc;;
      soek) bytes=42;;
      bulk) bytes=$((1000 * (doc + 60) + 12));;
      *) bytes=${bytes:-1000};;
    esac
    est="~"
  fi
  head -c "${bytes%.*}" /dev/zero | tr '\0' 'x' > "$www/ref/$e.json"
  echo "GET /ref/$e.json" > "$dir/ref-$e.req"
  start=$pn
  per=5
  [ "$e" = bulk ] || [ "$e" = hbulk ] && per=1
  for c in $concs; do
    warm=$((c * per))
    run "$fport" "$req" "$c" "$warm" "$start" "warm-$e-$c" > /dev/null
    start=$((start + warm))
    pl=$(run "$fport" "$req" "$c" "$n" "$start" "p-$e-$c")
    start=$((start + n))
    run "$nport" "$dir/ref-$e.req" "$c" "$warm" 0 "nwarm-$e-$c" > /dev/null
    nl=$(run "$nport" "$dir/ref-$e.req" "$c" "$n" 0 "n-$e-$c")
    echo "$e C=$c porten: ${pl:-FAILED (no result line)}"
    echo "$e C=$c nginx $est$(human "${bytes%.*}"): ${nl:-FAILED (no result line)}"
    pc=$(field concurrency "$pl")
    rows+=("$e ${pc:-$c} $(fd requests "$pl") $(fd errors "$pl") $(fd req_per_s "$pl") $(fd p50_ms "$pl") \
$(fd p99_ms "$pl") $(fd max_ms "$pl") $est${bytes%.*} $(fd req_per_s "$nl") $(fd p50_ms "$nl") \
$(fd p99_ms "$nl") $(fd errors "$nl") $(fd statuses "$pl")")
  done
done

echo "== server after the runs"
echo "server memory: VmRSS $(mib $(($(proc_kb VmRSS) * 1024))), VmHWM $(mib $(($(proc_kb VmHWM) * 1024))) (VmHWM: peak since start, generation included when it ran)"
echo "database: $(db_sizes) (the runs add audit rows)"

echo "== results: porten next to nginx serving a static file of the response's size (~: size estimated from"
echo "   the stored document because porten gave no good answer); ratio = porten / nginx; target and Freg's service level on p99"
printf '%-21s %3s %6s %6s %9s %8s %8s %8s | %9s %9s %7s %7s | %6s %6s | %7s %7s  %s\n' \
  endpoint C n errors req/s p50_ms p99_ms max_ms nginx_body req/s p50_ms p99_ms "req/s" p99 target SLA verdict
for r in "${rows[@]}"; do
  read -r e c n err rps p50 p99 mx nb nrps np50 np99 nerr st <<<"$r"
  [ "$c" = - ] && { printf '%-21s %s\n' "$(ep_label "$e")" "no inputs for this endpoint in the register"; continue; }
  tgt=$(ep_target "$e") sla=$(ep_sla "$e")
  if [ "$n" = - ]; then verdict="FAILED: no result (see above)"
  elif [ "$err" != 0 ]; then verdict="FAILED: $err of $n errors, statuses $st"
  elif [ "$nerr" != 0 ]; then verdict="reference failed"
  elif [ "$tgt" = - ]; then verdict=$(awk -v p="$p99" -v s="$sla" 'BEGIN {print (p < s ? "within SLA (no target)" : "OVER SLA")}')
  else verdict=$(awk -v p="$p99" -v t="$tgt" -v s="$sla" 'BEGIN {print (p < t ? "ok" : (p < s ? "over target" : "OVER SLA"))}')
  fi
  nbs=$([ "${nb#\~}" != "$nb" ] && echo "~")$(human "${nb#\~}")
  printf '%-21s %3s %6s %6s %9s %8s %8s %8s | %9s %9s %7s %7s | %6s %6s | %7s %7s  %s\n' \
    "$(ep_label "$e")" "$c" "${n:--}" "${err:--}" "${rps:--}" "${p50:--}" "${p99:--}" "${mx:--}" "$nbs" "${nrps:--}" "${np50:--}" "${np99:--}" \
    "$(awk -v a="$rps" -v b="$nrps" 'BEGIN {if (a > 0 && b > 0) printf "%.2f", a / b; else print "-"}')" \
    "$(awk -v a="$p99" -v b="$np99" 'BEGIN {if (a > 0 && b > 0) printf (a / b < 10 ? "%.2f" : "%.1f"), a / b; else print "-"}')" \
    "$([ "$tgt" = - ] && echo - || echo "<$tgt")" "<$sla" "$verdict"
done
first=1
for e in $endpoints; do
  for c in $concs; do
    [ -s "$dir/p-$e-$c.err" ] || continue
    [ $first = 1 ] && { echo "== first unexpected response per run"; first=0; }
    echo "$(ep_label "$e") C=$c: $(head -1 "$dir/p-$e-$c.err" | sed 's/^lookup_bench: //')"
  done
done

#!/usr/bin/env bash
# PostgreSQL next to SQLite in one run: the token benchmark (bench/token.sh) and the lookup
# benchmark (bench/lookup.sh) first on SQLite, then on PostgreSQL in a throwaway cluster
# (scripts/pg-cluster.sh; started and stopped here, on the same machine and CPUs), then
# both side by side with the references (OpenSSL's RSA-2048 sign rate, nginx serving a
# static file of the response's size) and the ratio PostgreSQL / SQLite.
#   bench/pg.sh [BUILD_DIR]
# Environment (passed on to token.sh and lookup.sh):
#   PERSONS (default 50000) persons generated into each register (the same persons in
#     both: the generator is deterministic), CONCURRENCY (default "8 64"),
#   ENDPOINTS (default "person entydig soek bulk"), REQUESTS, BULK_REQUESTS, SAMPLE as in
#   lookup.sh; SKIP_TOKEN=1 / SKIP_LOOKUP=1 leave one benchmark out.
# The lookup inputs are chosen from the SQLite register; the PostgreSQL one generated with
# the same PERSONS and seed holds the same persons when both are generated on the same
# day (UTC): the generator dates persons from today. Check errors=0 on the PostgreSQL rows.
# Needs what token.sh and lookup.sh need, and PostgreSQL from Debian's packages
# (postgresql, postgresql-client: bash scripts/setup.sh --test).
set -euo pipefail
build=${1:-build}
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
export CONCURRENCY=${CONCURRENCY:-8 64} PERSONS=${PERSONS:-50000}
sample=${SAMPLE:-50000} bulk_bodies=${BULK_BODIES:-100} seed=${SEED:-1}
[ -x "$build/porten" ] || { echo "build first: cmake --build $build" >&2; exit 2; }
command -v psql >/dev/null || { echo "psql not found (Debian: apt-get install postgresql-client)" >&2; exit 2; }
work=$(mktemp -d /tmp/porten-pgbench.XXXXXX)
chmod 755 "$work"    # the cluster may run as postgres (when called as root)
pgdir=$work/pg
started=no
cleanup() {
  [ $started = yes ] && bash "$root/scripts/pg-cluster.sh" stop "$pgdir" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A fresh database NAME on the cluster; prints its URI.
mkdb() {
  local base q
  psql -XAtq "$uri" -c "CREATE DATABASE $1" >/dev/null
  base=${uri%%\?*}; q=${uri#"$base"}
  echo "${base%/*}/$1$q"
}

uri=$(bash "$root/scripts/pg-cluster.sh" start "$pgdir")
started=yes
echo "== PostgreSQL $(psql -XAtq "$uri" -c 'SHOW server_version'), throwaway cluster in $pgdir (fsync on, defaults otherwise)"

# run NAME CMD...: the benchmark's output on the terminal and in $work/NAME.txt.
run() {
  local name=$1; shift
  echo "== $name"
  "$@" 2>&1 | tee "$work/$name.txt"
}

if [ "${SKIP_TOKEN:-}" != 1 ]; then
  run token-sqlite bash "$here/token.sh" "$build"
  BENCH_DB=$(mkdb bench_token) run token-postgresql bash "$here/token.sh" "$build"
fi
if [ "${SKIP_LOOKUP:-}" != 1 ]; then
  DATA=$work/freg-sqlite run lookup-sqlite bash "$here/lookup.sh" "$build"
  BENCH_DB=$(mkdb bench_freg) DATA=$work/freg-postgresql \
    INPUTS=$work/freg-sqlite.lookup-inputs/s$sample-b$bulk_bodies-r$seed \
    run lookup-postgresql bash "$here/lookup.sh" "$build"
fi

field() { sed -n "s/.*[ ^]$1=\([^ ]*\).*/\1/p" <<<" $2"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (a > 0 && b > 0) printf "%.2f", a / b; else print "-"}'; }
echo
echo "== PostgreSQL vs SQLite ($(nproc) CPUs shared by server, database and load generator)"
if [ "${SKIP_TOKEN:-}" != 1 ]; then
  ref=$(sed -n 's/^reference: .*: \([0-9.]*\) sign\/s/\1/p' "$work/token-sqlite.txt")
  echo "token endpoint (fresh x5c grants; OpenSSL RSA-2048 sign rate, all CPUs: ${ref:-?}/s)"
  printf '  %3s | %10s %8s | %10s %8s | %9s | %7s %7s\n' C "sqlite/s" p99_ms "pg/s" p99_ms "pg/sqlite" "sq/ossl" "pg/ossl"
  for c in $CONCURRENCY; do
    s=$(grep "^concurrency=$c " "$work/token-sqlite.txt" || true)
    p=$(grep "^concurrency=$c " "$work/token-postgresql.txt" || true)
    sr=$(field tokens_per_s "$s") pr=$(field tokens_per_s "$p")
    printf '  %3s | %10s %8s | %10s %8s | %9s | %7s %7s\n' "$c" "${sr:--}" "$(field p99_ms "$s")" "${pr:--}" \
      "$(field p99_ms "$p")" "$(ratio "$pr" "$sr")" "$(ratio "$sr" "$ref")" "$(ratio "$pr" "$ref")"
    for x in "$s" "$p"; do [ "$(field non200 "$x")" = 0 ] || echo "  note: C=$c had non-200 answers: $x"; done
  done
fi
if [ "${SKIP_LOOKUP:-}" != 1 ]; then
  echo "lookups ($PERSONS persons; nginx: a static file of the response's size, measured in the SQLite run)"
  printf '  %-12s %3s | %10s %8s | %10s %8s %6s | %9s | %10s %8s\n' endpoint C "sqlite/s" p99_ms "pg/s" p99_ms errors "pg/sqlite" "nginx/s" p99_ms
  for e in ${ENDPOINTS:-person entydig soek bulk}; do
    for c in $CONCURRENCY; do
      s=$(grep "^$e C=$c porten: " "$work/lookup-sqlite.txt" || true)
      p=$(grep "^$e C=$c porten: " "$work/lookup-postgresql.txt" || true)
      n=$(grep "^$e C=$c nginx " "$work/lookup-sqlite.txt" || true)
      sr=$(field req_per_s "$s") pr=$(field req_per_s "$p") pe=$(field errors "$p")
      printf '  %-12s %3s | %10s %8s | %10s %8s %6s | %9s | %10s %8s\n' "$e" "$c" "${sr:--}" "$(field p99_ms "$s")" \
        "${pr:--}" "$(field p99_ms "$p")" "${pe:--}" "$([ "${pe:-1}" = 0 ] && ratio "$pr" "$sr" || echo -)" \
        "$(field req_per_s "$n")" "$(field p99_ms "$n")"
      [ "$(field errors "$s")" = 0 ] || echo "  note: $e C=$c on SQLite had errors: statuses $(field statuses "$s")"
      [ "${pe:-1}" = 0 ] || echo "  note: $e C=$c on PostgreSQL had errors: statuses $(field statuses "$p")"
    done
  done
  for b in sqlite postgresql; do
    echo "  $b: $(sed -n 's/^database after start: //p' "$work/lookup-$b.txt"); generation: $(grep -m1 -- '--persons\|reused' "$work/lookup-$b.txt" || echo '?')"
  done
fi

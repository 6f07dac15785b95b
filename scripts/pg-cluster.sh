#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for tests and benchmarks, from Debian's packages.
#   scripts/pg-cluster.sh start DIR    initdb in DIR (if new) and start; prints the URI
#   scripts/pg-cluster.sh stop DIR     stop it (DIR stays; rm -rf it to forget it)
#   scripts/pg-cluster.sh replica DIR PRIMARY_DIR
#                                      a streaming hot standby in DIR of the running cluster
#                                      this script started in PRIMARY_DIR (pg_basebackup -R
#                                      over its Unix socket, if DIR is new), started; prints
#                                      its URI. 'start DIR' restarts it later as a standby.
# The server runs as a non-root user (postgres when called as root, else the caller),
# listens only on a Unix socket in DIR, and trusts local connections: never use it for
# anything but tests. The URI it prints is what the pg tests read from PORTEN_TEST_PG.
set -euo pipefail
cmd=${1:-}; dir=${2:-}; primary=${3:-}
usage="usage: $0 start|stop DIR | replica DIR PRIMARY_DIR"
[ -n "$cmd" ] && [ -n "$dir" ] || { echo "$usage" >&2; exit 2; }
[ "$cmd" != replica ] || [ -n "$primary" ] || { echo "$usage" >&2; exit 2; }
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -x "$bin/initdb" ] || { echo "pg-cluster: PostgreSQL is not installed (bash scripts/setup.sh --test)" >&2; exit 1; }
as=()
user=$(id -un)
if [ "$(id -u)" -eq 0 ]; then as=(runuser -u postgres --); user=postgres; fi
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
[ "$(id -u)" -eq 0 ] && chown postgres "$dir"
start_server() {
  "${as[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-c listen_addresses='' -c unix_socket_directories='$dir' -c max_connections=200 -c fsync=on" start >/dev/null ||
    { cat "$dir/server.log" >&2; exit 1; }
  echo "postgresql:///postgres?host=$dir&user=$user"
}
case $cmd in
replica)
  # The primary needs wal_level=replica (the default) and a replication entry for local
  # connections: initdb --auth=trust writes 'local replication all trust'.
  primary=$(cd "$primary" && pwd)
  [ -S "$primary/.s.PGSQL.5432" ] || { echo "pg-cluster: no cluster of this script runs in $primary" >&2; exit 1; }
  if [ ! -s "$dir/data/PG_VERSION" ]; then
    "${as[@]}" "$bin/pg_basebackup" -D "$dir/data" -R -X stream -c fast -h "$primary" -U "$user" \
      >"$dir/basebackup.log" 2>&1 || { cat "$dir/basebackup.log" >&2; exit 1; }
  fi
  [ -e "$dir/data/standby.signal" ] || { echo "pg-cluster: $dir holds a cluster that is not a standby" >&2; exit 1; }
  start_server
  ;;
start)
  if [ ! -s "$dir/data/PG_VERSION" ]; then
    "${as[@]}" "$bin/initdb" -D "$dir/data" -U "$user" --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 ||
      { cat "$dir/initdb.log" >&2; exit 1; }
  fi
  start_server
  ;;
stop)
  "${as[@]}" "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
  ;;
*) echo "$usage" >&2; exit 2 ;;
esac

#!/usr/bin/env bash
# Token endpoint benchmark: fresh x5c grants (unique jti, leaf-only x5c as real clients
# send) at concurrency 1, 8 and 64 against `porten authz --plain-http`, next to OpenSSL's
# own RSA-2048 sign rate measured in the same run on all cores.
#   bench/token.sh [BUILD_DIR] [--threads N]
# Environment: CONCURRENCY (default "1 8 64"); BENCH_DB: a postgresql:// URI of an empty
# database to run authz on (--db, with a generated --keys-secret) instead of SQLite
# (bench/pg.sh runs both).
set -euo pipefail
build=${1:-build}
threads=${3:-0}
porten=$build/porten
tb=$build/bench/token_bench
[ -x "$porten" ] && [ -x "$tb" ] || { echo "build first: cmake --build $build" >&2; exit 2; }
dir=$(mktemp -d /tmp/porten-bench.XXXXXX)
trap 'kill $pid 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$dir"' EXIT
cores=$(nproc)
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
bench_store authz

"$porten" pki init --dir "$dir/pki" >/dev/null
"$porten" pki issue --dir "$dir/pki" --orgno 991825827 --name "BENCH AS" --out "$dir/leaf" >/dev/null
cat > "$dir/seed.json" <<JSON
{"scopes":[{"prefix":"folkeregister","subscope":"deling/offentligmedhjemmel","description":"bench","owner_orgno":"974761076"}],
 "access":[{"scope":"folkeregister:deling/offentligmedhjemmel","consumer_orgno":"991825827"}],
 "clients":[{"client_id":"bench","client_orgno":"991825827","scopes":["folkeregister:deling/offentligmedhjemmel"]}]}
JSON
"$porten" authz --listen 127.0.0.1:0 --issuer https://bench.test/ --data "$dir/authz" "${bench_store_args[@]}" --plain-http \
  --seed "$dir/seed.json" --trust-anchors "$dir/pki/root.pem" --intermediates "$dir/pki/intermediate.pem" \
  --crl "$dir/pki/crl.pem" --log-level warn --threads "$threads" > "$dir/out" 2> "$dir/err" &
pid=$!
for _ in $(seq 1 100); do grep -q "listening on" "$dir/out" 2>/dev/null && break; sleep 0.1; done
port=$(sed -n 's|.*listening on http://127.0.0.1:\([0-9]*\)/.*|\1|p' "$dir/out")
[ -n "$port" ] || { echo "server did not start:" >&2; cat "$dir/err" >&2; exit 1; }

ref=$(openssl speed -seconds 5 -multi "$cores" rsa2048 2>/dev/null | awk '/^rsa 2048 bits/ {print $6}')
echo "reference: openssl speed -multi $cores rsa2048: $ref sign/s"
echo "server: porten authz, $([ "$threads" = 0 ] && echo "$((4 * cores)) (default)" || echo "$threads") worker threads, plain HTTP, log level warn, store $(bench_backend)"
[ -n "${PERF_OUT:-}" ] && { perf record -F 999 -g -p $pid -o "$PERF_OUT" >/dev/null 2>&1 & perfpid=$!; }
for c in ${CONCURRENCY:-1 8 64}; do
  n=$([ "$c" = 1 ] && echo 3000 || echo 20000)
  line=$("$tb" --port "$port" --issuer https://bench.test/ --client-id bench --cert "$dir/leaf.pem" \
         --key "$dir/leaf-key.pem" --scope folkeregister:deling/offentligmedhjemmel --concurrency "$c" --requests "$n")
  rate=$(sed -n 's/.*tokens_per_s=\([0-9.]*\).*/\1/p' <<<"$line")
  ratio=$(awk -v a="$rate" -v b="$ref" 'BEGIN {printf "%.2f", a / b}')
  echo "$line ratio_to_openssl=$ratio"
done
if [ -n "${PERF_OUT:-}" ]; then kill -INT $perfpid; wait $perfpid 2>/dev/null || true; fi

#!/usr/bin/env bash
# porten up: starts, writes sandbox.json with absolute paths, serves HTTPS only,
# restarts on the same directory without rewriting anything, stops on SIGTERM with 0.
# Readiness is read from the server's stdout (no sleeps).
set -euo pipefail
porten=$1
dir=$(mktemp -d /tmp/porten-up-test.XXXXXX)
pass=0; fail=0
check() { if eval "$2"; then pass=$((pass+1)); else echo "FAIL: $1" >&2; fail=$((fail+1)); fi; }
# a port the kernel reports free (porten up needs a fixed port: it is part of the issuer)
port=$(/usr/bin/python3 -c "import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])")

start() {  # start porten up; sets pid, waits for its "ready" line
  exec {out}< <(exec "$porten" up --data "$dir/sb" --authz-listen "127.0.0.1:$port" 2>>"$dir/err")
  pid=$!
  local line
  while IFS= read -r -t 60 -u "$out" line; do
    [[ $line == *"server ready at"* ]] && return 0
  done
  echo "porten up did not become ready" >&2; cat "$dir/err" >&2; exit 1
}
stop() {  # SIGTERM; the process must exit 0 within 10 s
  kill -TERM "$pid"
  local i rc=0
  for i in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; read -r -t 0.1 -u "$out" _ || true; done
  wait "$pid" || rc=$?
  exec {out}<&-
  return $rc
}

start
sb=$dir/sb/sandbox.json
check "sandbox.json exists" "[ -s '$sb' ]"
check "sandbox.json fields" "/usr/bin/python3 - '$sb' <<'PY'
import json, os, sys
d = json.load(open(sys.argv[1]))
assert set(d) == {'authz_url', 'freg_url', 'issuer', 'ca_bundle', 'admin', 'consumers'}, d.keys()
assert d['issuer'] == 'https://localhost:$port/'
assert os.path.isabs(d['ca_bundle']) and os.path.exists(d['ca_bundle'])
assert set(d['admin']) == {'orgno', 'client_id', 'certificate', 'private_key', 'scopes'}
c = d['consumers'][0]
assert set(c) == {'name', 'orgno', 'packages', 'scopes', 'certificate_client', 'key_client'}
assert set(c['certificate_client']) == {'client_id', 'certificate', 'private_key', 'pkcs12', 'pkcs12_password'}
assert set(c['key_client']) == {'client_id', 'kid', 'jwk', 'private_key'}
for p in [d['admin']['certificate'], d['admin']['private_key'], c['certificate_client']['certificate'],
          c['certificate_client']['private_key'], c['certificate_client']['pkcs12'],
          c['key_client']['jwk'], c['key_client']['private_key']]:
    assert os.path.isabs(p) and os.path.exists(p), p
assert oct(os.stat(c['key_client']['private_key']).st_mode & 0o777) == '0o600'
PY"
check "HTTPS with the sandbox CA" "[ \"\$(curl -s --cacert '$dir/sb/tls/ca.pem' https://localhost:$port/health)\" = '{\"status\":\"UP\"}' ]"
code=0; curl -s -m 5 -o /dev/null "http://127.0.0.1:$port/health" || code=$?
check "plain HTTP gets no HTTP answer (curl $code)" "[ $code -ne 0 ]"
check "discovery issuer" "curl -s --cacert '$dir/sb/tls/ca.pem' https://localhost:$port/.well-known/oauth-authorization-server | grep -q '\"issuer\":\"https://localhost:$port/\"'"
rc=0; stop || rc=$?
check "exit 0 on SIGTERM (got $rc)" "[ $rc -eq 0 ]"
check "first start wrote the seed" "grep -q \"documents written\" '$dir/err'"

: > "$dir/err"
start
check "restart writes nothing" "grep -q \"authz-seed.json': 0 documents written\" '$dir/err'"
check "restart keeps the signing key" "! grep -q 'generated signing key' '$dir/err'"
rc=0; stop || rc=$?
check "exit 0 on SIGTERM after restart (got $rc)" "[ $rc -eq 0 ]"

rm -rf "$dir"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]

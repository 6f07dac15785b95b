#!/usr/bin/env bash
# porten up: starts authz and freg, writes sandbox.json (PRODUCT.md) with absolute paths and
# one consumer per rights package whose two clients each get a token for their package and
# read its feed (and nobody else's); serves HTTPS only; restarts on the same directory
# without rewriting anything; stops on SIGTERM with 0 within 10 s.
# Readiness is read from the server's stdout (no sleeps).
set -euo pipefail
porten=$1
dir=$(mktemp -d /tmp/porten-up-test.XXXXXX)
trap 'rm -rf "$dir"' EXIT
pass=0; fail=0
check() { if eval "$2"; then pass=$((pass+1)); else echo "FAIL: $1" >&2; fail=$((fail+1)); fi; }

start() {  # start porten up on free ports; sets pid, waits for its "ready" line
  rm -f "$dir/fifo"; mkfifo "$dir/fifo"
  "$porten" up --data "$dir/sb" --authz-listen 127.0.0.1:0 --freg-listen 127.0.0.1:0 \
      --persons 300 --no-simulate --log-level info >"$dir/fifo" 2>>"$dir/err" &
  pid=$!
  exec {out}<"$dir/fifo"
  local line
  while IFS= read -r -t 120 -u "$out" line; do
    [[ $line == "porten up: sandbox ready in "* ]] && return 0
  done
  echo "porten up did not become ready" >&2; cat "$dir/err" >&2; exit 1
}
stop() {  # SIGTERM; the process must exit 0 within 10 s (its stdout closes when it exits)
  kill -TERM "$pid"
  local st=0 rc=0
  while :; do IFS= read -r -t 10 -u "$out" _ || { st=$?; break; }; done
  if [ "$st" -gt 128 ]; then echo "FAIL: still running 10 s after SIGTERM" >&2; kill -KILL "$pid"; fail=$((fail+1)); fi
  wait "$pid" || rc=$?
  exec {out}<&-
  return $rc
}

start
sb=$dir/sb/sandbox.json
check "sandbox.json exists" "[ -s '$sb' ]"
check "sandbox.json is 0600 (it holds the PKCS#12 password)" "[ \$(stat -c %a '$sb') = 600 ]"
check "sandbox.json fields, one consumer per package, tokens and feeds" "/usr/bin/python3 - '$sb' <<'PY'
import json, os, ssl, sys, time, uuid, urllib.request, urllib.parse, urllib.error
import jwt
d = json.load(open(sys.argv[1]))
assert set(d) == {'authz_url', 'freg_url', 'issuer', 'ca_bundle', 'admin', 'consumers'}, d.keys()
assert d['issuer'].startswith('https://localhost:') and d['issuer'].endswith('/'), d['issuer']
assert d['authz_url'].startswith('https://127.0.0.1:') and d['freg_url'].startswith('https://127.0.0.1:')
assert os.path.isabs(d['ca_bundle']) and os.path.exists(d['ca_bundle'])
assert set(d['admin']) == {'orgno', 'client_id', 'certificate', 'private_key', 'scopes'}
packages = ['offentligmedhjemmel', 'offentligutenhjemmel', 'privatutenhjemmel', 'privat',
            'privatutenfolkeregisteridentifikator', 'finans', 'presse',
            'presseutenfolkeregisteridentifikator', 'utstedereid']
assert [c['packages'] for c in d['consumers']] == [[p] for p in packages], d['consumers']
assert len({c['orgno'] for c in d['consumers']}) == 9
ctx = ssl.create_default_context(cafile=d['ca_bundle'])
md = json.load(urllib.request.urlopen(d['authz_url'] + '.well-known/oauth-authorization-server', context=ctx))
assert md['issuer'] == d['issuer'], md
token_url = d['authz_url'] + 'token'
paths = {'offentligmedhjemmel': 'folkeregisteret/offentlig-med-hjemmel/api/v1/',
         'utstedereid': 'folkeregisteret/api/eid/v1/'}
def feed(package, token):
    url = d['freg_url'] + paths.get(package, 'folkeregisteret/api/%s/v1/' % package) + 'hendelser/feed?seq=1'
    req = urllib.request.Request(url, headers={'Authorization': 'Bearer ' + token, 'Accept': 'application/json'})
    try:
        r = urllib.request.urlopen(req, context=ctx)
        return r.status, json.load(r)
    except urllib.error.HTTPError as e:
        return e.code, json.load(e)
for i, c in enumerate(d['consumers']):
    assert set(c) == {'name', 'orgno', 'packages', 'scopes', 'certificate_client', 'key_client'}
    assert set(c['certificate_client']) == {'client_id', 'certificate', 'private_key', 'pkcs12', 'pkcs12_password'}
    assert set(c['key_client']) == {'client_id', 'kid', 'jwk', 'private_key'}
    pkg = c['packages'][0]
    assert 'folkeregister:deling/' + pkg in c['scopes'], c['scopes']
    for p in [c['certificate_client']['certificate'], c['certificate_client']['private_key'],
              c['certificate_client']['pkcs12'], c['key_client']['jwk'], c['key_client']['private_key']]:
        assert os.path.isabs(p) and os.path.exists(p), p
    assert oct(os.stat(c['key_client']['private_key']).st_mode & 0o777) == '0o600'
    for kind in ('certificate_client', 'key_client'):
        cl = c[kind]
        key = open(cl['private_key']).read()
        if kind == 'key_client':
            hdr = {'kid': cl['kid']}
        else:
            der = ssl.PEM_cert_to_DER_cert(open(cl['certificate']).read())
            import base64
            hdr = {'x5c': [base64.b64encode(der).decode()]}
        now = int(time.time())
        grant = jwt.encode({'aud': d['issuer'], 'iss': cl['client_id'], 'scope': 'folkeregister:deling/' + pkg,
                            'iat': now, 'exp': now + 60, 'jti': str(uuid.uuid4())}, key, algorithm='RS256', headers=hdr)
        body = urllib.parse.urlencode({'grant_type': 'urn:ietf:params:oauth:grant-type:jwt-bearer', 'assertion': grant}).encode()
        tok = json.load(urllib.request.urlopen(urllib.request.Request(token_url, data=body), context=ctx))
        assert tok['scope'] == 'folkeregister:deling/' + pkg, tok
        claims = jwt.decode(tok['access_token'], options={'verify_signature': False})
        assert claims['consumer']['ID'] == '0192:' + c['orgno'], claims
        status, page = feed(pkg, tok['access_token'])
        assert status == 200, (pkg, status, page)
        assert len(page) > 0 and page[0]['sekvensnummer'] == 1, page[:1]
        other = packages[(i + 1) % 9]
        status, err = feed(other, tok['access_token'])
        assert status == 403 and set(err) == {'kode', 'melding'}, (pkg, other, status, err)
PY"
authz=$(/usr/bin/python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['authz_url'])" "$sb")
freg=$(/usr/bin/python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['freg_url'])" "$sb")
check "HTTPS with the sandbox CA (authz health)" "[ \"\$(curl -s --cacert '$dir/sb/tls/ca.pem' ${authz}health)\" = '{\"status\":\"UP\"}' ]"
check "HTTPS with the sandbox CA (freg, no token: 401)" "[ \"\$(curl -s -o /dev/null -w '%{http_code}' --cacert '$dir/sb/tls/ca.pem' ${freg}folkeregisteret/api/privat/v1/hendelser/feed)\" = 401 ]"
for u in "$authz" "$freg"; do
  code=0; curl -s -m 5 -o /dev/null "${u/https:/http:}health" || code=$?
  check "plain HTTP to $u gets no HTTP answer (curl $code)" "[ $code -ne 0 ]"
done
rc=0; stop || rc=$?
check "exit 0 on SIGTERM (got $rc)" "[ $rc -eq 0 ]"
check "first start wrote the seed" "grep -q \"authz-seed.json': [1-9][0-9]* documents written\" '$dir/err'"
check "first start generated the persons" "grep -q 'generated 300 persons' '$dir/err'"
sum1=$(cat "$dir"/sb/consumers/*/certificate.pem "$dir"/sb/pki/root.pem | sha256sum)

: > "$dir/err"
start
check "restart writes nothing" "grep -q \"authz-seed.json': 0 documents written\" '$dir/err'"
check "restart keeps the signing key" "! grep -q 'generated signing key' '$dir/err'"
check "restart keeps the register" "grep -q 'already holds 300 persons' '$dir/err'"
check "restart keeps the certificates" "[ \"\$(cat '$dir'/sb/consumers/*/certificate.pem '$dir'/sb/pki/root.pem | sha256sum)\" = '$sum1' ]"
rc=0; stop || rc=$?
check "exit 0 on SIGTERM after restart (got $rc)" "[ $rc -eq 0 ]"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]

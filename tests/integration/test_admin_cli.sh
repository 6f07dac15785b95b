#!/usr/bin/env bash
# porten admin end to end, through the CLI only, against porten up: an API owner creates a
# scope and grants access, a client is registered and gets a key, a grant signed with that
# key gets a token at once, a revocation refuses the next grant (MP-250), keys rotate, and
# the audit trail shows every step. Also the documented exit codes.
# Readiness is read from porten up's stdout (no sleeps).
set -euo pipefail
porten=$1
dir=$(mktemp -d /tmp/porten-admin-cli.XXXXXX)
py=/usr/bin/python3
pass=0; fail=0
check() { if eval "$2"; then pass=$((pass+1)); else echo "FAIL: $1" >&2; fail=$((fail+1)); fi; }
port=$($py -c "import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])")

exec {out}< <(exec "$porten" up --data "$dir/sb" --authz-listen "127.0.0.1:$port" --freg-listen 127.0.0.1:0 --persons 300 --no-simulate 2>>"$dir/err")
pid=$!
cleanup() { kill -TERM "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$dir"; }
trap cleanup EXIT
while IFS= read -r -t 60 -u "$out" line; do
	[[ $line == "porten up: sandbox ready in "* ]] && break
done
sb=$dir/sb/sandbox.json
adm() { "$porten" admin --sandbox "$sb" "$@"; }
owner=$($py -c "import json,sys; print(json.load(open(sys.argv[1]))['admin']['orgno'])" "$sb")
issuer=$($py -c "import json,sys; print(json.load(open(sys.argv[1]))['issuer'])" "$sb")
ca=$dir/sb/tls/ca.pem
scope=folkeregister:deling/clitest

# Exit codes: usage 2, refused 1 (one line on stderr), unreachable 4.
rc=0; adm scopes frobnicate 2>"$dir/e" || rc=$?
check "unknown action exits 2 (got $rc)" "[ $rc -eq 2 ]"
rc=0; adm scopes get nosuch:scope 2>"$dir/e" || rc=$?
check "unknown scope exits 1 (got $rc)" "[ $rc -eq 1 ]"
check "refusal is one line naming status and error" "[ \$(wc -l < '$dir/e') -eq 1 ] && grep -q '^porten admin: 404 not_found: ' '$dir/e'"
rc=0; "$porten" admin --authz https://127.0.0.1:1/ --token x scopes list 2>"$dir/e" || rc=$?
check "unreachable server exits 4 (got $rc)" "[ $rc -eq 4 ]"

# The API owner's side.
check "create scope" "adm scopes create $scope --description 'CLI test' >/dev/null"
check "scope as JSON" "adm --json scopes get $scope | $py -c 'import json,sys; d=json.load(sys.stdin); assert d[\"name\"]==\"$scope\" and d[\"owner_orgno\"]==\"$owner\" and d[\"active\"] is True, d'"
rc=0; adm scopes create $scope --description again 2>"$dir/e" || rc=$?
check "re-creating exits 1 with 409 (got $rc)" "[ $rc -eq 1 ] && grep -q '^porten admin: 409 conflict' '$dir/e'"
check "grant access" "adm access grant $scope $owner >/dev/null"
check "access list shows APPROVED" "adm --json access list $scope | $py -c 'import json,sys; d=json.load(sys.stdin); assert [(r[\"consumer_orgno\"], r[\"state\"]) for r in d]==[(\"$owner\", \"APPROVED\")], d'"

# The consumer's side: a client with a registered key.
cid=$(adm --json clients create --name cli-test --scope $scope | $py -c 'import json,sys; print(json.load(sys.stdin)["client_id"])')
check "client id is a UUID" "[[ '$cid' =~ ^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$ ]]"
openssl genrsa -out "$dir/k.pem" 2048 2>/dev/null
check "upload key" "adm clients set-keys $cid '$dir/k.pem' --kid cli-test-key-1 >/dev/null"
check "key set as JSON" "adm --json clients keys $cid | $py -c 'import json,sys; d=json.load(sys.stdin); assert [k[\"kid\"] for k in d[\"keys\"]]==[\"cli-test-key-1\"] and d[\"keys\"][0][\"use\"]==\"sig\", d'"

grant() {  # POST /token with a grant signed by the uploaded key; prints "status body"
	$py - "$dir/k.pem" "$cid" "$scope" "$issuer" "https://127.0.0.1:$port/token" "$ca" <<'PY'
import json, ssl, sys, time, uuid, urllib.request, urllib.error
import jwt
from cryptography.hazmat.primitives import serialization
key = serialization.load_pem_private_key(open(sys.argv[1], 'rb').read(), None)
now = int(time.time())
g = jwt.encode({'aud': sys.argv[4], 'iss': sys.argv[2], 'scope': sys.argv[3], 'iat': now, 'exp': now + 60,
                'jti': str(uuid.uuid4())}, key, algorithm='RS256', headers={'kid': 'cli-test-key-1'})
r = urllib.request.Request(sys.argv[5], data=('grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer&assertion=' + g).encode(),
                           headers={'Content-Type': 'application/x-www-form-urlencoded'})
ctx = ssl.create_default_context(cafile=sys.argv[6])
ctx.check_hostname = False
try:
    with urllib.request.urlopen(r, context=ctx) as resp:
        print(resp.status, json.loads(resp.read())['scope'])
except urllib.error.HTTPError as e:
    print(e.code, json.loads(e.read()).get('error_uri', '').rsplit('/', 1)[-1])
PY
}
check "new key works at once" "[ \"\$(grant)\" = '200 $scope' ]"
check "revoke access" "adm access revoke $scope $owner >/dev/null"
check "next grant is refused with MP-250" "[ \"\$(grant)\" = '403 MP-250' ]"
check "deactivate client" "adm clients delete $cid >/dev/null"
check "grant for a deactivated client is MP-100" "[ \"\$(grant)\" = '400 MP-100' ]"

# Operator: rotation and the audit trail.
check "rotate keys" "adm keys rotate --publish-ahead 0 >/dev/null"
check "two keys, one active, one previous" "adm --json keys list | $py -c 'import json,sys; d=json.load(sys.stdin); assert sorted(k[\"state\"] for k in d[\"keys\"])==[\"active\",\"previous\"], d'"
check "both keys published in /jwk" "[ \$(curl -s --cacert '$ca' https://localhost:$port/jwk | $py -c 'import json,sys; print(len(json.load(sys.stdin)[\"keys\"]))') -eq 2 ]"
check "audit trail lists every step with the actor" "adm --json audit --limit 1000 | $py -c '
import json, sys
e = json.load(sys.stdin)[\"entries\"]
acts = [x[\"action\"] for x in e if x[\"actor_orgno\"] == \"$owner\"]
want = [\"scope.create\", \"access.grant\", \"client.create\", \"jwks.replace\", \"access.revoke\", \"client.deactivate\", \"keys.rotate\"]
assert acts == want, acts
assert all(x[\"actor_client_id\"] == \"sandbox-admin\" for x in e if x[\"actor_orgno\"] == \"$owner\")
assert e[0][\"action\"] == \"seed.load\"
rev = [x for x in e if x[\"action\"] == \"access.revoke\"][0]
assert rev[\"before\"][\"state\"] == \"APPROVED\" and rev[\"after\"] is None, rev
'"

echo "admin cli: $pass passed, $fail failed"
[ "$fail" -eq 0 ]

#!/usr/bin/env bash
# porten token end to end against porten up: tokens through every kind of credentials
# (the sandbox's certificate and registered-key clients, PKCS#12 with the right and the
# wrong password, PEM certificate and key, private JWK, PEM key with --kid), --json, the
# token cache (files, reuse, --no-cache, corrupt files, reuse with the server stopped),
# delegation (--consumer-org) and --resource in the token's claims, and the one-line
# failures with their exit codes and hints. Readiness is read from stdout (no sleeps).
set -euo pipefail
porten=$1
dir=$(mktemp -d /tmp/porten-token-cli.XXXXXX)
py=/usr/bin/python3
pass=0; fail=0
check() { if eval "$2"; then pass=$((pass+1)); else echo "FAIL: $1" >&2; fail=$((fail+1)); fi; }
port=$($py -c "import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])")

exec {out}< <(exec "$porten" up --data "$dir/sb" --authz-listen "127.0.0.1:$port" --freg-listen 127.0.0.1:0 --persons 200 --no-simulate 2>>"$dir/err")
pid=$!
cleanup() { kill -TERM "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$dir"; }
trap cleanup EXIT
ready=0
while IFS= read -r -t 60 -u "$out" line; do
	[[ $line == "porten up: sandbox ready in "* ]] && { ready=1; break; }
done
[ $ready -eq 1 ] || { echo "porten up did not become ready" >&2; cat "$dir/err" >&2; exit 1; }

sb=$dir/sb/sandbox.json
export XDG_CACHE_HOME=$dir/xdg HOME=$dir/home
unset PORTEN_TOKEN PORTEN_P12_PASSWORD PORTEN_SANDBOX PORTEN_CACHE_DIR PORTEN_NO_CACHE || true
cache=$XDG_CACHE_HOME/porten
tok() { "$porten" token --sandbox "$sb" "$@"; }
adm() { "$porten" admin --sandbox "$sb" "$@" >/dev/null; }
sbv() { $py -c "import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))" "$sb" "$1"; }
# claims TOKEN PYTHON-ASSERTION-ON-c: decodes the access token (no signature check here:
# the servers' own tests verify signatures) and evaluates the assertion.
claims() { $py -c "import jwt,sys; c=jwt.decode(sys.argv[1], options={'verify_signature': False}); assert $2, c" "$1"; }
cc=$(sbv "d['consumers'][0]['certificate_client']['certificate']")
ck=$(sbv "d['consumers'][0]['certificate_client']['private_key']")
p12=$(sbv "d['consumers'][0]['certificate_client']['pkcs12']")
kk=$(sbv "d['consumers'][0]['key_client']['private_key']")
kid=$(sbv "d['consumers'][0]['key_client']['kid']")
orgno=$(sbv "d['consumers'][0]['orgno']")
other=$(sbv "d['admin']['orgno']")
pkg=folkeregister:deling/offentligmedhjemmel

# The sandbox's certificate client, default scope; the token alone on stdout.
t1=$(tok)
check "token is a JWT alone on one line" "[[ '$t1' =~ ^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$ ]]"
check "certificate client claims" "claims '$t1' \"c['scope'] == '$pkg' and c['client_id'] == 'demo-offentligmedhjemmel-cert' and c['client_amr'] == 'virksomhetssertifikat' and c['consumer']['ID'] == '0192:$orgno' and c['aud'] == 'unspecified'\""

# The cache: one 0600 file named by a hash in a 0700 directory; the same token again.
files=$(ls "$cache" | wc -l)
f=$(ls "$cache" | head -1)
check "one cache file (got $files)" "[ $files -eq 1 ]"
check "cache file named by a SHA-256" "[[ '$f' =~ ^[0-9a-f]{64}\.json$ ]]"
check "cache file mode 0600" "[ \$(stat -c %a '$cache/$f') = 600 ]"
check "cache dir mode 0700" "[ \$(stat -c %a '$cache') = 700 ]"
check "cache file holds the response and expires_at" "$py -c \"import json,sys; d=json.load(open('$cache/$f')); assert list(d) == ['access_token', 'token_type', 'expires_in', 'scope', 'expires_at'] and d['access_token'] == '$t1', d\""
t2=$(tok)
check "second call gives the cached token" "[ '$t2' = '$t1' ]"
t3=$(tok --no-cache)
check "--no-cache gives a new token" "[ -n '$t3' ] && [ '$t3' != '$t1' ]"
check "--no-cache wrote nothing" "[ \$(ls '$cache' | wc -l) -eq 1 ]"
echo 'not json {' > "$cache/$f"
t4=$(tok)
check "a corrupt cache file is ignored" "[ -n '$t4' ] && [ '$t4' != '$t1' ]"
check "and replaced" "$py -c \"import json; assert json.load(open('$cache/$f'))['access_token'] == '$t4'\""
t5=$(tok --cache-dir "$dir/c1")
check "--cache-dir" "[ -n '$t5' ] && [ '$t5' != '$t4' ] && [ \$(ls '$dir/c1' | wc -l) -eq 1 ]"

# A cache directory others can write to (or a symlink) is not used: one warning line, the
# token still printed, nothing written there.
mkdir -p "$dir/ww" && chmod 0777 "$dir/ww"
rc=0; t=$(tok --cache-dir "$dir/ww" 2>"$dir/e") || rc=$?
check "world-writable cache dir: token anyway (rc $rc)" "[ $rc -eq 0 ] && [ -n '$t' ]"
check "world-writable cache dir: one warning line" "[ \$(wc -l < '$dir/e') -eq 1 ] && grep -q \"^porten token: warning: the token cache '$dir/ww' is not used: it is writable by everyone\" '$dir/e'"
check "world-writable cache dir: nothing written" "[ \$(ls -A '$dir/ww' | wc -l) -eq 0 ]"
ln -s "$dir/c1" "$dir/c1-link"
rc=0; tok --cache-dir "$dir/c1-link" >/dev/null 2>"$dir/e" || rc=$?
check "symlinked cache dir: warned, not used (rc $rc)" "[ $rc -eq 0 ] && grep -q 'is not used: it is a symbolic link' '$dir/e'"

# A bearer token to another machine over plain http: one warning line, not refused.
rc=0; t=$("$porten" token --token a.b.c --authz http://10.1.2.3/ 2>"$dir/e") || rc=$?
check "plain http to another host: token printed (rc $rc)" "[ $rc -eq 0 ] && [ '$t' = a.b.c ]"
check "plain http to another host: one warning line" "[ \$(wc -l < '$dir/e') -eq 1 ] && grep -q '^porten token: warning: --authz http://10.1.2.3/ is plain HTTP to another machine' '$dir/e'"
"$porten" token --token a.b.c --freg http://user@example.org:8080/x >/dev/null 2>"$dir/e"
check "plain http --freg to another host warns" "grep -q 'warning: --freg http://user@example.org:8080/x is plain HTTP' '$dir/e'"
for u in http://127.0.0.1:1/ http://127.9.8.7/ http://localhost:8/x http://LOCALHOST/ 'http://[::1]:7/' https://10.1.2.3/; do
	"$porten" token --token a.b.c --authz "$u" --freg "$u" >/dev/null 2>"$dir/e"
	check "no warning for $u" "[ ! -s '$dir/e' ]"
done

# --json: the token response.
check "--json fields" "tok --no-cache --json | $py -c \"import json,sys; d=json.load(sys.stdin); assert list(d) == ['access_token', 'token_type', 'expires_in', 'scope'] and d['token_type'] == 'Bearer' and 0 < d['expires_in'] <= 120 and d['scope'] == '$pkg', d\""
check "--json from the cache" "tok --json | $py -c \"import json,sys; d=json.load(sys.stdin); assert d['access_token'] == '$t4' and 0 < d['expires_in'] <= 120, d\""
check "repeated --scope joined with spaces" "tok --no-cache --json --scope $pkg --scope skatteetaten:medhjemmel | $py -c \"import json,sys; assert json.load(sys.stdin)['scope'] == '$pkg skatteetaten:medhjemmel'\""

# Every kind of credentials.
t=$(tok --client key --no-cache)
check "sandbox key client" "claims '$t' \"c['client_id'] == 'demo-offentligmedhjemmel-key' and c['client_amr'] == 'private_key_jwt'\""
t=$(tok --client-id demo-offentligmedhjemmel-cert --p12 "$p12" --p12-password sandbox --no-cache)
check "--p12 with the right password" "claims '$t' \"c['client_id'] == 'demo-offentligmedhjemmel-cert' and c['client_amr'] == 'virksomhetssertifikat'\""
t=$(PORTEN_P12_PASSWORD=sandbox "$porten" token --sandbox "$sb" --client-id demo-offentligmedhjemmel-cert --p12 "$p12" --no-cache)
check "--p12 with PORTEN_P12_PASSWORD" "claims '$t' \"c['client_id'] == 'demo-offentligmedhjemmel-cert'\""
rc=0; tok --client-id demo-offentligmedhjemmel-cert --p12 "$p12" --p12-password wrong >"$dir/o" 2>"$dir/e" || rc=$?
check "--p12 with a wrong password exits 3 (got $rc)" "[ $rc -eq 3 ] && [ ! -s '$dir/o' ]"
check "wrong password: one line" "[ \"\$(cat '$dir/e')\" = \"porten token: cannot open '$p12': wrong password (--p12-password)\" ]"
rc=0; tok --client-id demo-offentligmedhjemmel-cert --p12 "$cc" --p12-password sandbox 2>"$dir/e" || rc=$?
check "--p12 of a PEM file exits 3 (got $rc)" "[ $rc -eq 3 ] && grep -q \"^porten token: cannot open '$cc': not a PKCS#12 file\" '$dir/e'"
# A PKCS#12 file as older CA tooling writes it (RC2-40): read through the legacy provider.
openssl pkcs12 -export -legacy -in "$cc" -inkey "$ck" -out "$dir/legacy.p12" -passout pass:pw 2>/dev/null
t=$(tok --client-id demo-offentligmedhjemmel-cert --p12 "$dir/legacy.p12" --p12-password pw --no-cache)
check "--p12 with RC2 encryption (legacy)" "claims '$t' \"c['client_id'] == 'demo-offentligmedhjemmel-cert'\""
t=$(tok --client-id demo-offentligmedhjemmel-cert --cert "$cc" --key "$ck" --no-cache)
check "--cert and --key" "claims '$t' \"c['client_id'] == 'demo-offentligmedhjemmel-cert' and c['client_amr'] == 'virksomhetssertifikat'\""
$py - "$kk" "$dir/private.jwk.json" "$kid" <<'PY'
import json, sys
from jwt.algorithms import RSAAlgorithm
from cryptography.hazmat.primitives import serialization
key = serialization.load_pem_private_key(open(sys.argv[1], 'rb').read(), None)
jwk = json.loads(RSAAlgorithm.to_jwk(key))
jwk['kid'] = sys.argv[3]
open(sys.argv[2], 'w').write(json.dumps(jwk))
PY
t=$(tok --client-id demo-offentligmedhjemmel-key --jwk "$dir/private.jwk.json" --no-cache)
check "--jwk carrying its kid" "claims '$t' \"c['client_id'] == 'demo-offentligmedhjemmel-key' and c['client_amr'] == 'private_key_jwt'\""
t=$(tok --client-id demo-offentligmedhjemmel-key --jwk "$dir/private.jwk.json" --kid "$kid" --no-cache)
check "--jwk with --kid" "claims '$t' \"c['client_amr'] == 'private_key_jwt'\""
t=$(tok --client-id demo-offentligmedhjemmel-key --key "$kk" --kid "$kid" --no-cache)
check "--key PEM with --kid" "claims '$t' \"c['client_id'] == 'demo-offentligmedhjemmel-key' and c['client_amr'] == 'private_key_jwt'\""
rc=0; tok --client-id demo-offentligmedhjemmel-key --key "$kk" --kid nosuch-kid 2>"$dir/e" || rc=$?
check "unknown kid exits 1 with a hint (got $rc)" "[ $rc -eq 1 ] && grep -q 'Unknown key identifier (kid) for client.*; check --kid' '$dir/e'"
rc=0; tok --cert "$cc" --key "$ck" 2>"$dir/e" || rc=$?
check "--cert without --client-id is usage (got $rc)" "[ $rc -eq 2 ]"
rc=0; tok --client-id demo-offentligmedhjemmel-cert --cert "$cc" --key "$dir/nonexistent.pem" 2>"$dir/e" || rc=$?
check "unreadable key exits 3 (got $rc)" "[ $rc -eq 3 ] && [ \"\$(cat '$dir/e')\" = \"porten token: cannot read the private key '$dir/nonexistent.pem': no such file\" ]"

# Refusals: Maskinporten's text verbatim, then what to do.
adm access revoke skatteetaten:medhjemmel "$orgno"
rc=0; tok --scope skatteetaten:medhjemmel >"$dir/o" 2>"$dir/e" || rc=$?
check "scope not granted exits 1 (got $rc)" "[ $rc -eq 1 ] && [ ! -s '$dir/o' ] && [ \$(wc -l < '$dir/e') -eq 1 ]"
check "scope not granted: server text and hint" "grep -Eq '^porten token: 403 forbidden: Consumer has not been granted access to the scope skatteetaten:medhjemmel.? \(trace_id: [0-9a-f]{32}\); ask the API owner to grant your organisation access: porten admin access grant skatteetaten:medhjemmel $orgno$' '$dir/e'"
rc=0; tok --scope folkeregister:deling/privat 2>"$dir/e" || rc=$?
check "scope not on the client exits 1 (got $rc)" "[ $rc -eq 1 ] && grep -q '^porten token: 400 invalid_scope: Token request contains invalid scopes for client, folkeregister:deling/privat.*; .*porten admin clients update demo-offentligmedhjemmel-cert --scope folkeregister:deling/privat$' '$dir/e'"
rc=0; tok --client-id nosuch-client --cert "$cc" --key "$ck" 2>"$dir/e" || rc=$?
check "unknown client exits 1 (got $rc)" "[ $rc -eq 1 ] && grep -q 'Client not found.*; check --client-id' '$dir/e'"
"$porten" pki issue --dir "$dir/sb/pki" --orgno "$orgno" --variant foreign-ca --out "$dir/foreign" >/dev/null
rc=0; tok --client-id demo-offentligmedhjemmel-cert --cert "$dir/foreign.pem" --key "$dir/foreign-key.pem" 2>"$dir/e" || rc=$?
check "untrusted CA exits 1 (got $rc)" "[ $rc -eq 1 ] && grep -q 'signed with an invalid certificate.*; the server does not trust the CA of your certificate' '$dir/e'"
"$porten" pki issue --dir "$dir/sb/pki" --orgno "$orgno" --variant expired --out "$dir/expired" >/dev/null
rc=0; tok --client-id demo-offentligmedhjemmel-cert --cert "$dir/expired.pem" --key "$dir/expired-key.pem" 2>"$dir/e" || rc=$?
check "expired certificate exits 3 before any request (got $rc)" "[ $rc -eq 3 ] && grep -Eq \"^porten token: the certificate of client 'demo-offentligmedhjemmel-cert' expired at [0-9T:-]+Z \(notAfter\)\" '$dir/e'"

# Delegation and resource: the token names the consumer, the supplier and the audience.
adm access grant $pkg "$other"
adm delegations add "$other" "$orgno" $pkg
t=$(tok --consumer-org "$other" --resource https://freg.example/api)
check "--consumer-org and --resource claims" "claims '$t' \"c['consumer']['ID'] == '0192:$other' and c['supplier']['ID'] == '0192:$orgno' and c['aud'] == 'https://freg.example/api' and c['scope'] == '$pkg' and c['delegation_source'] == 'https://tt02.altinn.no/'\""
check "delegated token cached apart" "[ \"\$(tok --consumer-org '$other' --resource https://freg.example/api)\" = '$t' ] && [ \"\$(tok)\" = '$t4' ]"
rc=0; tok --consumer-org 999888999 2>"$dir/e" || rc=$?
check "placeholder orgno 999888999 is usage (got $rc)" "[ $rc -eq 2 ] && grep -q \"'999888999' is not an organisation number\" '$dir/e'"
rc=0; tok --consumer-org "$orgno" 2>"$dir/e" || rc=$?
check "own orgno as --consumer-org exits 1 with a hint (got $rc)" "[ $rc -eq 1 ] && grep -q 'combination consumer_org.*; --consumer-org is for acting for another organisation' '$dir/e'"

# Transport: untrusted TLS and an unreachable server exit 4.
rc=0; (cd "$dir" && "$porten" token --authz "https://127.0.0.1:$port/" --client-id demo-offentligmedhjemmel-cert --cert "$cc" --key "$ck" --scope $pkg --no-cache 2>"$dir/e") || rc=$?
check "untrusted TLS exits 4 (got $rc)" "[ $rc -eq 4 ] && grep -q 'is not trusted.*--cacert' '$dir/e'"
rc=0; tok --authz https://127.0.0.1:1/ --no-cache 2>"$dir/e" || rc=$?
check "unreachable exits 4 (got $rc)" "[ $rc -eq 4 ] && grep -q '^porten token: cannot connect to https://127.0.0.1:1/' '$dir/e'"

# The cache works without the server: stop it, the cached token still comes back.
ta=$(tok --cache-dir "$dir/c2")
kill -TERM "$pid"; wait "$pid" || true
rc=0; tb=$(tok --cache-dir "$dir/c2") || rc=$?
check "cached token with the server stopped (rc $rc)" "[ $rc -eq 0 ] && [ '$tb' = '$ta' ]"
rc=0; tok --cache-dir "$dir/c2" --no-cache 2>"$dir/e" || rc=$?
check "without the cache the stopped server is unreachable (got $rc)" "[ $rc -eq 4 ]"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]

# Shared setup of the register benchmarks (sourced by bench/freg.sh and bench/lookup.sh):
# a test PKI and `porten authz` with one x5c client, a token from it, `porten freg`
# trusting that authz, and nginx serving static files as the reference.
# BENCH_DB (a postgresql:// URI) puts the register on PostgreSQL (bench/pg.sh); the authz
# of the register benchmarks stays on SQLite (it only issues the one token).
# The caller sets porten (the binary), fb (bench/freg_bench, for the token) and dir (a
# scratch directory it owns), and installs `trap bench_cleanup EXIT`.
# shellcheck shell=bash disable=SC2034,SC2154

bench_issuer=https://bench.test/
bench_scope=folkeregister:deling/offentligmedhjemmel
bench_orgno=991825827
apid='' fpid='' npid='' perfpid=''

# Stops what the benchmark started (by pid) and removes $dir.
bench_cleanup() {
  [ -n "$perfpid" ] && kill -INT "$perfpid" 2>/dev/null || true
  for p in $fpid $apid; do kill "$p" 2>/dev/null || true; done
  [ -n "$npid" ] && kill -QUIT "$npid" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$dir"
}

# The store options of a server in bench_store_args (an array), from env: with BENCH_DB
# (a postgresql:// URI of an empty database; bench/pg.sh) --db BENCH_DB, and for authz
# (argument "authz") a fresh 0600 --keys-secret in $dir; without it nothing (--data's SQLite).
bench_store() {
  bench_store_args=()
  [ -n "${BENCH_DB:-}" ] || return 0
  bench_store_args=(--db "$BENCH_DB")
  if [ "${1:-}" = authz ]; then
    (umask 077; head -c 32 /dev/urandom > "$dir/keys-secret")
    bench_store_args+=(--keys-secret "$dir/keys-secret")
  fi
}

# "sqlite" or "postgresql": the backend the servers run on.
bench_backend() { [ -n "${BENCH_DB:-}" ] && echo postgresql || echo sqlite; }

# Waits for "listening on http://127.0.0.1:PORT/" in file $1 (process $2, up to $3 s); prints PORT.
wait_port() {
  for _ in $(seq 1 $(($3 * 10))); do
    grep -q "listening on" "$1" 2>/dev/null && break
    kill -0 "$2" 2>/dev/null || break
    sleep 0.1
  done
  sed -n 's|.*listening on http://127.0.0.1:\([0-9]*\)/.*|\1|p' "$1"
}

# Sets nginx, or exits; checks for curl too.
bench_need_nginx() {
  nginx=$(command -v nginx || true)
  [ -n "$nginx" ] || { [ -x /usr/sbin/nginx ] && nginx=/usr/sbin/nginx; }
  [ -n "$nginx" ] || { echo "nginx not found: the reference server (Debian: apt-get install nginx-light)" >&2; exit 2; }
  command -v curl >/dev/null || { echo "curl not found (Debian: apt-get install curl)" >&2; exit 2; }
}

# Maskinporten: a test PKI and porten authz with one x5c client. Sets apid, authz_url.
bench_authz() {
  local aport
  "$porten" pki init --dir "$dir/pki" >/dev/null
  "$porten" pki issue --dir "$dir/pki" --orgno "$bench_orgno" --name "BENCH AS" --out "$dir/leaf" >/dev/null
  cat > "$dir/authz-seed.json" <<JSON
{"scopes":[{"prefix":"folkeregister","subscope":"deling/offentligmedhjemmel","description":"bench","owner_orgno":"974761076"}],
 "access":[{"scope":"$bench_scope","consumer_orgno":"$bench_orgno"}],
 "clients":[{"client_id":"bench","client_orgno":"$bench_orgno","scopes":["$bench_scope"]}]}
JSON
  "$porten" authz --listen 127.0.0.1:0 --issuer "$bench_issuer" --data "$dir/authz" --plain-http \
    --seed "$dir/authz-seed.json" --trust-anchors "$dir/pki/root.pem" --intermediates "$dir/pki/intermediate.pem" \
    --crl "$dir/pki/crl.pem" --log-level warn --token-lifetime 3600 > "$dir/authz.out" 2> "$dir/authz.err" &
  apid=$!
  aport=$(wait_port "$dir/authz.out" $apid 10)
  [ -n "$aport" ] || { echo "porten authz did not start:" >&2; cat "$dir/authz.err" >&2; exit 1; }
  authz_url=http://127.0.0.1:$aport/
}

# One access token (valid 3600 s) into $dir/token; sets token.
bench_token() {
  "$fb" token --authz-url "$authz_url" --client-id bench --cert "$dir/leaf.pem" --key "$dir/leaf-key.pem" \
    --scope "$bench_scope" > "$dir/token"
  token=$(cat "$dir/token")
}

# bench_freg DATA PERSONS THREADS TIMEOUT_S: the register trusting that authz, the
# organisation holding the OMH package; generates PERSONS into DATA when it is empty.
# Sets fpid, fport. Output in $dir/freg.out, $dir/freg.err.
bench_freg() {
  bench_store freg
  cat > "$dir/freg-seed.json" <<JSON
{"consumers":[{"orgno":"$bench_orgno","packages":["offentligmedhjemmel"]}]}
JSON
  # The per-IP limit (default 60000/min, spec 9) would answer most of the benchmark with 429:
  # all load comes from one address here, so it is set out of reach.
  "$porten" freg --plain-http --log-level warn --listen 127.0.0.1:0 --issuer "$bench_issuer" --issuer-url "$authz_url" \
    --data "$1" "${bench_store_args[@]}" --persons "$2" --seed "$dir/freg-seed.json" --rate-limit 2000000000 \
    --threads "$3" > "$dir/freg.out" 2> "$dir/freg.err" &
  fpid=$!
  fport=$(wait_port "$dir/freg.out" $fpid "$4")
  [ -n "$fport" ] || { echo "porten freg did not start:" >&2; cat "$dir/freg.err" >&2; exit 1; }
}

# bench_nginx ROOT WORKERS CHECK_PATH: nginx serving ROOT as static files on a free port,
# until CHECK_PATH answers. Sets npid, nport, nworkers. NGINX_LISTEN_OPTS as in freg.sh.
bench_nginx() {
  local user_line=
  # A free port: the kernel picks one for a listening socket we then close.
  nport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null ||
          echo $((20000 + RANDOM % 20000)))
  [ "$(id -u)" = 0 ] && user_line="user $(id -un) $(id -gn);"    # else workers become nobody
  cat > "$dir/nginx.conf" <<CONF
$user_line
worker_processes $2;
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
        root $1;
    }
}
CONF
  mkdir -p "$dir/nginx-tmp"
  "$nginx" -p "$dir" -c "$dir/nginx.conf" -e "$dir/nginx-error.log" > "$dir/nginx.out" 2>&1 &
  npid=$!
  for _ in $(seq 1 100); do
    curl -s -o /dev/null "http://127.0.0.1:$nport$3" && break
    kill -0 $npid 2>/dev/null || break
    sleep 0.1
  done
  curl -sS --fail -o /dev/null "http://127.0.0.1:$nport$3" 2>/dev/null ||
    { echo "nginx did not start:" >&2; cat "$dir/nginx-error.log" "$dir/nginx.out" >&2; exit 1; }
  nworkers=$(pgrep -c -P $npid || true)
}

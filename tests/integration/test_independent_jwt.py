#!/usr/bin/python3
"""Independent interoperability test for `porten authz`.

Grants are built and access tokens verified with PyJWT and python3-cryptography, not
with porten's own JOSE code, so a mistake shared by porten's signer and verifier (base64url,
signing input, JWK encoding, x5c) cannot hide here.

Usage: /usr/bin/python3 tests/integration/test_independent_jwt.py PATH/TO/porten

Check groups:
  1. x5c grant: enterprise certificate from `porten pki`, header x5c and no kid
  2. registered key: grant signed with a key whose public JWK is in the seed, header kid
  3. /jwk: every published key's x5c certificate carries the JWK's n and e
  4. shutdown: SIGTERM stops the server with exit status 0
Prints "N passed, M failed"; exits non-zero on any failure.

Only the standard library, jwt (PyJWT 2.6) and cryptography.
"""
import base64
import json
import os
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.error
import urllib.parse
import urllib.request
import uuid

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

ISSUER = "https://indep.test/"
ORGNO = "991825827"
SCOPE = "folkeregister:deling/offentligmedhjemmel"
X5C_CLIENT = "indep-client"
KID_CLIENT = "indep-kid-client"
KID = "indep-key-1"
GRANT_TYPE = "urn:ietf:params:oauth:grant-type:jwt-bearer"
READY_PREFIX = "porten authz: listening on "
READY_TIMEOUT = 60.0
CMD_TIMEOUT = 120


class CheckFailed(Exception):
    pass


def check(cond, what, expected=None, actual=None):
    if not cond:
        msg = what
        if expected is not None or actual is not None:
            msg += "\n    expected: %r\n    actual:   %r" % (expected, actual)
        raise CheckFailed(msg)


def eq(actual, expected, what):
    check(actual == expected, what, expected, actual)


def b64u_uint(n):
    return base64.urlsafe_b64encode(n.to_bytes((n.bit_length() + 7) // 8, "big")).rstrip(b"=").decode()


def b64u_to_int(s):
    return int.from_bytes(base64.urlsafe_b64decode(s + "=" * (-len(s) % 4)), "big")


def run(cmd):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=CMD_TIMEOUT)
    if p.returncode != 0:
        raise CheckFailed("%s exited %d\n    stdout: %s\n    stderr: %s" % (
            " ".join(cmd), p.returncode, p.stdout.decode(errors="replace").strip(),
            p.stderr.decode(errors="replace").strip()))
    return p


def http(url, data=None, headers=None):
    """(status, headers, body bytes); HTTP errors are returned, not raised."""
    req = urllib.request.Request(url, data=data, headers=headers or {},
                                 method="POST" if data is not None else "GET")
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


class Database:
    """With PORTEN_TEST_BACKEND=postgresql (ctest's pg_ copy of this test): a fresh
    database on the cluster PORTEN_TEST_PG names (scripts/pg-cluster.sh), made and dropped
    with psql, and a --keys-secret file; otherwise nothing (the server's SQLite)."""

    def __init__(self, d):
        self.uri = None
        self.args = []
        if os.environ.get("PORTEN_TEST_BACKEND") != "postgresql":
            return
        self.base = os.environ.get("PORTEN_TEST_PG")
        if not self.base:
            raise Skipped("PORTEN_TEST_PG is not set")
        self.name = "porten_indep_%d" % os.getpid()
        self.psql("DROP DATABASE IF EXISTS %s" % self.name)
        self.psql("CREATE DATABASE %s" % self.name)
        path, _, query = self.base.partition("?")
        self.uri = path.rsplit("/", 1)[0] + "/" + self.name + ("?" + query if query else "")
        secret = os.path.join(d, "keys-secret")
        fd = os.open(secret, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.write(fd, os.urandom(32))
        os.close(fd)
        self.args = ["--db", self.uri, "--keys-secret", secret]

    def psql(self, sql):
        env = dict(os.environ, PGOPTIONS="-c client_min_messages=warning")
        subprocess.run(["psql", "-XAtq", "-v", "ON_ERROR_STOP=1", self.base, "-c", sql],
                       check=True, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, env=env)

    def drop(self):
        if self.uri is not None:
            self.psql("DROP DATABASE IF EXISTS %s" % self.name)


class Skipped(Exception):
    pass


class Server:
    def __init__(self, porten, d, seed, db):
        self.stderr_path = os.path.join(d, "authz.stderr")
        self.stderr = open(self.stderr_path, "wb")
        self.proc = subprocess.Popen(
            [porten, "authz", "--listen", "127.0.0.1:0", "--issuer", ISSUER,
             "--data", os.path.join(d, "authz"), "--plain-http", "--seed", seed,
             "--trust-anchors", os.path.join(d, "pki", "root.pem"),
             "--intermediates", os.path.join(d, "pki", "intermediate.pem"),
             "--crl", os.path.join(d, "pki", "crl.pem"), "--log-level", "warn"] + db.args,
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=self.stderr)
        self.base = self._wait_ready()

    def _wait_ready(self):
        """The first stdout line announces the URL; no polling, no sleeps."""
        sel = selectors.DefaultSelector()
        sel.register(self.proc.stdout, selectors.EVENT_READ)
        buf = b""
        deadline = time.monotonic() + READY_TIMEOUT
        try:
            while b"\n" not in buf:
                left = deadline - time.monotonic()
                if left <= 0 or not sel.select(timeout=left):
                    raise CheckFailed("porten authz printed no readiness line in %.0f s%s"
                                      % (READY_TIMEOUT, self._stderr_tail()))
                chunk = os.read(self.proc.stdout.fileno(), 4096)
                if not chunk:
                    raise CheckFailed("porten authz exited (status %s) before it was ready%s"
                                      % (self.proc.wait(timeout=10), self._stderr_tail()))
                buf += chunk
        finally:
            sel.close()
        line = buf.split(b"\n", 1)[0].decode()
        check(line.startswith(READY_PREFIX + "http://127.0.0.1:") and line.endswith("/"),
              "readiness line", READY_PREFIX + "http://127.0.0.1:PORT/", line)
        return line[len(READY_PREFIX):].rstrip("/")

    def _stderr_tail(self):
        self.stderr.flush()
        try:
            with open(self.stderr_path, "rb") as f:
                tail = f.read()[-2000:].decode(errors="replace")
        except OSError:
            tail = ""
        return "\n    stderr: " + tail if tail else ""

    def stop(self):
        """SIGTERM; the exit status (None if it had to be killed)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                self.stderr.close()
                return None
        self.proc.stdout.close()
        self.stderr.close()
        return self.proc.returncode


def post_grant(base, assertion):
    body = urllib.parse.urlencode({"grant_type": GRANT_TYPE, "assertion": assertion}).encode()
    status, headers, raw = http(base + "/token", body,
                                {"Content-Type": "application/x-www-form-urlencoded"})
    try:
        doc = json.loads(raw)
    except ValueError:
        doc = raw.decode(errors="replace")
    return status, doc


def grant_claims(client_id):
    now = int(time.time())
    return {"aud": ISSUER, "iss": client_id, "scope": SCOPE, "iat": now, "exp": now + 100,
            "jti": str(uuid.uuid4())}


def fetch_jwks(base):
    status, _, raw = http(base + "/jwk")
    eq(status, 200, "GET /jwk status")
    jwks = json.loads(raw)
    check(isinstance(jwks.get("keys"), list) and jwks["keys"], "/jwk has a non-empty keys array",
          "{keys: [...]}", jwks)
    return jwks


def verify_access_token(base, body, client_id, amr):
    """Token response shape, then the access token verified with PyJWT against /jwk."""
    eq(set(body), {"access_token", "token_type", "expires_in", "scope"}, "token response keys")
    eq(body["token_type"], "Bearer", "token_type")
    check(isinstance(body["expires_in"], int) and body["expires_in"] > 0,
          "expires_in is a positive integer", "> 0", body["expires_in"])
    eq(body["scope"], SCOPE, "response scope")
    token = body["access_token"]
    header = jwt.get_unverified_header(token)
    eq(header.get("alg"), "RS256", "access token alg")
    check(isinstance(header.get("kid"), str) and header["kid"], "access token header has a kid",
          "a kid", header)
    jwks = fetch_jwks(base)
    matching = [k for k in jwks["keys"] if k.get("kid") == header["kid"]]
    eq(len(matching), 1, "JWKs in /jwk with the token's kid")
    key = jwt.algorithms.RSAAlgorithm.from_jwk(json.dumps(matching[0]))
    claims = jwt.decode(token, key, algorithms=["RS256"], audience="unspecified", issuer=ISSUER,
                        options={"require": ["iss", "aud", "exp", "iat", "jti"]})
    eq(claims["iss"], ISSUER, "iss")
    eq(claims["client_amr"], amr, "client_amr")
    eq(claims["consumer"], {"authority": "iso6523-actorid-upis", "ID": "0192:" + ORGNO}, "consumer")
    eq(claims["aud"], "unspecified", "aud")
    eq(claims["scope"], SCOPE, "token scope")
    eq(claims["client_id"], client_id, "client_id")
    eq(claims["exp"] - claims["iat"], body["expires_in"], "exp - iat equals expires_in")


def test_x5c(ctx):
    leaf_pem = open(os.path.join(ctx["dir"], "leaf.pem"), "rb").read()
    leaf = x509.load_pem_x509_certificate(leaf_pem)
    leaf_b64 = base64.b64encode(leaf.public_bytes(serialization.Encoding.DER)).decode()
    key = serialization.load_pem_private_key(
        open(os.path.join(ctx["dir"], "leaf-key.pem"), "rb").read(), None)
    assertion = jwt.encode(grant_claims(X5C_CLIENT), key, algorithm="RS256",
                           headers={"x5c": [leaf_b64]})
    check("kid" not in jwt.get_unverified_header(assertion), "x5c grant header has no kid")
    status, body = post_grant(ctx["base"], assertion)
    eq(status, 200, "x5c grant: POST /token status (body: %r)" % (body,))
    verify_access_token(ctx["base"], body, X5C_CLIENT, "virksomhetssertifikat")


def test_registered_key(ctx):
    assertion = jwt.encode(grant_claims(KID_CLIENT), ctx["client_key"], algorithm="RS256",
                           headers={"kid": KID})
    status, body = post_grant(ctx["base"], assertion)
    eq(status, 200, "registered-key grant: POST /token status (body: %r)" % (body,))
    verify_access_token(ctx["base"], body, KID_CLIENT, "private_key_jwt")


def test_jwk_x5c(ctx):
    jwks = fetch_jwks(ctx["base"])
    for k in jwks["keys"]:
        kid = k.get("kid")
        eq(k.get("kty"), "RSA", "kty of %s" % kid)
        x5c = k.get("x5c")
        check(isinstance(x5c, list) and x5c and isinstance(x5c[0], str),
              "JWK %s has an x5c array of strings" % kid, "[\"MII...\"]", x5c)
        cert = x509.load_der_x509_certificate(base64.b64decode(x5c[0], validate=True))
        pub = cert.public_key()
        check(isinstance(pub, rsa.RSAPublicKey), "x5c of %s holds an RSA key" % kid)
        nums = pub.public_numbers()
        eq(nums.n, b64u_to_int(k["n"]), "x5c modulus equals the JWK n of %s" % kid)
        eq(nums.e, b64u_to_int(k["e"]), "x5c exponent equals the JWK e of %s" % kid)


def main():
    if len(sys.argv) != 2:
        sys.stderr.write("usage: %s PATH/TO/porten\n" % sys.argv[0])
        return 2
    porten = os.path.abspath(sys.argv[1])
    results = []
    d = tempfile.mkdtemp(prefix="porten-indep-")
    server = None
    db = None
    try:
        try:
            db = Database(d)
        except Skipped as e:
            print("skipped: %s" % e)
            shutil.rmtree(d, ignore_errors=True)
            return 77
        run([porten, "pki", "init", "--dir", os.path.join(d, "pki")])
        run([porten, "pki", "issue", "--dir", os.path.join(d, "pki"), "--orgno", ORGNO,
             "--name", "INDEPENDENT TEST AS", "--out", os.path.join(d, "leaf")])
        client_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pub = client_key.public_key().public_numbers()
        seed = {
            "scopes": [{"prefix": "folkeregister", "subscope": "deling/offentligmedhjemmel",
                        "description": "x", "owner_orgno": "974761076"}],
            "access": [{"scope": SCOPE, "consumer_orgno": ORGNO}],
            "clients": [
                {"client_id": X5C_CLIENT, "client_orgno": ORGNO, "scopes": [SCOPE]},
                {"client_id": KID_CLIENT, "client_orgno": ORGNO, "scopes": [SCOPE],
                 "jwks": {"keys": [{"kty": "RSA", "kid": KID, "use": "sig", "alg": "RS256",
                                    "n": b64u_uint(pub.n), "e": b64u_uint(pub.e)}]}},
            ],
        }
        seed_path = os.path.join(d, "seed.json")
        with open(seed_path, "w") as f:
            json.dump(seed, f)
        server = Server(porten, d, seed_path, db)
        ctx = {"dir": d, "base": server.base, "client_key": client_key}
        for name, fn in (("x5c grant", test_x5c), ("registered-key grant", test_registered_key),
                         ("/jwk x5c matches n/e", test_jwk_x5c)):
            try:
                fn(ctx)
                results.append((name, None))
            except Exception as e:  # every failure is reported, the others still run
                results.append((name, e if isinstance(e, CheckFailed) else traceback.format_exc()))
    except Exception as e:
        results.append(("setup", e if isinstance(e, CheckFailed) else traceback.format_exc()))
    finally:
        if server is not None:
            status = server.stop()
            if status == 0:
                results.append(("shutdown", None))
            else:
                results.append(("shutdown", CheckFailed(
                    "SIGTERM: exit status %r, expected 0%s" % (status, server._stderr_tail()))))
        if db is not None:
            try:
                db.drop()
            except Exception:
                results.append(("dropping the test database", traceback.format_exc()))
        shutil.rmtree(d, ignore_errors=True)
    failed = 0
    for name, err in results:
        if err is None:
            print("ok   %s" % name)
        else:
            failed += 1
            print("FAIL %s: %s" % (name, err))
    print("%d passed, %d failed" % (len(results) - failed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

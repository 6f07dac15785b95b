#!/usr/bin/python3
"""Generates the seed corpora of the fuzz harnesses (tests/fuzz/corpus/fuzz_*/) and the
fixture header fuzz_grant_fixture.h that fuzz_grant.c compiles in.

Deterministic: the same tests/fuzz/pki/ gives byte-identical output (RS256 signatures are
deterministic, nothing depends on the wall clock). Run from anywhere:

    /usr/bin/python3 tests/fuzz/make_corpus.py

Generated seed files are named "seed-*"; files libFuzzer added (merged, named by their
SHA-1) are left alone, so regenerating never loses found inputs.

The test PKI and the registered client key under tests/fuzz/pki/ are made once with

    /usr/bin/python3 tests/fuzz/make_corpus.py --new-keys build/porten

(porten pki init/issue, plus an RSA key from `cryptography`). They are throwaway test
material, valid only for the fuzzers: fuzz_grant pins its clock to FUZZ_NOW (an hour
after the leaf's notBefore), so the committed grants never expire.

Only the standard library and python3-cryptography.
"""
import base64
import datetime
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

HERE = os.path.dirname(os.path.abspath(__file__))
PKI = os.path.join(HERE, "pki")
CORPUS = os.path.join(HERE, "corpus")

ISSUER = "https://fuzz.test/"
ORGNO = "991825827"          # the clients' organisation (the leaf certificate's)
OTHER_ORGNO = "974761076"    # owns the scopes; a second leaf for MP-122
CONSUMER = "889640782"       # delegates fuzz:deleg to ORGNO
SCOPE = "fuzz:test"
DELEG_SCOPE = "fuzz:deleg"
X5C_CLIENT = "fuzz-x5c"
KID_CLIENT = "fuzz-kid"
KID = "fuzz-key-1"
GRANT_TYPE = "urn:ietf:params:oauth:grant-type:jwt-bearer"


def b64u(b):
    if isinstance(b, str):
        b = b.encode()
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def compact(obj):
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


def uint_b64u(n):
    return b64u(n.to_bytes((n.bit_length() + 7) // 8, "big"))


# ---------------------------------------------------------------- key material

def new_keys(porten):
    """Creates tests/fuzz/pki/ with porten pki and cryptography (not deterministic)."""
    os.makedirs(PKI, exist_ok=True)
    with tempfile.TemporaryDirectory() as d:
        subprocess.run([porten, "pki", "init", "--dir", d + "/pki"], check=True,
                       stdout=subprocess.DEVNULL)
        subprocess.run([porten, "pki", "issue", "--dir", d + "/pki", "--orgno", ORGNO,
                        "--name", "FUZZ TEST AS", "--out", d + "/leaf"], check=True,
                       stdout=subprocess.DEVNULL)
        subprocess.run([porten, "pki", "issue", "--dir", d + "/pki", "--orgno", OTHER_ORGNO,
                        "--name", "FUZZ OTHER AS", "--out", d + "/other"], check=True,
                       stdout=subprocess.DEVNULL)
        for src, dst in (("pki/root.pem", "root.pem"), ("pki/intermediate.pem", "intermediate.pem"),
                         ("pki/crl.pem", "crl.pem"), ("leaf.pem", "leaf.pem"),
                         ("leaf-key.pem", "leaf-key.pem"), ("other.pem", "other.pem"),
                         ("other-key.pem", "other-key.pem")):
            shutil.copyfile(os.path.join(d, src), os.path.join(PKI, dst))
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    with open(os.path.join(PKI, "client-key.pem"), "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))


def read(name):
    with open(os.path.join(PKI, name), "rb") as f:
        return f.read()


def load_material():
    m = {}
    m["root"] = read("root.pem").decode()
    m["intermediate"] = read("intermediate.pem").decode()
    m["crl"] = read("crl.pem").decode()
    leaf = x509.load_pem_x509_certificate(read("leaf.pem"))
    other = x509.load_pem_x509_certificate(read("other.pem"))
    inter = x509.load_pem_x509_certificate(read("intermediate.pem"))
    root = x509.load_pem_x509_certificate(read("root.pem"))
    der = lambda c: base64.b64encode(c.public_bytes(serialization.Encoding.DER)).decode()
    m["leaf_b64"], m["other_b64"] = der(leaf), der(other)
    m["inter_b64"], m["root_b64"] = der(inter), der(root)
    m["leaf_key"] = serialization.load_pem_private_key(read("leaf-key.pem"), None)
    m["other_key"] = serialization.load_pem_private_key(read("other-key.pem"), None)
    m["client_key"] = serialization.load_pem_private_key(read("client-key.pem"), None)
    nb = leaf.not_valid_before.replace(tzinfo=datetime.timezone.utc)
    m["now"] = int(nb.timestamp()) + 3600
    pub = m["client_key"].public_key().public_numbers()
    m["jwk"] = {"kty": "RSA", "kid": KID, "use": "sig", "alg": "RS256",
                "n": uint_b64u(pub.n), "e": uint_b64u(pub.e)}
    return m


# ---------------------------------------------------------------- fixture header

def seed_json(m):
    created = datetime.datetime.fromtimestamp(m["now"] - 86400, datetime.timezone.utc)
    jwk = dict(m["jwk"], created=created.strftime("%Y-%m-%dT%H:%M:%SZ"))
    return {
        "scopes": [
            {"prefix": "fuzz", "subscope": "test", "description": "fuzz scope",
             "owner_orgno": OTHER_ORGNO},
            {"prefix": "fuzz", "subscope": "deleg", "description": "delegable",
             "owner_orgno": OTHER_ORGNO, "delegation_source": "https://deleg.fuzz.test",
             "at_max_age": 60},
        ],
        "access": [
            {"scope": SCOPE, "consumer_orgno": ORGNO},
            {"scope": DELEG_SCOPE, "consumer_orgno": CONSUMER},
        ],
        "clients": [
            {"client_id": X5C_CLIENT, "client_orgno": ORGNO, "scopes": [SCOPE, DELEG_SCOPE]},
            {"client_id": KID_CLIENT, "client_orgno": ORGNO, "scopes": [SCOPE, DELEG_SCOPE],
             "jwks": {"keys": [jwk]}},
        ],
        "delegations": [
            {"consumer_orgno": CONSUMER, "supplier_orgno": ORGNO, "scope": DELEG_SCOPE},
        ],
    }


def c_string(s):
    out = []
    for line in s.splitlines(keepends=True):
        esc = line.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n")
        out.append("\t\"" + esc + "\"")
    return "\n".join(out) if out else "\t\"\""


def write_fixture(m):
    seed = json.dumps(seed_json(m), indent=1, sort_keys=False) + "\n"
    text = ("/* Generated by tests/fuzz/make_corpus.py from tests/fuzz/pki/: do not edit. */\n"
            "#ifndef FUZZ_GRANT_FIXTURE_H\n#define FUZZ_GRANT_FIXTURE_H\n\n"
            "#define FUZZ_ISSUER \"%s\"\n"
            "/* The pinned clock: one hour after the leaf's notBefore. */\n"
            "#define FUZZ_NOW INT64_C(%d)\n\n"
            "static const char fuzz_root_pem[] =\n%s;\n\n"
            "static const char fuzz_intermediate_pem[] =\n%s;\n\n"
            "static const char fuzz_crl_pem[] =\n%s;\n\n"
            "static const char fuzz_seed_json[] =\n%s;\n\n#endif\n") % (
                ISSUER, m["now"], c_string(m["root"]), c_string(m["intermediate"]),
                c_string(m["crl"]), c_string(seed))
    with open(os.path.join(HERE, "fuzz_grant_fixture.h"), "w") as f:
        f.write(text)


# ---------------------------------------------------------------- JWTs

def sign(key, header, claims, raw_header=None, raw_claims=None):
    h = raw_header if raw_header is not None else b64u(compact(header))
    p = raw_claims if raw_claims is not None else b64u(compact(claims))
    si = (h + "." + p).encode()
    sig = key.sign(si, padding.PKCS1v15(), hashes.SHA256()) if key else b"\x00" * 256
    return h + "." + p + "." + b64u(sig)


def claims(m, name, client=X5C_CLIENT, **extra):
    c = {"aud": ISSUER, "iss": client, "scope": SCOPE, "iat": m["now"], "exp": m["now"] + 60,
         "jti": "jti-" + name}
    for k, v in extra.items():
        if v is None:
            c.pop(k, None)
        else:
            c[k] = v
    return c


def grants(m):
    """Assertions for fuzz_grant (and, as JWS shapes, fuzz_jws): name -> bytes."""
    g = {}
    x5c = {"alg": "RS256", "x5c": [m["leaf_b64"]]}
    kid = {"alg": "RS256", "kid": KID}
    lk, ck = m["leaf_key"], m["client_key"]
    now = m["now"]

    def add(name, header, cl, key=lk, **kw):
        g[name] = sign(key, header, cl, **kw).encode()

    add("x5c-valid", x5c, claims(m, "x5c-valid"))
    add("x5c-chain", {"alg": "RS256", "x5c": [m["leaf_b64"], m["inter_b64"]]},
        claims(m, "x5c-chain"))
    add("x5c-full-chain", {"alg": "RS256", "x5c": [m["leaf_b64"], m["inter_b64"], m["root_b64"]]},
        claims(m, "x5c-full-chain"))
    add("x5c-two-scopes", x5c, claims(m, "x5c-two-scopes", scope="fuzz:test  fuzz:test\tfuzz:deleg"))
    add("x5c-resource", x5c, claims(m, "x5c-resource", resource="https://api.fuzz.test/a"))
    add("x5c-resource-array", x5c,
        claims(m, "x5c-resource-array", resource=["https://a.fuzz.test", "urn:x:y"]))
    add("x5c-resource-bad", x5c, claims(m, "x5c-resource-bad", resource=["no colon", ":x"]))
    add("x5c-consumer-org", x5c,
        claims(m, "x5c-consumer-org", scope=DELEG_SCOPE, consumer_org=CONSUMER))
    add("x5c-consumer-own", x5c, claims(m, "x5c-consumer-own", consumer_org=ORGNO))
    add("x5c-consumer-nodeleg", x5c,
        claims(m, "x5c-consumer-nodeleg", scope=DELEG_SCOPE, consumer_org=OTHER_ORGNO))
    add("x5c-onbehalfof", x5c, claims(m, "x5c-onbehalfof", iss_onbehalfof="x"))
    add("x5c-authz-details", x5c,
        claims(m, "x5c-authz-details", authorization_details=[{"type": "x"}]))
    add("x5c-pid", x5c, claims(m, "x5c-pid", pid="01010112345", sub="s"))
    add("x5c-nbf", x5c, claims(m, "x5c-nbf", nbf=now - 5))
    add("x5c-nbf-future", x5c, claims(m, "x5c-nbf-future", nbf=now + 3600))
    add("x5c-unknown-claim", x5c, claims(m, "x5c-unknown-claim", extra_claim={"a": [1, 2]}))
    add("x5c-aud-array", x5c, claims(m, "x5c-aud-array", aud=[ISSUER]))
    add("x5c-aud-wrong", x5c, claims(m, "x5c-aud-wrong", aud="https://fuzz.test"))
    add("x5c-expired", x5c, claims(m, "x5c-expired", iat=now - 600, exp=now - 500))
    add("x5c-iat-future", x5c, claims(m, "x5c-iat-future", iat=now + 600, exp=now + 660))
    add("x5c-lifetime", x5c, claims(m, "x5c-lifetime", exp=now + 121))
    add("x5c-real-times", x5c, claims(m, "x5c-real-times", iat=now + 0.5, exp=now + 59.9))
    add("x5c-no-jti", x5c, claims(m, "x5c-no-jti", jti=None))
    add("x5c-no-scope", x5c, claims(m, "x5c-no-scope", scope=None))
    add("x5c-empty-scope", x5c, claims(m, "x5c-empty-scope", scope=" \t "))
    add("x5c-unknown-scope", x5c, claims(m, "x5c-unknown-scope", scope="fuzz:nope"))
    add("x5c-null-claims", x5c, claims(m, "x5c-null-claims", sub=None, nbf=None, pid=None) |
        {"sub": None, "nbf": None})
    add("x5c-unknown-client", x5c, claims(m, "x5c-unknown-client", client="nobody"))
    add("x5c-wrong-org", {"alg": "RS256", "x5c": [m["other_b64"]]},
        claims(m, "x5c-wrong-org"), key=m["other_key"])
    add("x5c-on-kid-client", x5c, claims(m, "x5c-on-kid-client", client=KID_CLIENT))
    add("x5c-bad-signature", x5c, claims(m, "x5c-bad-signature"), key=ck)
    add("x5c-rs384", {"alg": "RS384", "x5c": [m["leaf_b64"]]}, claims(m, "x5c-rs384"))
    add("x5c-string", {"alg": "RS256", "x5c": m["leaf_b64"]}, claims(m, "x5c-string"))
    add("x5c-empty-array", {"alg": "RS256", "x5c": []}, claims(m, "x5c-empty-array"))
    add("x5c-not-base64", {"alg": "RS256", "x5c": ["@@@not base64@@@"]}, claims(m, "x5c-nb64"))
    add("x5c-not-der", {"alg": "RS256", "x5c": ["MIIBAAAA", m["inter_b64"]]},
        claims(m, "x5c-not-der"))
    add("x5c-truncated-der", {"alg": "RS256", "x5c": [m["leaf_b64"][:400]]},
        claims(m, "x5c-truncated-der"))
    add("x5c-numbers", {"alg": "RS256", "x5c": [1, {"a": None}, [m["leaf_b64"]]]},
        claims(m, "x5c-numbers"))
    add("x5c-root-only", {"alg": "RS256", "x5c": [m["root_b64"]]}, claims(m, "x5c-root-only"))
    add("x5c-and-kid", {"alg": "RS256", "kid": "unknown", "x5c": [m["leaf_b64"]]},
        claims(m, "x5c-and-kid"))
    add("hdr-crit", {"alg": "RS256", "crit": ["exp"], "x5c": [m["leaf_b64"]]},
        claims(m, "hdr-crit"))
    add("hdr-jwk", {"alg": "RS256", "jwk": m["jwk"]}, claims(m, "hdr-jwk"))
    add("hdr-jku", {"alg": "RS256", "jku": "https://x/", "x5u": "https://y/"}, claims(m, "hdr-jku"))
    add("alg-none", {"alg": "none", "x5c": [m["leaf_b64"]]}, claims(m, "alg-none"))
    add("alg-hs256", {"alg": "HS256", "kid": KID}, claims(m, "alg-hs256"))
    add("alg-lower", {"alg": "rs256", "kid": KID}, claims(m, "alg-lower"))
    add("alg-number", {"alg": 256, "kid": KID}, claims(m, "alg-number"))
    add("no-key-hint", {"alg": "RS256", "typ": "JWT"}, claims(m, "no-key-hint"))

    add("kid-valid", kid, claims(m, "kid-valid", client=KID_CLIENT), key=ck)
    add("kid-deleg", kid, claims(m, "kid-deleg", client=KID_CLIENT, scope=DELEG_SCOPE,
                                 consumer_org=CONSUMER, resource="https://r.fuzz.test/"), key=ck)
    add("kid-unknown", {"alg": "RS256", "kid": "other-key"},
        claims(m, "kid-unknown", client=KID_CLIENT), key=ck)
    add("kid-on-x5c-client", kid, claims(m, "kid-on-x5c-client"), key=ck)
    add("kid-rs512", {"alg": "RS512", "kid": KID}, claims(m, "kid-rs512", client=KID_CLIENT), key=ck)
    add("kid-empty", {"alg": "RS256", "kid": ""}, claims(m, "kid-empty", client=KID_CLIENT), key=ck)
    add("kid-long", {"alg": "RS256", "kid": "k" * 300}, claims(m, "kid-long", client=KID_CLIENT),
        key=ck)
    add("kid-wrong-key", kid, claims(m, "kid-wrong-key", client=KID_CLIENT), key=lk)
    add("kid-iss-number", kid, claims(m, "kid-iss-number") | {"iss": 12}, key=ck)
    add("kid-iss-nul", kid, claims(m, "kid-iss-nul", client="fuzz-kid\u0000x"), key=ck)
    add("kid-types", kid, claims(m, "kid-types", client=KID_CLIENT, jti=7, sub=[1], scope=5),
        key=ck)
    add("kid-dup-claims", kid, None, key=ck,
        raw_claims=b64u('{"iss":"fuzz-kid","iss":"fuzz-x5c","aud":"%s","iat":%d,"exp":%d,'
                        '"scope":"fuzz:test"}' % (ISSUER, now, now + 60)))
    add("kid-dup-header", None, claims(m, "kid-dup-header", client=KID_CLIENT), key=ck,
        raw_header=b64u('{"alg":"RS256","kid":"fuzz-key-1","kid":"fuzz-key-1"}'))
    add("kid-deep-claims", kid, claims(m, "kid-deep-claims", client=KID_CLIENT,
                                       resource=json.loads("[" * 15 + "1" + "]" * 15)), key=ck)
    add("kid-too-deep", kid, None, key=ck,
        raw_claims=b64u('{"iss":"fuzz-kid","x":' + "[" * 20 + "]" * 20 + "}"))
    add("kid-trailing-data", kid, None, key=ck,
        raw_claims=b64u(compact(claims(m, "kid-trailing", client=KID_CLIENT)) + " {}"))
    add("kid-many-claims", kid, claims(m, "kid-many", client=KID_CLIENT,
                                       **{"c%02d" % i: i for i in range(40)}), key=ck)
    add("kid-utf8", kid, claims(m, "kid-utf8-\u00e6\u00f8\u00e5-\U0001f600", client=KID_CLIENT,
                                sub="\u00c6\u00d8\u00c5"), key=ck)
    add("kid-big-numbers", kid, claims(m, "kid-big", client=KID_CLIENT, iat=1e300,
                                       exp=-9223372036854775808), key=ck)
    return g


def jws_shapes(m, g):
    """Odd compact serialisations for fuzz_jws: name -> bytes."""
    s = {}
    h = b64u('{"alg":"RS256","kid":"k"}')
    p = b64u('{"iss":"a"}')
    s["three-dots"] = (h + "." + p + ".sig.x").encode()
    s["two-segments"] = (h + "." + p).encode()
    s["empty-header"] = ("." + p + ".c2ln").encode()
    s["empty-payload"] = (h + "..c2ln").encode()
    s["empty-sig"] = (h + "." + p + ".").encode()
    s["dots-only"] = b".."
    s["padded"] = (b64u('{"alg":"RS256"}') + "==." + p + ".c2ln").encode()
    s["std-base64"] = (base64.b64encode(b'{"alg":"RS256","x":"\xfb\xff"}').decode()
                       + "." + p + ".c2ln").encode()
    s["len-mod4-1"] = (h + "A." + p + ".c2ln").encode()
    s["nonzero-tail-bits"] = ("eyJhIjoiYiJ9" [:-1] + "f." + p + ".c2ln").encode()
    s["nul-in-json"] = (b64u(b'{"alg":"RS256"}\x00') + "." + p + ".c2ln").encode()
    s["u0000"] = (b64u('{"alg":"RS\\u0000256"}') + "." + p + ".c2ln").encode()
    s["bad-utf8"] = (b64u(b'{"alg":"\xc3\x28"}') + "." + p + ".c2ln").encode()
    s["surrogate"] = (b64u('{"alg":"\\ud800"}') + "." + p + ".c2ln").encode()
    s["array-top"] = (b64u('["alg","RS256"]') + "." + p + ".c2ln").encode()
    s["string-top"] = (b64u('"RS256"') + "." + p + ".c2ln").encode()
    s["depth-16"] = (b64u('{"a":' * 15 + '1' + '}' * 15 + "") + "." + p + ".c2ln").encode()
    s["depth-17"] = (b64u('{"a":' * 16 + '1' + '}' * 16) + "." + p + ".c2ln").encode()
    s["depth-300"] = (b64u('{"a":' + '[' * 300 + ']' * 300 + '}') + "." + p + ".c2ln").encode()
    s["dup-keys"] = (b64u('{"alg":"RS256","alg":"none"}') + "." + p + ".c2ln").encode()
    s["numbers"] = (b64u('{"a":1e999,"b":-0.0,"c":123456789012345678901234567890,"d":1.5e-400}')
                    + "." + p + ".c2ln").encode()
    s["space"] = (" " + h + "." + p + ".c2ln").encode()
    s["newline"] = (h + "." + p + ".c2ln\n").encode()
    s["alg-names"] = b"RS256"
    s["alg-ps256"] = (b64u('{"alg":"PS256"}') + "." + p + ".c2ln").encode()
    s["alg-es256"] = (b64u('{"alg":"ES256"}') + "." + p + ".c2ln").encode()
    s["alg-rs512"] = (b64u('{"alg":"RS512"}') + "." + p + ".c2ln").encode()
    s["alg-empty"] = (b64u('{"alg":""}') + "." + p + ".c2ln").encode()
    s["x5c-nested"] = (b64u(compact({"alg": "RS256", "x5c": [[m["inter_b64"]], {"x": ["y"]}]}))
                       + "." + p + ".c2ln").encode()
    s["empty"] = b""
    s["single-byte"] = b"."
    for name in ("x5c-valid", "kid-valid", "alg-none", "alg-hs256", "x5c-string", "kid-dup-header",
                 "kid-too-deep", "x5c-chain"):
        s["grant-" + name] = g[name]
    return s


# ---------------------------------------------------------------- forms

def pct(s):
    if isinstance(s, str):
        s = s.encode()
    safe = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._*"
    return "".join(chr(c) if c in safe else ("+" if c == 32 else "%%%02X" % c) for c in s)


def forms(g):
    f = {}
    a = g["x5c-valid"].decode()
    gt = "grant_type=" + pct(GRANT_TYPE)
    f["valid"] = gt + "&assertion=" + a
    f["valid-raw-colons"] = "grant_type=" + GRANT_TYPE + "&assertion=" + a
    f["valid-reversed"] = "assertion=" + a + "&" + gt
    f["valid-all-escaped"] = gt + "&assertion=" + "".join("%%%02x" % c for c in a[:60].encode())
    f["plus-and-space"] = "a+b=c+d&e%20f=g%2Bh"
    f["duplicate"] = gt + "&" + gt + "&assertion=x"
    f["duplicate-escaped"] = "assertion=x&assertio%6E=y"
    f["empty-pairs"] = "a=1&&b=2&&&"
    f["only-ampersands"] = "&&&&"
    f["only-equals"] = "="
    f["equals-in-value"] = "a==b=c&=d&e="
    f["name-only"] = "grant_type&assertion"
    f["pct-truncated"] = "a=%4"
    f["pct-end"] = "a=b%"
    f["pct-bad-hex"] = "a=%zz"
    f["pct-mixed-case"] = "a=%aF%Af%0a"
    f["pct-nul"] = "assertion=a%00b&grant%00type=x"
    f["pct-nul-name-dup"] = "a=1&a%00b=2"
    f["pct-high-bytes"] = "n=%FF%FE%C3%A6%E2%82%AC"
    f["pct-double"] = "a=%2541"
    f["sixteen-fields"] = "&".join("f%d=%d" % (i, i) for i in range(16))
    f["seventeen-fields"] = "&".join("f%d=%d" % (i, i) for i in range(17))
    f["many-duplicates"] = "&".join("x=%d" % i for i in range(40))
    f["long-value"] = "assertion=" + "A" * 5000
    f["utf8-raw"] = "n\u00e6vn=bl\u00e5b\u00e6r&\U0001f600=1"
    f["leading-trailing-amp"] = "&a=1&"
    f["empty"] = ""
    f["extra-fields"] = gt + "&assertion=x&client_id=c&scope=a+b&resource=https%3A%2F%2Fr"
    f["semicolon"] = "a=1;b=2"
    out = {k: v.encode() for k, v in f.items()}
    out["raw-nul"] = b"a=1\x00&b=\x002"
    out["raw-high"] = b"\xff\xfe=\x80"
    return out


# ---------------------------------------------------------------- admin bodies

def admin_bodies(m):
    """Request bodies of the admin API and whole seeds, valid and broken (fuzz_admin)."""
    seed = seed_json(m)
    jwk = dict(m["jwk"])
    items = {
        "seed": seed,
        "seed-conflict": dict(seed, scopes=seed["scopes"] + [dict(seed["scopes"][0], description="other")]),
        "scope": {"prefix": "folkeregister", "subscope": "deling/offentligmedhjemmel",
                  "description": "Folkeregisteret", "owner_orgno": "974761076",
                  "allowed_integration_types": ["maskinporten"], "at_max_age": 300,
                  "delegation_source": "https://tt02.altinn.no/", "description#en": "Population register"},
        "scope-bad": {"prefix": "Folk", "subscope": "deling/x\t", "description": "a\u0001b",
                      "visibility": "SECRET", "at_max_age": -1, "colour": "red"},
        "access": {"scope": "folkeregister:deling/offentligmedhjemmel\t", "consumer_orgno": "999888999"},
        "access-state": {"scope": "a:b", "consumer_orgno": "910753614", "state": "REQUESTED"},
        "client": {"client_id": "c1", "client_name": "Kommune", "client_orgno": "910753614",
                   "integration_type": "maskinporten", "token_endpoint_auth_method": "private_key_jwt",
                   "grant_types": ["urn:ietf:params:oauth:grant-type:jwt-bearer"],
                   "scopes": ["folkeregister:deling/offentligmedhjemmel"], "access_token_lifetime": 300},
        "client-bad": {"client_id": "c 1", "client_orgno": 910753614,
                       "token_endpoint_auth_method": "client_secret_basic", "grant_types": ["client_credentials"]},
        "jwks": {"keys": [jwk]},
        "jwks-bad": {"keys": [dict(jwk, use="enc", kid="a b"), {"kty": "RSA"}, jwk, jwk, jwk, jwk]},
        "delegation": {"consumer_orgno": CONSUMER, "supplier_orgno": ORGNO, "scope": DELEG_SCOPE},
    }
    return {k: compact(v).encode() for k, v in items.items()}


def freg_inputs():
    """Inputs of fuzz_freg: the first byte picks the parser (0 Accept, 1 JSON ids, 2 XML ids,
    3 egenskapshendelse, 4 part values joined by '&', 5 search criteria one per line,
    6 a tilpasset uttrekk order)."""
    ids = ["0123456789abcdef0123456789abcdef", "7d9c19b1-4125-4f3a-9d2e-0123456789ab"]
    items = {
        "accept-json": b"\x00application/json",
        "accept-list": b"\x00text/html;q=0.9, application/atom+xml;q=0.8, */*;q=0.1",
        "accept-params": b"\x00application/xml; charset=\"utf-8\"; q=1.0, application/*;q=0.5",
        "accept-bad": b"\x00a/b/c;;q=2",
        "ids-json": b"\x01" + compact({"dokumentidentifikator": ids}).encode(),
        "ids-json-bad": b"\x01" + compact({"dokumentidentifikator": [1, None, {"a": []}]}).encode(),
        "ids-xml": b"\x02<r><dokumentidentifikator>" + ids[0].encode() + b"</dokumentidentifikator>"
                   b"<dokumentidentifikator>" + ids[1].encode() + b"</dokumentidentifikator></r>",
        "ids-xml-ns": b"\x02<?xml version=\"1.0\"?><x:r xmlns:x=\"urn:a\"><x:dokumentidentifikator>a"
                      b"</x:dokumentidentifikator><!-- c --><![CDATA[z]]></x:r>",
        "ids-xml-doctype": b"\x02<!DOCTYPE r [<!ENTITY a \"aaaaaaaa\"><!ENTITY b \"&a;&a;&a;\">]>"
                           b"<r><dokumentidentifikator>&b;</dokumentidentifikator></r>",
        "event-navn": b"\x03" + compact([{"entitet": "navn", "entitetsendring": "registrereNy",
                                           "navn": {"fornavn": "Ola", "etternavn": "Nordmann",
                                                    "ajourholdstidspunkt": "2024-01-01T10:00:00.000+01:00",
                                                    "kilde": "Synutopia", "aarsak": "Navneendring",
                                                    "gyldighetstidspunkt": "2024-01-01T00:00:00.000+01:00"}}]).encode(),
        "event-annul": b"\x03" + compact([{"entitet": "doedsfall", "entitetsendring": "annullere"}]).encode(),
        "event-korr": b"\x03" + compact([{"entitet": "status", "entitetsendring": "korrigere",
                                           "status": {"status": "doed"}},
                                          {"entitet": "kontaktadresse", "entitetsendring": "registrereNy",
                                           "postadresse": {"postboksadresse": {"postboks": "1"}}}]).encode(),
        "event-bad": b"\x03" + compact([{"entitet": "navn", "entitetsendring": "korrigereHistorisk"},
                                          {"entitet": "x"}, 5]).encode(),
        "parts-basis": b"\x04person-basis&historikk&RettsligHandleevne",
        "parts-bad": b"\x04forholdTilSametingetsValgmanntall&navn-historikk&" + "\u00e5".encode() * 40,
        "parts-all": b"\x04identitetsgrunnlag-utvidet&relasjon-utvidet&innflytting&utflytting&doedsfall",
        "search-entydig": "\x05Ola Nordmann\n20036914700\n19690320\nStorgata\n10B\n0150\nAFG-1458-4555\n"
                          "IRL-195509132386\n123456789012".encode(),
        "search-inject": "\x05' OR 1=1 --\n%\n_\n\u00c6\u00d8\u00c5 gate\n0x\n\n\n\n".encode(),
        "search-phonetic": "\x05Christiansen Kristiansen Bj\u00f8rnstad Aase \u00c5se".encode(),
        "tilpasset": b"\x06" + compact({"personstatustyper": ["bosatt", "doed"], "kjoenn": "kvinne",
                                         "kommunenummer": {"bostedskommunenummer": "0301"},
                                         "foedselsaarFraOgMed": "1950", "statsborgerskap": "NOR",
                                         "sivilstandstype": "gift"}).encode(),
        "tilpasset-bad": b"\x06" + compact({"personstatustyper": [], "bostedskommunenummer": "03",
                                             "oppholdskommunenummer": "0301"}).encode(),
    }
    return items


# ---------------------------------------------------------------- output

def write_corpus(name, items):
    d = os.path.join(CORPUS, name)
    os.makedirs(d, exist_ok=True)
    for fn in os.listdir(d):
        if fn.startswith("seed-"):
            os.remove(os.path.join(d, fn))
    for k in sorted(items):
        with open(os.path.join(d, "seed-" + k), "wb") as f:
            f.write(items[k])
    return len(items)


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--new-keys":
        new_keys(sys.argv[2])
    elif len(sys.argv) != 1:
        sys.stderr.write("usage: make_corpus.py [--new-keys PORTEN_BINARY]\n")
        return 2
    m = load_material()
    write_fixture(m)
    g = grants(m)
    n = write_corpus("fuzz_grant", g)
    n2 = write_corpus("fuzz_jws", jws_shapes(m, g))
    n3 = write_corpus("fuzz_form", forms(g))
    n4 = write_corpus("fuzz_admin", admin_bodies(m))
    n5 = write_corpus("fuzz_freg", freg_inputs())
    print("fuzz_grant: %d seeds, fuzz_jws: %d seeds, fuzz_form: %d seeds, fuzz_admin: %d seeds, "
          "fuzz_freg: %d seeds, FUZZ_NOW=%d" % (n, n2, n3, n4, n5, m["now"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/python3
"""porten feed against a fake register: answers the real one never gives.

Usage: /usr/bin/python3 tests/integration/test_cli_feed_fake.py PATH/TO/porten

Checks:
  1. a 5xx after the retries: one line with the status and the register's {kode, melding},
     exit 4 (docs/feed.md), without "is the register running?" (that is for transport
     failures)
  2. a 304 to a request that sent no If-None-Match: a protocol error, one line, exit 1
  3. --from past the end: the summary's latest is the register's (siste/sekvensnummer),
     not made up from --from
Prints "N passed, M failed"; exits non-zero on any failure. Standard library only.
"""
import http.server
import json
import subprocess
import sys
import threading

PKG = "offentligmedhjemmel"
PATH = "/folkeregisteret/offentlig-med-hjemmel/api/v1/"
porten = sys.argv[1]
behaviour = {}
seen = []


class Fake(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def answer(self, status, body=None, headers=()):
        data = json.dumps(body).encode() if body is not None else b""
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        if status != 304:
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if status != 304:
            self.wfile.write(data)

    def do_GET(self):
        seen.append((self.path, self.headers.get("If-None-Match")))
        if not self.path.startswith(PATH):
            return self.answer(404, {"kode": "FREG-404", "melding": "no such path"})
        rest = self.path[len(PATH):]
        if rest == "hendelser/siste/sekvensnummer":
            return self.answer(200, behaviour.get("siste", 1500))
        if rest.startswith("hendelser/feed"):
            kind = behaviour["feed"]
            if kind == "500":
                return self.answer(500, {"kode": "FREG-500", "melding": "boom"})
            if kind == "304":
                return self.answer(304)
            if kind == "empty":
                return self.answer(200, [], [("ETag", '"e1"')])
        return self.answer(404, {"kode": "FREG-404", "melding": "unexpected"})


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Fake)
threading.Thread(target=server.serve_forever, daemon=True).start()
url = "http://127.0.0.1:%d/" % server.server_address[1]
passed = failed = 0


def check(name, cond, detail=""):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print("FAIL: %s %s" % (name, detail), file=sys.stderr)


def feed(*args):
    env = {"PATH": "/usr/bin:/bin", "HOME": "/nonexistent"}
    p = subprocess.run([porten, "feed", "--token", "a.b.c", "--freg", url, "--package", PKG] + list(args),
                       capture_output=True, text=True, timeout=60, env=env, cwd="/")
    return p.returncode, p.stdout, p.stderr


# 1. 5xx after the retries
behaviour.clear()
behaviour["feed"] = "500"
rc, out, err = feed("--retries", "0")
check("5xx: exit 4", rc == 4, "rc %d: %s" % (rc, err))
check("5xx: one line", err.count("\n") == 1 and out == "", repr(err))
check("5xx: status and {kode, melding}",
      err.startswith("porten feed: 500 FREG-500: boom (gave up after 0 retries; the next sekvensnummer is 1)"),
      repr(err))
check("5xx: not 'is the register running?'", "is the register running" not in err, repr(err))
rc, out, err = feed("--retries", "1")
check("5xx with a retry: exit 4, a back-off line, then the verdict",
      rc == 4 and err.count("\n") == 2 and "500 FREG-500: boom; retrying in 1 s\n" in err and
      "is the register running" not in err and "(gave up after 1 retries;" in err, repr(err))

# 2. 304 without If-None-Match
behaviour["feed"] = "304"
del seen[:]
rc, out, err = feed()
check("304 unasked: exit 1", rc == 1, "rc %d: %s" % (rc, err))
check("304 unasked: one line", err.count("\n") == 1 and out == "", repr(err))
check("304 unasked: says so", "304 Not Modified to a request without If-None-Match" in err, repr(err))
check("304 unasked: no If-None-Match was sent", all(h is None for _, h in seen), repr(seen))

# 3. --from past the end
behaviour["feed"] = "empty"
behaviour["siste"] = 1500
rc, out, err = feed("--from", "100000")
check("--from past the end: exit 0, nothing", rc == 0 and out == "", "rc %d: %s" % (rc, err))
check("--from past the end: latest from the register",
      err == "porten feed: %s: 0 events read, next sekvensnummer 100000, latest 1500\n" % PKG, repr(err))

server.shutdown()
print("%d passed, %d failed" % (passed, failed))
sys.exit(1 if failed else 0)

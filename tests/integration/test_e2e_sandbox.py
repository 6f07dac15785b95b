#!/usr/bin/env python3
"""The integration developer's day one, end to end, through the CLI only.

`porten up` in a temporary directory (free ports, a population big enough for several
feed pages, the live simulator on); then `porten token`, `porten feed --follow` with a
pointer file, killed with SIGKILL in the middle of the feed and restarted (no event lost,
none skipped, at most one page repeated), new live events picked up, a clean SIGTERM
stop; `porten person` for a person seen in the feed; and a last `porten feed` without
--follow that must print exactly the events the follower printed, byte for byte.

Readiness comes from the processes' own output lines; nothing waits on a timer."""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile

PORTEN = os.path.abspath(sys.argv[1])
PERSONS = 2500                   # the OMH feed then spans 3 pages of 1000
failures = []


def check(what, cond, detail=""):
    if cond:
        print("ok   " + what)
    else:
        print("FAIL " + what + ((": " + str(detail)[:2000]) if detail else ""))
        failures.append(what)


def run(*args, stdin=None):
    p = subprocess.run([PORTEN, *args], capture_output=True, text=True, input=stdin, timeout=120)
    return p.returncode, p.stdout, p.stderr


tmp = tempfile.mkdtemp(prefix="porten-e2e.")
up = None
try:
    env = dict(os.environ)
    for k in list(env):
        if k.startswith("PORTEN_"):
            del env[k]
    env["XDG_CACHE_HOME"] = os.path.join(tmp, "cache")
    os.environ.clear()
    os.environ.update(env)
    up = subprocess.Popen([PORTEN, "up", "--data", os.path.join(tmp, "sb"), "--authz-listen", "127.0.0.1:0",
                           "--freg-listen", "127.0.0.1:0", "--persons", str(PERSONS), "--simulate", "600"],
                          stdout=subprocess.PIPE, stderr=open(os.path.join(tmp, "up.err"), "w"), text=True)
    for line in up.stdout:
        if line.startswith("porten up: sandbox ready in "):
            break
    else:
        sys.exit("porten up did not become ready: " + open(os.path.join(tmp, "up.err")).read())
    sb = os.path.join(tmp, "sb", "sandbox.json")
    os.environ["PORTEN_SANDBOX"] = sb     # as the next steps porten up printed say

    # A token, through the CLI; cached, so the feed and person calls reuse it.
    rc, tok, err = run("token")
    check("porten token exits 0", rc == 0, err)
    check("porten token prints one JWT", tok.count("\n") == 1 and tok.count(".") == 2, tok)
    rc, js, err = run("token", "--json")
    ans = json.loads(js) if rc == 0 else {}
    check("porten token --json: the cached token and its scope",
          ans.get("access_token") == tok.strip() and ans.get("scope") == "folkeregister:deling/offentligmedhjemmel"
          and ans.get("token_type") == "Bearer", js + err)

    # The follower: killed with SIGKILL after the first page, then restarted.
    pointer = os.path.join(tmp, "omh.pointer")
    follow = [PORTEN, "feed", "--follow", "--interval", "1", "--pointer", pointer]
    seen = []                     # every line printed, in order, across both runs

    f1 = subprocess.Popen(follow, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    for line in f1.stdout:
        seen.append(line)
        if len(seen) == 1500:     # in the middle of the second page
            break
    f1.kill()
    f1.wait()
    seen.extend(f1.stdout.read().splitlines(keepends=True))   # what it wrote before it died
    f1.stdout.close()
    f1.stderr.close()
    check("the first follower was killed mid-feed", f1.returncode == -signal.SIGKILL and len(seen) >= 1500,
          (f1.returncode, len(seen)))
    check("the pointer file exists after the kill", os.path.exists(pointer))
    first_max = max(json.loads(s)["sekvensnummer"] for s in seen)

    # The restarted follower must pass the population's events into live ones.
    f2 = subprocess.Popen(follow, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    target = None
    for line in f2.stdout:
        seen.append(line)
        seq = json.loads(line)["sekvensnummer"]
        if target is None:
            check("the restart resumes at or before the first run's end, never after",
                  seq <= first_max + 1, (seq, first_max))
            target = PERSONS + 5   # beyond the population's events: live ones
        if seq >= target:
            break
    f2.send_signal(signal.SIGTERM)
    # Through the same text wrapper as the loop above (communicate() would read the pipe
    # underneath it and lose what the wrapper has read ahead).
    seen.extend(f2.stdout.read().splitlines(keepends=True))
    ferr = f2.stderr.read()
    f2.wait(timeout=30)
    check("the follower stops on SIGTERM with 0", f2.returncode == 0, (f2.returncode, ferr[-500:]))

    bad = [s for s in seen if not s.startswith("{") or not s.endswith("}\n")]
    check("every line printed is one whole JSON object", not bad, bad[:3])
    seen = [s for s in seen if s not in bad]
    seqs = [json.loads(s)["sekvensnummer"] for s in seen]
    last = max(seqs)
    check("no event skipped: every sequence number from 1 to the last seen",
          set(seqs) == set(range(1, last + 1)), sorted(set(range(1, last + 1)) - set(seqs))[:10])
    dups = len(seqs) - len(set(seqs))
    check("at most one page repeated after the kill (%d repeats)" % dups, dups <= 1000, dups)
    check("live events were followed (last %d > %d persons)" % (last, PERSONS), last > PERSONS, last)
    by_seq = {}
    for s in seen:
        by_seq.setdefault(json.loads(s)["sekvensnummer"], set()).add(s)
    check("a repeated event is printed identically", all(len(v) == 1 for v in by_seq.values()))

    # The same range read again in one go: byte-identical lines.
    rc, again, err = run("feed", "--from", "1", "--max-events", str(last), "--quiet")
    check("porten feed without --follow exits 0", rc == 0, err)
    check("a second reading prints exactly what the follower printed",
          again.splitlines(keepends=True) == [min(by_seq[i]) for i in range(1, last + 1)],
          (len(again.splitlines()), last))

    # A person seen in the feed.
    pid = None
    for s in seen:
        h = json.loads(s)["hendelse"]
        if h.get("hendelsetype") == "personErOpprettet" and h.get("folkeregisteridentifikator"):
            pid = h["folkeregisteridentifikator"]
            break
    check("the feed names persons", pid is not None, seen[:1])
    rc, doc, err = run("person", pid)
    person = json.loads(doc) if rc == 0 else {}
    ids = [i.get("foedselsEllerDNummer") for i in person.get("identifikasjonsnummer", [])]
    check("porten person finds the person from the feed", rc == 0 and pid in ids, doc[:300] + err)
    rc, doc, err = run("person", pid, "--part", "navn")
    person = json.loads(doc) if rc == 0 else {}
    check("porten person --part navn gives the name only",
          rc == 0 and "navn" in person and "identifikasjonsnummer" not in person, doc[:300] + err)

    # Another package through its demo consumer: its own feed, data-minimised.
    rc, out, err = run("feed", "--consumer", "privat", "--max-events", "3", "--quiet")
    lines = out.splitlines()
    check("the privat consumer reads its own feed", rc == 0 and len(lines) == 3
          and [json.loads(x)["sekvensnummer"] for x in lines] == [1, 2, 3], out + err)
    rc, out, err = run("feed", "--consumer", "privat", "--package", "offentligmedhjemmel", "--max-events", "1")
    check("a package the organisation does not hold: exit 1, one line", rc == 1 and err.count("\n") == 1, err)
finally:
    if up is not None:
        up.send_signal(signal.SIGTERM)
        try:
            up.wait(timeout=10)
            check("porten up stops within 10 s of SIGTERM with 0", up.returncode == 0, up.returncode)
        except subprocess.TimeoutExpired:
            up.kill()
            check("porten up stops within 10 s of SIGTERM", False)
    shutil.rmtree(tmp, ignore_errors=True)

print("%d failed" % len(failures))
sys.exit(1 if failures else 0)

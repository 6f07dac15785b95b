#!/usr/bin/env python3
"""docs/tutorial.md, run as written.

Fenced blocks tagged `sh` run in order in one bash (set -euo pipefail), so variables carry
from block to block; a block tagged `sh terminal-1` is started in the background first
and the rest waits for its "sandbox ready" line; `sh setup` (installing and building) is
the build this test belongs to, so it is not run again: its PATH line is honoured by
putting the built porten first on PATH. An `output` block right after an `sh` block is
that block's exact stdout. The only differences from a reader's terminal are the
environment: free ports instead of 7443/7444 (PORTEN_AUTHZ_LISTEN, PORTEN_FREG_LISTEN,
which porten up reads like its flags) and a private token cache."""
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile

PORTEN = os.path.abspath(sys.argv[1])
HERE = os.path.dirname(os.path.abspath(__file__))
TUTORIAL = os.path.join(HERE, "..", "..", "docs", "tutorial.md")

text = open(TUTORIAL).read()
blocks = re.findall(r"^```([a-z0-9 -]*)\n(.*?)^```\n", text, flags=re.M | re.S)
steps = []                        # (kind, code, expected output or None)
for i, (info, code) in enumerate(blocks):
    info = info.strip()
    if info == "output":
        if not steps or steps[-1][0] != "sh" or steps[-1][2] is not None:
            sys.exit("tutorial: an output block must follow an sh block")
        steps[-1] = ("sh", steps[-1][1], code)
    elif info in ("sh", "sh terminal-1", "sh setup"):
        steps.append((info, code, None))
if not any(k == "sh terminal-1" for k, _, _ in steps) or sum(k == "sh" for k, _, _ in steps) < 8:
    sys.exit("tutorial: expected a terminal-1 block and at least 8 sh blocks, found %r" % [k for k, _, _ in steps])

tmp = tempfile.mkdtemp(prefix="porten-tutorial.")
env = {k: v for k, v in os.environ.items() if not k.startswith("PORTEN_")}
env.update(PATH=os.path.dirname(PORTEN) + os.pathsep + env.get("PATH", "/usr/bin:/bin"),
           XDG_CACHE_HOME=os.path.join(tmp, ".cache"), PORTEN_AUTHZ_LISTEN="127.0.0.1:0",
           PORTEN_FREG_LISTEN="127.0.0.1:0")
failures = []
up = None
try:
    for kind, code, expected in steps:
        if kind != "sh terminal-1":
            continue
        up = subprocess.Popen(["bash", "-c", "exec " + code.strip()], cwd=tmp, env=env,
                              stdout=subprocess.PIPE, stderr=open(os.path.join(tmp, "up.err"), "w"), text=True)
        for line in up.stdout:
            if line.startswith("porten up: sandbox ready in "):
                break
        else:
            sys.exit("the terminal-1 block did not become ready: " + open(os.path.join(tmp, "up.err")).read())
    # One bash for all sh blocks; each block's stdout goes to its own file.
    script = ["set -euo pipefail"]
    n = 0
    for kind, code, expected in steps:
        if kind != "sh":
            continue
        script.append("{\n%s\n} > %s/.out.%d" % (code.rstrip("\n"), tmp, n))
        script.append("echo 'block %d done' >&2" % n)
        n += 1
    r = subprocess.run(["bash", "-c", "\n".join(script)], cwd=tmp, env=env, capture_output=True, text=True,
                       timeout=600)
    done = r.stderr.count("done\n")
    if r.returncode != 0:
        failures.append("block %d failed (exit %d): %s" % (done, r.returncode, r.stderr[-1500:]))
    n = 0
    for kind, code, expected in steps:
        if kind != "sh":
            continue
        path = "%s/.out.%d" % (tmp, n)
        got = open(path).read() if os.path.exists(path) else None
        if n < done:
            print("ok   block %d: %s" % (n, code.strip().splitlines()[0][:70]))
        if expected is not None and n < done and got != expected:
            failures.append("block %d printed %r, the tutorial says %r" % (n, got, expected))
        n += 1
    # The few blocks whose output is not fixed are still checked for what the text promises.
    outs = [open("%s/.out.%d" % (tmp, i)).read() if os.path.exists("%s/.out.%d" % (tmp, i)) else "" for i in range(n)]
    if done == n:
        if outs[1].count(".") != 2:
            failures.append("porten token did not print a JWT: %r" % outs[1][:100])
        if '"access_token"' not in outs[2]:
            failures.append("porten token --json printed no access_token")
        if "exit status 1" not in outs[3]:
            failures.append("a scope not granted did not exit 1: %r" % outs[3])
        if len(outs[4].splitlines()) != 3:
            failures.append("porten feed --max-events 3 printed %d lines" % len(outs[4].splitlines()))
        if '"navn"' not in outs[7]:
            failures.append("porten person --part navn printed no navn: %r" % outs[7][:200])
        if "exit status 1" not in outs[-2]:
            failures.append("the privat consumer read offentlig med hjemmel's feed: %r" % outs[-2])
        if "0 fail" not in outs[-1]:
            failures.append("porten doctor found a failing rule in a good grant: %r" % outs[-1])
finally:
    if up is not None:
        up.send_signal(signal.SIGINT)              # Ctrl-C, as step 8 says
        try:
            if up.wait(timeout=10) != 0:
                failures.append("porten up exited %d after Ctrl-C" % up.returncode)
        except subprocess.TimeoutExpired:
            up.kill()
            failures.append("porten up still running 10 s after Ctrl-C")
    shutil.rmtree(tmp, ignore_errors=True)

for f in failures:
    print("FAIL " + f)
print("%d failed" % len(failures))
sys.exit(1 if failures else 0)

#!/usr/bin/python3
"""test_messages.py: what a user reads when a command line goes wrong
(issue 11 item 20), through the real binary (GROVE_BIN):

  - a mistyped command or `grove run` option gets "did you mean";
  - `grove tree RUN --html` names the option it does not know;
  - `grove competitions --split nosuch` says the split is unknown and lists
    the splits (not "no competition in split");
  - `grove exec --timeout 3s` takes a duration, as `grove run` does;
  - the listing shows metrics by the name users know (accuracy, not
    grove's accuracy_pd);
  - no doubled "grove run: run:" prefix, no "1e+06" in a range.

Standard library only.
"""
import os
import subprocess
import sys
import tempfile

GROVE = os.environ["GROVE_BIN"]
failed = 0


def grove(*args):
    return subprocess.run([GROVE, *args], capture_output=True, text=True, timeout=120)


def check(cond, what):
    global failed
    print("%-4s %s" % ("ok" if cond else "FAIL", what))
    failed += not cond


r = grove("rnu", "x")
check(r.returncode == 2 and "did you mean 'run'" in r.stderr, "grove rnu: %r" % r.stderr)
r = grove("help", "tre")
check(r.returncode == 2 and "did you mean 'tree'" in r.stderr, "grove help tre: %r" % r.stderr)
r = grove("run", "grove-titanic", "--stepz", "3")
check(r.returncode == 2 and "unknown option '--stepz'; did you mean --steps?" in r.stderr
      and "run: run:" not in r.stderr, "--stepz: %r" % r.stderr)
r = grove("run", "grove-titanic", "--steps", "0")
check(r.returncode == 2 and "1000000" in r.stderr and "e+" not in r.stderr,
      "--steps 0: %r" % r.stderr)
r = grove("tree", "/nonexistent-run", "--html")
check(r.returncode == 2 and "unknown option '--html'" in r.stderr and "usage:" in r.stderr,
      "tree --html: %r" % r.stderr[:200])
r = grove("competitions", "--split", "nosuch")
check(r.returncode == 2 and "unknown split 'nosuch'" in r.stderr and "lite" in r.stderr
      and "no competition in split" not in r.stderr, "--split nosuch: %r" % r.stderr)
r = grove("competitions", "--split", "lit")
check(r.returncode == 2 and "did you mean 'lite'" in r.stderr, "--split lit: %r" % r.stderr)
r = grove("competitions")
line = [l for l in r.stdout.splitlines() if l.startswith("spaceship-titanic ")]
check(r.returncode == 0 and line and " accuracy " in line[0] and "_pd" not in r.stdout,
      "competitions shows user-facing metric names: %r" % line)

with tempfile.TemporaryDirectory(prefix="grove-msg-") as d:
    with open(os.path.join(d, "solution.py"), "w") as f:
        f.write("print('hi')\n")
    r = grove("exec", d, "--timeout", "3s", "--no-sandbox")
    check(r.returncode == 0 and "hi" in r.stdout, "exec --timeout 3s: %r" % r.stderr)
    r = grove("exec", d, "--timeout", "soon", "--no-sandbox")
    check(r.returncode == 2 and "duration" in r.stderr, "exec --timeout soon: %r" % r.stderr)

if failed:
    sys.exit(1)
print("test_messages: ok")

#!/usr/bin/python3
"""test_demo_quiet.py: scripts/demo shows none of meson's and ninja's output
when the build works, and all of it when the build fails.

The real scripts/demo runs in a copy of the repository's layout where
scripts/setup, meson and build/agent/grove are stand-ins: meson prints the
kind of noise ninja does (progress lines on stdout, INFO on stderr), grove
records its arguments. Standard library only (meson passes GROVE_SRC).
"""
import os
import shutil
import subprocess
import sys
import tempfile

SRC = os.environ["GROVE_SRC"]


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def stub(path, body):
    with open(path, "w") as f:
        f.write("#!/bin/sh\n" + body)
    os.chmod(path, 0o755)


def run_demo(tmp, meson_rc):
    stub(os.path.join(tmp, "bin", "meson"),
         'echo "[12/108] Compiling C object noise.o"\n'
         'echo "INFO: autodetecting backend as ninja" >&2\n'
         'if [ "$1" = setup ]; then mkdir -p "$2" && touch "$2/build.ninja"; fi\n'
         "exit %d\n" % meson_rc)
    env = dict(os.environ, PATH=os.path.join(tmp, "bin") + ":" + os.environ["PATH"],
               GROVE_DATA=os.path.join(tmp, "data"))
    return subprocess.run([os.path.join(tmp, "scripts", "demo"), "--steps", "1"],
                          capture_output=True, text=True, env=env, timeout=60)


def main():
    tmp = tempfile.mkdtemp(prefix="grove-demo-")
    try:
        for d in ("scripts", "bin", "build/agent"):
            os.makedirs(os.path.join(tmp, d))
        shutil.copy(os.path.join(SRC, "scripts", "demo"), os.path.join(tmp, "scripts", "demo"))
        stub(os.path.join(tmp, "scripts", "setup"), "exit 0\n")
        stub(os.path.join(tmp, "build", "agent", "grove"), 'echo "grove $*"\n')
        r = run_demo(tmp, 0)
        out = r.stdout + r.stderr
        print(out)
        if r.returncode != 0:
            fail("the demo exits 0 with a working build")
        if "noise" in out or "INFO" in out:
            fail("meson's output reached the terminal")
        if "grove run grove-titanic" not in out or "--steps 1" not in out:
            fail("the demo ran grove with the extra arguments")
        r = run_demo(tmp, 1)
        out = r.stdout + r.stderr
        print(out)
        if r.returncode == 0 or "noise" not in r.stderr or "failed" not in r.stderr:
            fail("a failing build shows meson's output and says it failed")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("demo_quiet: ok")


if __name__ == "__main__":
    main()

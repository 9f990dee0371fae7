#!/usr/bin/python3
"""valgrind_e2e.py: an end-to-end scenario of e2e_run.py with every grove
process it starts (prepare, run, resume, tree, show, diff, grade) under
valgrind's memcheck.

    valgrind_e2e.py SCENARIO

grove is replaced by a wrapper (written into a fresh folder) that execs
valgrind with --error-exitcode, full leak checking of definite leaks and one
log file per process. The scenario must pass as it does without valgrind, and
every log must be empty: any invalid read or write, use of uninitialised
memory, bad free or definite leak fails the test and is printed. Candidate
scripts and bubblewrap are not traced (no --trace-children): they are not
grove's code. Standard library only; meson passes GROVE_BIN and GROVE_SRC.
"""
import os
import shutil
import subprocess
import sys
import tempfile

VALGRIND = shutil.which("valgrind")


def main():
    scenario = sys.argv[1]
    if not VALGRIND:
        print("valgrind_e2e: valgrind is not installed (scripts/setup installs it)")
        return 1
    here = os.path.dirname(os.path.abspath(__file__))
    grove = os.environ["GROVE_BIN"]
    # the wrapper lives beside grove's build folder: scenarios that keep
    # files outside /tmp put them two folders above GROVE_BIN
    work = tempfile.mkdtemp(prefix="valgrind-", dir=os.path.dirname(grove))
    logs = os.path.join(work, "logs")
    os.makedirs(os.path.join(work, "bin"))
    os.makedirs(logs)
    wrapper = os.path.join(work, "bin", "grove")
    with open(wrapper, "w") as f:
        f.write("#!/bin/sh\nexec %s -q --error-exitcode=99 --leak-check=full "
                "--errors-for-leak-kinds=definite --show-leak-kinds=definite "
                "--log-file=%s/grove.%%p %s \"$@\"\n" % (VALGRIND, logs, grove))
    os.chmod(wrapper, 0o755)
    env = dict(os.environ, GROVE_BIN=wrapper)
    rc = subprocess.run([sys.executable, os.path.join(here, "e2e_run.py"), scenario],
                        env=env).returncode
    bad = []
    for name in sorted(os.listdir(logs)):
        with open(os.path.join(logs, name), errors="replace") as f:
            text = f.read()
        if text.strip():
            bad.append((name, text))
    for name, text in bad:
        print("valgrind_e2e: %s:\n%s" % (name, text))
    print("valgrind_e2e %s: scenario exit %d, %d grove processes, %d with valgrind reports"
          % (scenario, rc, len(os.listdir(logs)), len(bad)))
    if rc == 0 and not bad:
        shutil.rmtree(work, ignore_errors=True)
        return 0
    return 1


if __name__ == "__main__":
    sys.exit(main())

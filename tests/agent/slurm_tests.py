#!/usr/bin/python3
"""slurm_tests.py: the tests that start a Slurm cluster, one after the other
in a single meson test.

    slurm_tests.py TEST_BENCH_SLURM

runs the C test of the Slurm backend (TEST_BENCH_SLURM, the built
test_bench_slurm) and then e2e_bench_slurm.py; each starts its own cluster
with scripts/slurm-local and stops it. Two clusters on one machine collide
(Slurm's ports 6817/6818 are fixed, and so are its cgroups' job names), so
these two must never run at the same time; as one test they need not run
alone either, and the rest of the suite runs beside them. A SIGTERM or
SIGINT (meson's timeout, a Ctrl-C) goes on to the part running, which
stops its cluster. Fails when either part fails; meson passes GROVE_SRC and
GROVE_BIN.
"""
import os
import signal
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
child = None


def forward(signum, frame):
    if child and child.poll() is None:
        child.send_signal(signum)


def run(args):
    global child
    print("slurm_tests: %s" % " ".join(os.path.basename(a) for a in args), flush=True)
    child = subprocess.Popen(args)
    rc = child.wait()
    child = None
    print("slurm_tests: %s exit %d" % (os.path.basename(args[-1]), rc), flush=True)
    return rc


def main():
    if len(sys.argv) != 2:
        print("usage: slurm_tests.py TEST_BENCH_SLURM", file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    failed = []
    for args in ([sys.argv[1]], ["/usr/bin/python3", os.path.join(HERE, "e2e_bench_slurm.py")]):
        if run(args) != 0:
            failed.append(os.path.basename(args[-1]))
    print("slurm_tests: %s" % ("failed: " + ", ".join(failed) if failed else "ok"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/python3
"""bench_bench.py: does `grove bench` keep the CPUs busy, and what does it cost?

    /usr/bin/python3 perf/agent/bench_bench.py GROVE [--list LIST] [--seeds N]
        [--out DIR] [--keep] [-- GROVE BENCH OPTIONS]

Runs one local `grove bench` (default: grove-churn and grove-titanic, 2 seeds,
the builtin coder, 4 steps, 1 worker per run, --jobs = the CPUs) inside its
own cpuacct cgroup (cgroups v1, as root; every process the bench starts, the
candidate scripts included, stays in it), and prints:

  - CPU utilisation over the bench: the cgroup's CPU time / (wall time x CPUs),
    overall and per 10% slice of the wall time, and the machine's own
    utilisation (/proc/stat) over the same window, so CPU taken by other
    processes on a shared machine shows;
  - how many runs were in flight, sampled each second (the backend's own
    use of its slots, whatever other processes take);
  - the orchestration's cost: grove bench's own CPU time (the driver, from its
    last line) as a fraction of the wall time. Target: under 1%.

Extra arguments after -- go to `grove bench` (e.g. -- --steps 8 --seeds 3).
Standard library only.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

CG_ROOT = "/sys/fs/cgroup/cpuacct"


def proc_stat():
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    idle = v[3] + v[4]
    return sum(v) - idle, sum(v)


def make_cgroup():
    if not os.access(CG_ROOT, os.W_OK):
        return None
    path = os.path.join(CG_ROOT, "grove-bench-perf-%d" % os.getpid())
    os.makedirs(path, exist_ok=True)
    return path


def runs_in_flight(cg):
    """grove run processes in the cgroup (the bench's runs at this moment)."""
    n = 0
    with open(os.path.join(cg, "cgroup.procs")) as f:
        pids = f.read().split()
    for pid in pids:
        try:
            with open("/proc/%s/cmdline" % pid, "rb") as f:
                argv = f.read().split(b"\0")
            n += len(argv) > 1 and argv[1] == b"run" and argv[0].endswith(b"grove")
        except OSError:
            pass
    return n


def usage(cg):
    with open(os.path.join(cg, "cpuacct.usage")) as f:
        return int(f.read()) / 1e9


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("grove")
    ap.add_argument("--list", default=None)
    ap.add_argument("--seeds", type=int, default=2)
    ap.add_argument("--out", default=None)
    ap.add_argument("--keep", action="store_true")
    argv = sys.argv[1:]
    rest = argv[argv.index("--") + 1:] if "--" in argv else []
    a = ap.parse_args(argv[:argv.index("--")] if "--" in argv else argv)
    a.rest = rest
    ncpu = os.cpu_count()
    tmp = tempfile.mkdtemp(prefix="grove-bench-perf-")
    lst = a.list
    if not lst:
        lst = os.path.join(tmp, "ids.txt")
        with open(lst, "w") as f:
            f.write("grove-churn\ngrove-titanic\n")
    out = a.out or os.path.join(tmp, "benches")
    args = [a.grove, "bench", lst, "--seeds", str(a.seeds), "--jobs", str(ncpu), "--model",
            "builtin:baseline", "--steps", "4", "--workers", "1", "--out", out,
            "--name", "perf"] + a.rest
    cg = make_cgroup()
    if not cg:
        print("no writable cpuacct cgroup (%s): run as root on cgroups v1" % CG_ROOT)
        return 1

    def enter():
        with open(os.path.join(cg, "cgroup.procs"), "w") as f:
            f.write(str(os.getpid()))

    env = dict(os.environ)
    env.setdefault("GROVE_DATA", os.path.join(tmp, "data"))
    slices, flight = [], []
    busy0, total0 = proc_stat()
    c0, t0 = usage(cg), time.monotonic()
    p = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                         env=env, preexec_fn=enter)
    lines = []
    import threading
    reader = threading.Thread(target=lambda: lines.extend(p.stdout), daemon=True)
    reader.start()
    last_c, last_t = c0, t0
    while p.poll() is None:
        time.sleep(1)
        c, t = usage(cg), time.monotonic()
        slices.append((t - t0, (c - last_c) / ((t - last_t) * ncpu)))
        flight.append(runs_in_flight(cg))
        last_c, last_t = c, t
    reader.join()
    wall = time.monotonic() - t0
    cpu = usage(cg) - c0
    busy1, total1 = proc_stat()
    text = "".join(lines)
    print(text[-2500:])
    m = re.search(r"orchestration ([0-9.]+)s CPU", text)
    print("grove bench: exit %d, %d CPUs, wall %.1f s" % (p.returncode, ncpu, wall))
    print("CPU utilisation by the bench (its cgroup): %.1f%% (%.1f CPU-s of %.1f)"
          % (100 * cpu / (wall * ncpu), cpu, wall * ncpu))
    if slices:
        n = 10
        per = []
        for k in range(n):
            part = [u for (at, u) in slices if k * wall / n <= at < (k + 1) * wall / n]
            per.append(100 * sum(part) / len(part) if part else float("nan"))
        print("  per tenth of the wall time: " + " ".join("%.0f%%" % u for u in per))
    if flight:
        k = max(flight)
        full = sum(1 for n in flight if n == k)
        print("runs in flight (sampled each second): at most %d, mean %.2f; all %d slots busy "
              "%.0f%% of the time (the rest is the tail, when fewer runs are left than slots)"
              % (k, sum(flight) / len(flight), k, 100 * full / len(flight)))
    print("machine utilisation over the same window (/proc/stat, all processes): %.1f%%"
          % (100 * (busy1 - busy0) / max(1, total1 - total0)))
    if m:
        orch = float(m.group(1))
        print("orchestration: %.3f s CPU = %.3f%% of the wall time (target < 1%%)"
              % (orch, 100 * orch / wall))
    try:
        os.rmdir(cg)
    except OSError:
        pass
    if not a.keep:
        shutil.rmtree(tmp, ignore_errors=True)
    else:
        print("kept", tmp)
    return 0 if p.returncode == 0 else 1


if __name__ == "__main__":
    sys.exit(main())

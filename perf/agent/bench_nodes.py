#!/usr/bin/python3
"""bench_nodes.py: grove's own CPU per node and its memory as the tree grows.

    /usr/bin/python3 perf/agent/bench_nodes.py GROVE [--nodes 10000]
        [--marks 200,2000,10000] [--window 100] [--baseline OLD_GROVE]
        [--baseline-nodes 2000] [--keep DIR] [--max-seconds S] [--perf FILE]

One `grove run grove-titanic` of --nodes steps against tests/llm/mock_llm.py
at zero latency (one reply per node, each a different trivially fast script:
it reads test.csv, writes a submission and prints a validation score; every
seventh one fails, so debug nodes happen), one worker, no sandbox. While it
runs, grove's own CPU time (utime + stime of the grove process in
/proc/PID/stat: its threads, not its children, the candidate scripts) and
its resident memory peak (VmHWM) are read each time it prints a node line.

Printed for each mark N (default 200, 2,000 and 10,000): the CPU per node
over the last --window nodes before N (the marginal cost at N, which is
what grows when some step scans the whole tree) and over the whole run so
far, and the peak RSS at N. grove writes its live report.html in a child
process (agent/report_live.c); that child's CPU per node over the whole run
and its peak RSS, which grove reports in status.json, are printed beside
grove's own figures, never hidden in them or left out. The figure at the first mark is the baseline
for flatness, measured in the same run: the last line gives the ratio of
the last mark to it. With --baseline OLD_GROVE, the same run (fewer nodes,
--baseline-nodes) is repeated with another grove binary first, so the old
code path shows beside the new one on the same machine and load.

Each mark's line is printed as the run passes it; --max-seconds stops grove
(SIGINT) after that long, for a machine too loaded to reach the last mark.

Targets (issue 14 item 5): at most 3 ms per node, flat from 100 to 10,000
nodes; RSS under 64 MB at 10,000 nodes. Standard library only; needs
grove-titanic's source package (`grove prepare grove-titanic`).
"""
import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

SRC = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MOCK = os.path.join(SRC, "tests", "llm", "mock_llm.py")
TICK = os.sysconf("SC_CLK_TCK")

# Trivially fast: no pandas, no sklearn. {v} makes each script different
# (grove never runs a byte-identical script twice) and varies the score.
SCRIPT = '''# variant {v}
import csv, os
rows = list(csv.reader(open("./input/test.csv")))
col = rows[0].index("id")
os.makedirs("./submission", exist_ok=True)
with open("./submission/submission.csv", "w") as f:
    f.write("id,survived\\n")
    for i, r in enumerate(rows[1:]):
        f.write("%s,%.3f\\n" % (r[col], ((i * {v}) % {m}) / {m}))
{bug}print("Validation score: 0.{v}")
'''


def reply(v):
    bug = "raise ValueError('variant %d fails')\n" % v if v % 7 == 3 else ""
    code = SCRIPT.format(v=v, m=2 + v % 5, bug=bug)
    return "Variant %d: predict survival from the passenger id.\n\n```python\n%s```\n" % (v, code)


def proc_cpu(pid):
    """grove's own CPU seconds (all its threads, no children) and VmHWM MB."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        with open("/proc/%d/status" % pid) as f:
            hwm = [l for l in f if l.startswith("VmHWM:")]
    except OSError:
        return None
    cpu = (int(fields[11]) + int(fields[12])) / TICK  # utime, stime
    return cpu, int(hwm[0].split()[1]) / 1024 if hwm else 0.0


def page_writer(run_dir):
    """The live page's writers so far (status.json, written with each page):
    their CPU seconds and the largest one's peak RSS in MB; zeros for a grove
    that writes the page itself (then its cost is in grove's own CPU)."""
    try:
        with open(os.path.join(run_dir, "status.json")) as f:
            pw = json.load(f).get("page_writer") or {}
    except (OSError, ValueError):
        pw = {}
    return pw.get("cpu_s", 0.0), pw.get("max_rss_mb", 0.0)


def run(grove, nodes, tmp, data, name, marks, window, perf=None, max_s=None):
    """One run of `nodes` steps; returns [(done, cpu_s, hwm_mb, wall_s,
    page_cpu_s, page_rss_mb)] per node line (the page writer read only at
    the edges of the marks' windows) and the run's wall time. Each mark's
    figures are printed as it is passed. After max_s seconds grove is
    stopped (SIGINT) and the run counts what it reached."""
    edges = set()
    for m in marks:
        edges.update((max(1, m - window), m))
    script = os.path.join(tmp, "script-%s.json" % name)
    with open(script, "w") as f:
        json.dump({"replies": [reply(v) for v in range(1, 2 * nodes + 40)]}, f)
    mock = subprocess.Popen(["/usr/bin/python3", MOCK, "--script", script],
                            stdout=subprocess.PIPE, text=True)
    port = int(mock.stdout.readline())
    env = dict(os.environ, OPENAI_API_KEY="sk-bench-nodes-0000")
    args = [grove, "run", "grove-titanic", "--data-dir", data, "--out",
            os.path.join(tmp, "runs"), "--name", name, "--model", "openai:bench",
            "--base-url", "http://127.0.0.1:%d/v1" % port, "--steps", str(nodes),
            "--workers", "1", "--seed", "1", "--time-limit", "24h", "--no-sandbox",
            "--exec-timeout", "60"]
    t0 = time.monotonic()
    wrap = os.environ.get("BENCH_NODES_WRAP")  # e.g. "heaptrack": diagnosis only
    p = subprocess.Popen((wrap.split() if wrap else []) + args, stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL, env=env, text=True)
    prof = subprocess.Popen(["perf", "record", "-g", "-q", "-o", perf, "-p", str(p.pid)],
                            stderr=subprocess.DEVNULL) if perf else None
    samples = []
    for line in p.stdout:
        if not line.startswith("["):
            continue
        s = proc_cpu(p.pid)
        if s:
            k = len(samples) + 1
            pw = page_writer(os.path.join(tmp, "runs", name)) if k in edges else (0.0, 0.0)
            samples.append((k, s[0], s[1], time.monotonic() - t0) + pw)
        n = len(samples)
        if n % 500 == 0:
            print("  %s: %d nodes, %.0f s" % (name, n, time.monotonic() - t0), flush=True)
        if n in marks:
            report("  %s at %d nodes:" % (name, n), samples, [n], window)
            sys.stdout.flush()
        if max_s and time.monotonic() - t0 > max_s and p.poll() is None:
            p.send_signal(signal.SIGINT)
            max_s = None
    p.wait()
    if prof:
        prof.wait()
    mock.terminate()
    mock.wait()
    if p.returncode == 130 and samples:
        print("  %s: stopped after %d s at %d nodes (--max-seconds)" % (
            name, time.monotonic() - t0, len(samples)))
    elif p.returncode != 0 or len(samples) < nodes:
        sys.exit("grove exited %s after %d node lines (of %d)" % (p.returncode, len(samples),
                                                                  nodes))
    return samples, time.monotonic() - t0


def report(label, samples, marks, window):
    print("%s" % label)
    print("  %7s  %13s  %13s  %8s  %13s  %8s  %7s" % (
        "nodes", "grove ms/node", "grove ms/node", "grove", "page writer", "page", "wall"))
    print("  %7s  %13s  %13s  %8s  %13s  %8s  %7s" % (
        "", "(last %d)" % window, "(all)", "RSS MB", "ms/node", "RSS MB", "s"))
    figs = []
    for m in marks:
        if m > len(samples):
            continue
        n, cpu, hwm, wall, pcpu, prss = samples[m - 1]
        lo = max(1, m - window)
        _, cpu0, _, _, pcpu0, _ = samples[lo - 1]
        per = 1000 * (cpu - cpu0) / (m - lo)
        print("  %7d  %13.2f  %13.2f  %8.1f  %13.2f  %8.1f  %7.0f" % (
            m, per, 1000 * cpu / m, hwm, 1000 * pcpu / m, prss, wall))
        figs.append((m, per, hwm))
    return figs


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("grove")
    ap.add_argument("--nodes", type=int, default=10000)
    ap.add_argument("--marks", default="200,2000,10000")
    ap.add_argument("--window", type=int, default=100)
    ap.add_argument("--baseline", default=None)
    ap.add_argument("--baseline-nodes", type=int, default=2000)
    ap.add_argument("--keep", default=None)
    ap.add_argument("--perf", default=None, help="perf record -g grove into this file")
    ap.add_argument("--max-seconds", type=float, default=None,
                    help="stop grove (SIGINT) after this long; the marks reached are printed")
    a = ap.parse_args()
    marks = [int(x) for x in a.marks.split(",")]
    # fsync on tmpfs costs no disk wait, so a 10,000-node run fits in minutes
    # (the CPU grove spends is the same)
    shm = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None
    tmp = a.keep or tempfile.mkdtemp(prefix="grove-bench-nodes-", dir=shm)
    os.makedirs(tmp, exist_ok=True)
    data = os.path.join(tmp, "data")
    r = subprocess.run([a.grove, "prepare", "grove-titanic", "--data-dir", data],
                       capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit("grove prepare grove-titanic failed: " + r.stderr)
    try:
        if a.baseline:
            bmarks = sorted(set([m for m in marks if m <= a.baseline_nodes] + [a.baseline_nodes]))
            s, _ = run(os.path.abspath(a.baseline), a.baseline_nodes, tmp, data, "baseline",
                       bmarks, a.window)
            report("baseline %s" % a.baseline, s, bmarks, a.window)
        s, wall = run(os.path.abspath(a.grove), a.nodes, tmp, data, "grove", marks, a.window,
                      a.perf, a.max_seconds)
        figs = report("grove %s (%d nodes in %.0f s)" % (a.grove, len(s), wall), s, marks,
                      a.window)
        if len(figs) >= 2:
            print("flatness: %.2f ms/node at %d nodes vs %.2f at %d (baseline): x%.2f; "
                  "peak RSS %.1f MB" % (figs[-1][1], figs[-1][0], figs[0][1], figs[0][0],
                                        figs[-1][1] / max(figs[0][1], 1e-9), figs[-1][2]))
    finally:
        if not a.keep:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()

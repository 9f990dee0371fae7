#!/usr/bin/python3
"""bench_report.py: how fast a 1,000-node run's HTML report is written and
drawn, beside a 10-node run's measured in the same run.

    /usr/bin/python3 perf/report/bench_report.py build/agent/grove [--nodes N] [--repeat R]

Both runs are synthetic run folders written by perf/report/gen_run.py (the
layout of grove's journal; 23 KB scripts, improve/debug nodes a few lines
away from their parent, 30 lines of output each). For each: the time
`grove report RUN --html` takes, the page's size, and, in Debian's headless
Chromium with no network (tests/agent/browser.py), the page's own figure:
milliseconds from navigation to the laid-out page (parsing the page and its
data, the script, the layout; body[data-render-ms]), plus the wall time of
the whole Chromium call (its start-up included). Medians of R runs,
alternating the two pages. Target (issue 13): under 2 s, a few MiB.
"""
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "agent"))
import browser  # noqa: E402


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    grove = os.path.abspath(sys.argv[1])
    args = sys.argv[2:]
    nodes = int(args[args.index("--nodes") + 1]) if "--nodes" in args else 1000
    repeat = int(args[args.index("--repeat") + 1]) if "--repeat" in args else 5
    tmp = tempfile.mkdtemp(prefix="grove-bench-report-")
    pages = {}
    for n in (10, nodes):
        run = os.path.join(tmp, "run%d" % n)
        t0 = time.time()
        subprocess.run(["/usr/bin/python3", os.path.join(HERE, "gen_run.py"), run, "--nodes", str(n)],
                       check=True)
        gen = time.time() - t0
        page = os.path.join(tmp, "run%d.html" % n)
        t0 = time.time()
        subprocess.run([grove, "report", run, "--html", "-o", page], check=True,
                       stdout=subprocess.DEVNULL)
        write = time.time() - t0
        pages[n] = {"page": page, "gen": gen, "write": write, "size": os.path.getsize(page),
                    "render": [], "wall": []}
    for _ in range(repeat):
        for n, p in pages.items():
            out, console, took = browser.dump_dom("file://" + p["page"])
            if console or 'data-ready="1"' not in out:
                sys.exit("FAIL: the %d-node page did not draw: %s" % (n, console[:3]))
            ms = float(out.split('data-render-ms="', 1)[1].split('"', 1)[0])
            p["render"].append(ms)
            p["wall"].append(took)
    print("%-10s %10s %12s %14s %16s" % ("run", "page", "grove report", "render (page)", "chromium call"))
    for n, p in pages.items():
        print("%-10s %8.2f MiB %10.2f s %11.0f ms %14.2f s" % (
            "%d nodes" % n, p["size"] / 2**20, p["write"], statistics.median(p["render"]),
            statistics.median(p["wall"])))
    big = pages[nodes]
    print("render of %d nodes: median %.0f ms (min %.0f, max %.0f over %d); 10 nodes: %.0f ms; "
          "load average %.1f" % (nodes, statistics.median(big["render"]), min(big["render"]),
                                 max(big["render"]), repeat, statistics.median(pages[10]["render"]),
                                 os.getloadavg()[0]))
    subprocess.run(["rm", "-rf", tmp])


if __name__ == "__main__":
    main()

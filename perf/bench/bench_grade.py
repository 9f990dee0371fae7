#!/usr/bin/python3
"""bench_grade.py: grove's grader against pandas + scikit-learn, same run.

    /usr/bin/python3 perf/bench/bench_grade.py GROVE [--rows N] [--mrows N] [--classes K]

Generates (once, in a temp folder) a 1,000,000-row binary AUC case and a
100,000 x 100 multi-class log-loss case, answers and submission each, with the
submission's rows shuffled so ids must really be matched. Times
`grove grade --json --answers ...` (a child process; its peak memory from
wait4's rusage, taken by GNU time) and the same computation done the MLE-bench way (pandas
read_csv, sort both by id, sklearn roc_auc_score / log_loss), checks both give
the same score, and prints the times, the ratio, and grove's peak memory
beside the two files' size. Target: >= 10x faster, memory under the files.
grove matches a large submission's rows on every CPU it may use (bench/halves.c);
its time on one thread (GROVE_GRADE_LANES=1) is printed beside, with that ratio.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
import pandas as pd
from sklearn.metrics import log_loss, roc_auc_score


def write_auc(d, n, rng):
    ids = np.array(["img%07d" % i for i in range(n)])
    y = (rng.random(n) < 0.3).astype(int)
    p = np.clip(y * 0.3 + rng.random(n) * 0.7, 0, 1)
    pd.DataFrame({"id": ids, "has_cactus": y}).to_csv(os.path.join(d, "auc_answers.csv"),
                                                       index=False)
    perm = rng.permutation(n)
    pd.DataFrame({"id": ids[perm], "has_cactus": p[perm]}).to_csv(
        os.path.join(d, "auc_sub.csv"), index=False)


def write_logloss(d, n, k, rng):
    ids = np.array(["s%06d" % i for i in range(n)])
    cols = ["c%02d" % j for j in range(k)]
    y = rng.integers(0, k, n)
    onehot = np.zeros((n, k), dtype=int)
    onehot[np.arange(n), y] = 1
    a = pd.DataFrame(onehot, columns=cols)
    a.insert(0, "id", ids)
    a.to_csv(os.path.join(d, "ll_answers.csv"), index=False)
    p = rng.random((n, k)) + onehot * 2.0
    p /= p.sum(axis=1, keepdims=True)
    perm = rng.permutation(n)
    s = pd.DataFrame(p[perm], columns=cols)
    s.insert(0, "id", ids[perm])
    s.to_csv(os.path.join(d, "ll_sub.csv"), index=False)


def run_grove(grove, comp, sub, answers, lanes=None):
    """Peak memory comes from GNU time's wait4 on grove: a child forked or
    vforked by this Python would count Python's own resident set (the
    generated frames) in its ru_maxrss, since Linux carries the old memory's
    high-water mark across exec."""
    out_path, mem_path = sub + ".report.json", sub + ".rss"
    t0 = time.perf_counter()
    with open(out_path, "w") as out:
        env = dict(os.environ)
        if lanes:
            env["GROVE_GRADE_LANES"] = str(lanes)
        rc = subprocess.call(["/usr/bin/time", "-f", "%M", "-o", mem_path, grove, "grade",
                              "--json", "--competition", comp, "--submission", sub,
                              "--answers", answers], stdout=out, env=env)
    elapsed = time.perf_counter() - t0
    if rc != 0:
        sys.exit("grove grade failed (exit %d)" % rc)
    with open(out_path) as f:
        rep = json.load(f)
    with open(mem_path) as f:
        rss = int(f.read().split()[-1]) * 1024
    if not rep["valid_submission"]:
        sys.exit("grove grade: invalid: %s" % rep["error"])
    return elapsed, rss, rep["score"]


def pandas_auc(sub, answers):
    s = pd.read_csv(sub).sort_values("id")
    a = pd.read_csv(answers).sort_values("id")
    assert (s["id"].values == a["id"].values).all()
    return roc_auc_score(a["has_cactus"].to_numpy(), s["has_cactus"].to_numpy())


def pandas_logloss(sub, answers):
    s = pd.read_csv(sub).sort_values("id").reset_index(drop=True)
    a = pd.read_csv(answers).sort_values("id").reset_index(drop=True)
    assert (s["id"].values == a["id"].values).all()
    cols = [c for c in a.columns if c != "id"]
    return log_loss(a[cols].to_numpy(), s[cols].to_numpy())


def timed(fn, *args):
    t0 = time.perf_counter()
    v = fn(*args)
    return time.perf_counter() - t0, v


def mib(x):
    return x / (1 << 20)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("grove")
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--mrows", type=int, default=100_000)
    ap.add_argument("--classes", type=int, default=100)
    args = ap.parse_args()
    rng = np.random.default_rng(4)
    d = tempfile.mkdtemp(prefix="grove_perf_")
    write_auc(d, args.rows, rng)
    write_logloss(d, args.mrows, args.classes, rng)
    cases = [
        ("AUC %d rows" % args.rows, "aerial-cactus-identification", "auc", pandas_auc),
        ("log loss %dx%d" % (args.mrows, args.classes), "dog-breed-identification", "ll",
         pandas_logloss),
    ]
    worst_ratio, over = float("inf"), False
    total_size = 0
    for name, comp, stem, baseline in cases:
        sub, ans = os.path.join(d, stem + "_sub.csv"), os.path.join(d, stem + "_answers.csv")
        size = os.path.getsize(sub) + os.path.getsize(ans)
        total_size += size
        g_time, g_rss, g_score = min((run_grove(args.grove, comp, sub, ans) for _ in range(3)),
                                     key=lambda r: r[0])
        one_time = min(run_grove(args.grove, comp, sub, ans, lanes=1)[0] for _ in range(3))
        p_time, p_score = timed(baseline, sub, ans)
        ratio = p_time / g_time
        worst_ratio = min(worst_ratio, ratio)
        over |= g_rss >= size
        same = abs(g_score - round(p_score, 5)) <= 1e-12
        print("%-22s grove %7.3f s (1 thread %.3f s, %.1fx)   pandas+sklearn %7.3f s   "
              "%5.1fx faster   grove peak %6.1f MiB vs files %6.1f MiB   score %s %s" %
              (name, g_time, one_time, p_time / one_time, p_time, ratio, mib(g_rss), mib(size),
               g_score,
               "(same)" if same else "(DIFFERS: %r)" % p_score))
        if not same:
            sys.exit(1)
    print("worst speed-up %.1fx with %d CPUs (target >= 10x); grove peak memory %s the "
          "files' size" % (worst_ratio, len(os.sched_getaffinity(0)), "ABOVE" if over else "under"))
    subprocess.run(["rm", "-rf", d])


if __name__ == "__main__":
    main()

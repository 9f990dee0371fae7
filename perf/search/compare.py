#!/usr/bin/python3
"""compare.py: the search configurations of issue 16 side by side, from benches.

    compare.py GROVE LABEL=BENCH [LABEL=BENCH ...] [--baseline LABEL]

Each BENCH is a folder made by `grove bench` (the same list, seeds, steps and time
limit for every configuration, one configuration per bench). For each, this reads
`grove report BENCH --json` and prints a Markdown row per configuration:

  normalised test score  (score - median) / (silver - median) of each run's final
                         submission on the test answers, with the bundled reference
                         thresholds: 0 is the median reference, 1.0 the stronger
                         reference model, in either metric direction; mean +- SE
                         over runs
  any medal %            share of runs with a medal, mean +- SE over runs
  selection regret       the oracle among the K best nodes (re-run on the full data
                         and graded on the test answers) less the final score, in
                         the same normalised units; mean +- SE over runs
  vs baseline            the difference in normalised score to --baseline (default
                         the first configuration) with its SE (runs paired by
                         competition and seed, so the SE is that of the paired
                         differences)

Only the runs that every configuration finished count (a bench stopped early
compares on what it has); the header line names them. Standard library only.
"""
import json
import math
import subprocess
import sys


def report(grove, bench):
    r = subprocess.run([grove, "report", bench, "--json"], capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"compare.py: grove report {bench}: {r.stderr.strip()}")
    return json.loads(r.stdout)


def mean_se(xs):
    xs = [x for x in xs if x is not None]
    n = len(xs)
    if n == 0:
        return None, None, 0
    m = sum(xs) / n
    if n < 2:
        return m, None, n
    var = sum((x - m) ** 2 for x in xs) / (n - 1)
    return m, math.sqrt(var / n), n


def normalised(run):
    s, med, sil = run.get("score"), run.get("median_threshold"), run.get("silver_threshold")
    if s is None or med is None or sil is None or sil == med:
        return None
    return (s - med) / (sil - med)


def fmt(m, se, digits=3):
    if m is None:
        return "n/a"
    return f"{m:.{digits}f}" + (f" ± {se:.{digits}f}" if se is not None else "")


def main():
    args = sys.argv[1:]
    if len(args) < 2:
        sys.exit(__doc__)
    grove = args.pop(0)
    base = None
    pairs = []
    while args:
        a = args.pop(0)
        if a == "--baseline":
            base = args.pop(0)
        else:
            label, _, bench = a.partition("=")
            pairs.append((label, bench))
    reps = {label: report(grove, bench) for label, bench in pairs}
    base = base or pairs[0][0]
    key = lambda r: (r["competition_id"], r["seed"])  # noqa: E731
    done = {label: {key(r): r for r in rep["competition_reports"]
                    if r.get("finished") and normalised(r) is not None}
            for label, rep in reps.items()}
    common = set.intersection(*(set(d) for d in done.values()))
    comps = sorted({c for c, _ in common})
    print(f"runs finished by every configuration: {len(common)} "
          f"({', '.join(comps)}); every figure below is over these runs only\n")
    print("| configuration | normalised test score | any medal % | selection regret "
          "(normalised) | vs " + base + " (paired) | stopped by the time limit |")
    print("|---|---|---|---|---|---|")
    for label, _ in pairs:
        runs = [done[label][k] for k in sorted(common)]
        m, se, _ = mean_se([normalised(r) for r in runs])
        am, ase, _ = mean_se([100.0 * bool(r["any_medal"]) for r in runs])
        rm, rse, _ = mean_se([r["analysis"]["regret_normalised"] if r.get("analysis") else None
                              for r in runs])
        dm, dse, _ = mean_se([normalised(done[label][k]) - normalised(done[base][k])
                              for k in sorted(common)])
        timed = sum("time limit" in (r.get("stop_reason") or "") for r in runs)
        print(f"| {label} | {fmt(m, se)} | {fmt(am, ase, 1)} | {fmt(rm, rse, 4)} | "
              f"{'—' if label == base else fmt(dm, dse)} | {timed} of {len(runs)} |")

if __name__ == "__main__":
    main()

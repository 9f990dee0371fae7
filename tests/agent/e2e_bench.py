#!/usr/bin/python3
"""e2e_bench.py: grove bench and grove report end to end (local backend).

    e2e_bench.py local|sigint|kills|badinput

  local     the builtin coder on 2 bundled competitions x 2 seeds, 2 runs at
            once, a few steps each. The bench is SIGKILLed (its whole process
            group) once at least one run has finished and another has
            committed a node, then resumed with `grove bench --resume`:
            finished runs are kept as they were (same finished.json, same
            grade), begun runs are resumed, not restarted (their task commit
            and first node commit are unchanged), and every run finishes.
            Then `grove report BENCH --json` is checked field by field
            against values computed here from the run folders (MLE-bench's
            totals, per competition mean / SE / 95% interval over seeds, per
            split, the selection analysis), every submission_path exists, and
            `grove report RUN` reads one run.
  sigint    a SIGINT to grove bench (as Ctrl-C sends it) stops every run at
            once: exit 130, no grove run of the bench left, each begun run
            resumable (its config.json, no finished.json), and the bench
            says how to continue.
  kills     the same bench killed up to 12 times, each followed by
            `grove bench --resume`: the kills fall (seeded RNG, printed) while
            a run commits nodes, while a run re-runs its best node on the full
            data (best.tmp/), while a run re-runs its finalists for the
            selection analysis (analysis/), while the bench aggregates the
            finished runs into its report, and as a SIGKILL to the bench
            alone (not its group), which its runs must notice and stop on.
            After every kill: no process of the bench left, `git fsck
            --strict` clean in every run, no finished run changed, no node
            commit changed. The last resume finishes and its report is
            checked as in `local`.
  badinput  an unknown id, a registry competition whose data is not
            prepared, bad run options and no such backend: one message naming
            every offender, exit 2, no bench folder created.

Standard library only; run with /usr/bin/python3 (meson passes GROVE_BIN).
"""
import json
import math
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time

GROVE = os.environ["GROVE_BIN"]
COMPS = ["grove-churn", "grove-titanic"]
SEEDS = 2


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def check(cond, msg):
    if not cond:
        fail(msg)


def git(run_dir, *args):
    r = subprocess.run(["git", "-C", run_dir] + list(args), capture_output=True, text=True)
    return r.stdout.strip() if r.returncode == 0 else None


def read_json(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def run_dirs(bench):
    return {f"{c}-seed{s}": os.path.join(bench, "runs", f"{c}-seed{s}")
            for c in COMPS for s in range(1, SEEDS + 1)}


def snapshot(bench):
    """What must survive a kill: per run, finished.json and the first commits."""
    snap = {}
    for name, d in run_dirs(bench).items():
        fin = os.path.join(d, "finished.json")
        snap[name] = {
            "finished": open(fin).read() if os.path.exists(fin) else None,
            "task": git(d, "rev-list", "--max-parents=0", "--all"),
            "node0": git(d, "rev-parse", "--verify", "-q", "refs/heads/node/0"),
        }
    return snap


def stats(x):
    n = len(x)
    mean = sum(x) / n if n else None
    if n < 2:
        return {"n": n, "mean": mean, "sem": None}
    var = sum((v - mean) ** 2 for v in x) / (n - 1)
    sem = math.sqrt(var) / math.sqrt(n)
    return {"n": n, "mean": mean, "sem": sem, "ci95_low": mean - 1.96 * sem,
            "ci95_high": mean + 1.96 * sem}


def close(a, b, what):
    if a is None or b is None:
        check(a is None and b is None, f"{what}: {a} != {b}")
    else:
        check(abs(a - b) < 1e-9, f"{what}: {a} != {b}")


def check_stats(got, want, what):
    for k, v in want.items():
        close(got.get(k), v, f"{what}.{k}")


def check_report(bench, rep):
    dirs = run_dirs(bench)
    grades = {n: read_json(os.path.join(d, "best", "grade.json")) for n, d in dirs.items()}
    analysis = {n: read_json(os.path.join(d, "analysis.json")) for n, d in dirs.items()}
    check(all(grades.values()), "every run has best/grade.json")
    check(all(analysis.values()), "every run has analysis.json")
    check(rep["total_runs"] == 4, "total_runs")
    keys = {"total_runs_with_submissions": "submission_exists",
            "total_valid_submissions": "valid_submission",
            "total_gold_medals": "gold_medal", "total_silver_medals": "silver_medal",
            "total_bronze_medals": "bronze_medal", "total_above_median": "above_median"}
    for k, f in keys.items():
        check(rep[k] == sum(bool(g[f]) for g in grades.values()), k)
    check(rep["total_medals"] == sum(bool(g["any_medal"]) for g in grades.values()),
          "total_medals")
    check(len(rep["competition_reports"]) == 4, "competition_reports has 4 runs")
    for r in rep["competition_reports"]:
        name = f"{r['competition_id']}-seed{r['seed']}"
        g = grades[name]
        for f in ["score", "any_medal", "gold_threshold", "median_threshold", "is_lower_better"]:
            check(r[f] == g[f], f"{name}.{f}")
        check(os.path.isfile(r["submission_path"]), f"{name}: submission_path exists")
        check(os.path.isfile(g["submission_path"]), f"{name}: grade.json's submission_path "
              "names the file where it is (best/, not best.tmp/)")
        check(r["finished"] and r["failure"] is None, f"{name} finished without failure")
    for c in rep["competitions"]:
        cid = c["competition_id"]
        gs = [grades[f"{cid}-seed{s}"] for s in range(1, SEEDS + 1)]
        an = [analysis[f"{cid}-seed{s}"] for s in range(1, SEEDS + 1)]
        check(c["runs"] == SEEDS and c["finished"] == SEEDS, f"{cid} runs")
        check_stats(c["any_medal"], stats([float(g["any_medal"]) for g in gs]), f"{cid}.any_medal")
        check_stats(c["above_median"], stats([float(g["above_median"]) for g in gs]),
                    f"{cid}.above_median")
        check_stats(c["score"], stats([g["score"] for g in gs]), f"{cid}.score")
        check_stats(c["analysis"]["regret"], stats([a["regret"] for a in an]), f"{cid}.regret")
        check_stats(c["analysis"]["oracle_score"], stats([a["oracle_score"] for a in an]),
                    f"{cid}.oracle")
        for a in an:
            check(a["regret"] >= 0 and len(a["nodes"]) == 2, f"{cid}: analysis of the top 2")
            better = min if a["lower_is_better"] else max
            tests = [n["test_score"] for n in a["nodes"]] + [a["final_score"]]
            close(a["oracle_score"], better(tests), f"{cid}: oracle is the best test score")
    splits = {s["split"]: s for s in rep["splits"]}
    check(set(splits) == {"bundled", "all"}, f"splits {sorted(splits)}")
    per_seed = [100.0 * sum(bool(grades[f"{c}-seed{s}"]["any_medal"]) for c in COMPS) / len(COMPS)
                for s in range(1, SEEDS + 1)]
    check(splits["all"]["any_medal_pct_per_seed"] == per_seed, "per-seed medal rates")
    check_stats(splits["bundled"]["any_medal_pct"], stats(per_seed), "bundled.any_medal_pct")


def scenario_local(tmp):
    env = dict(os.environ, GROVE_DATA=os.path.join(tmp, "data"))
    bench = os.path.join(tmp, "benches", "b")
    ids = os.path.join(tmp, "ids.txt")
    with open(ids, "w") as f:
        f.write("# two bundled competitions\n" + "\n".join(COMPS) + "\n")
    args = [GROVE, "bench", ids, "--seeds", str(SEEDS), "--jobs", "2", "--model",
            "builtin:baseline", "--steps", "3", "--workers", "1", "--analysis-top-k", "2", "--selection-k", "2",
            "--out", os.path.join(tmp, "benches"), "--name", "b"]
    log = open(os.path.join(tmp, "bench1.log"), "w")
    p = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, env=env,
                         start_new_session=True)
    deadline = time.time() + 400
    while time.time() < deadline and p.poll() is None:
        snap = snapshot(bench) if os.path.isdir(bench) else {}
        done = [n for n, s in snap.items() if s["finished"]]
        begun = [n for n, s in snap.items() if not s["finished"] and s["node0"]]
        if done and begun:
            break
        time.sleep(0.2)
    check(p.poll() is None, "the bench was still running when it was to be killed "
          "(see bench1.log)")
    os.killpg(p.pid, signal.SIGKILL)
    p.wait()
    time.sleep(0.5)
    before = snapshot(bench)
    print("killed with", sum(1 for s in before.values() if s["finished"]), "finished,",
          sum(1 for s in before.values() if not s["finished"] and s["node0"]), "begun")
    r = subprocess.run([GROVE, "bench", "--resume", bench], capture_output=True, text=True,
                       env=env, timeout=500)
    print(r.stdout[-3000:], r.stderr[-2000:])
    check(r.returncode == 0, f"resume exit {r.returncode}")
    check("finished already" in r.stdout, "resume says what it kept")
    after = snapshot(bench)
    for name, s in before.items():
        a = after[name]
        check(a["finished"], f"{name} finished after the resume")
        if s["finished"]:
            check(a["finished"] == s["finished"], f"{name}: a finished run was run again")
        if s["task"]:
            check(a["task"] == s["task"], f"{name}: restarted from scratch (new task commit)")
        if s["node0"]:
            check(a["node0"] == s["node0"], f"{name}: node 0's commit changed")
    r = subprocess.run([GROVE, "report", bench, "--json"], capture_output=True, text=True)
    check(r.returncode == 0, f"report exit {r.returncode}: {r.stderr}")
    check_report(bench, json.loads(r.stdout))
    r = subprocess.run([GROVE, "report", bench], capture_output=True, text=True)
    check(r.returncode == 0 and "grove-titanic" in r.stdout and "bundled" in r.stdout,
          "text report")
    one = run_dirs(bench)["grove-churn-seed1"]
    r = subprocess.run([GROVE, "report", one, "--json"], capture_output=True, text=True)
    check(r.returncode == 0, "report of one run")
    rr = json.loads(r.stdout)
    check(rr["total_runs"] == 1 and rr["competition_reports"][0]["analysis"]["k"] == 2,
          "one run's report")


def bench_processes(bench):
    """Pids whose command line names the bench folder."""
    pids = []
    for pid in os.listdir("/proc"):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                if bench.encode() in f.read():
                    pids.append(int(pid))
        except (OSError, ValueError):
            pass
    return pids


def bench_files(tmp):
    """The environment, the benches' folder, the bench's folder and the list
    file (COMPS) of a scenario."""
    env = dict(os.environ, GROVE_DATA=os.path.join(tmp, "data"))
    out = os.path.join(tmp, "benches")
    ids = os.path.join(tmp, "ids.txt")
    with open(ids, "w") as f:
        f.write("\n".join(COMPS) + "\n")
    return env, out, os.path.join(out, "b"), ids


def scenario_sigint(tmp):
    env, out, bench, ids = bench_files(tmp)
    p = subprocess.Popen([GROVE, "bench", ids, "--seeds", str(SEEDS), "--jobs", "2", "--model", "builtin:baseline",
                          "--steps", "50", "--workers", "1", "--out", out, "--name", "b"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                         start_new_session=True)
    deadline = time.time() + 120
    begun = []
    while time.time() < deadline and len(begun) < 2:
        runs = os.path.join(bench, "runs")
        begun = [d for d in (os.listdir(runs) if os.path.isdir(runs) else [])
                 if os.path.exists(os.path.join(runs, d, ".git"))]
        time.sleep(0.2)
    check(len(begun) == 2, f"two runs begun: {begun}")
    t = time.time()
    p.send_signal(signal.SIGINT)
    try:
        stdout, stderr = p.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        fail("grove bench did not stop within 60 s of a SIGINT")
    print(stdout[-1500:], stderr[-1500:])
    print(f"stopped in {time.time() - t:.1f}s")
    check(p.returncode == 130, f"exit {p.returncode}, not 130")
    check("--resume" in stderr, "says how to continue")
    time.sleep(0.5)
    check(not bench_processes(bench), "no process of the bench is left")
    for d in begun:
        run = os.path.join(bench, "runs", d)
        check(os.path.exists(os.path.join(run, "config.json")), f"{d} is resumable")
        check(not os.path.exists(os.path.join(run, "finished.json")), f"{d} is not finished")
    r = subprocess.run([GROVE, "report", bench, "--json"], capture_output=True, text=True)
    rep = json.loads(r.stdout)
    check(rep["total_runs"] == 4, "every planned run is in the report")
    check(all(x["failure"] for x in rep["competition_reports"]), "each says why it has no medal")


def node_refs(run_dir):
    r = git(run_dir, "for-each-ref", "--format=%(refname) %(objectname)", "refs/heads/node")
    return dict(line.split() for line in r.splitlines()) if r else {}


def until(cond, p, limit=300):
    """Wait until cond() or p ended; True when cond() holds."""
    deadline = time.time() + limit
    while time.time() < deadline:
        if cond():
            return True
        if p.poll() is not None:
            return False
        time.sleep(0.02)
    return False


def kill_moment(bench, p, mode, delay):
    """Wait for the moment `mode` names in any run of the bench, then
    `delay` seconds; returns False when the bench ended first."""
    dirs = list(run_dirs(bench).values())
    def appears(name):
        return lambda: any(os.path.exists(os.path.join(d, name)) and
                           not os.path.exists(os.path.join(d, "finished.json")) for d in dirs)
    if mode == "node":
        before = sum(len(node_refs(d)) for d in dirs if os.path.isdir(d))
        ok = until(lambda: sum(len(node_refs(d)) for d in dirs if os.path.isdir(d)) > before, p)
    elif mode == "final":
        ok = until(appears("best.tmp"), p)
    elif mode == "analysis":
        ok = until(appears("analysis"), p)
    elif mode == "aggregate":
        ok = until(lambda: all(os.path.exists(os.path.join(d, "finished.json")) for d in dirs), p)
    else:  # "alone": any moment while runs work
        ok = until(lambda: any(os.path.isdir(os.path.join(d, ".git")) for d in dirs), p)
    if not ok:
        return False
    time.sleep(delay)
    return p.poll() is None


def scenario_kills(tmp):
    seed = int(os.environ.get("GROVE_KILL_SEED", int(time.time()) % 100000))
    rng = random.Random(seed)
    print("seed", seed, "(GROVE_KILL_SEED replays it)")
    env, out, bench, ids = bench_files(tmp)
    first = [GROVE, "bench", ids, "--seeds", str(SEEDS), "--jobs", "2", "--model",
             "builtin:baseline", "--steps", "3", "--workers", "1", "--analysis-top-k", "2", "--selection-k", "2",
             "--out", out, "--name", "b"]
    # in the order a bench goes through them, so that each can still fall
    modes = ["alone", "node", "node", "alone", "node", "final", "analysis", "final",
             "analysis", "node", "final", "aggregate"]
    log = open(os.path.join(tmp, "bench.log"), "a")
    kills = 0
    for i, mode in enumerate(modes):
        args = first if i == 0 else [GROVE, "bench", "--resume", bench]
        p = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, env=env,
                             start_new_session=True)
        delay = rng.uniform(0, {"node": 0.3, "aggregate": 0.02}.get(mode, 1.0))
        if not kill_moment(bench, p, mode, delay):
            p.wait()
            print(f"kill {i + 1} ({mode}): the bench ended first (exit {p.returncode})")
            continue
        before = {n: (os.path.exists(os.path.join(d, "finished.json")) and
                      open(os.path.join(d, "finished.json")).read(), node_refs(d))
                  for n, d in run_dirs(bench).items() if os.path.isdir(d)}
        if mode == "alone":
            p.kill()
        else:
            os.killpg(p.pid, signal.SIGKILL)
        p.wait()
        kills += 1
        print(f"kill {i + 1}: {mode} +{delay:.2f}s")
        deadline = time.time() + 30
        while bench_processes(bench) and time.time() < deadline:
            time.sleep(0.1)
        check(not bench_processes(bench), f"kill {i + 1} ({mode}): a process of the bench "
              f"is left: {bench_processes(bench)}")
        for n, d in run_dirs(bench).items():
            if not os.path.isdir(os.path.join(d, ".git")):
                continue
            r = subprocess.run(["git", "-C", d, "fsck", "--strict"], capture_output=True,
                               text=True)
            check(r.returncode == 0, f"kill {i + 1} ({mode}): git fsck in {n}: {r.stderr}")
            fin, refs = before.get(n, (None, {}))
            now = node_refs(d)
            for ref, oid in refs.items():
                check(now.get(ref) == oid, f"kill {i + 1} ({mode}): {n} {ref} changed or lost")
            if fin:
                check(open(os.path.join(d, "finished.json")).read() == fin,
                      f"kill {i + 1} ({mode}): {n}: a finished run changed")
    check(kills >= 8, f"only {kills} of {len(modes)} kills fell before the bench ended")
    r = subprocess.run([GROVE, "bench", "--resume", bench], capture_output=True, text=True,
                       env=env, timeout=600)
    print(r.stdout[-2000:], r.stderr[-2000:])
    check(r.returncode == 0, f"last resume exit {r.returncode}")
    check(not bench_processes(bench), "no process of the bench is left at the end")
    r = subprocess.run([GROVE, "report", bench, "--json"], capture_output=True, text=True)
    check(r.returncode == 0, f"report exit {r.returncode}: {r.stderr}")
    check_report(bench, json.loads(r.stdout))


def scenario_badinput(tmp):
    env = dict(os.environ, GROVE_DATA=os.path.join(tmp, "data"))
    ids = os.path.join(tmp, "ids.txt")
    with open(ids, "w") as f:
        f.write("grove-churn\nno-such-competition\nspooky-author-identification\n")
    out = os.path.join(tmp, "benches")
    r = subprocess.run([GROVE, "bench", ids, "--backend", "nosuch", "--steps", "x",
                        "--out", out, "--name", "b"], capture_output=True, text=True, env=env)
    print(r.stderr)
    check(r.returncode == 2, f"exit {r.returncode}")
    err = r.stderr
    check(err.count("grove bench:") == 1, "one message")
    for offender in ["no-such-competition", "spooky-author-identification: its data is not "
                     "prepared", "--steps", "--backend nosuch"]:
        check(offender in err, f"the message names {offender}")
    check("grove-churn" not in err, "a good competition is not an offender")
    check(not os.path.exists(out), "nothing created")
    r = subprocess.run([GROVE, "bench", "no-such-split", "--out", out], capture_output=True,
                       text=True, env=env)
    check(r.returncode == 2 and "neither a split" in r.stderr, "unknown LIST")
    r = subprocess.run([GROVE, "bench", "--resume", os.path.join(tmp, "nothing")],
                       capture_output=True, text=True, env=env)
    check(r.returncode == 2 and "nothing" in r.stderr, "resume of no bench")
    odd = os.path.join(tmp, "odd")
    os.makedirs(odd)
    with open(os.path.join(odd, "bench.json"), "w") as f:
        f.write('{"list": "bundled"}')
    r = subprocess.run([GROVE, "bench", "--resume", odd], capture_output=True, text=True, env=env)
    check(r.returncode == 2 and "not a bench plan" in r.stderr, "resume of a bad bench.json")
    check(not os.path.exists(out), "nothing created")


def main():
    scenario = sys.argv[1]
    tmp = tempfile.mkdtemp(prefix="grove-e2e-bench-")
    try:
        {"local": scenario_local, "sigint": scenario_sigint, "kills": scenario_kills,
         "badinput": scenario_badinput}[scenario](tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("ok", scenario)


if __name__ == "__main__":
    main()

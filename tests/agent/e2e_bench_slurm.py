#!/usr/bin/python3
"""e2e_bench_slurm.py: grove bench --backend slurm end to end, on a real Slurm.

scripts/slurm-local starts munged + slurmctld + slurmd on loopback in a
temporary folder (and stops them at the end, also on failure); every grove
bench below talks to it through SLURM_CONF.

  1. The builtin coder on 2 bundled competitions x 2 seeds as one job array
     (two tasks at once on the test node's 2 CPUs). grove bench is
     SIGKILLed once a run has finished and another has committed a node; the
     array goes on without it, so it is cancelled by hand (scancel, as an
     administrator would), which stops the running task with SIGTERM.
  2. `grove bench --resume` submits a second array holding exactly the runs
     that were not finished (a begun one as `grove run --resume`, a never
     started one as `grove run`), never a finished one; finished runs keep
     their finished.json, begun ones their first commits; every run ends;
     `grove report --json` agrees with the run folders (as e2e_bench.py local
     checks it).
  3. --detach (one run) returns once the array is submitted; `grove bench
     --resume` then watches that array (adopts its task) instead of
     submitting it again.
  4. With no sbatch on PATH, and with the controller stopped: one message
     naming the fix, exit 2, no bench folder.

A cluster that cannot start is a failure, not a skip. Slurm's ports are
fixed: no other cluster may run meanwhile, so meson runs this after
test_bench_slurm, in one test (slurm_tests.py).

"""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import e2e_bench as eb  # noqa: E402  (the local e2e's checks of a bench folder)

GROVE = eb.GROVE
SLURM_LOCAL = os.path.join(os.environ["GROVE_SRC"], "scripts", "slurm-local")
check, fail = eb.check, eb.fail


def slurm_local(cmd, cluster):
    r = subprocess.run([SLURM_LOCAL, cmd, cluster], capture_output=True, text=True,
                       timeout=120)
    print(r.stdout.strip(), r.stderr.strip())
    return r.returncode


def bench_args(tmp, name, comps=eb.COMPS, seeds=eb.SEEDS, top_k=2):
    ids = os.path.join(tmp, f"ids-{name}.txt")
    with open(ids, "w") as f:
        f.write("\n".join(comps) + "\n")
    return [GROVE, "bench", ids, "--seeds", str(seeds), "--backend", "slurm",
            "--model", "builtin:baseline", "--steps", "3", "--workers", "1",
            "--analysis-top-k", str(top_k), "--selection-k", "2",
            "--out", os.path.join(tmp, "benches"),
            "--name", name]


def tasks_of(script):
    """Run name -> the exec line of its task, from an array script's
    "N) # COMPETITION, seed S" comments."""
    tasks, name = {}, None
    with open(script) as f:
        for line in f:
            line = line.strip()
            m = re.match(r"\d+\) # (\S+), seed (\d+)$", line)
            if m:
                name = f"{m.group(1)}-seed{m.group(2)}"
            elif line.startswith("exec ") and name:
                tasks[name], name = line, None
    return tasks


def scancel_all(env, name):
    subprocess.run(["scancel", f"--name=grove-{name}"], env=env, capture_output=True)
    end = time.time() + 60
    while time.time() < end:
        r = subprocess.run(["squeue", "-h", f"--name=grove-{name}", "-o", "%i"], env=env,
                           capture_output=True, text=True)
        if r.returncode == 0 and not r.stdout.strip():
            return
        time.sleep(0.5)
    fail("the array was still in squeue 60 s after scancel")


def scenario_kill_resume(tmp, env):
    bench = os.path.join(tmp, "benches", "b")
    log = open(os.path.join(tmp, "bench1.log"), "w")
    p = subprocess.Popen(bench_args(tmp, "b"), stdout=log,
                         stderr=subprocess.STDOUT, env=env, start_new_session=True)
    deadline = time.time() + 400
    while time.time() < deadline and p.poll() is None:
        snap = eb.snapshot(bench) if os.path.isdir(bench) else {}
        done = [n for n, s in snap.items() if s["finished"]]
        begun = [n for n, s in snap.items() if not s["finished"] and s["node0"]]
        if done and begun:
            break
        time.sleep(0.2)
    check(p.poll() is None, "the bench was still running when it was to be killed "
          "(see bench1.log)")
    os.killpg(p.pid, signal.SIGKILL)
    p.wait()
    scancel_all(env, "b")
    before = eb.snapshot(bench)
    unfinished = {n for n, s in before.items() if not s["finished"]}
    begun = {n for n, s in before.items() if not s["finished"] and s["task"]}
    print("killed with", len(before) - len(unfinished), "finished,", len(begun), "begun")
    check(len(unfinished) < len(before), "something finished before the kill")

    r = subprocess.run([GROVE, "bench", "--resume", bench, "--backend", "slurm"],
                       capture_output=True, text=True, env=env, timeout=500)
    print(r.stdout[-3000:], r.stderr[-2000:])
    check(r.returncode == 0, f"resume exit {r.returncode}")
    state = os.path.join(bench, "backend")
    check(not os.path.exists(os.path.join(state, "array-3.sh")), "one array per session")
    second = tasks_of(os.path.join(state, "array-2.sh"))
    check(set(second) == unfinished,
          f"the second array holds the unfinished runs {sorted(unfinished)}, "
          f"not {sorted(second)}")
    for name, line in second.items():
        check(("'--resume'" in line) == (name in begun),
              f"{name}: resumed exactly when it had begun: {line}")
    after = eb.snapshot(bench)
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
    eb.check_report(bench, json.loads(r.stdout))


def scenario_detach(tmp, env):
    bench = os.path.join(tmp, "benches", "d")
    t = time.time()
    r = subprocess.run(bench_args(tmp, "d", eb.COMPS[:1], 1, 0) + ["--detach"],
                       capture_output=True, text=True, env=env, timeout=120)
    print(r.stdout[-1500:], r.stderr[-1500:])
    check(r.returncode == 0, f"--detach exit {r.returncode}")
    print(f"--detach returned in {time.time() - t:.1f}s")
    r = subprocess.run(["squeue", "-h", "--name=grove-d", "-o", "%i"], env=env,
                       capture_output=True, text=True)
    check(r.stdout.strip(), "the detached array is in squeue")
    # resume once the run has begun (a run folder that is being created when
    # the driver plans is another matter: see the report)
    config = os.path.join(bench, "runs", f"{eb.COMPS[0]}-seed1", "config.json")
    end = time.time() + 120
    while time.time() < end and not os.path.exists(config):
        time.sleep(0.2)
    check(os.path.exists(config), "the detached run began")
    r = subprocess.run([GROVE, "bench", "--resume", bench, "--backend", "slurm"],
                       capture_output=True, text=True, env=env, timeout=500)
    print(r.stdout[-1500:], r.stderr[-1500:])
    check(r.returncode == 0, f"resume of a detached bench: exit {r.returncode}")
    state = os.path.join(bench, "backend")
    second = os.path.join(state, "array-2.sh")
    resubmitted = tasks_of(second) if os.path.exists(second) else {}
    # a task that ended between the resume's plan and its squeue may be sent
    # again; one still queued or running never is
    check("watching it, not submitting it again" in r.stderr or not resubmitted,
          "the resume adopted the detached array's tasks")
    check(os.path.exists(os.path.join(os.path.dirname(config), "finished.json")),
          "the detached run finished")


def scenario_bad_backend(tmp, env, cluster):
    out = os.path.join(tmp, "bad")
    noslurm = dict(env, PATH=os.path.join(tmp, "no-such-bin"))
    r = subprocess.run(bench_args(tmp, "x")[:-4] + ["--out", out, "--name", "x"],
                       capture_output=True, text=True, env=noslurm, timeout=60)
    print(r.stderr)
    check(r.returncode == 2 and "'sbatch' not found on PATH" in r.stderr,
          "no sbatch: exit 2 and the fix")
    check(r.stderr.count("grove bench:") == 1, "one message")
    slurm_local("stop", cluster)
    t = time.time()
    r = subprocess.run(bench_args(tmp, "x")[:-4] + ["--out", out, "--name", "x"],
                       capture_output=True, text=True, env=env, timeout=60)
    print(r.stderr, f"({time.time() - t:.1f}s)")
    check(r.returncode == 2 and "does not answer" in r.stderr and "SLURM_CONF" in r.stderr,
          "controller down: exit 2 and the fix")
    check(not os.path.exists(out), "nothing created")


def main():
    tmp = tempfile.mkdtemp(prefix="grove-e2e-slurm-")
    os.chmod(tmp, 0o755)  # munged runs as user munge and must reach its socket
    cluster = os.path.join(tmp, "cluster")
    ok = False
    try:
        check(slurm_local("start", cluster) == 0, "the Slurm cluster did not start "
              "(needs root and scripts/setup's slurm-wlm + munge)")
        env = dict(os.environ, GROVE_DATA=os.path.join(tmp, "data"),
                   SLURM_CONF=os.path.join(cluster, "slurm.conf"))
        scenario_kill_resume(tmp, env)
        scenario_detach(tmp, env)
        scenario_bad_backend(tmp, env, cluster)
        ok = True
    finally:
        slurm_local("stop", cluster)
        if ok:
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            print("kept for a look:", tmp)
    print("ok slurm")


if __name__ == "__main__":
    main()

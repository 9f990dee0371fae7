#!/usr/bin/python3
"""e2e_kill50.py: fifty SIGKILLs at random moments of one run, each followed
by `grove run --resume`, and nothing lost.

    e2e_kill50.py [SEED]

One run of grove-titanic against the mock LLM server (e2e_run.py's scripted
replies, 2 workers) is killed 50 times, at moments drawn from a seeded RNG:

  search   until every step is committed: a quarter of the kills at a random
           time in the first 0.4 s after a (re)start (the folder, config and
           repository being made, the split, the first requests), the others
           a random 0-0.3 s after the next node commit (nodes in flight, the
           journal and refs being updated);
  final    the rest: each resume goes to the final full-data re-run, which
           assembles best/ in best.tmp/; the kill falls 0-1.2 s after
           best.tmp/ appears, so during the re-run of the script or the
           grading of its submission.

After every kill: no candidate process outlives grove, `git fsck --strict` is
clean, every node committed before stays committed with the same commit, and
a folder with a repository has its config. At the end one last resume
finishes the run: exit 0, every step a node, journal.json lists them all,
best/ holds a graded valid submission and no best.tmp/ is left.

The kill times are printed with the seed, so a failure can be replayed.
Standard library only; meson passes GROVE_BIN and GROVE_SRC.
"""
import os
import random
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import e2e_run as e2e  # noqa: E402  (the shared environment and checks)

KILLS = 50
STEPS = 30


def committed(run_dir):
    """Nodes committed so far, read cheaply from the loose refs libgit2
    writes (polled every few milliseconds while grove runs)."""
    try:
        return len(os.listdir(os.path.join(run_dir, ".git", "refs", "heads", "node")))
    except OSError:
        return 0


def kill_at(p, mode, delay, run_dir):
    """Kill p at a moment chosen by mode: "start" `delay` s after it starts;
    "node" `delay` s after its next node commit; "final" `delay` s after
    best.tmp/ appears (the final re-run and its grading). Moments are tied to
    what grove does, not to the clock alone, so a loaded machine moves them
    but does not skip them. Returns a description, or None when p ended on
    its own first (the run finished)."""
    if mode == "final":
        tmp = os.path.join(run_dir, "best.tmp")
        e2e.wait_for(lambda: os.path.isdir(tmp) or p.poll() is not None, 300)
        where = "%.2fs after best.tmp/ appeared" % delay
    elif mode == "node":
        before = committed(run_dir)
        e2e.wait_for(lambda: committed(run_dir) > before or p.poll() is not None, 300)
        where = "%.2fs after a node commit" % delay
    else:
        where = "%.2fs after the start" % delay
    if p.poll() is not None:
        return None
    time.sleep(delay)
    if p.poll() is not None:
        return None
    p.kill()
    return where


def main():
    seed = int(sys.argv[1]) if len(sys.argv) > 1 else int(time.time()) % 100000
    rng = random.Random(seed)
    print("e2e_kill50: seed %d" % seed)
    env = e2e.Env()
    try:
        # a script per step (grove never runs a byte-identical script twice);
        # redone nodes may take later replies, hence twice as many
        replies = [e2e.reply("Variant %d." % i, 1 + i % 4, 0.2 * (i + 1)).replace(
            "```python\n", "```python\n# variant %d\n" % i) for i in range(2 * STEPS)]
        env.start_mock({"replies": replies, "replies_cycle": True, "delay_all_ms": 60})
        run_dir = os.path.join(env.runs, "kill50")
        fresh = env.grove_args("kill50", STEPS, 2)
        resume = [e2e.GROVE, "run", "--resume", run_dir, "--base-url",
                  "http://127.0.0.1:%d/v1" % env.port]
        seen = {}
        kills, finals, finished = 0, 0, False
        while kills < KILLS and not finished:
            final_phase = len(seen) >= STEPS
            if final_phase:
                mode, delay = "final", rng.uniform(0.0, 1.2)
            elif rng.random() < 0.25:
                mode, delay = "start", rng.uniform(0.0, 0.4)
            else:
                mode, delay = "node", rng.uniform(0.0, 0.3)
            started = os.path.isdir(os.path.join(run_dir, ".git"))
            p = subprocess.Popen(resume if started else fresh, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.PIPE, env=env.env(), text=True)
            where = kill_at(p, mode, delay, run_dir)
            err = p.communicate()[1]
            if where is None:
                e2e.check(p.returncode == 0, "grove ended on its own with exit %s: %s"
                          % (p.returncode, err[-800:]))
                finished = True
                break
            kills += 1
            finals += final_phase
            e2e.check(p.returncode in (-signal.SIGKILL, 0),
                      "kill %d (%s): exit %s: %s" % (kills, where, p.returncode, err[-800:]))
            e2e.check(e2e.wait_for(lambda: not e2e.leftover_processes(run_dir), 10),
                      "kill %d (%s): candidate scripts outlived grove" % (kills, where))
            if not os.path.isdir(os.path.join(run_dir, ".git")):
                continue
            e2e.check(os.path.exists(os.path.join(run_dir, "config.json")),
                      "kill %d: a run folder with a repository has its config" % kills)
            refs = e2e.node_refs(run_dir, polling=True)
            if refs:
                e2e.git(run_dir, "fsck", "--strict", "--no-dangling")
            for nid, oid in seen.items():
                e2e.check(refs.get(nid) == oid, "kill %d (%s): node %d lost or changed"
                          % (kills, where, nid))
            seen = refs
            print("kill %2d %-34s nodes %2d%s" % (kills, where, len(refs),
                                                  "  (final)" if final_phase else ""))
        print("e2e_kill50: %d kills, %d of them in the final re-run or its grading" %
              (kills, finals))
        e2e.check(kills == KILLS, "the run finished after %d kills, before %d" % (kills, KILLS))
        e2e.check(finals >= 5, "at least 5 kills fell in the final phase (%d)" % finals)
        r = env.run(resume, timeout=600)
        print(r.stdout[-1500:], r.stderr[-1500:])
        e2e.check(r.returncode == 0, "the last resume exits 0")
        after = e2e.check_consistent(run_dir)
        for nid, oid in seen.items():
            e2e.check(after.get(nid) == oid, "node %d survives the kills unchanged" % nid)
        e2e.check(sorted(after) == list(range(STEPS)),
                  "every step is a node: %s" % sorted(after))
        e2e.check(not os.path.exists(os.path.join(run_dir, "best.tmp")), "no best.tmp/ left")
        grade = os.path.join(run_dir, "best", "grade.json")
        e2e.check(os.path.exists(grade), "best/grade.json exists")
        import json
        e2e.check(json.load(open(grade))["valid_submission"], "the final submission is valid")
    finally:
        env.close()
    print("e2e kill50: ok")


if __name__ == "__main__":
    main()

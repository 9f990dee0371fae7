#!/usr/bin/python3
"""e2e_ensemble.py: the ensemble operator end to end on the bundled
grove-titanic with the builtin coder (issue 16 item 3).

1. `grove run --ensemble true` (4 drafts of different model families): the
   blend of the drafts' holdout submissions beats the best draft, so it is
   kept as node 4, stage "ensemble": its commit holds recipe.json (method,
   members, weights) and no solution.py, its node.json the members and
   weights, its subject "ensemble 4<-P", grove tree and grove show show it,
   RUN/ensemble.json says why it was kept, and every grading of the fit is
   in the audit log. The run is SIGKILLed during the final re-run, right
   after the line saying the ensemble was kept.
2. `grove run --resume`: the ensemble is not built again (the newest node is
   the ensemble), the step budget is not spent on it, the hidden selection
   grades it as a finalist (its members re-run on train + search holdout and
   blended; a member that is a finalist too is run once, its submission
   blended, its workspace removed after), and when it is the pick, the final submission is the blend, by
   the recipe's weights, of the members' own full-data submissions (checked
   against pandas within 1e-9), graded.
3. `--ensemble false` on a fresh run of the same seed: no ensemble node.

Run with /usr/bin/python3 (pandas); meson passes GROVE_BIN and GROVE_SRC.
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile

import pandas as pd

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e_policies import GROVE, grove, journal, prepare  # noqa: E402  (offline, no key)
from e2e_run import check  # noqa: E402


def git(run_dir, *args):
    r = subprocess.run(["git", "-C", run_dir] + list(args), capture_output=True, text=True)
    return r.stdout if r.returncode == 0 else None


def run_until_kept(args):
    """Start a run, SIGKILL it once it says the ensemble was kept; its stdout."""
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
    p = subprocess.Popen([GROVE] + args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         text=True, env=env)
    out = []
    for line in p.stdout:
        out.append(line)
        if line.startswith("ensemble: "):
            p.send_signal(signal.SIGKILL)
            break
    p.wait()
    p.stdout.close()
    print("".join(out[-20:]))
    return "".join(out)


def first_run(base, run_dir):
    out = run_until_kept(base + ["--name", "ens", "--ensemble", "true"])
    check("ensemble: kept as node 4" in out, "the blend of the 4 drafts is kept as node 4")
    nodes = journal(run_dir)
    e = nodes.get(4)
    check(e and e["stage"] == "ensemble", "node 4 is an ensemble: %s" % e)
    members, weights = e["members"], e["weights"]
    check(len(members) >= 2 and len(members) == len(weights), "members and weights")
    check(abs(sum(weights) - 1) < 1e-9 and min(weights) > 0, "weights are positive, sum 1")
    check(e["parent"] == members[0], "the ensemble hangs under its best member")
    best_single = max(nodes[m]["score"] for m in range(4))
    check(e["score"] > best_single, "the blend beats the best draft: %s vs %s"
          % (e["score"], best_single))
    recipe = json.loads(git(run_dir, "show", "node/4:recipe.json"))
    check(recipe["method"] == "mean", "titanic's AUC blends by mean")
    check([m["id"] for m in recipe["members"]] == members, "recipe.json names the members")
    check([m["weight"] for m in recipe["members"]] == weights, "recipe.json has the weights")
    check(git(run_dir, "show", "node/4:solution.py") is None, "an ensemble has no solution.py")
    subject = git(run_dir, "log", "-1", "--format=%s", "node/4").strip()
    check(subject.startswith("ensemble 4<-%d: " % members[0]), "subject: %s" % subject)
    check(git(run_dir, "rev-parse", "best") == git(run_dir, "rev-parse", "node/4"),
          "refs/heads/best is the ensemble")
    decision = json.load(open(os.path.join(run_dir, "ensemble.json")))
    check(decision["kept"] and decision["node"] == 4 and "better than node" in decision["why"],
          "ensemble.json: %s" % decision)
    audit = open(os.path.join(run_dir, "audit.jsonl")).read()
    check(audit.count("ensemble weights") >= 4, "the fit's gradings are in the audit log")
    tree = grove("tree", run_dir).stdout
    check("ensemble" in tree and "blend of " in tree, "grove tree shows the ensemble")
    show = grove("show", run_dir, "4")
    check(show.returncode == 0 and "==> recipe.json <==" in show.stdout, "grove show 4")
    return members, weights


def resumed(run_dir, members, weights):
    r = grove("run", "--resume", run_dir)
    check(r.returncode == 0, "the resume succeeds")
    check("ensemble: " not in r.stdout, "the resume does not build the ensemble again")
    # the hidden selection takes the ensemble as a finalist: its members
    # re-run on train + search holdout, blended, graded on the hidden rows
    sel = json.load(open(os.path.join(run_dir, "selection.json")))
    fin = {f["id"]: f for f in sel["finalists"]}
    check(4 in fin and isinstance(fin[4].get("hidden_score"), float),
          "the ensemble is a finalist with a hidden score: %s" % fin.get(4))
    # a member that is a finalist too is run once on that data and seed: the
    # ensemble blends that run's submission instead of running it again
    for m in members:
        again = "node %d's run on train + search holdout is used again, for ensemble 4" % m
        rerun = "re-running node %d on train + search holdout, for ensemble 4" % m
        if m in fin:
            check(again in r.stdout and rerun not in r.stdout,
                  "finalist %d's own run is blended, not run again: %s" % (m, r.stdout[-3000:]))
        else:
            check(rerun in r.stdout, "member %d, not a finalist, is re-run for the ensemble" % m)
        check(not os.path.exists(os.path.join(run_dir, "selection", str(m), "run0")),
              "member %d's kept workspace is removed once the finalists are graded" % m)
    pick = json.load(open(os.path.join(run_dir, "finished.json")))["final_node"]
    check(pick == sel["pick"] and "final submission (node %d)" % pick in r.stdout,
          "the final node is the selection's pick %s" % pick)
    check("final submission graded" in r.stdout, "the final submission is graded")
    if pick != 4:
        print("the hidden selection picked node %d over the ensemble; its blend is not checked"
              % pick)
        return
    nodes = journal(run_dir)
    check(sorted(nodes) == [0, 1, 2, 3, 4], "no node added on resume: %s" % sorted(nodes))
    subs = [pd.read_csv(os.path.join(run_dir, "final", "4", "member-%d" % m, "submission",
                                     "submission.csv")).set_index("id").sort_index()
            for m in members]
    want = sum(w * s["survived"] for w, s in zip(weights, subs)) / sum(weights)
    got = pd.read_csv(os.path.join(run_dir, "best", "submission.csv")).set_index("id").sort_index()
    check(list(got.index) == list(want.index), "the blend keeps the members' ids")
    check((got["survived"] - want).abs().max() < 1e-9, "best/submission.csv is the recipe's blend")
    check(os.path.exists(os.path.join(run_dir, "best", "recipe.json")), "best/recipe.json")
    for m in members:
        check(os.path.exists(os.path.join(run_dir, "best", "member-%d.py" % m)),
              "best/ holds member %d's script" % m)


def main():
    tmp = tempfile.mkdtemp(prefix="grove-ensemble-")
    try:
        data, runs = prepare(tmp)
        base = ["run", "grove-titanic", "--data-dir", data, "--out", runs,
                "--model", "builtin:baseline", "--workers", "2", "--seed", "3", "--steps", "4",
                "--set", "search.num_drafts=4"]
        run_dir = os.path.join(runs, "ens")
        members, weights = first_run(base, run_dir)
        resumed(run_dir, members, weights)
        r = grove(*base, "--name", "off",
                  "--ensemble", "false", "--set", "final_top_k=0")
        check(r.returncode in (0, 1) and "ensemble:" not in r.stdout, "--ensemble false: none")
        check(all(n["stage"] == "draft" for n in journal(os.path.join(runs, "off")).values()),
              "--ensemble false: only the drafts")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("e2e_ensemble: ok")


if __name__ == "__main__":
    main()

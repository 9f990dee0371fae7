#!/usr/bin/python3
"""e2e_select.py: the final selection on a hidden holdout (issue 16 item 1),
end to end on the bundled grove-titanic.

    e2e_select.py disjoint|search|resume|analysis|sigint|sandbox

  disjoint  builtin coder, --selection hidden (the default): the hidden
            rows, the search holdout and the search's train rows partition
            the training data; no hidden id is in the search's data (the
            script's input/), its answers, any node's submission; no hidden
            passenger's name (a distinctive string) is in the preview,
            llm.jsonl, any commit of the journal, or any file a script wrote
            (while visible names are, so the grep can fail); the grader read
            the hidden answers only after the search, for finalists only;
            selection.json's pick follows the rule (recomputed here) and is
            the final node; grove tree, show and report show both scores.
  search    --selection search (AIDE's rule): no hidden split, the pick is
            the best search score; then a training set too small for a
            third part falls back to search with the reason printed.
  resume    killed (SIGKILL) during the final selection, resumed: the
            finished finalist runs are kept (not redone), the rest are run,
            and the run ends with a complete selection.json.
  analysis  the selection analysis (--analysis-top-k 4, 2 workers) killed
            (SIGKILL) once one of its runs is kept (analysis/<id>.json), and
            in another run stopped there by SIGINT (exit 130): no
            analysis.json until it is whole; the resume re-runs the final,
            then in the analysis only the nodes not kept; analysis.json has
            every node, the kept ones' test scores as they were.
  sigint    finalists slow on train + search holdout only (mock LLM, 2
            workers): two of their runs go side by side, a SIGINT then
            stops both (exit 130, said, no script left, no run recorded as
            finished), and the resume does the selection and ends the run.
  sandbox   scripts (mock LLM) that try to open the hidden answers and the
            hidden rows' features by absolute and relative path: the sandbox
            hides both.

Standard library only; meson passes GROVE_BIN and GROVE_SRC.
"""
import csv
import glob
import json
import math
import os
import re
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import e2e_run as e2e  # noqa: E402

check = e2e.check


def builtin(env, name, *extra, steps=6):
    e = dict(os.environ)
    e.pop("OPENAI_API_KEY", None)
    e.pop("ANTHROPIC_API_KEY", None)
    args = [e2e.GROVE, "run", "grove-titanic", "--data-dir", env.data, "--out", env.runs,
            "--name", name, "--model", "builtin:baseline", "--steps", str(steps),
            "--workers", "2", "--seed", "1", "--exec-timeout", "120", "--time-limit", "20m",
            "--set", "search.num_drafts=3"] + list(extra)
    r = subprocess.run(args, capture_output=True, text=True, env=e, timeout=900)
    print(r.stdout[-3000:], r.stderr[-1500:])
    return r


def rows(path, col="id"):
    with open(path, newline="") as f:
        return [row for row in csv.DictReader(f)]


def ids(path):
    return set(r["id"] for r in rows(path))


def grove_out(*args):
    r = subprocess.run([e2e.GROVE] + list(args), capture_output=True, text=True)
    check(r.returncode == 0, "grove %s exits 0: %s" % (" ".join(args), r.stderr))
    return r.stdout


def better(a, b, lower):
    return a < b if lower else a > b


def check_pick(sel):
    """selection.json's pick follows the rule of search/select.c."""
    fs = sel["finalists"]
    lower = sel["lower_is_better"]
    scored = [f for f in fs if f.get("hidden_score") is not None]
    check(scored, "some finalist has a hidden score: %s" % fs)
    inc = scored[0]
    best = inc
    for f in scored:
        if better(f["hidden_score"], best["hidden_score"], lower):
            best = f
    margin = abs(best["hidden_score"] - inc["hidden_score"])
    want = best if best is not inc and margin > sel["noise"] else inc
    check(sel["pick"] == want["id"], "the pick %s follows the rule (%s): %s"
          % (sel["pick"], want["id"], sel))
    check(sel["search_pick"] == inc["id"], "the incumbent is the best search score")
    check(sel["reason"].startswith("node %d:" % sel["pick"]), "the reason names the pick")
    if sel["noise_from"] == "finalists":
        d = [f["hidden_score"] - f["search_score"] for f in scored]
        m = sum(d) / len(d)
        sd = math.sqrt(sum((x - m) ** 2 for x in d) / (len(d) - 1))
        check(abs(sd - sel["noise"]) < 1e-9, "noise = sd of hidden - search: %s" % sd)


def disjoint(env):
    r = builtin(env, "hidden")
    check(r.returncode == 0, "the run succeeds")
    run = os.path.join(env.runs, "hidden")
    full = os.path.join(env.data, "grove-titanic", "prepared", "public", "train.csv")
    full_rows = rows(full)
    hidden = ids(os.path.join(run, "select", "answers.csv"))
    hidden_feats = rows(os.path.join(run, "select", "public", "test.csv"))
    check(set(x["id"] for x in hidden_feats) == hidden, "select/ test = hidden answers' ids")
    check(len(hidden) >= 100, "a hidden holdout of %d rows" % len(hidden))
    pub = os.path.join(run, "holdout", "public")
    s_train, s_test = ids(os.path.join(pub, "train.csv")), ids(os.path.join(pub, "test.csv"))
    s_ans = ids(os.path.join(run, "holdout", "answers.csv"))
    check(s_test == s_ans, "search holdout features and answers match")
    check(not (hidden & s_train) and not (hidden & s_test) and not (s_train & s_test),
          "hidden, search holdout and search train are disjoint")
    check(hidden | s_train | s_test == set(x["id"] for x in full_rows),
          "the three parts cover the training data")
    check(not (hidden & ids(os.path.join(pub, "sample_submission.csv"))),
          "no hidden id in the search's sample submission")
    n = len(full_rows)
    check(abs(len(s_test) - 0.2 * n) <= 3 and abs(len(hidden) - 0.2 * n) <= 3,
          "search holdout %d and hidden %d rows are each 20%% of %d" % (len(s_test), len(hidden), n))
    # every file a script could see or write: input/ is the search split only
    for f in glob.glob(os.path.join(pub, "**"), recursive=True):
        if os.path.isfile(f) and f.endswith(".csv"):
            check(not (hidden & ids(f)) if "id" in open(f).readline() else True,
                  "no hidden id in %s" % f)

    # distinctive strings: the hidden passengers' names
    names = set(x["name"] for x in hidden_feats if len(x["name"]) > 12)
    visible = [x["name"] for x in full_rows if x["id"] in s_train and len(x["name"]) > 12]
    preview = grove_out("show", run, "task", "preview.md")
    check(any(v in preview for v in visible), "the preview shows visible rows (the grep works)")
    texts = {"preview": preview,
             "llm.jsonl": open(os.path.join(run, "llm.jsonl")).read(),
             "journal": e2e.git(run, "log", "--all", "-p", "--format=%H %s")}
    for dirpath, _, files in os.walk(os.path.join(run, "nodes")):
        for f in files:
            p = os.path.join(dirpath, f)
            if not os.path.islink(p):
                texts[p] = open(p, errors="replace").read()
    for where, text in texts.items():
        leaked = [x for x in names if x in text]
        check(not leaked, "no hidden row in %s: %s" % (where, leaked[:3]))
    for sub in glob.glob(os.path.join(run, "nodes", "*", "submission", "submission.csv")):
        check(not (hidden & ids(sub)), "no hidden id in %s" % sub)

    # the hidden answers were read after the search, for finalists only
    sel = json.load(open(os.path.join(run, "selection.json")))
    fin_ids = [f["id"] for f in sel["finalists"]]
    audit = [json.loads(l) for l in open(os.path.join(run, "audit.jsonl"))]
    reads = [i for i, l in enumerate(audit) if l.get("file", "").endswith("select/answers.csv")]
    check(len(reads) == len(fin_ids), "one hidden read per finalist: %s" % reads)
    last_search = max(i for i, l in enumerate(audit) if l["why"] == "holdout score")
    check(all(i > last_search for i in reads), "hidden reads come after the search")
    check(all(audit[i]["node"] in fin_ids for i in reads), "only finalists were graded on it")

    check(sel["rule"] == "hidden" and len(fin_ids) == 5, "5 finalists: %s" % fin_ids)
    for f in sel["finalists"]:
        check(f["search_score"] is not None and f["hidden_score"] is not None,
              "both scores of finalist %s" % f)
    check_pick(sel)
    fin = json.load(open(os.path.join(run, "finished.json")))
    check(fin["final_node"] == sel["pick"], "the final node is the pick")
    node = json.loads(e2e.git(run, "show", "node/%d:node.json" % sel["pick"]))
    if node["stage"] == "ensemble":  # a blend is a finalist like any node
        recipe = json.loads(e2e.git(run, "show", "node/%d:recipe.json" % sel["pick"]))
        best = json.load(open(os.path.join(run, "best", "recipe.json")))
        check(best["members"] == recipe["members"], "best/ holds the pick's recipe")
    else:
        code = e2e.git(run, "show", "node/%d:solution.py" % sel["pick"])
        check(open(os.path.join(run, "best", "solution.py")).read().strip() == code,
              "best/ holds the pick's script")

    tree = grove_out("tree", run)
    check("final pick, hidden" in tree and tree.count("finalist, hidden") == 4,
          "grove tree marks the finalists:\n" + tree)
    check("final selection: node %d:" % sel["pick"] in tree, "grove tree gives the reason")
    shown = grove_out("show", run, str(sel["pick"]))
    check("==> final selection <==" in shown and "hidden holdout" in shown and
          "the final pick" in shown, "grove show prints the finalist's scores")
    rep = json.loads(grove_out("report", run, "--json"))
    rsel = rep["competition_reports"][0]["selection"]
    check(rsel["pick"] == sel["pick"], "grove report --json carries the selection")
    text = grove_out("report", run)
    check("final selection (the top by search score, graded on the hidden holdout)" in text
          and "<- pick" in text, "grove report prints the selection")


def search(env):
    r = builtin(env, "search", "--selection", "search")
    check(r.returncode == 0, "the run succeeds")
    run = os.path.join(env.runs, "search")
    check(not os.path.exists(os.path.join(run, "select")), "no hidden split")
    check("final selection: re-running" not in r.stdout, "no finalist re-runs")
    sel = json.load(open(os.path.join(run, "selection.json")))
    best = int(e2e.git(run, "show", "best:node.json").split('"id":')[1].split(",")[0])
    check(sel["rule"] == "search" and sel["pick"] == best, "AIDE's pick, node %d: %s"
          % (best, sel))
    check(json.load(open(os.path.join(run, "finished.json")))["final_node"] == best,
          "the final node is the best search score")
    n = len(rows(os.path.join(env.data, "grove-titanic", "prepared", "public", "train.csv")))
    check(abs(len(ids(os.path.join(run, "holdout", "answers.csv"))) - 0.2 * n) <= 3,
          "the search holdout is 20% of the training data, as before")

    r = builtin(env, "small", "--set", "selection_fraction=0.05", steps=2)
    check(r.returncode == 0, "the small run succeeds")
    check("final selection by search score: the training data is too small" in r.stdout,
          "the fallback is printed")
    sel = json.load(open(os.path.join(env.runs, "small", "selection.json")))
    check(sel["rule"] == "search" and "too small" in sel["reason"], "and recorded: %s" % sel)
    check(not os.path.exists(os.path.join(env.runs, "small", "select")), "no hidden split left")


def start(env, name, steps, seed, *extra):
    """A builtin-coder run of grove-titanic in the background (2 workers, no
    key in its environment); the process and that environment."""
    e = dict(os.environ)
    e.pop("OPENAI_API_KEY", None)
    args = [e2e.GROVE, "run", "grove-titanic", "--data-dir", env.data, "--out", env.runs,
            "--name", name, "--model", "builtin:baseline", "--steps", str(steps), "--workers",
            "2", "--seed", str(seed), "--time-limit", "20m"] + list(extra)
    p = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=e)
    return p, e


def resume(env):
    run = os.path.join(env.runs, "resumed")
    p, e = start(env, "resumed", 4, 2, "--selection-k", "3", "--selection-seeds", "2",
                 "--set", "search.num_drafts=3")
    done = lambda: glob.glob(os.path.join(run, "selection", "*", "run*.json"))
    ok = e2e.wait_for(lambda: len(done()) >= 2, 600)
    os.kill(p.pid, signal.SIGKILL)
    p.wait()
    check(ok, "two finalist runs finished before the kill")
    check(not os.path.exists(os.path.join(run, "finished.json")), "killed before the end")
    kept = {f: (os.path.getmtime(f), open(f).read()) for f in done()}
    time.sleep(1.1)
    r = subprocess.run([e2e.GROVE, "run", "--resume", run], capture_output=True, text=True,
                       env=e, timeout=900)
    print(r.stdout[-3000:], r.stderr[-1500:])
    check(r.returncode == 0, "the resume succeeds")
    sel = json.load(open(os.path.join(run, "selection.json")))
    n_fin = len(sel["finalists"])
    # one line per finalist run; an ensemble's members say whose they are
    reruns = len([l for l in r.stdout.splitlines()
                  if l.startswith("grove: re-running node") and "on train + search holdout" in l
                  and "for ensemble" not in l])
    check(reruns == 2 * n_fin - len(kept), "%d finalist runs redone, %d kept of %d"
          % (reruns, len(kept), 2 * n_fin))
    # each run is kept as it ends, not once all side by side have: the kill
    # (two kept) fell while others still ran, and only those are redone
    scripts = [l for l in r.stdout.splitlines()
               if re.match(r"grove: re-running node \d+ on train \+ search holdout", l)
               and "for ensemble" not in l]
    check(scripts, "runs that had not ended at the kill are redone: %s" % r.stdout[-2000:])
    for f, (mtime, text) in kept.items():
        check(os.path.getmtime(f) == mtime and open(f).read() == text, "%s kept as it was" % f)
    for f in sel["finalists"]:
        check(len(f["hidden_runs"]) == 2, "two runs of finalist %s" % f)
        check(f["hidden_sd"] is not None, "their spread is recorded")
    check(sel["noise_from"] == "seeds", "the noise comes from the seeds: %s" % sel)
    check_pick(sel)
    fin = json.load(open(os.path.join(run, "finished.json")))
    check(fin["final_node"] == sel["pick"] and fin["exit_code"] == 0, "the run finished")
    e2e.check_consistent(run)


def stopped_analysis(env, name, sig):
    """A run stopped by sig once its analysis kept a re-run; resumed."""
    run = os.path.join(env.runs, name)
    p, e = start(env, name, 5, 4, "--selection", "search", "--analysis-top-k", "4",
                 "--ensemble", "false", "--set", "search.num_drafts=5")
    kept = lambda: glob.glob(os.path.join(run, "analysis", "*.json"))
    e2e.wait_for(lambda: kept() or p.poll() is not None, 600)
    ok = bool(kept())
    if p.poll() is None:
        os.kill(p.pid, sig)
    rc = p.wait()
    check(ok, "%s: an analysis run was kept (analysis/<id>.json) before the signal" % name)
    if sig == signal.SIGINT:
        check(rc == 130, "%s: a SIGINT during the analysis exits 130, not %s" % (name, rc))
    check(not os.path.exists(os.path.join(run, "analysis.json")),
          "%s: no analysis.json from an analysis cut short" % name)
    before = {int(os.path.basename(f)[:-5]): json.load(open(f)) for f in kept()}
    r = subprocess.run([e2e.GROVE, "run", "--resume", run], capture_output=True, text=True,
                       env=e, timeout=900)
    print(r.stdout[-3000:], r.stderr[-1500:])
    check(r.returncode == 0, "%s: the resume succeeds" % name)
    after = r.stdout.split("grove: selection analysis: ", 1)
    check(len(after) == 2, "%s: the resume does the analysis" % name)
    redone = set(int(x) for x in re.findall(r"grove: re-running node (\d+) on the full training",
                                            after[1]))
    check(not (redone & set(before)),
          "%s: only the nodes not kept are re-run: %s redone, %s kept" % (name, redone,
                                                                            set(before)))
    an = json.load(open(os.path.join(run, "analysis.json")))
    check(len(an["nodes"]) == 4, "%s: every node in analysis.json: %s" % (name, an["nodes"]))
    for n in an["nodes"]:
        check(n.get("test_score") is not None, "%s: node %d has a test score: %s"
              % (name, n["id"], n))
        if n["id"] in before:
            check(n["test_score"] == before[n["id"]]["score"],
                  "%s: node %d's kept test score: %s" % (name, n["id"], n))
    fin = json.load(open(os.path.join(run, "finished.json")))
    check(fin["exit_code"] == 0, "%s: the resumed run finished: %s" % (name, fin))
    e2e.check_consistent(run)


def analysis(env):
    stopped_analysis(env, "killed", signal.SIGKILL)
    stopped_analysis(env, "interrupted", signal.SIGINT)


def workspaces(sel_dir):
    """The finalist runs' folders (selection/<id>/run<s>) some process works in."""
    busy = set()
    for pid in e2e.leftover_processes(sel_dir):
        try:
            rel = os.path.relpath(os.readlink("/proc/%s/cwd" % pid), sel_dir).split(os.sep)
        except OSError:
            continue
        if len(rel) >= 2:
            busy.add("/".join(rel[:2]))
    return busy


def sigint(env):
    # search train ~534 rows, train + search holdout ~712: slow in the selection
    slow = "import os, time\nif len(train) > 600: time.sleep(5)\n"
    env.start_mock({"replies": [e2e.reply("Draft %d." % i, 1 + i, 0.5 * (i + 1)).replace(
        "import os\n", slow) for i in range(3)]})
    run = os.path.join(env.runs, "stopped")
    p = subprocess.Popen(env.grove_args("stopped", 3, 2, ["--selection-k", "3"]),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env.env(),
                         text=True)
    sel_dir = os.path.join(run, "selection")
    out, side_by_side = [], 0
    for line in p.stdout:
        out.append(line)
        if line.startswith("grove: re-running node") and "train + search holdout" in line:
            if sum(1 for l in out if l.startswith("grove: re-running node")) < 2:
                continue
            e2e.wait_for(lambda: len(workspaces(sel_dir)) >= 2, 30)
            side_by_side = len(workspaces(sel_dir))
            os.kill(p.pid, signal.SIGINT)
            break
    rest, err = p.communicate(timeout=120)
    text = "".join(out) + rest
    print(text[-2500:], err[-1500:])
    check(side_by_side >= 2, "two finalists' scripts ran side by side (%d workspaces busy in %s)"
          % (side_by_side, sel_dir))
    check(p.returncode == 130, "exit 130 after SIGINT in the selection: %s" % p.returncode)
    check("interrupted" in text, "it says it was interrupted")
    check(not e2e.leftover_processes(run), "no script left running")
    check(not glob.glob(os.path.join(sel_dir, "*", "run*.json")),
          "no finalist run recorded as finished: %s" % glob.glob(os.path.join(sel_dir, "*", "*")))
    check(not os.path.exists(os.path.join(run, "selection.json")), "no pick made")
    r = subprocess.run([e2e.GROVE, "run", "--resume", run], capture_output=True, text=True,
                       env=env.env(), timeout=600)
    print(r.stdout[-2500:], r.stderr[-1500:])
    check(r.returncode == 0, "the resume succeeds")
    sel = json.load(open(os.path.join(run, "selection.json")))
    check(len(sel["finalists"]) == 3 and all(f["hidden_score"] is not None
                                             for f in sel["finalists"]),
          "every finalist graded on the hidden holdout: %s" % sel["finalists"])
    check_pick(sel)
    e2e.check_consistent(run)


def sandbox(env):
    run = os.path.join(env.runs, "snoop")
    sel = os.path.join(run, "select")
    code = e2e.snooping_script([os.path.join(sel, "answers.csv"),
                                os.path.join(sel, "public", "test.csv"),
                                "../../select/answers.csv", "../../select/public/test.csv",
                                "../../../select/answers.csv"])
    env.start_mock({"replies": ["Look around.\n\n```python\n# node %d\n%s```\n" % (i, code)
                                for i in range(2)], "replies_cycle": True})
    r = env.run(env.grove_args("snoop", 2, 1), timeout=600)
    print(r.stdout[-2000:], r.stderr[-1500:])
    check(r.returncode == 0, "grove run exits 0")
    check(os.path.exists(os.path.join(sel, "answers.csv")), "the run has a hidden holdout")
    for nid in range(2):
        out = e2e.git(run, "show", "node/%d:output.txt" % nid)
        check("LEAK" not in out and out.count("hidden ") == 5,
              "the hidden holdout is hidden from node %d:\n%s" % (nid, out))


def main():
    scenario = sys.argv[1]
    env = e2e.Env(outside_tmp=scenario == "sandbox")
    try:
        {"disjoint": disjoint, "search": search, "resume": resume, "analysis": analysis,
         "sigint": sigint, "sandbox": sandbox}[scenario](env)
    finally:
        env.close()
    print("e2e select %s: ok" % scenario)


if __name__ == "__main__":
    main()

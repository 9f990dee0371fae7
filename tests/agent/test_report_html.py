#!/usr/bin/python3
"""test_report_html.py: grove's HTML report, opened in real headless Chromium.

    test_report_html.py finished|killed|hostile|bench

  finished  a real run (builtin coder, grove-titanic, 6 nodes, 2 workers):
            the page it kept in its folder and `grove report RUN --html`
            both draw every node with its score and the best node, say the
            run finished and why, show a selected node's code, diff and git
            line; no JavaScript error; a screenshot kept as an artefact.
  killed    a run reported while it runs (state "running"), then SIGKILLed
            mid-way and reported again: "killed", every committed node drawn.
  hostile   a synthetic run (perf/report/gen_run.py --hostile) whose plan and
            code hold '</script>' and '<!--' and whose output holds invalid
            UTF-8: the page's JSON stays valid UTF-8, the text shows as text,
            no script runs but the page's own.
  bench     a folder of two run folders: the bench page links each run's
            own page, written beside it, and those pages draw; an empty
            folder is refused with a clear message.

Every page is also checked to reference nothing outside itself. Screenshots
go to BUILD/test-artefacts/report-SCENARIO.png.
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
import browser  # noqa: E402

GROVE = os.environ["GROVE_BIN"]
SRC = os.environ["GROVE_SRC"]
ARTEFACTS = os.path.join(os.path.dirname(os.path.dirname(GROVE)), "test-artefacts")


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def check(cond, msg):
    if not cond:
        fail(msg)


def git(run_dir, *args):
    r = subprocess.run(["git", "-C", run_dir] + list(args), capture_output=True)
    check(r.returncode == 0, "git %s: %s" % (" ".join(args), r.stderr))
    return r.stdout.decode("utf-8", "replace")


def committed_nodes(run_dir):
    out = git(run_dir, "for-each-ref", "--format=%(refname:short)", "refs/heads/node/")
    ids = sorted(int(l.split("/")[-1]) for l in out.split())
    return {i: json.loads(git(run_dir, "show", "node/%d:node.json" % i)) for i in ids}


def check_self_contained(page):
    raw = open(page, "rb").read()
    text = raw.decode("utf-8")  # raises on invalid UTF-8
    m = re.search(r'<script type="application/json" id="grove-data">(.*?)</script>', text, re.S)
    check(m, "the page holds its data blob")
    data = json.loads(m.group(1))
    rest = text[:m.start()] + text[m.end():]
    check(text.count("<script") == 2 and text.lower().count("</script") == 2,
          "exactly the page's two script elements (the data cannot close one early)")
    for bad in ("src=", "url(", "@import", "http:", "https:", "<link", "//fonts"):
        check(bad not in rest, "the page outside its data references nothing (found %r)" % bad)
    return data


def report(run_dir, name):
    out = os.path.join(ARTEFACTS, "report-%s.html" % name)
    os.makedirs(ARTEFACTS, exist_ok=True)
    r = subprocess.run([GROVE, "report", run_dir, "--html", "-o", out], capture_output=True,
                       text=True)
    check(r.returncode == 0, "grove report --html: %s %s" % (r.stdout, r.stderr))
    return out


def check_page(page, run_dir, state, shot=None, stale=False):
    """The DOM after the scripts ran: every committed node with its score,
    the best node, the state; then the selection of each kind of node.
    stale: the page a run keeps itself, refreshed every few seconds at most,
    so a node committed since its last refresh may be missing or still in
    flight there, and the best node may have changed since."""
    check_self_contained(page)
    nodes = committed_nodes(run_dir)
    check(nodes, "the run has committed nodes")
    out, console, _ = browser.dump_dom("file://" + page)
    check(not console, "no JavaScript error or console message: %s" % console[:3])
    dom = browser.Dom(out)
    check(any(t == "body" and a.get("data-ready") == "1" for t, a in dom.tags),
          "the page's script ran to its end")
    for tag, a in dom.tags:
        check("src" not in a or tag == "script" and not a["src"], "no element loads a source: %s" % tag)
        check(not re.match(r"^[a-z]+:|^//", a.get("href", "")), "links stay local: %s" % a.get("href"))
    check(dom.text("run-state") == state, "state %r, want %r" % (dom.text("run-state"), state))
    if stale:  # only the nodes it shows finished
        nodes = {nid: nj for nid, nj in nodes.items()
                 if dom.by_id.get("n-%d" % nid) and
                 (dom.by_id["n-%d" % nid]["attrs"].get("data-score") or
                  "buggy" in dom.by_id["n-%d" % nid]["attrs"].get("class", ""))}
        check(nodes, "the kept page shows finished nodes")
    for nid, nj in nodes.items():
        g = dom.by_id.get("n-%d" % nid)
        check(g is not None, "node %d is drawn in the tree" % nid)
        label = "".join(g["text"])
        if nj["is_buggy"]:
            check("buggy" in label and "buggy" in g["attrs"]["class"], "node %d drawn buggy" % nid)
        elif nj["score"] is not None:
            check(abs(float(g["attrs"]["data-score"]) - nj["score"]) < 1e-9,
                  "node %d's score %s drawn as %s" % (nid, nj["score"], g["attrs"]["data-score"]))
            check(("%.4f" % nj["score"]) in label, "node %d labelled %r" % (nid, label))
        check(label.startswith("%d " % nid), "node %d labelled with its id: %r" % (nid, label))
        check(dom.by_id.get("row-%d" % nid), "node %d has a row in the table" % nid)
    best = json.loads(git(run_dir, "show", "best:node.json"))["id"]
    if not stale:
        check("best node: %d," % best in dom.text("best-node"),
              "best node %d: %r" % (best, dom.text("best-node")))
        check("best" in dom.by_id["n-%d" % best]["attrs"]["class"],
              "the best node is drawn as best")
    # select a child (diff against its parent) and a draft (its code) by the URL
    child = next((i for i, n in nodes.items() if n["parent"] is not None), None)
    draft = next(i for i, n in nodes.items() if n["parent"] is None)
    for nid in filter(lambda x: x is not None, (child, draft)):
        out, console, _ = browser.dump_dom("file://%s#node-%d" % (page, nid))
        check(not console, "no JavaScript error selecting node %d: %s" % (nid, console[:3]))
        d = browser.Dom(out)
        check(d.text("node-title").startswith("node %d " % nid), "node %d selected: %r" % (nid, d.text("node-title")))
        want_git = "git -C %s show node/%d:solution.py" % (os.path.realpath(run_dir), nid)
        check(d.attr("node-git", "value") == want_git, "git line %r" % d.attr("node-git", "value"))
        code = subprocess.run(want_git.split(), capture_output=True, text=True).stdout
        shown = d.text("node-code")
        if nid == draft:
            check(shown.rstrip("\n") == code.rstrip("\n"), "a draft shows its whole code")
        else:
            check(shown.startswith("@@") or "same code" in shown, "a child shows its diff: %r" % shown[:80])
        check(d.text("node-plan").strip() == git(run_dir, "show", "node/%d:plan.md" % nid).strip(),
              "node %d's plan shown" % nid)
    # an ensemble node: drawn in its colour, its recipe and members instead of code
    for nid in [i for i, n in nodes.items() if n["stage"] == "ensemble"]:
        check("ensemble" in dom.by_id["n-%d" % nid]["attrs"]["class"], "ensemble %d drawn" % nid)
        out, console, _ = browser.dump_dom("file://%s#node-%d" % (page, nid))
        check(not console, "no JavaScript error selecting ensemble %d: %s" % (nid, console[:3]))
        d = browser.Dom(out)
        check(d.attr("node-git", "value").endswith("show node/%d:recipe.json" % nid),
              "the ensemble's git line shows its recipe: %r" % d.attr("node-git", "value"))
        check(d.by_id.get("node-code") is None, "an ensemble shows no code")
        for m in nodes[nid]["members"]:
            check("node %d" % m in out, "the ensemble's member %d is listed" % m)
    if shot:
        png = os.path.join(ARTEFACTS, "report-%s.png" % shot)
        console = browser.screenshot("file://%s#node-%d" % (page, child if child is not None else draft), png)
        check(not console, "no JavaScript error in the screenshot's page")
        check(os.path.getsize(png) > 10000 and open(png, "rb").read(4) == b"\x89PNG",
              "a screenshot was written to %s" % png)
        print("screenshot:", png)
    return dom


class Run:
    def __init__(self):
        self.tmp = tempfile.mkdtemp(prefix="grove-report-")
        self.data = os.path.join(self.tmp, "data")
        r = subprocess.run([GROVE, "prepare", "grove-titanic", "--data-dir", self.data],
                           capture_output=True, text=True)
        check(r.returncode == 0, "grove prepare: %s" % r.stderr)

    def args(self, name, steps):
        return [GROVE, "run", "grove-titanic", "--data-dir", self.data, "--out",
                os.path.join(self.tmp, "runs"), "--name", name, "--model", "builtin:baseline",
                "--steps", str(steps), "--workers", "2", "--seed", "2", "--time-limit", "10m",
                "--selection-k", "3"]

    def close(self):
        shutil.rmtree(self.tmp, ignore_errors=True)


def finished():
    env = Run()
    try:
        r = subprocess.run(env.args("done", 6), capture_output=True, text=True, timeout=600)
        print(r.stdout[-1500:], r.stderr[-1500:])
        check(r.returncode == 0, "grove run exits 0")
        run_dir = os.path.join(env.tmp, "runs", "done")
        own = os.path.join(run_dir, "report.html")
        check("report: %s" % own in r.stdout, "the run says where its page is")
        status = json.load(open(os.path.join(run_dir, "status.json")))
        check(status["state"] == "finished", "status.json says finished")
        dom = check_page(own, run_dir, "finished")
        check("the step budget was used" in dom.text("stop-reason"), "the page says why it stopped")
        dom = check_page(report(run_dir, "finished"), run_dir, "finished", shot="finished")
        check("test score of the final submission" in dom.text("totals"), "the final grade is shown")
        # the final selection: the pick's reason, each finalist's hidden score
        sel = json.load(open(os.path.join(run_dir, "selection.json")))
        check(dom.text("selection-reason") == sel["reason"], "the page gives the pick's reason")
        table = dom.text("finalists") or ""
        for f in sel["finalists"]:
            check(("%.5f" % f["hidden_score"]) in table,
                  "finalist %d's hidden score is shown: %r" % (f["id"], table))
        page = report(run_dir, "finished")
        out, console, _ = browser.dump_dom("file://%s#node-%d" % (page, sel["pick"]))
        check(not console, "no JavaScript error: %s" % console[:3])
        shown = browser.Dom(out).text("node") or ""
        pick = [f for f in sel["finalists"] if f["id"] == sel["pick"]][0]
        check("hidden holdout (final selection)" + "%.5f" % pick["hidden_score"] in shown and
              "why it was picked" + sel["reason"] in shown,
              "the pick's node detail shows its hidden score and why: %r" % shown[:800])
    finally:
        env.close()


def killed():
    env = Run()
    try:
        run_dir = os.path.join(env.tmp, "runs", "killed")
        p = subprocess.Popen(env.args("killed", 40), stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
        deadline = time.time() + 400
        while time.time() < deadline:
            r = subprocess.run(["git", "-C", run_dir, "for-each-ref", "refs/heads/node/"],
                               capture_output=True, text=True)
            if r.returncode == 0 and len(r.stdout.split("\n")) > 3:
                break
            time.sleep(0.5)
        check(p.poll() is None, "the run is still going after 3 nodes")
        check_page(report(run_dir, "running"), run_dir, "running")
        os.kill(p.pid, signal.SIGKILL)
        p.wait()
        dom = check_page(report(run_dir, "killed"), run_dir, "killed", shot="killed")
        check("grove run --resume" in dom.text("stop-reason") or
              "said running" in dom.text("stop-reason"), "the page says the run was killed")
        # the page the run itself kept is still a working page
        check_page(os.path.join(run_dir, "report.html"), run_dir, "running", stale=True)
    finally:
        env.close()


def hostile():
    tmp = tempfile.mkdtemp(prefix="grove-report-")
    try:
        run_dir = os.path.join(tmp, "hostile")
        subprocess.run(["/usr/bin/python3", os.path.join(SRC, "perf/report/gen_run.py"), run_dir,
                        "--nodes", "12", "--drafts", "3", "--hostile"], check=True)
        page = report(run_dir, "hostile")
        data = check_self_contained(page)
        check(len(data["nodes"]) == 12, "12 nodes in the data")
        dom = check_page(page, run_dir, "stopped")
        out, console, _ = browser.dump_dom("file://%s#node-1" % page)
        check(not console, "no JavaScript error: %s" % console[:3])
        d = browser.Dom(out)
        check("</script><script>document.title='pwned'</script>" in d.text("node-plan"),
              "the plan's markup is shown as text")
        check("pwned" not in (d.text("title") or ""), "no script of the data ran")
        check("bad bytes: \ufffd\ufffd \ufffd cut" in d.text("node-output"),
              "invalid UTF-8 shown as U+FFFD: %r" % d.text("node-output")[:40])
        check("# </script> <!-- <script>" in d.text("node-code"), "the code's markup shown as text")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def bench():
    tmp = tempfile.mkdtemp(prefix="grove-report-")
    try:
        bench_dir = os.path.join(tmp, "bench")
        for name, seed in (("a", 1), ("b", 2)):
            subprocess.run(["/usr/bin/python3", os.path.join(SRC, "perf/report/gen_run.py"),
                            os.path.join(bench_dir, "runs", name), "--nodes", "15", "--drafts", "3",
                            "--seed", str(seed)], check=True)
        # run a carries a selection analysis and finished.json as grove bench's runs do
        run_a = os.path.join(bench_dir, "runs", "a")
        best = json.loads(git(run_a, "show", "best:node.json"))["id"]
        analysis = {"k": 2, "metric": "auc", "lower_is_better": False, "final_node": best,
                    "final_score": 0.85, "oracle_node": 0, "oracle_score": 0.875, "regret": 0.025,
                    "regret_normalised": 0.1, "nodes": [
                        {"id": best, "rank": 1, "search_score": 0.9, "test_score": 0.85},
                        {"id": 0, "rank": 2, "search_score": 0.8, "test_score": 0.875}]}
        json.dump(analysis, open(os.path.join(run_a, "analysis.json"), "w"))
        json.dump({"exit_code": 0, "stop_reason": "the step budget was used"},
                  open(os.path.join(run_a, "finished.json"), "w"))
        page = os.path.join(bench_dir, "report.html")
        r = subprocess.run([GROVE, "report", bench_dir, "--html", "-o", page], capture_output=True,
                           text=True)
        check(r.returncode == 0, "grove report BENCH --html: %s" % r.stderr)
        check_self_contained(page)
        out, console, _ = browser.dump_dom("file://" + page)
        check(not console, "no JavaScript error: %s" % console[:3])
        dom = browser.Dom(out)
        links = [a["href"] for t, a in dom.tags if t == "a"]
        check(links == ["runs/a/report.html", "runs/b/report.html"], "each run linked: %s" % links)
        row = "".join(dom.by_id["bench-runs"]["text"])
        check("oracle 0.87500, regret 0.02500" in row, "run a's selection in the bench table")
        d = check_page(os.path.join(run_a, "report.html"), run_a, "finished")
        check(d.text("regret") == "0.02500", "run a's page shows the regret")
        check("the step budget was used" in d.text("stop-reason"), "finished.json's stop reason")
        check("0.87500 oracle" in "".join(d.by_id["n-0"]["text"]) or "finalist" in
              d.by_id["n-0"]["attrs"]["class"], "node 0 is drawn as a finalist")
        run_b = os.path.join(bench_dir, "runs", "b")
        check_page(os.path.join(run_b, "report.html"), run_b, "stopped")
        empty = os.path.join(tmp, "empty")
        os.makedirs(empty)
        r = subprocess.run([GROVE, "report", empty, "--html", "-o", page], capture_output=True,
                           text=True)
        check(r.returncode == 1 and "neither a run folder" in r.stderr, "an empty folder: %s" % r.stderr)
        # run folders outside BENCH/runs/ are not a bench's: nothing is written into them
        r = subprocess.run([GROVE, "report", os.path.join(bench_dir, "runs", ".."), "--html", "-o",
                            os.path.join(tmp, "p.html")], capture_output=True, text=True)
        check(r.returncode == 0, "BENCH/runs/.. is the bench")
        r = subprocess.run([GROVE, "report", tmp, "--html", "-o", os.path.join(tmp, "q.html")],
                           capture_output=True, text=True)
        check(r.returncode == 1, "a folder holding a bench is not a bench: %s" % r.stderr)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    {"finished": finished, "killed": killed, "hostile": hostile, "bench": bench}[sys.argv[1]]()
    print("ok")

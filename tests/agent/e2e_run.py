#!/usr/bin/python3
"""e2e_run.py: grove run end to end against the mock LLM server.

    e2e_run.py scripted|sigkill|sigkill-early|sigint|selfreport

Each scenario prepares the bundled competition grove-titanic into a temporary
data folder, starts tests/llm/mock_llm.py on 127.0.0.1 with a scripted list
of replies (real Python scripts that train on ./input and write a
submission), runs the real grove binary against it (provider openai), and
checks the run with plain git and grove's own commands:

  scripted    about 12 nodes (drafts, a buggy draft that gets debugged,
              improvements): tree shape, one commit per node plus task,
              parents, best ref, scores, final submission graded, and that
              the API key appears nowhere in the run folder.
  sigkill     a run SIGKILLed mid-way and resumed: every node committed
              before the kill is still there (same commit), the run reaches
              its step budget, and git fsck is clean.
  sigkill-early  nine SIGKILLs from the first 10 ms on (while the folder,
              config and repository are being made), each resumed or started
              again, then a resume to the end: nothing committed is lost.
  timelimit   --time-limit with no step limit (builtin coder): the search
              stops in time for the final re-run to finish within the limit.
  sigint      one SIGINT: running nodes finish, the run ends with a valid,
              consistent journal.
  selfreport  scoring by the review model (function calling), with a 400
              "tools not supported" fallback to JSON in text.
  hidden      a script that goes looking for the answers (the competition's
              private/ folder and grove's holdout answers, by absolute and by
              relative path) finds nothing, and grove's environment shows no key.
  trainleak   a script that looks its holdout rows up in the competition's
              full public train.csv (still labelled there) finds no such file;
              the final re-run still reads public/ as its input/.
  badbytes    hostile output bytes and an exception message cut inside a
              character: node.json, journal.json and the commit stay UTF-8.
  endpoint    a 401 and a 404 model_not_found stop the run at once with the
              server's message in full, no node recorded; a resume makes
              every step.
  refused     nothing listens at --base-url: retried, then "unreachable".
  garbage     200s that are not completions are retried; no node lost.
  hang        a server that never answers: "waiting on the model" lines, the
              request's limit ends it, no node recorded or left running.
  duplicate   a script identical to an earlier node's is asked again, then
              recorded as a duplicate without running.
  replay      a recorded run replays offline to the same tree.
  latin1      a Latin-1 train.csv against a mock that refuses bodies that are
              not UTF-8: requests, replies, files and commits stay UTF-8; the
              progress line, grade.json, git status and subjects at the end.
  userargs    --name, train.csv and --resume mistakes refused with exit 2
              before anything is written; a resume with nothing to do.
  finalstop   the final re-run capped by the time limit and stopped by
              SIGINT (then resumed), in a folder needing shell quotes.
  mlebench    a competition in MLE-bench's prepared layout whose registry entry
              does not describe its training data (spooky-author-identification,
              synthetic rows): grove infers the label, splits, grades every node
              with the multi-class log loss, and grades the final submission
              against private/test.csv; the builtin coder writes the scripts.

Standard library only; run with /usr/bin/python3 (meson passes GROVE_BIN,
GROVE_SRC).
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

GROVE = os.environ["GROVE_BIN"]
SRC = os.environ["GROVE_SRC"]
KEY = "sk-e2e-test-9f8e7d6c5b4a39281706"

# A real candidate script: logistic regression on the numeric columns, C and
# the number of features vary so nodes get different holdout scores.
SCRIPT = '''import pandas as pd, numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_score
train = pd.read_csv("./input/train.csv")
test = pd.read_csv("./input/test.csv")
sample = pd.read_csv("./input/sample_submission.csv")
idc, target = sample.columns[0], sample.columns[1]
y = train[target]
num = [c for c in train.columns if c not in (idc, target) and train[c].dtype != object
       and c in test.columns][:{nfeat}]
X = train[num].fillna(train[num].median())
Xt = test[num].fillna(train[num].median())
model = LogisticRegression(C={c}, max_iter=500)
{bug}
print("Validation score:", cross_val_score(model, X, y, cv=3, scoring="roc_auc").mean())
model.fit(X, y)
sub = pd.DataFrame({{idc: test[idc], target: model.predict_proba(Xt)[:, 1]}})
import os
os.makedirs("./submission", exist_ok=True)
sub.to_csv("./submission/submission.csv", index=False)
'''


def reply(plan, nfeat=2, c=1.0, bug=""):
    code = SCRIPT.format(nfeat=nfeat, c=c, bug=bug)
    return "%s\n\n```python\n%s```\n" % (plan, code)


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def check(cond, msg):
    if not cond:
        fail(msg)


class Env:
    def __init__(self, outside_tmp=False):
        # The sandbox gives scripts a private /tmp, which hides whatever a
        # test keeps there: scenarios about what scripts can reach keep their
        # data and runs in the build folder instead, like a user's would be.
        base = os.path.dirname(os.path.dirname(GROVE)) if outside_tmp else None
        self.tmp = tempfile.mkdtemp(prefix="grove-e2e-", dir=base)
        self.data = os.path.join(self.tmp, "data")
        self.runs = os.path.join(self.tmp, "runs")
        self.mock = None
        r = subprocess.run([GROVE, "prepare", "grove-titanic", "--data-dir", self.data],
                           capture_output=True, text=True)
        if r.returncode != 0:
            print(r.stdout, r.stderr)
            if "not installed" in r.stderr or "apt-get" in r.stderr:
                print("SKIP: grove-titanic's source package is missing")
                sys.exit(77)
            fail("grove prepare grove-titanic failed")

    def start_mock(self, script):
        path = os.path.join(self.tmp, "script.json")
        with open(path, "w") as f:
            json.dump(script, f)
        self.record = os.path.join(self.tmp, "requests.jsonl")
        self.mock = subprocess.Popen(
            ["/usr/bin/python3", os.path.join(SRC, "tests/llm/mock_llm.py"),
             "--script", path, "--record", self.record],
            stdout=subprocess.PIPE, text=True)
        self.port = int(self.mock.stdout.readline().strip())

    def grove_args(self, name, steps, workers, extra=()):
        return [GROVE, "run", "grove-titanic", "--data-dir", self.data, "--out", self.runs,
                "--name", name, "--model", "openai:e2e-model",
                "--base-url", "http://127.0.0.1:%d/v1" % self.port,
                "--steps", str(steps), "--workers", str(workers), "--seed", "3",
                "--exec-timeout", "120", "--time-limit", "15m",
                "--set", "search.num_drafts=3",
                # these scenarios count nodes and name the final one; the
                # ensemble operator has its own test (e2e_ensemble.py)
                "--ensemble", "false",
                # the hidden selection runs as by default, with 2 finalists
                # instead of 5 (e2e_select.py tests it with 5): 3 re-runs
                # fewer in each of these scenarios
                "--selection-k", "2"] + list(extra)

    def env(self):
        e = dict(os.environ)
        e["OPENAI_API_KEY"] = KEY
        return e

    def run(self, args, **kw):
        return subprocess.run(args, capture_output=True, text=True, env=self.env(), **kw)

    def close_mock(self):
        if self.mock:
            self.mock.terminate()
            self.mock.wait()
            self.mock = None

    def close(self):
        if self.mock:
            self.mock.terminate()
            self.mock.wait()
        shutil.rmtree(self.tmp, ignore_errors=True)


def git(run_dir, *args):
    r = subprocess.run(["git", "-C", run_dir] + list(args), capture_output=True, text=True)
    if r.returncode != 0:
        fail("git %s: %s" % (" ".join(args), r.stderr))
    return r.stdout.strip()


def node_refs(run_dir, polling=False):
    """node id -> commit. polling: the run may still be creating its
    repository (.git exists before git can read it), which reads as none."""
    args = ["for-each-ref", "--format=%(refname:short) %(objectname)", "refs/heads/node/"]
    if polling:
        r = subprocess.run(["git", "-C", run_dir] + args, capture_output=True, text=True)
        out = r.stdout.strip() if r.returncode == 0 else ""
    else:
        out = git(run_dir, *args)
    refs = {}
    for line in out.splitlines():
        name, oid = line.split()
        refs[int(name.split("/")[-1])] = oid
    return refs


def node_json(run_dir, nid):
    return json.loads(git(run_dir, "show", "node/%d:node.json" % nid))


def check_consistent(run_dir, killed=False):
    """Invariants every run must keep, however it stopped. After a SIGKILL,
    journal.json (an exported view, rewritten when the node count doubles and
    at the end of a session) may lag behind the refs, and journal.jsonl (a
    line appended after each commit) by the node committed just before the
    kill; neither lists a node that has no commit. Otherwise both list every
    committed node, journal.jsonl once each, with its code as committed."""
    git(run_dir, "fsck", "--strict", "--no-dangling")
    refs = node_refs(run_dir)
    task = git(run_dir, "rev-parse", "task")
    for nid, oid in refs.items():
        nj = node_json(run_dir, nid)
        check(nj["id"] == nid, "node.json id matches its ref")
        parent = git(run_dir, "rev-parse", oid + "^")
        want = task if nj["parent"] is None else refs.get(nj["parent"])
        check(parent == want, "node %d's commit hangs off its parent's" % nid)
    journal = json.load(open(os.path.join(run_dir, "journal.json")))
    listed = set(n["id"] for n in journal["nodes"])
    jsonl = os.path.join(run_dir, "journal.jsonl")  # made by the first commit
    lines = [json.loads(l) for l in open(jsonl, encoding="utf-8")
             if l.strip()] if os.path.exists(jsonl) else []
    logged = [n["id"] for n in lines]
    check(len(logged) == len(set(logged)), "journal.jsonl lists each node once: %s" % logged)
    if killed:
        check(listed <= set(refs), "journal.json lists only committed nodes")
        check(set(logged) <= set(refs), "journal.jsonl lists only committed nodes")
        check(len(set(refs) - set(logged)) <= 1,
              "journal.jsonl lags the refs by at most the node being logged: %s"
              % sorted(set(refs) - set(logged)))
    else:
        check(listed == set(refs), "journal.json lists every committed node")
        check(set(logged) == set(refs), "journal.jsonl lists every committed node")
    for n in lines[:3]:
        code = git(run_dir, "show", "node/%d:solution.py" % n["id"])
        check(n["code"].strip() == code.strip(), "journal.jsonl holds node %d's code" % n["id"])
    return refs


def best_by_score(run_dir, refs):
    best, score = None, None
    for nid in sorted(refs):
        nj = node_json(run_dir, nid)
        if nj["is_buggy"] or nj["score"] is None:
            continue
        if score is None or nj["score"] > score:
            best, score = nid, nj["score"]
    return best


def scripted(env):
    replies = [
        reply("Draft: logistic regression on two numeric columns.", 2, 1.0),
        reply("Draft: logistic regression with a deliberate bug.", 3, 1.0,
              bug='raise ValueError("features are not ready")'),
        reply("Draft: logistic regression on one column.", 1, 0.5),
    ] + [reply("Improve: use %d numeric columns, C=%.2f." % (2 + i % 4, 0.1 * (i + 1)),
               2 + i % 4, 0.1 * (i + 1)) for i in range(12)]
    env.start_mock({"replies": replies})
    r = env.run(env.grove_args("scripted", 12, 1, ["--set", "search.debug_prob=1"]),
                timeout=600)
    print(r.stdout[-3000:], r.stderr[-3000:])
    check(r.returncode == 0, "grove run exits 0")
    run_dir = os.path.join(env.runs, "scripted")
    refs = check_consistent(run_dir)
    check(sorted(refs) == list(range(12)), "12 nodes, ids 0..11: %s" % sorted(refs))
    check(git(run_dir, "rev-list", "--count", "--all") == "13", "one commit per node + task")
    n1, n3 = node_json(run_dir, 1), node_json(run_dir, 3)
    check(n1["is_buggy"] and "ValueError" in (n1.get("exception") or ""), "draft 1 is buggy")
    check(n3["stage"] == "debug" and n3["parent"] == 1 and not n3["is_buggy"],
          "node 3 debugs draft 1 and works")
    stages = [node_json(run_dir, i)["stage"] for i in range(12)]
    check(stages[:3] == ["draft"] * 3, "three drafts first")
    check(stages.count("improve") >= 6, "improvements follow: %s" % stages)
    best = best_by_score(run_dir, refs)
    check(git(run_dir, "rev-parse", "best") == refs[best], "refs/heads/best is the top score")
    check(git(run_dir, "rev-parse", "HEAD") == refs[best], "HEAD follows best")
    subject = git(run_dir, "log", "-1", "--format=%s", "node/3")
    check(subject.startswith("debug 3<-1: "), "subject format: %s" % subject)
    graph = git(run_dir, "log", "--graph", "--all", "--oneline")
    check(graph.count("*") >= 13, "git log --graph --all shows every commit")
    tree = subprocess.run([GROVE, "tree", run_dir], capture_output=True, text=True).stdout
    check(tree.count("draft") == 3 and "buggy" in tree and "*" in tree, "grove tree:\n" + tree)
    show = subprocess.run([GROVE, "show", run_dir, "best", "solution.py"],
                          capture_output=True, text=True).stdout
    check("LogisticRegression" in show, "grove show best solution.py")
    diff = subprocess.run([GROVE, "diff", run_dir, "0", "2"], capture_output=True, text=True)
    check(diff.returncode == 0 and "-model = LogisticRegression(C=1.0" in diff.stdout, "grove diff")
    check(os.path.exists(os.path.join(run_dir, "best", "submission.csv")), "best/submission.csv")
    grade = json.load(open(os.path.join(run_dir, "best", "grade.json")))
    check(grade["valid_submission"] and grade["score"] > 0.6, "final submission graded")
    check(len(open(os.path.join(run_dir, "llm.jsonl")).readlines()) == 12, "12 LLM exchanges")
    # the key reaches neither files nor commits nor the llm log
    for root, _, files in os.walk(run_dir):
        for f in files:
            with open(os.path.join(root, f), "rb") as fh:
                check(KEY.encode() not in fh.read(), "key found in " + os.path.join(root, f))
    check(KEY not in git(run_dir, "log", "-p", "--all"), "key found in a commit")
    # and it did reach the endpoint, in the header
    reqs = [json.loads(l) for l in open(env.record)]
    check(reqs and reqs[0]["headers"].get("authorization") == "Bearer " + KEY, "bearer sent")


def snooping_script(paths):
    """A candidate script that tries to read each of paths, printing "LEAK p"
    or "hidden p", then hands in the sample submission."""
    return """import os, shutil
for p in %r:
    try:
        open(p).read(1)
        print("LEAK", p)
    except OSError:
        print("hidden", p)
os.makedirs("submission", exist_ok=True)
shutil.copy("input/sample_submission.csv", "submission/submission.csv")
print("Validation score: 0.5")
""" % (list(paths),)


def wait_for(pred, timeout):
    end = time.time() + timeout
    while time.time() < end:
        if pred():
            return True
        time.sleep(0.1)
    return False


def leftover_processes(run_dir):
    """Processes whose working folder is inside the run (candidate scripts)."""
    found = []
    for pid in os.listdir("/proc"):
        try:
            if os.readlink("/proc/%s/cwd" % pid).startswith(run_dir):
                found.append(pid)
        except OSError:
            pass
    return found


def sigkill_bare(env):
    sigkill(env, ["--no-sandbox"])


def sigkill(env, extra=()):
    """Killed twice (the second time while resuming), then resumed to the end."""
    replies = [reply("Variant %d." % i, 1 + i % 4, 0.2 * (i + 1)) for i in range(6)]
    env.start_mock({"replies": replies, "replies_cycle": True, "delay_all_ms": 300})
    run_dir = os.path.join(env.runs, "killed")
    resume = [GROVE, "run", "--resume", run_dir, "--base-url",
              "http://127.0.0.1:%d/v1" % env.port]
    seen = {}
    resume += list(extra)
    for attempt, (args, want) in enumerate([(env.grove_args("killed", 10, 2, extra), 3),
                                             (resume, 6)]):
        p = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                             env=env.env())
        ok = wait_for(lambda: os.path.isdir(os.path.join(run_dir, ".git")) and
                      len(node_refs(run_dir, polling=True)) >= want, 300)
        os.kill(p.pid, signal.SIGKILL)
        p.wait()
        check(ok, "%d nodes committed before kill %d" % (want, attempt + 1))
        gone = wait_for(lambda: not leftover_processes(run_dir), 10)
        check(gone, "candidate scripts outlived the killed grove: %s"
              % leftover_processes(run_dir))
        refs = check_consistent(run_dir, killed=True)
        for nid, oid in seen.items():
            check(refs.get(nid) == oid, "node %d survives kill %d unchanged" % (nid, attempt + 1))
        seen = refs
    r = env.run(resume, timeout=600)
    print(r.stdout[-2000:], r.stderr[-2000:])
    check(r.returncode == 0, "resume exits 0")
    after = check_consistent(run_dir)
    for nid, oid in seen.items():
        check(after.get(nid) == oid, "node %d survives the kills unchanged" % nid)
    check(len(after) == 10, "the resumed run reaches its 10 steps: %s" % sorted(after))
    check(sorted(after) == list(range(10)), "in-flight nodes were redone with their ids")


def sigkill_early(env):
    """SIGKILLs at a spread of moments from the first milliseconds on (before,
    while and after the run folder, its config and its repository are
    created), each followed by a resume when the folder holds a run, or a
    fresh start when the kill came before there was one; then a last resume
    to the end."""
    replies = [reply("Variant %d." % i, 1 + i % 4, 0.2 * (i + 1)) for i in range(6)]
    env.start_mock({"replies": replies, "replies_cycle": True, "delay_all_ms": 100})
    run_dir = os.path.join(env.runs, "early")
    fresh = env.grove_args("early", 6, 2)
    resume = [GROVE, "run", "--resume", run_dir, "--base-url",
              "http://127.0.0.1:%d/v1" % env.port]
    seen = {}
    for delay in (0.01, 0.03, 0.06, 0.1, 0.2, 0.4, 0.8, 1.5, 3.0):
        started = os.path.isdir(os.path.join(run_dir, ".git"))
        p = subprocess.Popen(resume if started else fresh, stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, env=env.env(), text=True)
        time.sleep(delay)
        p.kill()
        err = p.communicate()[1]
        check(p.returncode in (-signal.SIGKILL, 0),
              "killed after %.2fs: exit %s: %s" % (delay, p.returncode, err[-800:]))
        check(wait_for(lambda: not leftover_processes(run_dir), 10),
              "candidate scripts outlived the killed grove")
        if os.path.isdir(os.path.join(run_dir, ".git")):
            check(os.path.exists(os.path.join(run_dir, "config.json")),
                  "a run folder with a repository has its config")
            refs = node_refs(run_dir, polling=True)
            for nid, oid in seen.items():
                check(refs.get(nid) == oid, "node %d survives the kill at %.2fs" % (nid, delay))
            seen = refs
    r = env.run(resume if os.path.isdir(os.path.join(run_dir, ".git")) else fresh, timeout=600)
    print(r.stdout[-2000:], r.stderr[-2000:])
    check(r.returncode == 0, "the last resume exits 0")
    after = check_consistent(run_dir)
    for nid, oid in seen.items():
        check(after.get(nid) == oid, "node %d survives the kills unchanged" % nid)
    check(sorted(after) == list(range(6)), "the run reaches its 6 steps: %s" % sorted(after))


def timelimit(env):
    """--time-limit bounds the whole run, the final full-data re-run included:
    the search keeps a reserve for it (builtin coder, no step limit)."""
    limit = 60
    t0 = time.time()
    r = env.run([GROVE, "run", "grove-titanic", "--data-dir", env.data, "--out", env.runs,
                 "--name", "timed", "--model", "builtin:baseline", "--steps", "1000",
                 "--workers", "2", "--seed", "5", "--time-limit", "%ds" % limit],
                timeout=600)
    took = time.time() - t0
    print(r.stdout[-2500:], r.stderr[-2000:])
    check("stopped: the time limit was reached" in r.stdout, "stopped by the time limit")
    run_dir = os.path.join(env.runs, "timed")
    # What is left of the limit caps the re-run: on a machine so loaded that
    # the best node's script outgrows the reserve (a quarter of the limit at
    # most), the run ends in time without a final submission and says so.
    if "the time limit ran out on the full data" in r.stdout:
        check(r.returncode == 1 and os.path.exists(os.path.join(run_dir, "best", "solution.py")),
              "out of time for the re-run: exit 1, best/solution.py kept")
    else:
        check(r.returncode == 0, "grove run exits 0")
        grade = json.load(open(os.path.join(run_dir, "best", "grade.json")))
        check(grade["valid_submission"], "the final submission is valid")
    check_consistent(run_dir)
    # the clock starts after start-up (split, python probe); the final re-run
    # of a titanic script takes seconds, well within the reserve
    check(took <= limit + 20, "the run took %.1fs for a %ds limit" % (took, limit))


def sigint(env):
    replies = [reply("Variant %d." % i, 1 + i % 4, 0.3 * (i + 1)) for i in range(6)]
    env.start_mock({"replies": replies, "replies_cycle": True, "delay_all_ms": 300})
    run_dir = os.path.join(env.runs, "interrupted")
    p = subprocess.Popen(env.grove_args("interrupted", 30, 2), stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, env=env.env(), text=True)
    ok = wait_for(lambda: os.path.isdir(os.path.join(run_dir, ".git")) and
                  len(node_refs(run_dir, polling=True)) >= 2, 300)
    os.kill(p.pid, signal.SIGINT)
    out, err = p.communicate(timeout=300)
    print(out[-2000:], err[-2000:])
    check(ok, "two nodes before the interrupt")
    check("interrupted" in out, "the run says why it stopped")
    refs = check_consistent(run_dir)
    check(len(refs) < 30, "it stopped early")
    inflight = json.load(open(os.path.join(run_dir, "inflight.json")))
    check(inflight == [], "nothing left in flight after a graceful stop: %s" % inflight)


def selfreport(env):
    good = reply("A working draft.", 2, 1.0)
    steps = [
        {"text": good},                                   # node 0 code
        {"status": 400, "json": {"error": {"message": "tools are not supported by this model",
                                            "type": "invalid_request_error"}}},
        {"text": 'Here is my review: {"is_bug": false, "summary": "ran fine",'
                 ' "metric": "0.8123", "has_submission": true}'},
        {"text": reply("Another draft.", 3, 1.0)},        # node 1 code (not a duplicate)
        {"text": "I think it went well."},                # unparseable review
    ]
    env.start_mock({"routes": {"/v1/chat/completions": steps}})
    r = env.run(env.grove_args("selfreport", 2, 1, ["--scoring", "self-report",
                                                     "--set", "final_top_k=1"]), timeout=600)
    print(r.stdout[-2000:], r.stderr[-2000:])
    check(r.returncode == 0, "grove run exits 0")
    run_dir = os.path.join(env.runs, "selfreport")
    refs = check_consistent(run_dir)
    check(len(refs) == 2, "two nodes")
    n0, n1 = node_json(run_dir, 0), node_json(run_dir, 1)
    check(not n0["is_buggy"] and abs(n0["score"] - 0.8123) < 1e-9,
          "review metric \"0.8123\" read after the tools fallback: %s" % n0)
    check(n1["is_buggy"] and "review" in n1.get("bug_reason", ""),
          "a review without JSON is a review error on the node: %s" % n1)


def endpoint(env):
    """Errors that cannot pass stop the run at once with the reason in full:
    a 401 (bad key) and a 404 model_not_found. No node is recorded, no step
    spent; a resume against a working endpoint then makes all its steps."""
    key_msg = ("Incorrect API key provided: sk-e2e-*****1706. You can find your API key "
               "at https://platform.openai.com/account/api-keys.")
    env.start_mock({"routes": {"/v1/chat/completions": [
        {"status": 401, "repeat": 20, "json": {"error": {
            "message": key_msg, "type": "invalid_request_error", "param": None,
            "code": "invalid_api_key"}}}]}})
    t0 = time.time()
    r = env.run(env.grove_args("badkey", 4, 2), timeout=300)
    took = time.time() - t0
    print(r.stdout[-2000:], r.stderr[-2000:])
    check(r.returncode not in (0, None), "a 401 exits non-zero")
    check(key_msg in r.stderr and "HTTP 401" in r.stderr and "OPENAI_API_KEY" in r.stderr,
          "the reason in full on stderr: %s" % r.stderr[-600:])
    check("LLM error" not in r.stdout, "no LLM-error node line")
    run_dir = os.path.join(env.runs, "badkey")
    refs = check_consistent(run_dir)
    check(refs == {}, "no node recorded for a 401: %s" % refs)
    reqs = [json.loads(l) for l in open(env.record)]
    check(len(reqs) <= 2, "stopped at once: %d requests for 4 steps" % len(reqs))
    check(took < 60, "a 401 took %.0fs" % took)
    env.close_mock()
    # the endpoint is fixed: a resume makes all 4 steps, none spent above
    env.start_mock({"replies": [reply("Variant %d." % i, 1 + i % 3, 0.5) for i in range(4)],
                    "replies_cycle": True})
    r = env.run([GROVE, "run", "--resume", run_dir, "--base-url",
                 "http://127.0.0.1:%d/v1" % env.port], timeout=600)
    print(r.stdout[-1500:], r.stderr[-1500:])
    check(r.returncode == 0, "the resume exits 0")
    refs = check_consistent(run_dir)
    check(sorted(refs) == [0, 1, 2, 3], "the resume makes the 4 steps: %s" % sorted(refs))
    env.close_mock()
    # a bad model name (OpenAI's 404 model_not_found)
    model_msg = "The model `e2e-model` does not exist or you do not have access to it."
    env.start_mock({"routes": {"/v1/chat/completions": [
        {"status": 404, "repeat": 20, "json": {"error": {
            "message": model_msg, "type": "invalid_request_error", "param": None,
            "code": "model_not_found"}}}]}})
    r = env.run(env.grove_args("badmodel", 4, 1), timeout=300)
    print(r.stdout[-1500:], r.stderr[-1500:])
    check(r.returncode not in (0, None), "a bad model exits non-zero")
    check(model_msg in r.stderr, "the server's message in full")
    check(node_refs(os.path.join(env.runs, "badmodel")) == {}, "no node for a bad model")


def refused(env):
    """Nothing listens at the base URL: the connection is retried within the
    budget, then the run stops saying the endpoint is unreachable."""
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    env.port = s.getsockname()[1]
    s.close()
    t0 = time.time()
    r = env.run(env.grove_args("refused", 4, 2, ["--set", "llm.retry_wait=3s"]), timeout=300)
    took = time.time() - t0
    print(r.stdout[-1500:], r.stderr[-1500:])
    check(r.returncode not in (0, None), "exits non-zero")
    check("unreachable" in r.stderr and "127.0.0.1:%d" % env.port in r.stderr,
          "says the endpoint is unreachable, with its address")
    check("attempts" in r.stderr, "says it retried")
    check(node_refs(os.path.join(env.runs, "refused")) == {}, "no node recorded")
    check(took < 90, "took %.0fs" % took)


def garbage(env):
    """200s that are not completions (HTML, not JSON, choices: [], no message)
    between good replies: each is retried, every node gets its script."""
    junk = [{"body": "<html><body>Bad gateway</body></html>"}, {"json": {"choices": []}},
            {"body": "{\"choices\": [{\"mess"}, {"json": {"choices": [{"index": 0}]}}]
    replies = []
    for i in range(4):
        replies.append(junk[i % len(junk)])
        replies.append({"text": reply("Variant %d." % i, 1 + i % 3, 0.3 * (i + 1))})
    env.start_mock({"replies": replies})
    r = env.run(env.grove_args("garbage", 4, 1), timeout=600)
    print(r.stdout[-1500:], r.stderr[-1500:])
    check(r.returncode == 0, "exits 0")
    refs = check_consistent(os.path.join(env.runs, "garbage"))
    check(sorted(refs) == [0, 1, 2, 3], "four nodes")
    for nid in refs:
        nj = node_json(os.path.join(env.runs, "garbage"), nid)
        check(not nj["is_buggy"], "node %d lost to a garbage reply: %s" % (nid, nj))


def hang(env):
    """An endpoint that accepts and never answers: a plain line says a call is
    waiting and for how long, the request's limit ends it, the run stops
    saying why with no node recorded and none left running."""
    env.start_mock({"routes": {"/v1/chat/completions": [{"silent": True, "repeat": 10}]}})
    t0 = time.time()
    r = env.run(env.grove_args("hang", 4, 1, ["--set", "llm.timeout=7s",
                                               "--set", "llm.wait_notice=2s"]), timeout=300)
    took = time.time() - t0
    print(r.stdout[-1500:], r.stderr[-1500:])
    check(r.returncode not in (0, None), "exits non-zero")
    check("waiting on the model for 2s (node 0)" in r.stdout, "a waiting line")
    check("waiting on the model for 4s (node 0)" in r.stdout, "repeated")
    check("timed out" in r.stderr and "limit of 7 s" in r.stderr, "says the limit ran out")
    check("running" not in r.stdout.split("stopped:")[0].split("\n\n")[-1],
          "no node left running in the final tree")
    run_dir = os.path.join(env.runs, "hang")
    check(node_refs(run_dir) == {}, "no node recorded")
    check(took < 60, "took %.0fs" % took)


def replay(env):
    """A run recorded against the mock replays offline (--model
    replay:RUN/llm.jsonl) to the same tree: node ids, stages, parents, code
    and scores, though every prompt differs in the time left it states."""
    replies = [
        reply("Draft: two numeric columns.", 2, 1.0),
        "No code this time, sorry.",  # a re-ask: the exchange's ask index
        reply("Draft: a deliberate bug.", 3, 1.0, bug='raise ValueError("not ready")'),
        reply("Draft: one column.", 1, 0.5),
    ] + [reply("Improve: %d columns, C=%.2f." % (2 + i % 4, 0.1 * (i + 1)), 2 + i % 4,
               0.1 * (i + 1)) for i in range(6)]
    env.start_mock({"replies": replies})
    rec = env.run(env.grove_args("recorded", 7, 1, ["--set", "search.debug_prob=1"]),
                  timeout=600)
    print(rec.stdout[-1500:], rec.stderr[-1500:])
    check(rec.returncode == 0, "the recorded run exits 0")
    env.close_mock()
    rec_dir = os.path.join(env.runs, "recorded")
    log = [json.loads(l) for l in open(os.path.join(rec_dir, "llm.jsonl"))]
    check(all(set(l.get("exchange", {})) == {"client", "action", "node", "parent", "ask"}
              for l in log), "every llm.jsonl line says which exchange it was")
    check(any(l["exchange"]["ask"] == 1 for l in log), "the re-ask is recorded as ask 1")
    args = [GROVE, "run", "grove-titanic", "--data-dir", env.data, "--out", env.runs,
            "--name", "replayed", "--model", "replay:" + os.path.join(rec_dir, "llm.jsonl"),
            "--steps", "7", "--workers", "1", "--seed", "3", "--exec-timeout", "120",
            "--time-limit", "15m", "--set", "search.num_drafts=3",
            "--set", "search.debug_prob=1", "--ensemble", "false"]
    e = env.env()
    del e["OPENAI_API_KEY"]
    rep = subprocess.run(args, capture_output=True, text=True, env=e, timeout=600)
    print(rep.stdout[-1500:], rep.stderr[-1500:])
    check(rep.returncode == 0, "the replay exits 0")
    check("no recorded reply" not in rep.stdout + rep.stderr, "every request was answered")
    rep_dir = os.path.join(env.runs, "replayed")
    a, b = check_consistent(rec_dir), check_consistent(rep_dir)
    check(sorted(a) == sorted(b) == list(range(7)), "7 nodes each: %s %s" % (sorted(a), sorted(b)))
    stages = []
    for nid in sorted(a):
        x, y = node_json(rec_dir, nid), node_json(rep_dir, nid)
        for k in ("stage", "parent", "is_buggy", "score"):
            check(x[k] == y[k], "node %d: %s %r recorded, %r replayed" % (nid, k, x[k], y[k]))
        code = [git(d, "show", "node/%d:solution.py" % nid) for d in (rec_dir, rep_dir)]
        check(code[0] == code[1], "node %d: same code" % nid)
        stages.append(x["stage"])
    check("debug" in stages and "improve" in stages, "the tree has every action: %s" % stages)


def duplicate(env):
    """A script byte-identical to an earlier node's is never run: grove asks
    again for a different one; when the re-asks bring the same script, the
    node is recorded as a duplicate, not run, with no code of its own."""
    a = reply("Draft: two columns.", 2, 1.0)
    b = reply("Draft: three columns.", 3, 1.0)
    c = reply("Draft: one column.", 1, 0.5)
    env.start_mock({"replies": [a, b, a, c, a, a, a]})
    r = env.run(env.grove_args("dups", 4, 1), timeout=600)
    print(r.stdout[-2000:], r.stderr[-1500:])
    check(r.returncode == 0, "exits 0")
    run_dir = os.path.join(env.runs, "dups")
    refs = check_consistent(run_dir)
    check(sorted(refs) == [0, 1, 2, 3], "four nodes: %s" % sorted(refs))
    code = lambda nid: git(run_dir, "show", "node/%d:solution.py" % nid)
    check(code(2) != code(0) and "C=0.5" in code(2), "node 2 got a new script after a re-ask")
    n3 = node_json(run_dir, 3)
    check(n3["is_buggy"] and "duplicate of node 0" in (n3.get("bug_reason") or ""),
          "node 3 is recorded as a duplicate: %s" % n3)
    check(code(3) == "", "a duplicate keeps no code (nothing to debug)")
    check(not os.path.exists(os.path.join(run_dir, "nodes", "3")), "node 3 was not run")
    reqs = [json.loads(l) for l in open(env.record)]
    check(len(reqs) == 7, "7 requests: %d" % len(reqs))
    said = json.dumps(reqs[3]["body"]["messages"][-1])
    check("identical to node 0" in said, "the re-ask says which node it repeats: %s" % said)


def mlebench(env):
    import random
    rnd = random.Random(7)
    comp = os.path.join(env.tmp, "mle", "spooky-author-identification", "prepared")
    pub, priv = os.path.join(comp, "public"), os.path.join(comp, "private")
    os.makedirs(pub)
    os.makedirs(priv)
    words = {"EAP": "raven dark chamber midnight dreary", "HPL": "eldritch cosmic ancient ooze",
             "MWS": "monster creator wretch frankenstein"}
    filler = "the of and a to in was it that with".split()

    def row(i):
        a = rnd.choice(sorted(words))
        text = " ".join(rnd.choice(words[a].split() + filler) for _ in range(12))
        return "id%05d" % i, text, a
    rows = [row(i) for i in range(600)]
    train, test = rows[:450], rows[450:]
    with open(os.path.join(pub, "train.csv"), "w") as f:
        f.write("id,text,author\n" + "".join('%s,"%s",%s\n' % r for r in train))
    with open(os.path.join(pub, "test.csv"), "w") as f:
        f.write("id,text\n" + "".join('%s,"%s"\n' % r[:2] for r in test))
    with open(os.path.join(pub, "sample_submission.csv"), "w") as f:
        f.write("id,EAP,HPL,MWS\n" + "".join("%s,0.4,0.3,0.3\n" % r[0] for r in test))
    with open(os.path.join(pub, "description.md"), "w") as f:
        f.write("# Spooky author identification (synthetic test rows)\n")
    with open(os.path.join(priv, "test.csv"), "w") as f:
        f.write("id,EAP,HPL,MWS\n" + "".join(
            "%s,%d,%d,%d\n" % (r[0], r[2] == "EAP", r[2] == "HPL", r[2] == "MWS") for r in test))
    r = env.run([GROVE, "run", os.path.dirname(comp), "--out", env.runs, "--name", "mle",
                 "--model", "builtin:baseline", "--steps", "2", "--workers", "2",
                 "--exec-timeout", "120", "--set", "search.num_drafts=2",
                 "--ensemble", "false"], timeout=600)
    print(r.stdout[-3000:], r.stderr[-2000:])
    check(r.returncode == 0, "grove run exits 0")
    check("holdout: grove splits" in r.stdout, "holdout mode was inferred")
    run_dir = os.path.join(env.runs, "mle")
    refs = check_consistent(run_dir)
    scores = [node_json(run_dir, n)["score"] for n in refs]
    check(any(s is not None and 0 <= s < 1.0986 for s in scores),
          "log loss better than uniform on the holdout: %s" % scores)
    ans = open(os.path.join(run_dir, "holdout", "answers.csv")).read().splitlines()
    check(ans[0] == "id,EAP,HPL,MWS" and len(ans) > 50, "one-hot holdout answers")
    check(not any(l.split(",")[0] in ans[1:] for l in
                  open(os.path.join(run_dir, "holdout", "public", "train.csv")).read().splitlines()[1:]),
          "no holdout id in the train the scripts see")
    grade = json.load(open(os.path.join(run_dir, "best", "grade.json")))
    check(grade["valid_submission"], "final submission graded against private/test.csv")


def hidden(env):
    run_dir = os.path.join(env.runs, "hidden")
    private = os.path.join(env.data, "grove-titanic", "prepared", "private", "answers.csv")
    holdout = os.path.join(run_dir, "holdout", "answers.csv")
    code = """import os, shutil
for p in [%r, %r, "../../holdout/answers.csv", "../../../holdout/answers.csv"]:
    try:
        open(p).read(1)
        print("LEAK", p)
    except OSError:
        print("hidden", p)
leaked = []
for pid in os.listdir("/proc"):
    try:
        if b"%s" in open("/proc/%%s/environ" %% pid, "rb").read():
            leaked.append(pid)
    except OSError:
        pass
print("key visible in", leaked if leaked else "no process")
os.makedirs("submission", exist_ok=True)
shutil.copy("input/sample_submission.csv", "submission/submission.csv")
print("Validation score: 0.5")
""" % (private, holdout, KEY)
    env.start_mock({"replies": ["Look around.\n\n```python\n" + code + "```\n"]})
    r = env.run(env.grove_args("hidden", 1, 1), timeout=600)
    print(r.stdout[-2000:], r.stderr[-2000:])
    check(r.returncode == 0, "grove run exits 0")
    out = git(run_dir, "show", "node/0:output.txt")
    hidden_lines = [l for l in out.splitlines() if l.startswith("hidden ")]
    check("LEAK" not in out and len(hidden_lines) == 4, "answers hidden:\n" + out)
    check("key visible in no process" in out, "no key in any /proc/*/environ:\n" + out)


def symlink(env):
    """A script that points ./submission/submission.csv (or the folder) at the
    answers, which the sandbox hides from it but grove, outside, could read:
    the node is buggy, never scored against the answers themselves."""
    run_dir = os.path.join(env.runs, "symlink")
    holdout = os.path.join(run_dir, "holdout", "answers.csv")
    private = os.path.join(env.data, "grove-titanic", "prepared", "private", "answers.csv")
    link_file = """import os
os.makedirs("submission", exist_ok=True)
os.symlink(%r, "submission/submission.csv")
print("Validation score: 0.99")
"""
    link_dir = """import os, shutil
shutil.rmtree("submission", ignore_errors=True)
os.makedirs("elsewhere", exist_ok=True)
os.symlink(%r, "elsewhere/submission.csv")
os.symlink("elsewhere", "submission")
print("Validation score: 0.99")
"""
    replies = ["Link it.\n\n```python\n" + link_file % holdout + "```\n",
               "Link the folder.\n\n```python\n" + link_dir % holdout + "```\n",
               "Link the test answers.\n\n```python\n" + link_file % private + "```\n"]
    env.start_mock({"replies": replies})
    r = env.run(env.grove_args("symlink", 3, 1), timeout=600)
    print(r.stdout[-2000:], r.stderr[-2000:])
    check(r.returncode == 1 and "no node produced a valid scored submission" in r.stdout,
          "grove run exits 1: no node has a score")
    refs = check_consistent(run_dir)
    check(len(refs) == 3, "three nodes: %s" % refs)
    for nid in refs:
        n = node_json(run_dir, nid)
        check(n["score"] is None and n["is_buggy"],
              "node %s not scored through a link: %s" % (nid, n))
        check("symbolic link" in (n.get("bug_reason") or ""),
              "node %s says why: %s" % (nid, n.get("bug_reason")))
    # self-report mode: the review may believe the script; the disk decides
    env.close_mock()
    review = {"text": '{"is_bug": false, "summary": "fine", "metric": "0.99", '
                      '"has_submission": true}'}
    env.start_mock({"routes": {"/v1/chat/completions": [{"text": replies[0]}, review]}})
    r = env.run(env.grove_args("symlink-self", 1, 1, ["--scoring", "self-report"]),
                timeout=600)
    print(r.stdout[-2000:], r.stderr[-2000:])
    n = node_json(os.path.join(env.runs, "symlink-self"), 0)
    check(n["is_buggy"] and n["score"] is None and "symbolic link" in n.get("bug_reason", ""),
          "self-report: a linked submission is buggy whatever the review says: %s" % n)
    check(not os.path.exists(os.path.join(env.runs, "symlink-self", "best", "submission.csv")),
          "self-report: no final submission copied through the link")


def trainleak(env):
    """A script that reads the competition's full public train.csv, where the
    rows grove held out for validation still carry their labels, and copies
    those labels into its submission: a perfect holdout score from a lookup.
    The sandbox must hide the competition's folder (public/ included) and show
    the script only its input/."""
    run_dir = os.path.join(env.runs, "trainleak")
    full = os.path.join(env.data, "grove-titanic", "prepared", "public", "train.csv")
    code = """import os, pandas as pd
test = pd.read_csv("input/test.csv")
sample = pd.read_csv("input/sample_submission.csv")
idc, target = sample.columns[0], sample.columns[1]
try:
    full = pd.read_csv(%r)
    print("LEAK: the full train.csv is readable")
    pred = test[[idc]].merge(full[[idc, target]], on=idc, how="left")[target].fillna(0)
except OSError:
    print("hidden: the full train.csv")
    pred = 0.5
os.makedirs("submission", exist_ok=True)
pd.DataFrame({idc: test[idc], target: pred}).to_csv("submission/submission.csv", index=False)
""" % full
    env.start_mock({"replies": ["Look it up.\n\n```python\n" + code + "```\n"]})
    r = env.run(env.grove_args("trainleak", 1, 1), timeout=600)
    print(r.stdout[-2000:], r.stderr[-2000:])
    out = git(run_dir, "show", "node/0:output.txt")
    n = node_json(run_dir, 0)
    check("LEAK" not in out and "hidden: the full train.csv" in out,
          "the competition's public train.csv is hidden from scripts:\n" + out)
    check(n["score"] is None or n["score"] < 0.99, "no perfect score from a lookup: %s" % n)
    # the final re-run still gets public/ (hidden as a path) as its input/
    grade = json.load(open(os.path.join(run_dir, "best", "grade.json")))
    check(r.returncode == 0 and grade["valid_submission"],
          "the final re-run reads public/ as input/ and is graded")


def badbytes(env):
    """A script whose output and exception message are hostile bytes: NULs,
    invalid UTF-8, a forged traceback, and an exception message whose 200th
    byte is the last of a three-byte character (grove cuts the reason there).
    Everything grove writes about the node (node.json, journal.json, the
    commit) stays valid UTF-8 JSON that strict tools read."""
    run_dir = os.path.join(env.runs, "badbytes")
    code = """import sys
sys.stdout.buffer.write(b"nul\\x00 bad\\xff\\xfe utf8 \\xe2\\x82\\n")
print('Traceback (most recent call last):\\n  File "solution.py", line 99999999999999999999\\nFake: \\x1b[31m')
sys.stdout.flush()
raise ValueError("x" * 198 + "\\u2603\\u00e9 \\"quoted\\" \\\\ back")
"""
    env.start_mock({"replies": ["Break things.\n\n```python\n" + code + "```\n"]})
    r = env.run(env.grove_args("badbytes", 1, 1), timeout=600)
    print(r.stdout[-2000:], r.stderr[-2000:])
    check_consistent(run_dir)
    raw = subprocess.run(["git", "-C", run_dir, "show", "node/0:node.json"],
                         capture_output=True).stdout
    try:
        n = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        fail("node.json is not valid UTF-8 JSON (%s): %r" % (e, raw[-400:]))
    check(n["is_buggy"] and "ValueError" in n["bug_reason"], "buggy, says why: %s" % n)
    with open(os.path.join(run_dir, "journal.json"), "rb") as f:
        json.loads(f.read().decode("utf-8"))
    subject = subprocess.run(["git", "-C", run_dir, "log", "-1", "--format=%B", "node/0"],
                             capture_output=True).stdout
    subject.decode("utf-8")


def strict_json(data, what):
    """data (bytes) as JSON read the way strict tools read it: UTF-8 or fail."""
    try:
        return json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        fail("%s is not valid UTF-8 JSON (%s): %r" % (what, e, data[:300]))


def check_files_utf8(run_dir):
    """Every JSON file grove wrote into the run folder (not the scripts' own
    workspaces), and every commit's message and node.json, is strict UTF-8."""
    for root, dirs, files in os.walk(run_dir):
        dirs[:] = [d for d in dirs if d not in (".git", "nodes", "final", "holdout")]
        for f in files:
            path = os.path.join(root, f)
            if f.endswith(".json"):
                strict_json(open(path, "rb").read(), path)
            elif f.endswith(".jsonl"):
                for i, line in enumerate(open(path, "rb").read().splitlines()):
                    strict_json(line, "%s line %d" % (path, i + 1))
    log = subprocess.run(["git", "-C", run_dir, "log", "--all", "--format=%B%x00"],
                         capture_output=True).stdout
    try:
        log.decode("utf-8")
    except UnicodeDecodeError as e:
        fail("a commit message is not UTF-8 (%s)" % e)
    for nid in node_refs(run_dir):
        raw = subprocess.run(["git", "-C", run_dir, "show", "node/%d:node.json" % nid],
                             capture_output=True).stdout
        strict_json(raw, "node/%d:node.json" % nid)


def latin1(env):
    """A Latin-1 train.csv (M\xe4rs), as much Kaggle data is, against a mock
    that refuses a body that is not UTF-8 as the providers do: every request
    is UTF-8 JSON, the preview names the encoding and shows the text decoded,
    a reply holding Latin-1 bytes is made UTF-8 where it enters, and every
    JSON file grove writes, every commit message and node.json stay strict
    UTF-8. The same run checks what a user sees at the end: the progress line
    says which column a submission lacks, best/grade.json names the
    submission where it is, git status in the run folder is clean, and no
    commit subject claims *best*."""
    train = os.path.join(env.data, "grove-titanic", "prepared", "public", "train.csv")
    rows = open(train, "rb").read().split(b"\n")
    rows[1] = rows[1].replace(b",", b",M\xe4rs ", 1) if b'"' not in rows[1] else \
        rows[1].replace(b'"', b'"M\xe4rs ', 1)
    open(train, "wb").write(b"\n".join(rows))
    good = reply("Draft: logistic regression, Latin-1 aware.", 2, 1.0).replace(
        'read_csv("./input/train.csv")', 'read_csv("./input/train.csv", encoding="latin-1")')
    nocol = good.replace("target: model.predict_proba(Xt)[:, 1]", '"wrong": 0.5')
    bytes_reply = good.replace("import pandas as pd", "# M\xe4rs, as the model wrote it\n"
                               "import pandas as pd")
    env.start_mock({"replies": [good, nocol, {"text": bytes_reply, "latin1": True}]})
    r = env.run(env.grove_args("latin1", 3, 1), timeout=600)
    print(r.stdout[-3000:], r.stderr[-2000:])
    run_dir = os.path.join(env.runs, "latin1")
    reqs = [json.loads(l) for l in open(env.record)]
    check(len(reqs) == 3 and not any(q["invalid_utf8"] for q in reqs),
          "every request body is UTF-8: %s" % [q["invalid_utf8"] for q in reqs])
    first = json.dumps(reqs[0]["body"], ensure_ascii=False)
    check("train.csv is not UTF-8" in first and "encoding='latin-1'" in first,
          "the preview tells the model the encoding")
    check("M\u00e4rs" in first, "the preview shows the text decoded")
    check(r.returncode == 0, "grove run exits 0")
    check_files_utf8(run_dir)
    journal = json.load(open(os.path.join(run_dir, "journal.json"), encoding="utf-8"))
    codes = {n["id"]: n["code"] for n in journal["nodes"]}
    check("M\ufffdrs" in codes.get(2, ""), "the Latin-1 reply's byte became U+FFFD")
    check(not node_json(run_dir, 0)["is_buggy"], "the Latin-1 aware script works")
    line = [l for l in r.stdout.splitlines() if l.startswith("[") and " 1 " in l[:30]]
    check(line and "column 'survived'" in line[0],
          "the progress line names the missing column: %s" % line)
    tree = subprocess.run([GROVE, "tree", run_dir], capture_output=True, text=True).stdout
    check("submission.csv: line 1: missing required column 'survived'" in tree,
          "grove tree shows the reason, not the folders:\n" + tree)
    # what a user sees at the end
    grade = json.load(open(os.path.join(run_dir, "best", "grade.json")))
    check(os.path.exists(grade["submission_path"]) and
          grade["submission_path"].endswith("/best/submission.csv"),
          "grade.json names the submission where it is: %s" % grade["submission_path"])
    status = git(run_dir, "status", "--porcelain")
    check(status == "", "git status in the run folder is clean:\n" + status)
    subjects = git(run_dir, "log", "--all", "--format=%s")
    check("*best*" not in subjects, "no subject claims *best*:\n" + subjects)
    check(not os.path.exists(os.path.join(run_dir, "best.tmp")), "no best.tmp/ left")


def snapshot(top):
    """Every path under top with its bytes and mtime: what 'untouched' means."""
    seen = {}
    for root, dirs, files in os.walk(top):
        for name in dirs + files:
            path = os.path.join(root, name)
            st = os.lstat(path)
            data = open(path, "rb").read() if os.path.isfile(path) else None
            seen[os.path.relpath(path, top)] = (data, st.st_mtime_ns)
    return seen


def userargs(env):
    """What a user can get wrong before a run starts, each refused with exit 2
    before anything is written: a --name that is someone's folder (left
    untouched, byte for byte), an empty name, '.', '..', a name with '/';
    a train.csv that is missing, empty, binary or only a header (no run
    folder made). Then a finished run resumed: --name, --out and --data-dir
    refused; --steps at or below the nodes done has nothing to do (no final
    re-run again, config.json untouched); --steps above them searches on and
    is written to config.json."""
    base = [GROVE, "run", "grove-titanic", "--data-dir", env.data, "--out", env.runs,
            "--model", "builtin:baseline", "--steps", "2", "--workers", "1",
            "--exec-timeout", "120", "--ensemble", "false"]
    mine = os.path.join(env.runs, "mine")
    for sub in ("best", "nodes/0"):
        os.makedirs(os.path.join(mine, sub))
    for rel, text in (("notes.txt", "my notes"), ("config.json", '{"mine": true}'),
                      ("best/keep.csv", "a,b\n1,2\n"), ("nodes/0/model.bin", "weights")):
        with open(os.path.join(mine, rel), "w") as f:
            f.write(text)
    before = snapshot(env.tmp)
    for name, says in (("mine", "is not a grove run"), ("", "one folder name"),
                       (".", "one folder name"), ("..", "one folder name"),
                       ("../x", "one folder name"), ("a/b", "one folder name")):
        r = env.run(base + ["--name", name], timeout=120)
        check(r.returncode == 2 and says in r.stderr,
              "--name %r refused with exit 2 (%d): %s" % (name, r.returncode, r.stderr))
        check(snapshot(env.tmp) == before, "--name %r touched nothing" % name)
    check("--name" in env.run(base + ["--name", "mine"]).stderr, "the message says the fix")

    comp = os.path.join(env.data, "grove-titanic")
    for kind, data in (("missing", None), ("empty", b""), ("binary", b"PK\x03\x04\x00\x00\xff"),
                       ("header-only", b"PassengerId,Survived,Pclass,Name\n")):
        bad = os.path.join(env.tmp, "bad-" + kind, "grove-titanic")
        shutil.copytree(comp, bad)
        train = os.path.join(bad, "prepared", "public", "train.csv")
        if data is None:
            os.unlink(train)
        else:
            open(train, "wb").write(data)
        r = env.run([GROVE, "run", bad, "--out", env.runs, "--name", "bad-" + kind,
                     "--model", "builtin:baseline", "--steps", "1"], timeout=120)
        check(r.returncode == 2 and train in r.stderr and "data:" in r.stderr,
              "%s train.csv refused with exit 2, naming it (%d): %s"
              % (kind, r.returncode, r.stderr))
        check(not os.path.exists(os.path.join(env.runs, "bad-" + kind)),
              "no run folder made for a %s train.csv" % kind)

    r = env.run(base + ["--name", "done"], timeout=600)
    print(r.stdout[-1500:], r.stderr[-1500:])
    check(r.returncode == 0, "a 2-step run exits 0")
    run_dir = os.path.join(env.runs, "done")
    for flag in ("--name", "--out", "--data-dir"):
        r = env.run([GROVE, "run", "--resume", run_dir, flag, "elsewhere"], timeout=120)
        check(r.returncode == 2 and flag in r.stderr and "--resume" in r.stderr,
              "--resume with %s refused (%d): %s" % (flag, r.returncode, r.stderr))
    cfg = open(os.path.join(run_dir, "config.json"), "rb").read()
    best = snapshot(os.path.join(run_dir, "best"))
    r = env.run([GROVE, "run", "--resume", run_dir, "--steps", "1"], timeout=600)
    print(r.stdout[-1500:], r.stderr[-1500:])
    check(r.returncode == 0 and "nothing to do" in r.stdout, "--steps 1 of 2 done: nothing to do")
    check("re-running" not in r.stdout, "the final is not re-run again")
    check(open(os.path.join(run_dir, "config.json"), "rb").read() == cfg,
          "config.json untouched when nothing moves")
    check(snapshot(os.path.join(run_dir, "best")) == best, "best/ untouched")
    r = env.run([GROVE, "run", "--resume", run_dir, "--steps", "3"], timeout=600)
    print(r.stdout[-1500:], r.stderr[-1500:])
    check(r.returncode == 0 and len(node_refs(run_dir)) == 3, "--steps 3 adds a node")
    check(json.load(open(os.path.join(run_dir, "config.json")))["steps"] == 3,
          "a flag that changes the resumed run is saved")


def printed_command(out, prefix):
    """The argument words of the first `PREFIX ...` command printed in out, as
    a shell reads them."""
    import shlex
    at = out.find(prefix)
    check(at >= 0, "a `%s` command is printed:\n%s" % (prefix, out[-1500:]))
    end = out.find("`", at) if out[at - 1] == "`" else out.find(")", at)
    return shlex.split(out[at:end])


def finalstop(env):
    """The end of a run, in a folder whose path has a space and a non-ASCII
    letter (every command printed for a user to copy is shell-quoted):
    --time-limit 30s with a slow script caps the final re-run by what is left
    of the limit (it was given what the script was expected to need); a SIGINT during the final re-run says so and how to finish,
    leaves no best.tmp/, and the resume makes best/."""
    env.runs = os.path.join(env.tmp, "my runs \u00e9t\u00e9")
    slow = reply("Draft: slow.", 2, 1.0).replace("import os\n", "import os, time\ntime.sleep(4)\n")
    env.start_mock({"replies": [slow], "replies_cycle": True})
    t0 = time.time()
    # 30 s: the search keeps a quarter for the re-run, which the first node
    # (4 s of sleep, a few of Python on a loaded machine) must finish before;
    # its full-data estimate (its time x 1.25 x 1.5 + 10 s) is more than that
    r = env.run(env.grove_args("timed", 1000, 1)[:-4] + ["--time-limit", "30s"], timeout=600)
    took = time.time() - t0
    print(r.stdout[-2500:], r.stderr[-1500:])
    import re
    m = re.search(r"timeout (\d+)s, (\d+)s of the time limit left", r.stdout)
    check(m and int(m.group(1)) <= int(m.group(2)),
          "the final re-run's timeout is capped by what is left of the limit: %s" %
          (m.group(0) if m else "no re-run line"))
    check(took <= 30 + 8, "a 30s run took %.1fs" % took)
    run_dir = os.path.join(env.runs, "timed")
    if "time limit ran out on the full data" in r.stdout:
        check(printed_command(r.stdout, "grove run --resume")[3] == run_dir,
              "the resume command names the run folder, quoted")
    check(printed_command(r.stdout, "git -C")[2] == run_dir,
          "the git command names the run folder, quoted")
    env.close_mock()

    # SIGINT during the final re-run (the script is slow on the full data only)
    final_slow = reply("Draft: slow on the full data.", 2, 1.0).replace(
        "import os\n", "import os, time\nif len(train) > 800: time.sleep(8)\n")
    env.start_mock({"replies": [final_slow]})
    run_dir = os.path.join(env.runs, "stopped")
    p = subprocess.Popen(env.grove_args("stopped", 1, 1), stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, env=env.env(), text=True)
    out = []
    for line in p.stdout:
        out.append(line)
        if "re-running node" in line:
            time.sleep(1)
            os.kill(p.pid, signal.SIGINT)
            break
    rest, err = p.communicate(timeout=60)
    out = "".join(out) + rest
    print(out[-2000:], err[-1500:])
    check(p.returncode == 130, "exit 130 after SIGINT in the final re-run: %s" % p.returncode)
    check("interrupted" in out and "final re-run" in out, "it says it was interrupted")
    check(printed_command(out, "grove run --resume")[3] == run_dir, "and how to finish, quoted")
    check(not os.path.exists(os.path.join(run_dir, "best.tmp")), "no best.tmp/ left")
    r = env.run([GROVE, "run", "--resume", run_dir], timeout=600)
    print(r.stdout[-1500:], r.stderr[-1500:])
    check(r.returncode == 0 and os.path.exists(os.path.join(run_dir, "best", "submission.csv")),
          "the resume makes the final submission")
    check(not os.path.exists(os.path.join(run_dir, "best.tmp")), "no best.tmp/ after the resume")


# Scenarios whose files must not sit in /tmp (see Env).
OUTSIDE_TMP = ("hidden", "symlink", "trainleak")


def main():
    scenario = sys.argv[1]
    env = Env(outside_tmp=scenario in OUTSIDE_TMP)
    try:
        {"scripted": scripted, "sigkill": sigkill, "sigint": sigint,
         "selfreport": selfreport, "mlebench": mlebench,
         "sigkill-bare": sigkill_bare, "sigkill-early": sigkill_early,
         "timelimit": timelimit,
         "hidden": hidden, "symlink": symlink, "trainleak": trainleak, "badbytes": badbytes,
         "endpoint": endpoint, "refused": refused, "garbage": garbage,
         "hang": hang, "replay": replay, "duplicate": duplicate,
         "latin1": latin1, "userargs": userargs, "finalstop": finalstop}[scenario](env)
    finally:
        env.close()
    print("e2e %s: ok" % scenario)


if __name__ == "__main__":
    main()

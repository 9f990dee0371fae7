#!/usr/bin/python3
"""gen_run.py: write a synthetic grove run folder, fast, for the report's
tests and benchmark.

    gen_run.py OUT_DIR [--nodes N] [--drafts K] [--seed S] [--hostile]

OUT_DIR becomes a git repository laid out as grove's journal is
(agent/journal.h): a `task` commit with config.json, description.md and
preview.md; one commit per node under its parent's commit (drafts under
task) holding solution.py, plan.md, output.txt, review.md and node.json with
the fields node_io.c writes; refs/heads/node/<id>, refs/heads/task,
refs/heads/best, HEAD -> best. Everything goes through one `git fast-import`
stream, so 1,000 nodes take a second or two.

The content is shaped like a long run's: K drafts (default 10) whose
scripts are entirely different from each other (about 23 KB each, the size
of the builtin coder's scripts), then improve and debug nodes whose script
is their parent's with a few lines changed, about 30 lines of output each
(half of them unique to the node), a short plan and a review. About 10% of
the nodes are buggy. It is written by no grove code: what the report reads
from it is what grove's own runs hold, which the tests also check on real
runs.

--hostile puts bytes a page must survive into node 1: '</script>' and
'<!--' in its plan and code, invalid UTF-8 in its output, U+2028 in its
review.
"""
import json
import os
import random
import subprocess
import sys

WORDS = ("train test feat model score fold mean std rate depth leaf alpha beta gamma "
         "lr epoch batch loss val pred target encode scale clip norm drop mask").split()


def line(rng):
    a, b, c = rng.choice(WORDS), rng.choice(WORDS), rng.choice(WORDS)
    forms = [
        '%s_%s = np.log1p(df["%s_%d"]) * %.4f' % (a, b, c, rng.randrange(100), rng.random()),
        'def %s_%s(x, %s=%d):' % (a, b, c, rng.randrange(50)),
        '    return x.%s(%s=%s) + %d' % (a, b, rng.choice(WORDS), rng.randrange(1000)),
        'params["%s_%s"] = %.5f  # %s %s' % (a, b, rng.random(), c, rng.choice(WORDS)),
        'for %s in range(%d):' % (a, rng.randrange(2, 64)),
        '    %s = %s.fit(X_%s, y_%s)' % (a, rng.choice(WORDS), b, c),
    ]
    return rng.choice(forms)


def draft_code(rng, n_lines=560):
    head = ["import numpy as np", "import pandas as pd",
            "from sklearn.model_selection import KFold", ""]
    return head + [line(rng) for _ in range(n_lines)]


def child_code(rng, code):
    code = list(code)
    for _ in range(rng.randint(1, 8)):
        i = rng.randrange(4, len(code))
        if rng.random() < 0.7:
            code[i] = line(rng)
        else:
            code.insert(i, line(rng))
    return code


def output(rng, nid, score, buggy):
    common = ["Detected columns: numeric 5, categorical 4, text 1",
              "Rows: train 733, test 183; label ['survived']",
              "[LightGBM] [Warning] No further splits with positive gain, best gain: -inf"] * 5
    mine = ["fold %d: %s %.6f (node %d)" % (k, rng.choice(WORDS), rng.random(), nid)
            for k in range(15)]
    tail = (['Traceback (most recent call last):', '  File "solution.py", line %d' % rng.randrange(500),
             "KeyError: 'feat_%d'" % nid] if buggy else ["Validation score: %.6f" % score])
    return "\n".join(common + mine + tail) + "\n"


def blob(data):
    if isinstance(data, str):
        data = data.encode("utf-8")
    return b"data %d\n%s\n" % (len(data), data)


def commit(out, ref, mark, parent_mark, when, msg, files):
    out.append(b"commit %s\nmark :%d\n" % (ref.encode(), mark))
    out.append(b"committer grove <grove@localhost> %d +0000\n" % int(when))
    out.append(blob(msg))
    if parent_mark:
        out.append(b"from :%d\n" % parent_mark)
    for name, data in files:
        out.append(b"M 100644 inline %s\n" % name.encode())
        out.append(blob(data))
    out.append(b"\n")


def main():
    args = sys.argv[1:]
    if not args or args[0].startswith("-"):
        sys.exit(__doc__)
    out_dir = args[0]
    opt = {"--nodes": 1000, "--drafts": 10, "--seed": 1}
    hostile = "--hostile" in args
    for k in opt:
        if k in args:
            opt[k] = int(args[args.index(k) + 1])
    rng = random.Random(opt["--seed"])
    os.makedirs(out_dir, exist_ok=True)
    subprocess.run(["git", "init", "-q", out_dir], check=True)
    t = 1796500000.0
    cfg = {"competition": "grove-titanic", "model": "builtin:baseline", "steps": opt["--nodes"],
           "workers": 4, "seed": opt["--seed"], "metric": "auc", "lower_is_better": False,
           "scoring": "auto", "policy": "greedy", "name": os.path.basename(out_dir.rstrip("/"))}
    s = []
    commit(s, "refs/heads/task", 1, None, t, "task: grove-titanic",
           [("config.json", json.dumps(cfg, indent=1)), ("description.md", "# Titanic\n"),
            ("preview.md", "train.csv: 733 rows\n")])
    codes, scores, kids, best = {}, {}, {}, None
    for nid in range(opt["--nodes"]):
        if nid < opt["--drafts"]:
            stage, parent = "draft", None
        else:
            good = [i for i in scores if scores[i] is not None]
            bad = [i for i in scores if scores[i] is None]
            if bad and rng.random() < 0.3:
                stage, parent = "debug", rng.choice(bad)
            else:
                stage, parent = "improve", rng.choice(good[-50:] if good else list(scores))
        code = draft_code(rng) if parent is None else child_code(rng, codes[parent])
        codes[nid] = code
        buggy = rng.random() < 0.1
        score = None if buggy else round(0.80 + 0.08 * rng.random() + nid * 0.00002, 6)
        scores[nid] = score
        plan = "Change %s %s: try %s with %s=%.3f.\n" % (
            rng.choice(WORDS), rng.choice(WORDS), rng.choice(WORDS), rng.choice(WORDS), rng.random())
        out_text = output(rng, nid, score or 0, buggy)
        review = "# Review of node %d\n\n- run: exit %d, %.1fs wall\n- outcome: %s\n" % (
            nid, 1 if buggy else 0, 10 + rng.random() * 30, "buggy" if buggy else "ok")
        code_text = "\n".join(code) + "\n"
        out_bytes = out_text.encode()
        if hostile and nid == 1:
            plan = "Close the page early: </script><script>document.title='pwned'</script> <!-- x\n"
            code_text = "# </script> <!-- <script>\n" + code_text
            out_bytes = b"bad bytes: \xff\xfe \xc3 cut\n" + out_bytes
            review += "- separator:\u2028here\n"
        created = t + nid * 80.0
        finished = created + 40 + rng.random() * 30
        node = {"id": nid, "step": nid, "stage": stage, "parent": parent, "score": score,
                "self_score": score, "is_buggy": buggy, "debug_depth": 1 if stage == "debug" else 0,
                "exec_time": 20 + rng.random() * 15, "model": "gpt-4o", "tokens_in": 6000 + nid,
                "tokens_out": 1500, "cost": 0.03, "created_at": created,
                "started_at": created + 1, "finished_at": finished}
        if buggy:
            node["bug_reason"] = "KeyError: 'feat_%d' (line 12)" % nid
            node["exception"] = "KeyError"
        if score is not None and (best is None or score > scores[best]):
            best = nid
        pmark = 1 if parent is None else parent + 2
        subject = "%s %d: %s | %s" % (stage, nid, plan.strip()[:60],
                                      "buggy" if buggy else "holdout auc %.4f" % score)
        commit(s, "refs/heads/node/%d" % nid, nid + 2, pmark, finished, subject,
               [("solution.py", code_text), ("plan.md", plan), ("output.txt", out_bytes),
                ("review.md", review), ("node.json", json.dumps(node, indent=1) + "\n")])
    if best is not None:
        s.append(b"reset refs/heads/best\nfrom :%d\n\n" % (best + 2))
    subprocess.run(["git", "-C", out_dir, "fast-import", "--quiet"], input=b"".join(s), check=True)
    subprocess.run(["git", "-C", out_dir, "symbolic-ref", "HEAD", "refs/heads/best"], check=True)


if __name__ == "__main__":
    main()

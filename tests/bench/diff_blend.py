#!/usr/bin/python3
"""The ensemble's arithmetic (bench/ensemble.c, bench/ensemble_fit.c) against numpy.

Random submissions of four competitions, members' rows shuffled (the blend
aligns them by id): a weighted mean of probabilities (grove-letters, one
column per class; grove-titanic, one column), of regression values
(grove-diamonds) and a weighted vote of labels (paddy-disease-classification,
ties to the best member), each compared with numpy within 1e-9; then the
greedy forward selection's weights and score against the same selection
written in numpy over sklearn's metrics; then members that cannot be aligned
are refused with the reason.

usage: diff_blend.py BLEND_TOOL
"""
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np
import pandas as pd
from sklearn.metrics import accuracy_score, log_loss

TOOL = sys.argv[1]
TMP = tempfile.mkdtemp(prefix="diff_blend.")
rng = np.random.default_rng(7)
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what)


def write(df, name, shuffle=True):
    path = os.path.join(TMP, name)
    if shuffle:
        df = df.sample(frac=1.0, random_state=int(rng.integers(1 << 30)))
    df.to_csv(path, index=False, float_format="%.12g")
    return path


def tool(comp, weights, subs, out="blend.csv"):
    out = os.path.join(TMP, out)
    arg = weights if isinstance(weights, str) else ",".join(repr(float(w)) for w in weights)
    p = subprocess.run([TOOL, comp, out, arg] + subs, capture_output=True, text=True)
    if p.returncode != 0:
        raise SystemExit(f"blend_tool failed: {p.stderr}")
    return json.loads(p.stdout), out


def members(n_rows, n_members, make):
    ids = [f"r{i:05d}" for i in range(n_rows)]
    dfs = [make(ids) for _ in range(n_members)]
    return ids, dfs


def mean_blend(dfs, w, cols):
    w = np.asarray(w, float)
    stack = np.stack([d.set_index("id").sort_index()[cols].to_numpy() for d in dfs])
    return (np.tensordot(w, stack, axes=1) / w.sum())


def vote_blend(dfs, w, col, idc):
    frames = [d.set_index(idc).sort_index()[col].to_numpy() for d in dfs]
    out = []
    for r in range(len(frames[0])):
        tally = {}
        order = []
        for i, f in enumerate(frames):
            if w[i] <= 0:
                continue
            if f[r] not in tally:
                order.append(f[r])
                tally[f[r]] = 0.0
            tally[f[r]] += w[i]
        pick = None
        for lab in order:  # first seen wins a tie (1e-12 as the C side)
            if pick is None or tally[lab] > tally[pick] + 1e-12:
                pick = lab
        out.append(pick)
    return np.array(out)


# ---- fixed weights --------------------------------------------------------
classes = [chr(ord("A") + k) for k in range(5)]


def letters(ids):
    p = rng.dirichlet(np.full(len(classes), 2.0), size=len(ids)) * 0.9 + 0.1 / len(classes)
    df = pd.DataFrame(p, columns=classes)
    df.insert(0, "id", ids)
    return df


ids, dfs = members(300, 4, letters)
subs = [write(d, f"letters{i}.csv", shuffle=i > 0) for i, d in enumerate(dfs)]
w = [0.5, 0.25, 0.0, 0.25]
res, out = tool("grove-letters", w, subs)
got = pd.read_csv(out).set_index("id").sort_index()
want = mean_blend(dfs, w, classes)
check(res["method"] == "mean", "letters: method mean")
check(np.max(np.abs(got[classes].to_numpy() - want)) < 1e-9, "letters: mean of probabilities")
check(list(pd.read_csv(out)["id"]) == ids, "letters: the best member's row order")
check(np.max(np.abs(got[classes].sum(axis=1) - 1)) < 1e-9, "letters: rows still sum to 1")

ids, dfs = members(200, 3, lambda ids: pd.DataFrame({"id": ids, "survived": rng.random(len(ids))}))
subs = [write(d, f"titanic{i}.csv", shuffle=i > 0) for i, d in enumerate(dfs)]
w = [0.3, 0.3, 0.4]
res, out = tool("grove-titanic", w, subs)
got = pd.read_csv(out).set_index("id").sort_index()
check(np.max(np.abs(got["survived"].to_numpy() - mean_blend(dfs, w, ["survived"])[:, 0])) < 1e-9,
      "titanic: mean of one probability column")


def diamonds(ids):
    return pd.DataFrame({"id": ids, "price": rng.uniform(300, 19000, len(ids))})


ids, dfs = members(250, 5, diamonds)
subs = [write(d, f"diamonds{i}.csv", shuffle=i > 0) for i, d in enumerate(dfs)]
w = [0.2, 0.1, 0.3, 0.1, 0.3]
res, out = tool("grove-diamonds", w, subs)
got = pd.read_csv(out).set_index("id").sort_index()
rel = np.abs(got["price"].to_numpy() / mean_blend(dfs, w, ["price"])[:, 0] - 1)
check(np.max(rel) < 1e-9, "diamonds: mean of regression values")

labels = ["blast", "normal", "tungro", "hispa"]


def paddy(ids):
    return pd.DataFrame({"image_id": ids, "label": rng.choice(labels, len(ids))})


pids, pdfs = members(400, 5, paddy)
psubs = [write(d, f"paddy{i}.csv", shuffle=i > 0) for i, d in enumerate(pdfs)]
for w in ([0.2] * 5, [0.4, 0.3, 0.1, 0.1, 0.1], [0.1, 0.3, 0.3, 0.0, 0.3]):
    res, out = tool("paddy-disease-classification", w, psubs)
    got = pd.read_csv(out).set_index("image_id").sort_index()["label"].to_numpy()
    check(res["method"] == "vote", "paddy: method vote")
    check((got == vote_blend(pdfs, w, "label", "image_id")).all(), f"paddy: weighted vote {w}")


# ---- the weights' fit ---------------------------------------------------------
def caruana(preds, score, lower, rounds):
    """Greedy forward selection with replacement, the rule of ensemble_fit.c."""
    n = len(preds)
    count = np.zeros(n)
    best_count, best_score, single = None, None, None
    better = (lambda a, b: a < b) if lower else (lambda a, b: a > b)
    for r in range(rounds):
        pick, pick_s = -1, None
        for j in range(n):
            count[j] += 1
            s = score(count / count.sum())
            count[j] -= 1
            tie = pick >= 0 and not better(s, pick_s) and not better(pick_s, s)
            if pick < 0 or better(s, pick_s) or (tie and count[j] < count[pick]):
                pick, pick_s = j, s
        count[pick] += 1
        if r == 0:
            single = pick_s
        if best_score is None or better(pick_s, best_score):
            best_count, best_score = count.copy(), pick_s
    return best_count / best_count.sum(), best_score, single


def diamonds_fit():
    truth = rng.uniform(300, 19000, 250)
    ids = [f"r{i:05d}" for i in range(250)]
    ans = write(pd.DataFrame({"id": ids, "price": truth}), "diamonds_answers.csv", shuffle=False)
    dfs = [pd.DataFrame({"id": ids, "price": truth * rng.lognormal(0, s, 250)})
           for s in (0.2, 0.25, 0.3, 0.35)]
    subs = [write(d, f"dfit{i}.csv", shuffle=i > 0) for i, d in enumerate(dfs)]
    preds = [pd.read_csv(s).set_index("id").loc[ids, "price"].to_numpy() for s in subs]

    def rmsle(w):
        p = np.tensordot(w, np.stack(preds), axes=1)
        return math.sqrt(np.mean((np.log1p(p) - np.log1p(truth)) ** 2))

    return "grove-diamonds", ans, subs, preds, rmsle, True


def letters_fit():
    n = 300
    ids = [f"r{i:05d}" for i in range(n)]
    y = rng.integers(0, len(classes), n)
    onehot = np.eye(len(classes))[y]
    ans = pd.DataFrame(onehot, columns=classes)
    ans.insert(0, "id", ids)
    ans_path = write(ans, "letters_answers.csv", shuffle=False)
    preds = []
    for k in range(4):
        p = rng.dirichlet(np.full(len(classes), 1.5), size=n) * 0.6 + onehot * (0.3 - 0.02 * k)
        p /= p.sum(axis=1, keepdims=True)
        preds.append(p)
    dfs = []
    for p in preds:
        d = pd.DataFrame(p, columns=classes)
        d.insert(0, "id", ids)
        dfs.append(d)
    subs = [write(d, f"lfit{i}.csv", shuffle=i > 0) for i, d in enumerate(dfs)]
    # the blend reads the members as written (12 digits), as numpy must
    preds = [pd.read_csv(s).set_index("id").loc[ids, classes].to_numpy() for s in subs]

    def logloss(w):
        return log_loss(y, np.tensordot(w, np.stack(preds), axes=1), labels=range(len(classes)))

    return "grove-letters", ans_path, subs, preds, logloss, True


def paddy_fit():
    n = 400
    ids = [f"p{i:05d}" for i in range(n)]
    truth = rng.choice(labels, n)
    ans = write(pd.DataFrame({"image_id": ids, "label": truth}), "paddy_answers.csv", shuffle=False)
    dfs = []
    for acc in (0.62, 0.6, 0.58, 0.55):
        lab = np.where(rng.random(n) < acc, truth, rng.choice(labels, n))
        dfs.append(pd.DataFrame({"image_id": ids, "label": lab}))
    subs = [write(d, f"pfit{i}.csv", shuffle=i > 0) for i, d in enumerate(dfs)]

    def accuracy(w):
        return accuracy_score(truth, vote_blend(dfs, w, "label", "image_id"))

    return "paddy-disease-classification", ans, subs, None, accuracy, False


for make in (diamonds_fit, letters_fit, paddy_fit):
    comp, ans, subs, _, score, lower = make()
    res, out = tool(comp, f"fit:8:{ans}", subs)
    w, s, single = caruana(subs, score, lower, 8)
    check(np.max(np.abs(np.array(res["weights"]) - w)) < 1e-9,
          f"{comp}: fitted weights {res['weights']} vs numpy's {list(w)}")
    check(abs(res["score"] - s) < 1e-9, f"{comp}: fitted score {res['score']} vs {s}")
    check(abs(res["single"] - single) < 1e-9, f"{comp}: best single {res['single']} vs {single}")
    check(res["score"] <= res["single"] if lower else res["score"] >= res["single"],
          f"{comp}: the blend is never worse than the best single member")
    print(f"{comp}: weights {np.round(w, 3).tolist()}, blend {s:.6f}, best single {single:.6f}")

# ---- refusals ------------------------------------------------------------------
ids, dfs = members(50, 1, diamonds)
good = write(dfs[0], "ref.csv", shuffle=False)
other = dfs[0].copy()
other.loc[3, "id"] = "nobody"
bad_id = write(other, "bad_id.csv")
bad_col = write(dfs[0].rename(columns={"price": "cost"}), "bad_col.csv")
short = write(dfs[0].iloc[:-1], "short.csv")
text = dfs[0].copy()
text["price"] = text["price"].astype(object)
text.loc[5, "price"] = "cheap"
bad_num = write(text, "bad_num.csv")
res, out = tool("grove-diamonds", "1,0,0,0,0", [good, bad_id, bad_col, short, bad_num])
why = {r["member"]: r["why"] for r in res["refused"]}
check("id 'nobody' is not in the best member" in why.get(1, ""), f"refused id: {why.get(1)}")
check("no column 'price'" in why.get(2, ""), f"refused column: {why.get(2)}")
check("49 rows, the best member's 50" in why.get(3, ""), f"refused rows: {why.get(3)}")
check("'cheap' is not a finite number" in why.get(4, ""), f"refused number: {why.get(4)}")
p = subprocess.run([TOOL, "grove-diamonds", os.path.join(TMP, "x.csv"), "1,1", good, bad_id],
                   capture_output=True, text=True)
check(p.returncode == 1 and "refused member" in p.stderr, "a refused member cannot take weight")

shutil.rmtree(TMP, ignore_errors=True)
print(f"{'FAILED' if failures else 'ok'}: {len(failures)} failure(s)")
sys.exit(1 if failures else 0)

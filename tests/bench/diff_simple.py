#!/usr/bin/python3
"""diff_simple.py: differential test of the graders of 18 single-column (or
three-column) competitions against pandas + scikit-learn.

    /usr/bin/python3 diff_simple.py GRADE_TOOL [SEED]

For each competition, random answers and submissions in its real column
layout (shuffled rows, ties, the spellings pandas reads as one type or
another: 2 / 2.0, True / true / 1) are graded by GRADE_TOOL
(tests/bench/grade_tool.c) and by an independent oracle: the files read with
pandas.read_csv, rows lined up by id, the metric from scikit-learn 1.2 /
numpy. Validity must agree; scores agree to 1e-9 relative. Expected-invalid
cases check that the error names the line or column. Prints one line per
case and "N cases, M failed".
"""
import json
import math
import os
import random
import subprocess
import sys
import tempfile

import warnings

import numpy as np
import pandas as pd
from sklearn import metrics

warnings.filterwarnings("ignore")
TOOL = sys.argv[1]
SEED = int(sys.argv[2]) if len(sys.argv) > 2 else 7
rng = random.Random(SEED)
tmp = tempfile.mkdtemp(prefix="grove_simple_")
A_PATH, S_PATH = os.path.join(tmp, "answers.csv"), os.path.join(tmp, "submission.csv")
failures = []
count = 0


def write_csv(path, header, rows):
    with open(path, "w", newline="") as f:
        f.write(",".join(header) + "\n")
        for r in rows:
            f.write(",".join(r) + "\n")


def fmt(x):
    return repr(float(x))


def grade(comp):
    out = subprocess.run([TOOL, comp, S_PATH, A_PATH], capture_output=True, text=True)
    return json.loads(out.stdout)


def close(a, b):
    return abs(a - b) <= 1e-9 * max(1.0, abs(b))


# ---- the oracle: pandas + sklearn, from each grader's definition ----------

def read(path):
    return pd.read_csv(path, float_precision="round_trip")


def lined_up(a, s, idc, cols):
    """Answers and submission sorted by id, or None where they do not match."""
    if len(s) != len(a) or any(c not in s.columns for c in [idc] + cols):
        return None
    a = a.sort_values(idc, kind="stable").reset_index(drop=True)
    s = s.sort_values(idc, kind="stable").reset_index(drop=True)
    if (a[idc].values != s[idc].values).any():
        return None
    return a, s


def first_int(y):
    return int(y) if isinstance(y, int) else int(y.split()[0])


def oracle(kind, idc, cols):
    """The expected score, or None when the grader must call it invalid."""
    a, s = read(A_PATH), read(S_PATH)
    t = cols[0]
    try:
        both = lined_up(a, s, idc, cols)
        if both is None:
            return None
        a, s = both
        if kind == "accuracy":
            return metrics.accuracy_score(a[t].to_numpy(), s[t].to_numpy())
        if kind == "accuracy_fill":
            return metrics.accuracy_score(a[t], s[t].fillna("").tolist())
        if kind in ("auc", "logloss", "lmsys"):
            v = s[cols].apply(pd.to_numeric)
            if not ((v >= 0) & (v <= 1)).all().all():
                return None
            if kind == "auc":
                return metrics.roc_auc_score(a[t].to_numpy(), v[t].to_numpy())
            if kind == "logloss":
                return metrics.log_loss(a[t].to_numpy(), v[t].to_numpy())
            if not v.sum(axis=1).round(6).eq(1).all():
                return None
            return metrics.log_loss(a[cols].to_numpy(), v.to_numpy())
        if kind == "rmse_1_100":
            if not s[t].between(1, 100).all():
                return None
            return math.sqrt(metrics.mean_squared_error(a[t], s[t]))
        if kind == "qwk":
            return metrics.cohen_kappa_score(s[t].values, a[t].values, weights="quadratic")
        if kind == "f1_int":
            return metrics.f1_score([int(y) for y in a[t]], [int(y) for y in s[t]],
                                    average="macro")
        if kind == "top1":
            return 1 - metrics.accuracy_score([int(y) for y in a[t]],
                                              [first_int(y) for y in s[t]])
    except Exception:
        return None
    raise ValueError(kind)


COMPS = {
    # competition: (oracle kind, id column, target columns)
    "spaceship-titanic": ("accuracy", "PassengerId", ["Transported"]),
    "cassava-leaf-disease-classification": ("accuracy", "image_id", ["label"]),
    "cdiscount-image-classification-challenge": ("accuracy", "_id", ["category_id"]),
    "iwildcam-2020-fgvc7": ("accuracy", "Id", ["Category"]),
    "ml2021spring-hw2": ("accuracy", "Id", ["ClassId"]),
    "movie-review-sentiment-analysis-kernels-only": ("accuracy", "PhraseId", ["Sentiment"]),
    "tensorflow-speech-recognition-challenge": ("accuracy", "fname", ["label"]),
    "paddy-disease-classification": ("accuracy_fill", "image_id", ["label"]),
    "invasive-species-monitoring": ("auc", "name", ["invasive"]),
    "seti-breakthrough-listen": ("auc", "id", ["target"]),
    "rsna-miccai-brain-tumor-radiogenomic-classification": ("auc", "BraTS21ID", ["MGMT_value"]),
    "statoil-iceberg-classifier-challenge": ("logloss", "id", ["is_iceberg"]),
    "lmsys-chatbot-arena": ("lmsys", "id", ["winner_model_a", "winner_model_b", "winner_tie"]),
    "petfinder-pawpularity-score": ("rmse_1_100", "Id", ["Pawpularity"]),
    "learning-agency-lab-automated-essay-scoring-2": ("qwk", "essay_id", ["score"]),
    "herbarium-2020-fgvc7": ("f1_int", "Id", ["Predicted"]),
    "iwildcam-2019-fgvc6": ("f1_int", "Id", ["Category"]),
    "inaturalist-2019-fgvc6": ("top1", "id", ["predicted"]),
}


def run(name, comp, ans_rows, sub_rows, needle=None, shuffle=True):
    """Write the files (submission rows shuffled), grade both ways, compare.
    needle: the case is meant to be invalid and the error must contain it."""
    global count
    count += 1
    kind, idc, cols = COMPS[comp]
    write_csv(A_PATH, [idc] + cols, ans_rows)
    sub_rows = list(sub_rows)
    if shuffle:
        rng.shuffle(sub_rows)
    write_csv(S_PATH, [idc] + cols, sub_rows)
    rep = grade(comp)
    exp = oracle(kind, idc, cols)
    if exp is None:
        err = rep.get("error") or ""
        ok = rep.get("valid_submission") is False and rep.get("score") is None
        ok = ok and (needle is None or needle in err)
        print("%-4s %-44s invalid: %s" % ("ok" if ok else "FAIL", name, err[:110]))
    else:
        ok = needle is None and rep.get("valid_submission") is True and \
            close(rep.get("score_raw", math.nan), exp)
        print("%-4s %-44s grove %-22r oracle %r" % ("ok" if ok else "FAIL", name,
                                                     rep.get("score_raw"), exp))
    if not ok:
        failures.append((name, rep, exp))


def ids(n, style):
    if style == "int":
        return [str(1000 + 7 * i) for i in range(n)]
    if style == "hex":
        return ["%08x" % rng.getrandbits(32) + "_%d" % i for i in range(n)]
    return ["%s_%05d.jpg" % (style, i) for i in range(n)]


def pairs(idl, ys, ps):
    return [[i, y] for i, y in zip(idl, ys)], [[i, p] for i, p in zip(idl, ps)]


def noisy(ys, choices, rate):
    return [y if rng.random() > rate else rng.choice(choices) for y in ys]


# ---- per competition ----------------------------------------------------

def label_cases(comp, style, labels, k):
    """accuracy_pd competitions with integer or text labels."""
    n = rng.randint(20, 600)
    idl = ids(n, style)
    ys = [rng.choice(labels) for _ in range(n)]
    ps = noisy(ys, labels, 0.4)
    a, s = pairs(idl, ys, ps)
    run("%s #%d" % (comp, k), comp, a, s)
    if labels[0].lstrip("-").isdigit():
        s2 = [[i, p + ".0"] for i, p in zip(idl, ps)]
        run("%s floats #%d" % (comp, k), comp, a, s2)
        bad = [r[:] for r in s2]
        bad[n // 2][1] = "2.5"
        run("%s non-whole label" % comp, comp, a, bad, "'2.5' is not a whole number")
        txt = [r[:] for r in s]
        txt[0][1] = "cat"  # one text cell: pandas reads every cell as text
        run("%s text column" % comp, comp, a, txt)
    bad = [r[:] for r in s]
    bad[3][1] = ""
    run("%s empty cell" % comp, comp, a, bad, "is missing")
    run("%s missing row" % comp, comp, a, s[:-1], "missing")


def spaceship(k):
    comp = "spaceship-titanic"
    n = rng.randint(20, 600)
    idl = ["%04d_%02d" % (i, rng.randint(1, 3)) for i in range(n)]
    ys = [rng.choice(["True", "False"]) for _ in range(n)]
    ps = noisy(ys, ["True", "False"], 0.3)
    a, s = pairs(idl, ys, ps)
    run("spaceship #%d" % k, comp, a, s)
    spell = {"True": ["true", "TRUE", "1"][k % 3], "False": ["false", "FALSE", "0"][k % 3]}
    run("spaceship spelled %s" % spell["True"], comp, a,
        [[i, spell[p]] for i, p in zip(idl, ps)])
    if k == 0:
        run("spaceship yes/no", comp, a, [[i, "yes" if p == "True" else "no"]
                                          for i, p in zip(idl, ps)], "Transported")
        mixed = [r[:] for r in s]
        mixed[0][1], mixed[1][1], mixed[2][1] = "yes", "no", "maybe"
        run("spaceship three text labels", comp, a, mixed)
        gap = [r[:] for r in s]
        gap[5][1] = "NA"
        run("spaceship NA cell", comp, a, gap, "'NA' is missing")


def paddy(k):
    comp = "paddy-disease-classification"
    labels = ["blast", "normal", "hispa", "tungro", "brown_spot", "dead_heart"]
    n = rng.randint(20, 600)
    idl = ["%06d.jpg" % (100000 + i) for i in range(n)]
    ys = [rng.choice(labels) for _ in range(n)]
    ps = noisy(ys, labels + ["", "nan"], 0.4)
    a, s = pairs(idl, ys, ps)
    run("paddy #%d" % k, comp, a, s)


def auc_cases(comp, style, k):
    n = rng.randint(20, 1500)
    idl = ids(n, style)
    ys = [int(rng.random() < 0.3) for _ in range(n)]
    ys[0], ys[1] = 0, 1
    ps = [round(rng.random(), rng.choice([1, 2, 17])) for _ in range(n)]
    a, s = pairs(idl, [str(y) for y in ys], [fmt(p) for p in ps])
    run("%s #%d" % (comp, k), comp, a, s)
    if k == 0:
        bad = [r[:] for r in s]
        bad[4][1] = "1.5"
        run("%s out of [0,1]" % comp, comp, a, bad, "not a probability")
        bad[4][1] = ""
        run("%s empty cell" % comp, comp, a, bad, "is empty")
        dup = [r[:] for r in s]
        dup[1][0] = dup[0][0]
        run("%s duplicate id" % comp, comp, a, dup, "appears more often")


def statoil(k):
    comp = "statoil-iceberg-classifier-challenge"
    n = rng.randint(20, 1500)
    idl = ids(n, "hex")
    ys = [int(rng.random() < 0.45) for _ in range(n)]
    ys[0], ys[1] = 0, 1
    ps = [rng.choice([0.0, 1.0, rng.random(), 1e-20]) for _ in range(n)]
    a, s = pairs(idl, [str(y) for y in ys], [fmt(p) for p in ps])
    run("statoil #%d" % k, comp, a, s)
    if k == 0:
        bad = [r[:] for r in s]
        bad[2][1] = "-0.1"
        run("statoil negative", comp, a, bad, "column 'is_iceberg'")
        run("statoil unknown id", comp, a, s[:-1] + [["zzz", "0.5"]], "id 'zzz'")


def lmsys(k):
    comp = "lmsys-chatbot-arena"
    n = rng.randint(20, 800)
    idl = [str(30192 + 13 * i) for i in range(n)]
    Y = np.zeros((n, 3), dtype=int)
    Y[np.arange(n), [rng.randrange(3) for _ in range(n)]] = 1
    P = np.array([[rng.random() for _ in range(3)] for _ in range(n)])
    P = P / P.sum(axis=1, keepdims=True)
    P = np.round(P, rng.choice([3, 17]))
    P[:, 2] = 1 - P[:, 0] - P[:, 1]
    P[P < 0] = 0
    a = [[i] + [str(v) for v in r] for i, r in zip(idl, Y)]
    s = [[i] + [fmt(v) for v in r] for i, r in zip(idl, P)]
    run("lmsys #%d" % k, comp, a, s)
    if k == 0:
        near = [r[:] for r in s]
        near[0][1:] = ["0.3", "0.3", "0.4000004"]  # rounds to 1.0
        run("lmsys sum 1+4e-7 (rounds to 1)", comp, a, near)
        off = [r[:] for r in s]
        off[0][1:] = ["0.3", "0.3", "0.400002"]  # np.isclose would pass it
        run("lmsys sum 1+2e-6", comp, a, off, "sum to 1.000002")
        bad = [r[:] for r in s]
        bad[1][2] = "1.2"
        run("lmsys out of [0,1]", comp, a, bad, "column 'winner_model_b'")


def petfinder(k):
    comp = "petfinder-pawpularity-score"
    n = rng.randint(20, 1500)
    idl = ids(n, "hex")
    ys = [rng.randint(1, 100) for _ in range(n)]
    ps = [min(100, max(1, y + rng.gauss(0, 20))) for y in ys]
    ps[0], ps[1] = 1, 100  # the bounds are allowed
    a, s = pairs(idl, [str(y) for y in ys], [fmt(p) for p in ps])
    run("petfinder #%d" % k, comp, a, s)
    if k == 0:
        for v in ("0.5", "100.01", "nan"):
            bad = [r[:] for r in s]
            bad[7][1] = v
            run("petfinder value %s" % v, comp, a, bad, "column 'Pawpularity'")


def essay(k):
    comp = "learning-agency-lab-automated-essay-scoring-2"
    n = rng.randint(20, 1500)
    idl = ids(n, "hex")
    ys = [rng.choice([1, 2, 3, 3, 4, 4, 5, 6]) for _ in range(n)]
    ps = [min(6, max(1, y + rng.choice([-1, 0, 0, 1]))) for y in ys]
    a, s = pairs(idl, [str(y) for y in ys],
                 [str(p) + (".0" if k % 2 else "") for p in ps])
    run("essay qwk #%d" % k, comp, a, s)
    if k == 0:
        bad = [r[:] for r in s]
        bad[3][1] = "3.5"
        run("essay non-whole score", comp, a, bad, "'3.5' is not a whole number")
        bad[3][1] = "three"
        run("essay text score", comp, a, bad, "is not a number")


def f1_int(comp, k):
    n = rng.randint(20, 1500)
    idl = [str(i) for i in range(n)]
    rng.shuffle(idl)
    labels = list(range(rng.choice([3, 30, 300])))
    ys = rng.choices(labels, [1.0 / (j + 1) for j in labels], k=n)
    ps = noisy(ys, labels + [9999], 0.4)
    cells = [str(p) + (".7" if k % 2 and j % 5 == 0 else "") for j, p in enumerate(ps)]
    a, s = pairs(idl, [str(y) for y in ys], cells)
    run("%s #%d%s" % (comp, k, " (floats truncate)" if k % 2 else ""), comp, a, s)
    if k == 0:
        bad = [r[:] for r in s]
        bad[2][1] = "abc"
        run("%s text label" % comp, comp, a, bad, "'abc' is not an integer")
        bad[2][1] = ""
        run("%s empty label" % comp, comp, a, bad, "column '%s'" % COMPS[comp][2][0])


def inaturalist(k):
    comp = "inaturalist-2019-fgvc6"
    n = rng.randint(20, 1500)
    idl = [str(i) for i in range(n)]
    labels = list(range(1010))
    ys = [rng.choice(labels) for _ in range(n)]
    ps = noisy(ys, labels, 0.5)
    if k % 2:  # top-5 lists: the first guess counts
        cells = ["%d %d %d" % (p, rng.choice(labels), rng.choice(labels)) for p in ps]
    else:
        cells = [str(p) for p in ps]
    a, s = pairs(idl, [str(y) for y in ys], cells)
    run("inaturalist #%d%s" % (k, " (top-5 lists)" if k % 2 else ""), comp, a, s)
    if k == 0:
        bad = [r[:] for r in s]
        bad[0][1] = "3.0"
        run("inaturalist float label", comp, a, bad, "'3.0' is not an integer")
        bad[0][1] = ""
        run("inaturalist empty label", comp, a, bad, "column 'predicted'")


INT_LABELS = [str(i) for i in range(5)]
for k in range(3):
    spaceship(k)
    paddy(k)
    statoil(k)
    lmsys(k)
    petfinder(k)
    essay(k)
    inaturalist(k)
    for comp in ("herbarium-2020-fgvc7", "iwildcam-2019-fgvc6"):
        f1_int(comp, k)
    for comp, style in (("invasive-species-monitoring", "int"),
                        ("seti-breakthrough-listen", "hex"),
                        ("rsna-miccai-brain-tumor-radiogenomic-classification", "int")):
        auc_cases(comp, style, k)
for comp, style, labels in (
        ("cassava-leaf-disease-classification", "img", INT_LABELS),
        ("cdiscount-image-classification-challenge", "int",
         [str(1000010653 + 17 * j) for j in range(40)]),
        ("iwildcam-2020-fgvc7", "hex", [str(j) for j in (0, 1, 3, 8, 72, 571)]),
        ("ml2021spring-hw2", "int", [str(j) for j in range(39)]),
        ("movie-review-sentiment-analysis-kernels-only", "int", INT_LABELS),
        ("tensorflow-speech-recognition-challenge", "clip",
         ["yes", "no", "up", "down", "on", "off", "silence", "unknown"])):
    for k in range(2):
        label_cases(comp, style, labels, k)
print("%d cases, %d failed" % (count, len(failures)))
sys.exit(1 if failures else 0)

#!/usr/bin/python3
"""diff_sklearn.py: differential test of grove's metrics against scikit-learn.

    /usr/bin/python3 diff_sklearn.py GRADE_TOOL [SEED]

For every metric grove implements, generates random answers and submissions
in the columns of a registry competition that uses it (ties, imbalanced
classes, extreme and boundary probabilities, shuffled row order), grades
them with GRADE_TOOL (tests/bench/grade_tool.c: the streaming grader and
bench_metric over tables) and compares with scikit-learn 1.2 / numpy to 1e-9
relative. Also checks that broken submissions are reported invalid with the
line and column, never scored. Needs Debian's python3 with numpy, pandas,
sklearn; prints one line per case and "N cases, M failed".
"""
import math
import random
import sys
import tempfile

import numpy as np
from sklearn import metrics

import gradekit
from gradekit import close, fmt

TOOL = sys.argv[1]
SEED = int(sys.argv[2]) if len(sys.argv) > 2 else 4
rng = random.Random(SEED)
tmp = tempfile.mkdtemp(prefix="grove_diff_")
failures = []
count = 0


def grade(comp, answers, submission):
    return gradekit.grade(TOOL, tmp, comp, answers, submission)


def check(name, comp, answers, submission, expected, aligned):
    global count
    count += 1
    rep = grade(comp, answers, submission)
    ok = rep.get("valid_submission") and close(rep["score_raw"], expected)
    ok = ok and rep["score"] == round(expected, 5) or (ok and close(rep["score"], round(expected, 5)))
    if aligned and ok:
        ok = close(rep.get("table_score", math.nan), expected)
    print("%-4s %-28s grove %-22r sklearn %r" % ("ok" if ok else "FAIL", name,
                                                  rep.get("score_raw"), expected))
    if not ok:
        failures.append((name, rep))


def expect_invalid(name, comp, answers, submission, needle):
    global count
    count += 1
    rep = grade(comp, answers, submission)
    err = rep.get("error") or ""
    ok = rep.get("valid_submission") is False and rep.get("score") is None and needle in err
    print("%-4s %-28s %s" % ("ok" if ok else "FAIL", name, err))
    if not ok:
        failures.append((name, rep))


def ids(n):
    return ["r%05d" % i for i in range(n)]


def scores(n, mode):
    if mode == "ties":
        return [round(rng.random(), 1) for _ in range(n)]
    if mode == "extreme":
        return [rng.choice([0.0, 1.0, 1e-300, 1 - 1e-16, rng.random()]) for _ in range(n)]
    return [rng.random() for _ in range(n)]


def order(n, shuffle):
    idx = list(range(n))
    if shuffle:
        rng.shuffle(idx)
    return idx


def case_auc(k, n=None):
    n = n or rng.randint(20, 2000)
    rate = rng.choice([0.5, 0.1, 0.01 + 2.0 / n])
    y = [int(rng.random() < rate) for _ in range(n)]
    y[0], y[1] = (0, 1) if k % 4 < 2 else (1, 0)  # either label may come first
    lo, hi = rng.choice([(0, 1), (-1, 1), (2, 7)])
    y = [hi if v else lo for v in y]
    p = scores(n, rng.choice(["plain", "ties", "extreme"]))
    shuffle = k % 2 == 1
    rows = order(n, shuffle)
    # ids of one length (the 32-bit id slots) or of several (the 64-bit ones)
    names = ids(n) if k % 3 else ["r%d" % i for i in range(n)]
    ans = (["id", "has_cactus"], [[i, str(v)] for i, v in zip(names, y)])
    sub = (["id", "has_cactus"], [[names[i], fmt(p[i])] for i in rows])
    check("auc #%d (n=%d)" % (k, n), "aerial-cactus-identification", ans, sub,
          metrics.roc_auc_score(y, p), not shuffle)


def case_auc_cols(k):
    n = rng.randint(30, 1500)
    cols = ["healthy", "multiple_diseases", "rust", "scab"]
    Y = np.array([[int(rng.random() < 0.3) for _ in cols] for _ in range(n)])
    Y[0], Y[1] = 0, 1
    P = np.array([scores(len(cols), "ties") for _ in range(n)])
    ans = (["image_id"] + cols, [[i] + [str(v) for v in r] for i, r in zip(ids(n), Y)])
    sub = (["image_id"] + cols, [[i] + [fmt(v) for v in r] for i, r in zip(ids(n), P)])
    check("auc_cols #%d (n=%d)" % (k, n), "plant-pathology-2020-fgvc7", ans, sub,
          metrics.roc_auc_score(Y, P, average="macro"), True)


def case_ranzcr(k):
    """11 label columns in answers and submission; MLE-bench scores the first 9."""
    cols = ["ETT - Abnormal", "ETT - Borderline", "ETT - Normal", "NGT - Abnormal",
            "NGT - Borderline", "NGT - Incompletely Imaged", "NGT - Normal",
            "CVC - Abnormal", "CVC - Borderline", "CVC - Normal", "Swan Ganz Catheter Present"]
    n = rng.randint(30, 600)
    Y = np.array([[int(rng.random() < 0.25) for _ in cols] for _ in range(n)])
    Y[0], Y[1] = 0, 1
    Y[:, 10] = 0  # a column with one class: fine, since it is not scored
    P = np.array([scores(len(cols), "ties") for _ in range(n)])
    rows = order(n, k % 2 == 1)
    ans = (["StudyInstanceUID"] + cols + ["PatientID"],
           [[i] + [str(v) for v in r] + ["p1"] for i, r in zip(ids(n), Y)])
    sub = (["StudyInstanceUID"] + cols,
           [[ids(n)[i]] + [fmt(v) for v in P[i]] for i in rows])
    check("ranzcr #%d (n=%d)" % (k, n), "ranzcr-clip-catheter-line-classification", ans, sub,
          metrics.roc_auc_score(Y[:, :9], P[:, :9], average="macro"), k % 2 == 0)


def case_jigsaw(k):
    cols = ["toxic", "severe_toxic", "obscene", "threat", "insult", "identity_hate"]
    n = rng.randint(30, 800)
    Y = np.array([[int(rng.random() < 0.2) for _ in cols] for _ in range(n)])
    Y[0], Y[1] = 0, 1
    Y[2:n:7] = -1  # unscored rows, dropped as MLE-bench does
    P = np.array([scores(len(cols), "plain") for _ in range(n)])
    keep = Y.sum(axis=1) >= 0
    ans = (["id"] + cols, [[i] + [str(v) for v in r] for i, r in zip(ids(n), Y)])
    sub = (["id"] + cols, [[i] + [fmt(v) for v in r] for i, r in zip(ids(n), P)])
    check("auc_cols -1 rows #%d" % k, "jigsaw-toxic-comment-classification-challenge", ans,
          sub, metrics.roc_auc_score(Y[keep], P[keep], average="macro"), False)


def case_logloss_binary(k):
    n = rng.randint(10, 2000)
    y = [int(rng.random() < 0.3) for _ in range(n)]
    y[0], y[1] = 0, 1
    p = scores(n, rng.choice(["plain", "extreme"]))
    rows = order(n, True)
    ans = (["id", "label"], [[i, str(v)] for i, v in zip(ids(n), y)])
    sub = (["id", "label"], [[ids(n)[i], fmt(p[i])] for i in rows])
    check("logloss binary #%d" % k, "dogs-vs-cats-redux-kernels-edition", ans, sub,
          metrics.log_loss(y, p), False)


def case_logloss_multi(k):
    cols = ["EAP", "HPL", "MWS"]
    n = rng.randint(10, 1500)
    Y = np.zeros((n, 3), dtype=int)
    Y[np.arange(n), [rng.choice([0, 0, 0, 1, 2]) for _ in range(n)]] = 1
    P = np.array([[rng.random() ** 4 for _ in cols] for _ in range(n)])
    if k % 2:
        P[::5] = [1.0, 0.0, 0.0]  # extreme: exact zeros get clipped
    P = P / P.sum(axis=1, keepdims=True)
    ans = (["id"] + cols, [[i] + [str(v) for v in r] for i, r in zip(ids(n), Y)])
    sub = (["id"] + cols, [[i] + [fmt(v) for v in r] for i, r in zip(ids(n), P)])
    check("logloss multi #%d" % k, "spooky-author-identification", ans, sub,
          metrics.log_loss(Y, P), True)


def case_logloss_layout(k):
    """Columns in another order than the answers', id not first, shuffled rows,
    some of them quoted or CRLF-ended: the in-place row parser must fall back
    to the general reader on those rows and give the same loss."""
    cols = ["c%d" % j for j in range(7)]
    n = rng.randint(20, 400)
    Y = np.zeros((n, len(cols)), dtype=int)
    Y[np.arange(n), [rng.randrange(len(cols)) for _ in range(n)]] = 1
    P = np.array([[rng.random() for _ in cols] for _ in range(n)])
    P[::7, 0] = 0.0
    P = P / P.sum(axis=1, keepdims=True)
    ans = (["id"] + cols, [[i] + [str(v) for v in r] for i, r in zip(ids(n), Y)])
    perm = list(reversed(cols))
    lines = [",".join(perm[:3] + ["id"] + perm[3:])]
    for i in order(n, True):
        vals = {c: fmt(P[i, j]) for j, c in enumerate(cols)}
        cells = [vals[c] for c in perm[:3]] + [ids(n)[i]] + [vals[c] for c in perm[3:]]
        if i % 5 == 1:
            cells[3] = '"%s"' % cells[3]
        if i % 3 == 2:
            cells[0] = " %s\t" % cells[0]  # blanks around a number are allowed
        lines.append(",".join(cells) + ("\r\n" if i % 4 == 0 else "\n"))
    sub = lines[0] + "\n" + "".join(lines[1:])
    check("logloss layout #%d" % k, "dog-breed-identification", ans, sub,
          metrics.log_loss(Y, P), False)


def case_qwk(k):
    n = rng.randint(10, 2000)
    labels = [0, 1, 2, 3, 4] if k % 2 else [0, 2, 4, 7]  # gaps: weights by index
    y = [rng.choice(labels) for _ in range(n)]
    p = [v if rng.random() < 0.6 else rng.choice(labels[:-1]) for v in y]
    ans = (["id_code", "diagnosis"], [[i, str(v)] for i, v in zip(ids(n), y)])
    sub = (["id_code", "diagnosis"], [[i, str(v)] for i, v in zip(ids(n), p)])
    check("qwk #%d" % k, "aptos2019-blindness-detection", ans, sub,
          metrics.cohen_kappa_score(p, y, weights="quadratic"), True)


def case_regression(k):
    n = rng.randint(5, 2000)
    y = [rng.uniform(0, 50) for _ in range(n)]
    p = [v + rng.gauss(0, 3) for v in y]
    ans = (["key", "fare_amount"], [[i, fmt(v)] for i, v in zip(ids(n), y)])
    sub = (["key", "fare_amount"], [[i, fmt(v)] for i, v in zip(ids(n), p)])
    check("rmse #%d" % k, "new-york-city-taxi-fare-prediction", ans, sub,
          math.sqrt(metrics.mean_squared_error(y, p)), True)
    cols = ["formation_energy_ev_natom", "bandgap_energy_ev"]
    Y = np.array([[rng.uniform(0, 1), rng.uniform(0, 5)] for _ in range(n)])
    P = np.abs(Y + np.array([[rng.gauss(0, 0.1), rng.gauss(0, 0.5)] for _ in range(n)]))
    ans = (["id"] + cols, [[i] + [fmt(v) for v in r] for i, r in zip(ids(n), Y)])
    sub = (["id"] + cols, [[i] + [fmt(v) for v in r] for i, r in zip(ids(n), P)])
    exp = np.mean([math.sqrt(metrics.mean_squared_log_error(Y[:, c], P[:, c])) for c in (0, 1)])
    check("rmsle_cols #%d" % k, "nomad2018-predict-transparent-conductors", ans, sub, exp, True)


def case_accuracy(k):
    n = rng.randint(5, 2000)
    y = [rng.randint(1, 7) for _ in range(n)]
    p = [v if rng.random() < 0.7 else rng.randint(1, 7) for v in y]
    ans = (["Id", "Cover_Type"], [[i, str(v)] for i, v in zip(ids(n), y)])
    sub = (["Id", "Cover_Type"], [[i, str(v) + (".0" if k % 2 else "")] for i, v in zip(ids(n), p)])
    check("accuracy #%d" % k, "tabular-playground-series-dec-2021", ans, sub,
          metrics.accuracy_score(y, p), True)
    words = ["one", "two", "a, b", "\"q\"", "", "x y"]
    y = [rng.choice(words) for _ in range(n)]
    p = [v if rng.random() < 0.5 else rng.choice(words) for v in y]
    q = lambda s: '"' + s.replace('"', '""') + '"' if any(c in s for c in ',"') else s
    ans = (["id", "after"], [[i, q(v)] for i, v in zip(ids(n), y)])
    sub = (["id", "after"], [[i, q(v)] for i, v in zip(ids(n), p)])
    check("accuracy_str #%d" % k, "text-normalization-challenge-english-language", ans, sub,
          metrics.accuracy_score(y, p), True)


def case_labels(k):
    """macro F1, MCC: integer labels, imbalanced, some only predicted."""
    n = rng.randint(5, 2000)
    labels = list(range(rng.choice([2, 5, 40])))
    weights = [1.0 / (j + 1) ** 2 for j in labels]  # imbalanced
    y = rng.choices(labels, weights, k=n)
    p = [v if rng.random() < 0.6 else rng.choice(labels + [99]) for v in y]
    rows = order(n, k % 2 == 1)
    ans = (["Id", "Predicted"], [[i, str(v)] for i, v in zip(ids(n), y)])
    sub = (["Id", "Predicted"], [[ids(n)[i], str(p[i])] for i in rows])
    check("f1 macro #%d (n=%d)" % (k, n), "herbarium-2021-fgvc8", ans, sub,
          metrics.f1_score(y, p, average="macro"), k % 2 == 0)
    yb = [int(rng.random() < 0.1) for _ in range(n)]
    pb = [v if rng.random() < 0.8 else 1 - v for v in yb]
    if k == 3:
        pb = [0] * n  # constant prediction: MCC is 0
    ans = (["contact_id", "contact"], [[i, str(v)] for i, v in zip(ids(n), yb)])
    sub = (["contact_id", "contact"], [[ids(n)[i], str(pb[i])] for i in rows])
    check("mcc #%d (n=%d)" % (k, n), "nfl-player-contact-detection", ans, sub,
          metrics.matthews_corrcoef(yb, pb), k % 2 == 0)


def case_correlation(k):
    """Pearson, column-wise Spearman (ties), integer-rounded MAE."""
    from scipy import stats
    n = rng.randint(5, 1500)
    y = [rng.choice([0, 0.25, 0.5, 0.75, 1.0]) for _ in range(n)]
    p = [v + rng.gauss(0, 0.3) for v in y]
    ans = (["id", "score"], [[i, fmt(v)] for i, v in zip(ids(n), y)])
    sub = (["id", "score"], [[i, fmt(v)] for i, v in zip(ids(n), p)])
    if len(set(y)) > 1:
        check("pearson #%d" % k, "us-patent-phrase-to-phrase-matching", ans, sub,
              stats.pearsonr(y, p)[0], True)
    cols = ["question_asker_intent_understanding", "answer_well_written", "answer_helpful"]
    Y = np.array([[rng.choice([0.3, 0.5, 0.6, 1.0]) for _ in cols] for _ in range(n)])
    Y[0], Y[1] = 0.3, 1.0
    P = np.round(Y + np.array([[rng.gauss(0, 0.3) for _ in cols] for _ in range(n)]),
                 rng.choice([1, 6]))
    P[0], P[1] = 0.0, 1.0
    exp = np.mean([stats.spearmanr(P[:, c], Y[:, c]).correlation for c in range(len(cols))])
    ans = (["qa_id"] + cols, [[i] + [fmt(v) for v in r] for i, r in zip(ids(n), Y)])
    sub = (["qa_id"] + cols, [[i] + [fmt(v) for v in r] for i, r in zip(ids(n), P)])
    check("spearman_cols #%d" % k, "google-quest-challenge", ans, sub, exp, True)
    y = [rng.uniform(0, 5e7) for _ in range(n)]
    p = [v + rng.gauss(0, 1e6) for v in y]
    ans = (["segment_id", "time_to_eruption"], [[i, fmt(v)] for i, v in zip(ids(n), y)])
    sub = (["segment_id", "time_to_eruption"], [[i, fmt(v)] for i, v in zip(ids(n), p)])
    check("mae_int #%d" % k, "predict-volcanic-eruptions-ingv-oe", ans, sub,
          float(int(round(metrics.mean_absolute_error(y, p)))), True)


def invalid_cases():
    ans = (["id", "has_cactus"], [["a", "0"], ["b", "1"], ["c", "1"]])
    comp = "aerial-cactus-identification"
    expect_invalid("nan value", comp, ans, (["id", "has_cactus"],
                   [["a", "0.1"], ["b", "nan"], ["c", "0.3"]]), "line 3, column 'has_cactus'")
    expect_invalid("out of [0,1]", comp, ans, (["id", "has_cactus"],
                   [["a", "0.1"], ["b", "1.5"], ["c", "0.3"]]), "not a probability")
    expect_invalid("unknown id", comp, ans, (["id", "has_cactus"],
                   [["a", "0.1"], ["z", "0.5"], ["c", "0.3"]]), "id 'z' is not in the answers")
    expect_invalid("duplicate id", comp, ans, (["id", "has_cactus"],
                   [["a", "0.1"], ["a", "0.5"], ["c", "0.3"]]), "appears more often")
    expect_invalid("missing id", comp, ans, (["id", "has_cactus"],
                   [["a", "0.1"], ["c", "0.3"]]), "id 'b' missing")
    expect_invalid("missing column", comp, ans, (["id", "p"],
                   [["a", "0.1"], ["b", "0.5"], ["c", "0.3"]]), "missing required column")
    cols = ["EAP", "HPL", "MWS"]
    expect_invalid("rows not summing to 1", "spooky-author-identification",
                   (["id"] + cols, [["a", "1", "0", "0"], ["b", "0", "1", "0"]]),
                   (["id"] + cols, [["a", "0.5", "0.5", "0"], ["b", "0.5", "0.4", "0"]]),
                   "sum to 0.9")
    # the fast row parser hands odd rows to the general one: the first fault
    # in file order (row and column) must be the one the general path names
    ans3 = (["id"] + cols, [[x, "1", "0", "0"] for x in "abcdef"])
    good = ["0.2", "0.3", "0.5"]
    def sub3(rows):
        return "id,EAP,HPL,MWS\n" + "".join(",".join(r) + "\n" for r in rows)
    rows = [[x] + good for x in "fedcba"]
    bad = [r[:] for r in rows]
    bad[2][2] = "x1"
    bad[4][3] = "nan"
    expect_invalid("multi: first bad value", "spooky-author-identification", ans3,
                   sub3(bad), "line 4, column 'HPL': 'x1' is not a number")
    bad = [r[:] for r in rows]
    bad[3] = bad[3] + ["0.1"]
    bad[4][1] = "-0.5"
    expect_invalid("multi: field count", "spooky-author-identification", ans3,
                   sub3(bad), "line 5: 5 fields, but the header has 4")
    bad = [r[:] for r in rows]
    bad[1][0] = "q"
    expect_invalid("multi: unknown id", "spooky-author-identification", ans3,
                   sub3(bad), "line 3, column 'id': id 'q' is not in the answers")
    bad = [r[:] for r in rows]
    bad[4][0] = "f"
    expect_invalid("multi: repeated id", "spooky-author-identification", ans3,
                   sub3(bad), "line 6, column 'id': id 'f' appears more often")
    bad = [r[:] for r in rows]
    bad[0][1] = "0.3"  # id f, last in answer order
    bad[3][1] = "0.1"  # id c: the first answer row whose sum is off
    expect_invalid("multi: first row sum", "spooky-author-identification", ans3,
                   sub3(bad), "id 'c' sum to 0.9")
    bad = [r[:] for r in rows]
    bad[2][1] = '"0.2'
    expect_invalid("multi: open quote", "spooky-author-identification", ans3,
                   sub3(bad), "line 4: unterminated quoted field")
    expect_invalid("multi: missing ids", "spooky-author-identification", ans3,
                   sub3(rows[:4]), "id 'a' (and 1 more) missing")
    # rows summing to a hair either side of the tolerance, in long digits
    # (the fast reader's approximate shape): the verdict and the reported
    # sum are those of the exact values
    tol = 1e-6 + 1e-5
    def edge_row(inside):
        a, b = 0.31234567890123456, 0.41234567890123456
        c = 1 + tol - a - b - 1e-12
        while abs(a + b + c - 1) <= tol:
            c = math.nextafter(c, 1)
        if inside:
            c = math.nextafter(c, 0)
            while abs(a + b + c - 1) > tol:
                c = math.nextafter(c, 0)
        return [fmt(a), fmt(b), fmt(c)], a + b + c
    near, _ = edge_row(True)
    over, raw = edge_row(False)
    many = ["x%03d" % i for i in range(60)]
    ans60 = (["id"] + cols, [[x, "1", "0", "0"] for x in many])
    rep = grade("spooky-author-identification", ans60, (["id"] + cols, [[x] + near for x in many]))
    global count
    count += 1
    ok = rep.get("valid_submission") is True
    print("%-4s %-28s %r" % ("ok" if ok else "FAIL", "multi: sum just inside", rep.get("score_raw")))
    if not ok:
        failures.append(("multi: sum just inside", rep))
    edge = [[x] + (over if x == "x030" else near) for x in many]
    expect_invalid("multi: sum just outside", "spooky-author-identification", ans60,
                   (["id"] + cols, edge), "id 'x030' sum to %.9g" % raw)


for k in range(6):
    case_auc(k)
# the grader sorts fewer than 4096 keys by comparison and more by radix
# (bench/metrics_common.c): at least the larger class is well past that
for k in (6, 7):
    case_auc(k, 9000 + 37 * k)
for k in range(3):
    case_auc_cols(k)
    case_ranzcr(k)
    case_jigsaw(k)
for k in range(4):
    case_logloss_binary(k)
    case_logloss_multi(k)
    case_logloss_layout(k)
    case_qwk(k)
for k in range(2):
    case_regression(k)
    case_accuracy(k)
for k in range(4):
    case_labels(k)
    case_correlation(k)
invalid_cases()
print("%d cases, %d failed" % (count, len(failures)))
sys.exit(1 if failures else 0)

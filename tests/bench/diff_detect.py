#!/usr/bin/python3
"""diff_detect.py: differential test of grove's detection and QA metrics
(bench/metrics_detect.c, bench/answers_rows.c).

    /usr/bin/python3 diff_detect.py GRADE_TOOL [SEED]

Random answers and submissions for siim-covid19-detection (map_siim),
vinbigdata-chest-xray-abnormalities-detection (coco_map40) and
tensorflow2-question-answering (f1_tf2qa, JSON-lines answers), graded by
GRADE_TOOL and compared to 1e-9 relative with an independent computation
from each metric's definition: VOC-style pairs scored by sklearn's
average_precision_score; COCO's 101-point interpolated precision at IoU 0.4
(boxes read as x, y, w, h; annotation ids from 0); the share of rows whose
answer is valid. Also submissions the graders reject must come out invalid
naming the line, and malformed answers must be errors naming file and line.
"""
import csv
import json
import os
import random
import subprocess
import sys
import tempfile

import numpy as np
from sklearn.metrics import average_precision_score

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gradekit  # noqa: E402

TOOL = sys.argv[1]
SEED = int(sys.argv[2]) if len(sys.argv) > 2 else 11
rng = random.Random(SEED)
tmp = tempfile.mkdtemp(prefix="grove_detect_")
tally = gradekit.Tally(30)
record = tally.record


def write(path, header, rows):
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)


def run(comp, answers_path, sub_rows, header):
    s = os.path.join(tmp, "submission.csv")
    write(s, header, sub_rows)
    out = subprocess.run([TOOL, comp, s, answers_path], capture_output=True, text=True)
    return json.loads(out.stdout)


def check(name, rep, expect):
    got = rep.get("score_raw")
    ok = rep.get("valid_submission") and got is not None and \
        abs(got - expect) <= 1e-9 * max(1.0, abs(expect))
    record(ok, name, "grove %r expected %r %s" % (got, expect, rep.get("error") or ""))


def check_invalid(name, rep, needle):
    err = rep.get("error") or ""
    record(rep.get("valid_submission") is False and needle in err, name, err[:150])


def num(x):
    return repr(float(x)) if rng.random() < 0.7 else "%g" % x


# ---- siim: VOC pairs + sklearn AP -------------------------------------------

def siim_boxes(cell):
    t = cell.split()
    return [(t[i], float(t[i + 1]), *map(float, t[i + 2:i + 6])) for i in range(0, len(t), 6)]


def iou_xyxy(a, b):
    iw = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    ih = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = iw * ih
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def siim_expect(ans, sub):
    classes = sorted({b[0] for boxes in ans.values() for b in boxes})
    aps = []
    for c in classes:
        ys, ss = [], []
        for k in sorted(ans):
            gts = [b[2:] for b in ans[k] if b[0] == c]
            preds = sorted([b for b in sub[k] if b[0] == c], key=lambda b: -b[1])
            free = [True] * len(gts)
            n0 = len(ys)
            for p in preds:
                scores = [iou_xyxy(p[2:], g) if free[j] else -1 for j, g in enumerate(gts)]
                j = int(np.argmax(scores)) if scores else -1
                hit = j >= 0 and scores[j] > 0.5
                if hit:
                    free[j] = False
                ys.append(int(hit))
                ss.append(p[1])
            for f in free:
                if f:
                    ys.append(1)
                    ss.append(0.0)
            if len(ys) == n0:
                ys.append(0)
                ss.append(0.0)
        aps.append(average_precision_score(ys, ss))
    return float(np.mean(aps))


def rand_box(base=None):
    if base and rng.random() < 0.7:
        j = [rng.uniform(-6, 6) for _ in range(4)]
        return [base[0] + j[0], base[1] + j[1], base[2] + j[2], base[3] + j[3]]
    x, y = rng.uniform(0, 200), rng.uniform(0, 200)
    return [x, y, x + rng.uniform(5, 80), y + rng.uniform(5, 80)]


def case_siim(t):
    n = rng.randint(2, 12)
    labels = ["opacity", "none"]
    ans, sub, rows_a, rows_s = {}, {}, [], []
    for i in range(n):
        if i % 3 == 0:
            k = "s%03d_study" % i
            lab = rng.choice(["negative", "typical", "indeterminate", "atypical"])
            a = [(lab, 1.0, 0, 0, 1, 1)]
            p = [(l, float(rng.choice([0.1, 0.5, 0.9, rng.random()])), 0, 0, 1, 1)
                 for l in rng.sample(["negative", "typical", "indeterminate", "atypical"],
                                     rng.randint(1, 4))]
        else:
            k = "i%03d_image" % i
            if rng.random() < 0.3:
                a = [("none", 1.0, 0, 0, 1, 1)]
            else:
                a = [("opacity", 1.0, *rand_box()) for _ in range(rng.randint(1, 3))]
            p = []
            for g in a:
                if rng.random() < 0.8:
                    p.append((g[0], rng.choice([0.5, rng.random()]), *rand_box(list(g[2:]))))
            for _ in range(rng.randint(0, 2)):
                p.append((rng.choice(labels), rng.random(), *rand_box()))
        ans[k], sub[k] = a, p
        rows_a.append([k, " ".join("%s 1 %s %s %s %s" % (g[0], *map(num, g[2:])) for g in a)])
        rows_s.append([k, " ".join("%s %s %s %s %s %s" % (q[0], *map(num, q[1:])) for q in p)])
    rng.shuffle(rows_s)
    pa = os.path.join(tmp, "siim.csv")
    write(pa, ["id", "PredictionString"], rows_a)
    if any(not r[1] for r in rows_s):  # pandas reads an empty cell as NaN: invalid
        rep = run("siim-covid19-detection", pa, rows_s, ["id", "PredictionString"])
        check_invalid("siim_empty_%d" % t, rep, "line")
        for r in rows_s:
            if not r[1]:
                r[1] = "  "
                sub[r[0]] = []
    rep = run("siim-covid19-detection", pa, rows_s, ["id", "PredictionString"])
    expect = siim_expect(ans, {r[0]: siim_boxes(r[1]) for r in rows_s})
    check("siim_%d" % t, rep, expect)


# ---- vinbigdata: COCOeval at IoU 0.4 ---------------------------------------------

def coco_expect(gt_rows, sub_rows):
    """gt_rows: (image, class, x0, y0, x1, y1) in file order; sub_rows: (image,
    cell) in file order."""
    images = list(dict.fromkeys(r[0] for r in gt_rows))
    gts = [dict(id=k, img=images.index(r[0]), cat=r[1], box=np.array(r[2:], float),
                area=(r[4] - r[2]) * (r[5] - r[3])) for k, r in enumerate(gt_rows)]
    dts, k = [], 0
    for img, cell in sub_rows:
        v = np.array(list(map(float, cell.split(" ")))).reshape(-1, 6)
        for p in v:
            dts.append(dict(id=k, img=images.index(img), cat=int(p[0]), score=p[1],
                            box=p[2:], area=(p[4] - p[2]) * (p[5] - p[3])))
            k += 1
    cats = sorted({g["cat"] for g in gts})
    thr = np.linspace(0, 1, 101)
    aps = []
    for c in cats:
        scores, tps, fps, npig = [], [], [], 0
        for i in range(len(images)):
            g = [x for x in gts if x["img"] == i and x["cat"] == c]
            d = [x for x in dts if x["img"] == i and x["cat"] == c]
            if not g and not d:
                continue
            gig = [not (0 <= x["area"] <= 1e10) for x in g]
            order = np.argsort(gig, kind="stable")
            g = [g[j] for j in order]
            gig = [gig[j] for j in order]
            d = [d[j] for j in np.argsort([-x["score"] for x in d], kind="stable")][:100]
            npig += gig.count(False)
            gtm = [0] * len(g)
            for x in d:
                best, m = 0.4, -1
                for j, y in enumerate(g):
                    if gtm[j] > 0:
                        continue
                    if m > -1 and not gig[m] and gig[j]:
                        break
                    bx, by = x["box"], y["box"]  # [x, y, w, h] as COCO reads them
                    w = min(bx[0] + bx[2], by[0] + by[2]) - max(bx[0], by[0])
                    h = min(bx[1] + bx[3], by[1] + by[3]) - max(bx[1], by[1])
                    iou = 0.0 if w <= 0 or h <= 0 else \
                        w * h / (bx[2] * bx[3] + by[2] * by[3] - w * h)
                    if iou < best:
                        continue
                    best, m = iou, j
                dtm, ig = 0, False
                if m >= 0:
                    dtm, ig = g[m]["id"], gig[m]
                    gtm[m] = x["id"]
                ig = ig or (dtm == 0 and not (0 <= x["area"] <= 1e10))
                scores.append(x["score"])
                tps.append(dtm != 0 and not ig)
                fps.append(dtm == 0 and not ig)
        if npig == 0:
            continue
        o = np.argsort(-np.array(scores), kind="mergesort")
        tp = np.cumsum(np.array(tps, float)[o]) if o.size else np.zeros(0)
        fp = np.cumsum(np.array(fps, float)[o]) if o.size else np.zeros(0)
        rc = tp / npig
        pr = tp / (fp + tp + np.spacing(1))
        pr = np.maximum.accumulate(pr[::-1])[::-1] if pr.size else pr
        q = np.zeros(101)
        idx = np.searchsorted(rc, thr, side="left")
        for r, at in enumerate(idx):
            if at >= len(pr):
                break
            q[r] = pr[at]
        aps.append(q.mean())
    return float(np.mean(aps)) if aps else -1.0


def case_vinbig(t):
    n = rng.randint(1, 8)
    images = ["img%02d" % i for i in range(n)]
    gt_rows = []
    for im in images:
        if rng.random() < 0.3:
            gt_rows.append((im, 14, 0.0, 0.0, 1.0, 1.0))
            continue
        for c in rng.sample(range(4), rng.randint(1, 3)):
            b = rand_box()
            gt_rows.append((im, c, *[round(v, rng.choice([0, 1, 3])) for v in b]))
    rng.shuffle(gt_rows)  # rows of an image need not be together
    sub_rows = []
    for im in images:
        preds = []
        for g in [r for r in gt_rows if r[0] == im]:
            if rng.random() < 0.85:
                box = g[2:] if g[1] == 14 else rand_box(list(g[2:]))
                preds.append((g[1], rng.choice([1.0, 0.5, round(rng.random(), 2)]), *box))
        for _ in range(rng.randint(0 if preds else 1, 3)):
            preds.append((rng.choice([0, 1, 2, 3, 14, 7]), round(rng.random(), 2), *rand_box()))
        if rng.random() < 0.1:  # a degenerate box: negative area, ignored unmatched
            preds.append((0, 0.95, 50.0, 50.0, 10.0, 10.0))
        rng.shuffle(preds)
        sub_rows.append((im, " ".join("%s %s %s %s %s %s" % (p[0], *map(num, p[1:]))
                                      for p in preds)))
    rng.shuffle(sub_rows)
    pa = os.path.join(tmp, "vinbig.csv")
    write(pa, ["image_id", "class_name", "class_id", "rad_id", "x_min", "y_min", "x_max",
               "y_max"], [(r[0], "c%d" % r[1], r[1], "R1", *r[2:]) for r in gt_rows])
    rep = run("vinbigdata-chest-xray-abnormalities-detection", pa, sub_rows,
              ["image_id", "PredictionString"])
    check("vinbig_%d" % t, rep, coco_expect(gt_rows, sub_rows))


# ---- tensorflow2-question-answering ---------------------------------------------

def case_tf2qa(t):
    n = rng.randint(1, 10)
    exs, rows = [], []
    expect_hits = 0
    for i in range(n):
        eid = str(rng.randint(-10**18, 10**18))
        la = (-1, -1) if rng.random() < 0.3 else (rng.randint(0, 500), rng.randint(500, 900))
        shorts = [(s, s + rng.randint(1, 5)) for s in rng.sample(range(500), rng.randint(0, 2))]
        yn = rng.choice(["NONE", "NONE", "YES", "NO"])
        exs.append({"example_id": eid, "document_text": "a b c \u00e9",
                    "annotations": [{"long_answer": {"start_token": la[0], "end_token": la[1],
                                                     "candidate_index": 0},
                                     "short_answers": [{"start_token": a, "end_token": b}
                                                       for a, b in shorts],
                                     "yes_no_answer": yn}]})
        valid_long = [] if la[0] == -1 else [la]
        valid_short = list(shorts) + ([] if yn == "NONE" else [yn])
        for suffix, valid in (("_long", valid_long), ("_short", valid_short)):
            r = rng.random()
            if r < 0.4 and valid:
                v = rng.choice(valid)
                pred = v if isinstance(v, str) else "%d:%d" % v
                if not isinstance(v, str) and rng.random() < 0.3:
                    pred = " %d : %d " % v
            elif r < 0.6:
                pred = rng.choice(["", "NA", "  "])
            elif r < 0.8:
                pred = rng.choice(["YES", "NO"])
            else:
                pred = "%d:%d" % (rng.randint(0, 5), rng.randint(5, 9))
            p = pred.strip() if pred != "NA" else ""
            if ":" in p:
                a, b = p.split(":")
                key = (int(a), int(b))
            else:
                key = p
            expect_hits += (key in valid) if p else (not valid)
            rows.append([eid + suffix, pred])
    rng.shuffle(rows)
    pa = os.path.join(tmp, "test.jsonl")
    with open(pa, "w", encoding="utf-8") as f:
        for e in exs:
            f.write(json.dumps(e) + "\n")
    rep = run("tensorflow2-question-answering", pa, rows, ["example_id", "PredictionString"])
    check("tf2qa_%d" % t, rep, expect_hits / len(rows))
    bad = list(rows)
    bad[0] = [bad[0][0], "1:2:3"]
    check_invalid("tf2qa_bad_%d" % t, run("tensorflow2-question-answering", pa, bad,
                                          ["example_id", "PredictionString"]), "line")


def fixed_cases():
    # siim: a value that is not a number, a count not a multiple of six, NA
    pa = os.path.join(tmp, "siim_fixed.csv")
    write(pa, ["id", "PredictionString"], [["a_image", "opacity 1 0 0 10 10"],
                                           ["b_study", "negative 1 0 0 1 1"]])
    h = ["id", "PredictionString"]
    for name, cell, needle in (("siim_nan_word", "opacity x 0 0 10 10", "line 2"),
                               ("siim_count", "opacity 1 0 0 10", "groups of six"),
                               ("siim_na", "NA", "missing"),
                               ("siim_nan_conf", "opacity nan 0 0 10 10", "nan")):
        check_invalid(name, run("siim-covid19-detection", pa,
                                [["a_image", cell], ["b_study", "negative 1 0 0 1 1"]], h),
                      needle)
    # Python float(): underscores, inf words, exponent
    rep = run("siim-covid19-detection", pa, [["a_image", "opacity 0.5 0 0 1_0 1e1"],
                                             ["b_study", "typical 1 0 0 1 1"]], h)
    ans = {"a_image": [("opacity", 1.0, 0, 0, 10, 10)], "b_study": [("negative", 1, 0, 0, 1, 1)]}
    sub = {"a_image": [("opacity", 0.5, 0, 0, 10, 10)], "b_study": [("typical", 1, 0, 0, 1, 1)]}
    check("siim_py_float", rep, siim_expect(ans, sub))
    # vinbig: the empty string and a non-integer class the grader cannot take
    pa = os.path.join(tmp, "vin_fixed.csv")
    write(pa, ["image_id", "class_id", "x_min", "y_min", "x_max", "y_max"],
          [["i1", 14, 0, 0, 1, 1]])
    h = ["image_id", "PredictionString"]
    check_invalid("vinbig_empty", run("vinbigdata-chest-xray-abnormalities-detection", pa,
                                      [["i1", ""]], h), "line 2")
    check_invalid("vinbig_double_space", run("vinbigdata-chest-xray-abnormalities-detection",
                                             pa, [["i1", "14 1  0 0 1 1"]], h), "line 2")
    check_invalid("vinbig_nan_class", run("vinbigdata-chest-xray-abnormalities-detection",
                                          pa, [["i1", "nan 1 0 0 1 1"]], h), "int()")
    check("vinbig_sample", run("vinbigdata-chest-xray-abnormalities-detection", pa,
                               [["i1", "14 1 0 0 1 1"]], h),
          coco_expect([("i1", 14, 0, 0, 1, 1)], [("i1", "14 1 0 0 1 1")]))
    # tf2qa: malformed answers are errors naming file and line
    pa = os.path.join(tmp, "bad.jsonl")
    with open(pa, "w") as f:
        f.write('{"example_id": "1", "annotations": [{"long_answer": {"start_token": 1, '
                '"end_token": 2}, "short_answers": [], "yes_no_answer": "NONE"}]}\n\n{"x": \n')
    rep = run("tensorflow2-question-answering", pa, [["1_long", ""], ["1_short", ""]],
              ["example_id", "PredictionString"])
    err = rep.get("grade_error") or ""
    record("bad.jsonl: line 3" in err, "tf2qa_bad_json", err)


for t in range(40):
    case_siim(t)
    case_vinbig(t)
    case_tf2qa(t)
fixed_cases()
tally.finish()

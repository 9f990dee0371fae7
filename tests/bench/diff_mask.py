#!/usr/bin/python3
"""diff_mask.py: differential test of grove's run-length encoded mask metrics.

    /usr/bin/python3 diff_mask.py GRADE_TOOL [SEED]

Generates random masks (empty, full, blobs, scattered pixels), encodes them
as MLE-bench's competitions do (1-based "start length" pairs over the pixels
in column-major order; row-major for Vesuvius), grades them with GRADE_TOOL
(the streaming grader) and compares with the metric computed here on masks
decoded with numpy from the encoding's definition: per-image Dice (HuBMAP),
global Dice (contrails), the TGS IoU precision, sklearn's fbeta_score
(Vesuvius), to 1e-9 relative. Broken encodings and files must come out
invalid with the line and column named, never scored. Prints one line per
case and "N cases, M failed".
"""
import random
import sys
import tempfile

import numpy as np
from scipy.spatial.distance import directed_hausdorff
from sklearn import metrics

import gradekit
from gradekit import close

TOOL = sys.argv[1]
SEED = int(sys.argv[2]) if len(sys.argv) > 2 else 7
rng = random.Random(SEED)
nrng = np.random.default_rng(SEED)
tmp = tempfile.mkdtemp(prefix="grove_mask_")
failures = []
count = 0

HUBMAP = "hubmap-kidney-segmentation"
CONTRAILS = "google-research-identify-contrails-reduce-global-warming"
TGS = "tgs-salt-identification-challenge"
VESUVIUS = "vesuvius-challenge-ink-detection"


def grade(comp, answers, submission):
    return gradekit.grade(TOOL, tmp, comp, answers, submission)


def check(name, comp, answers, submission, expected):
    global count
    count += 1
    rep = grade(comp, answers, submission)
    ok = bool(rep.get("valid_submission")) and close(rep.get("score_raw", -1e300), expected)
    print("%-4s %-34s grove %-22r numpy %r" % ("ok" if ok else "FAIL", name,
                                               rep.get("score_raw"), expected))
    if not ok:
        print("     ", rep.get("error") or rep.get("grade_error"))
        failures.append((name, rep))


def expect_invalid(name, comp, answers, submission, needles):
    global count
    count += 1
    rep = grade(comp, answers, submission)
    err = rep.get("error") or ""
    ok = rep.get("valid_submission") is False and rep.get("score") is None
    ok = ok and all(n in err for n in needles)
    print("%-4s %-34s %s" % ("ok" if ok else "FAIL", name, err))
    if not ok:
        failures.append((name, rep))


# ---- masks and their encoding ------------------------------------------------

def random_mask(h, w, kind):
    if kind == "empty":
        return np.zeros((h, w), bool)
    if kind == "full":
        return np.ones((h, w), bool)
    if kind == "scatter":
        return nrng.random((h, w)) < rng.choice([0.01, 0.2, 0.6])
    m = np.zeros((h, w), bool)  # a few rectangles
    for _ in range(rng.randint(1, 4)):
        y0, x0 = rng.randrange(h), rng.randrange(w)
        m[y0:y0 + rng.randint(1, h), x0:x0 + rng.randint(1, w)] = True
    return m


def flat(mask, row_major):
    return mask.flatten() if row_major else mask.T.flatten()


def encode(mask, row_major=False):
    """'start length' pairs, 1-based, over the pixels in the competition's order."""
    px = np.concatenate([[0], flat(mask, row_major).astype(np.int8), [0]])
    edges = np.flatnonzero(np.diff(px))
    starts, ends = edges[0::2], edges[1::2]
    return " ".join("%d %d" % (s + 1, e - s) for s, e in zip(starts, ends))


def decode(rle, h, w, row_major=False):
    """The encoding's definition: pixel (start - 1 + i) is set; numpy slicing
    cuts a run at the image's end."""
    img = np.zeros(h * w, bool)
    vals = [int(t) for t in rle.split()]
    for s, n in zip(vals[0::2], vals[1::2]):
        img[s - 1:s - 1 + n] = True
    return img.reshape((h, w)) if row_major else img.reshape((w, h)).T


def spill(rle, h, w):
    """Let the last run run past the image's end (MLE-bench cuts it there)."""
    vals = rle.split()
    if not vals:
        return rle
    vals[-1] = str(int(vals[-1]) + rng.randint(1, 3 * h * w))
    return " ".join(vals)


def dice(p, t, both_empty):
    s = p.sum() + t.sum()
    return both_empty if s == 0 else 2.0 * np.logical_and(p, t).sum() / s


# ---- HuBMAP: mean Dice per image -------------------------------------------------

def case_hubmap(k):
    n = rng.randint(1, 12)
    names = ["img%03d" % i for i in range(n)]
    rows, sub, expect = [], {}, []
    for i in range(n):
        h, w = rng.randint(1, 60), rng.randint(1, 60)
        t = random_mask(h, w, rng.choice(["empty", "blobs", "scatter", "full"]))
        p = random_mask(h, w, rng.choice(["empty", "blobs", "scatter"]))
        if rng.random() < 0.3:
            p = t.copy()
        et, ep = encode(t), encode(p)
        if rng.random() < 0.3:
            ep = spill(ep, h, w)
        rows.append([names[i], et, str(w), str(h)])
        sub[names[i]] = ep
        expect.append(dice(decode(ep, h, w), decode(et, h, w), 1.0))
    order = names[:]
    rng.shuffle(order)
    ans = (["id", "encoding", "width_pixels", "height_pixels"], rows)
    check("hubmap dice #%d (n=%d)" % (k, n), HUBMAP, ans,
          (["id", "predicted"], [[x, sub[x]] for x in order]), float(np.mean(expect)))


# ---- contrails: global Dice --------------------------------------------------------

def case_contrails(k):
    n = rng.randint(2, 30)
    names = ["%019d" % rng.randrange(10 ** 18) for _ in range(n)]
    rows, sub, ts, ps = [], [], [], []
    for i in range(n):
        h = w = rng.choice([16, 32, 40])
        # the first answer marks pixels, so global Dice is defined
        t = random_mask(h, w, "blobs" if i == 0 else rng.choice(["empty", "blobs", "scatter"]))
        p = random_mask(h, w, rng.choice(["empty", "blobs", "scatter"]))
        et, ep = encode(t) or "-", encode(p) or "-"
        rows.append([names[i], et, str(h), str(w)])
        sub.append([names[i], ep])
        ts.append(decode(et.replace("-", ""), h, w).ravel())
        ps.append(decode(ep.replace("-", ""), h, w).ravel())
    rng.shuffle(sub)
    ans = (["record_id", "encoded_pixels", "height", "width"], rows)
    check("contrails global dice #%d (n=%d)" % (k, n), CONTRAILS, ans,
          (["record_id", "encoded_pixels"], sub),
          dice(np.concatenate(ps), np.concatenate(ts), float("nan")))


# ---- TGS: precision over IoU thresholds ---------------------------------------------

def tgs_score(t, p):
    """Per image: the share of thresholds 0.5, 0.55, ..., 0.95 that the IoU
    of the one object exceeds. The objects are the upper of two equal-width
    value bins over each mask (numpy.histogram2d's binning), so an all-empty
    prediction puts its background in the upper bin."""
    if t.sum() == 0:
        return 1.0 if p.sum() == 0 else 0.0
    counts = np.histogram2d(t.ravel(), p.ravel(), bins=2)[0]
    area_t, area_p = counts.sum(axis=1), counts.sum(axis=0)
    iou = counts[1, 1] / (area_t[1] + area_p[1] - counts[1, 1])
    return float(np.mean([iou > th for th in np.arange(0.5, 1.0, 0.05)]))


def case_tgs(k):
    n = rng.randint(5, 60)
    names = ["%010x" % rng.randrange(16 ** 10) for _ in range(n)]
    rows, sub, expect = [], [], []
    for i in range(n):
        t = random_mask(101, 101, rng.choice(["empty", "blobs", "blobs", "full"]))
        kind = rng.choice(["empty", "blobs", "same", "near"])
        p = t.copy() if kind in ("same", "near") else random_mask(101, 101, kind)
        if kind == "near":  # IoU near the thresholds
            p[:rng.randint(0, 101), :rng.randint(0, 30)] = False
        et, ep = encode(t), encode(p)
        rows.append([names[i], et])
        sub.append([names[i], ep])
        expect.append(tgs_score(decode(et, 101, 101), decode(ep, 101, 101)))
    rng.shuffle(sub)
    check("tgs iou precision #%d (n=%d)" % (k, n), TGS, (["id", "rle_mask"], rows),
          (["id", "rle_mask"], sub), float(np.mean(expect)))


def case_tgs_empty_prediction():
    """An empty prediction against salt over more than half the image."""
    t = np.zeros((101, 101), bool)
    t[:, :70] = True
    rows = [["a", encode(t)], ["b", encode(t[:, ::-1])], ["c", ""]]
    sub = [["a", ""], ["b", encode(t)], ["c", ""]]
    expect = np.mean([tgs_score(t, np.zeros_like(t)), tgs_score(t[:, ::-1], t), 1.0])
    check("tgs empty prediction, 70% salt", TGS, (["id", "rle_mask"], rows),
          (["id", "rle_mask"], sub), float(expect))


# ---- Vesuvius: F0.5 per image, row-major ---------------------------------------------

def case_vesuvius(k):
    h, w = rng.randint(1, 300), rng.randint(1, 300)
    t = random_mask(h, w, rng.choice(["blobs", "scatter"]))
    p = random_mask(h, w, rng.choice(["blobs", "scatter", "empty"]))
    et, ep = encode(t, True), encode(p, True) or " "
    yt, yp = decode(et, h, w, True).ravel(), decode(ep, h, w, True).ravel()
    check("vesuvius f0.5 #%d (%dx%d)" % (k, h, w), VESUVIUS,
          (["Id", "Predicted", "width", "height"], [["a", et, str(w), str(h)]]),
          (["Id", "Predicted"], [["a", ep]]),
          metrics.fbeta_score(yt, yp, beta=0.5, zero_division=0))


def case_large():
    """A HuBMAP-sized image (1.2 billion pixels): runs only, no mask."""
    h, w = 30000, 40000
    t = "1 5000000 600000000 1000000 1199999000 2000"
    p = "2500000 5000000 600500000 10 1199999990 5000"
    n = h * w  # the last runs are cut there: 1001 and 11 pixels
    inter = (5000000 - 2500000 + 1) + 10 + (n - 1199999989)
    expect = 2.0 * inter / ((5000000 + 1000000 + (n - 1199998999)) + (5000000 + 10 + 11))
    check("hubmap 30000x40000, run cut at end", HUBMAP,
          (["id", "encoding", "width_pixels", "height_pixels"], [["big", t, str(w), str(h)]]),
          (["id", "predicted"], [["big", p]]), expect)


# ---- Kuzushiji: F1 of predicted points inside answer boxes ---------------------------

def kuzushiji_counts(truth, pred):
    """tp, fp, fn of one page: boxes in order, each found by the first unused
    prediction with its label strictly inside it."""
    if truth is None or pred is None:
        return (0, 0 if pred is None else len(pred), 0 if truth is None else len(truth))
    used = [False] * len(pred)
    tp = 0
    for label, x, y, w, h in truth:
        for j, (pl, px, py) in enumerate(pred):
            if not used[j] and pl == label and x < px < x + w and y < py < y + h:
                used[j] = True
                tp += 1
                break
    return tp, used.count(False), len(truth) - tp


def case_kuzushiji(k):
    n = rng.randint(3, 40)
    labels = ["U+%04X" % (0x3042 + i) for i in range(rng.choice([2, 5, 30]))]
    rows, sub, tot = [], [], np.zeros(3)
    for i in range(n):
        truth = [(rng.choice(labels), rng.randint(0, 500), rng.randint(0, 500),
                  rng.randint(1, 80), rng.randint(1, 80)) for _ in range(rng.randint(0, 60))]
        pred = []
        for label, x, y, w, h in truth:  # hits, near misses on the edges, duplicates
            for _ in range(rng.choice([0, 1, 1, 2])):
                px = rng.choice([x + rng.random() * w, x, x + w, x + 0.5, float(x + w // 2)])
                py = rng.choice([y + rng.random() * h, y, y + h, float(y + h // 2)])
                pred.append((label if rng.random() < 0.9 else rng.choice(labels), px, py))
        pred += [(rng.choice(labels), rng.random() * 600, rng.random() * 600)
                 for _ in range(rng.randint(0, 10))]
        rng.shuffle(pred)
        truth_cell = " ".join("%s %d %d %d %d" % b for b in truth)
        pred_cell = " ".join("%s %r %r" % p for p in pred)
        tot += kuzushiji_counts(truth or None, pred or None)
        rows.append(["pg%03d" % i, truth_cell])
        sub.append(["pg%03d" % i, pred_cell])
    tp, fp, fn = tot
    prec, rec = (tp / (tp + fp) if tp + fp else 0), (tp / (tp + fn) if tp + fn else 0)
    expect = 2 * prec * rec / (prec + rec) if prec > 0 and rec > 0 else 0.0
    rng.shuffle(sub)
    check("kuzushiji f1 #%d (n=%d)" % (k, n), "kuzushiji-recognition",
          (["image_id", "labels"], rows), (["image_id", "labels"], sub), expect)


# ---- UW-Madison: 0.4 Dice + 0.6 (1 - Hausdorff) over case-day volumes ----------------

def uw_expected(rows, preds):
    """rows: (id, class, truth rle, h, w); preds: the submission's rles, same order."""
    dices, truth_or, pred_or, shape = [], {}, {}, {}
    for (rid, _, rle, h, w), prle in zip(rows, preds):
        t, p = decode(rle, h, w), decode(prle, h, w)
        if t.sum() + p.sum():
            dices.append(2.0 * np.logical_and(t, p).sum() / (t.sum() + p.sum()))
        truth_or[rid] = truth_or.get(rid, np.zeros((h, w), bool)) | t
        pred_or[rid] = pred_or.get(rid, np.zeros((h, w), bool)) | p
    days = {}
    for rid in sorted(truth_or):
        days.setdefault(rid.split("_slice_")[0], []).append(rid)
    hds = []
    for day, slices in days.items():
        T = np.stack([truth_or[x] for x in slices]).astype(np.uint8)
        P = np.stack([pred_or[x] for x in slices]).astype(np.uint8)
        if T.sum() == 0 and P.sum() == 0:
            continue
        if np.array_equal(T, P):
            hds.append(0.0)
        elif T.sum() == 0 or P.sum() == 0 or P.sum() > 10 * T.sum():
            hds.append(1.0)
        else:
            tc, pc = np.argwhere(T) / T.shape, np.argwhere(P) / T.shape
            d = max(directed_hausdorff(tc, pc)[0], directed_hausdorff(pc, tc)[0])
            hds.append(d / np.sqrt(3))
    return 0.4 * np.mean(dices) + 0.6 * (1 - np.mean(hds))


def uw_case(k):
    rows = []
    for c in range(rng.randint(1, 3)):
        for d in range(rng.randint(1, 2)):
            h, w = rng.randint(6, 24), rng.randint(6, 24)
            for sl in range(1, rng.randint(2, 7)):
                for cls in ("large_bowel", "small_bowel", "stomach"):
                    m = random_mask(h, w, rng.choice(["empty", "empty", "blobs", "scatter"]))
                    rows.append(("case%d_day%d_slice_%04d" % (c + 1, d * 10 + 2, sl), cls,
                                 encode(m), h, w))
    rng.shuffle(rows)  # a case-day's rows need not be together
    preds = []
    for rid, cls, rle, h, w in rows:
        t = decode(rle, h, w)
        mode = rng.choice(["same", "shift", "erase", "blob", "empty"])
        if mode == "shift":
            t = np.roll(t, rng.randint(-3, 3), axis=rng.randint(0, 1))
        elif mode == "erase":
            t[:rng.randint(0, h), :] = False
        elif mode == "blob":
            t = t | random_mask(h, w, "blobs")
        elif mode == "empty":
            t = np.zeros_like(t)
        preds.append(encode(t))
    return rows, preds


def case_uw(k):
    rows, preds = uw_case(k)
    if k == 0:  # every prediction right: Hausdorff 0 everywhere
        preds = [r[2] for r in rows]
    head = ["id", "class", "predicted", "image_width", "image_height"]
    ans = (head, [[r[0], r[1], r[2], "%d.0" % r[4], "%d.0" % r[3]] for r in rows])
    sub = (["id", "class", "predicted"], [[r[0], r[1], p] for r, p in zip(rows, preds)])
    check("uw-madison dice+hausdorff #%d (n=%d)" % (k, len(rows)),
          "uw-madison-gi-tract-image-segmentation", ans, sub, float(uw_expected(rows, preds)))


# ---- invalid submissions ------------------------------------------------------------

def invalid_cases():
    ans = (["id", "encoding", "width_pixels", "height_pixels"],
           [["a", "1 3 10 2", "5", "4"], ["b", "2 2", "5", "4"]])
    bad = [("unsorted", "10 2 1 3", ["line 3", "'predicted'", "increasing order"]),
           ("overlap", "1 5 4 2", ["line 3", "overlaps"]),
           ("equal starts", "3 1 3 1", ["line 3", "overlaps"]),
           ("zero length", "1 0", ["line 3", "length must be positive"]),
           ("negative start", "-1 3", ["line 3", "start must be a positive"]),
           ("zero start", "0 3", ["line 3", "start must be a positive"]),
           ("float token", "1.0 3", ["line 3", "'1.0' is not an integer"]),
           ("odd count", "1 2 5", ["line 3", "no length"]),
           ("absurd value", "1 99999999999999999999", ["line 3", "not an integer"]),
           ("text", "abc", ["line 3", "not an integer"])]
    for name, rle, needles in bad:
        expect_invalid("hubmap " + name, HUBMAP, ans,
                       (["id", "predicted"], [["a", ""], ["b", rle]]), needles)
    expect_invalid("hubmap unknown id", HUBMAP, ans,
                   (["id", "predicted"], [["a", ""], ["z", ""]]), ["line 3", "'z'"])
    expect_invalid("hubmap missing column", HUBMAP, ans, (["id", "encoding"], [["a", ""]]),
                   ["'predicted'"])
    cans = (["record_id", "encoded_pixels", "height", "width"],
            [["1", "1 4", "4", "4"], ["2", "-", "4", "4"]])
    expect_invalid("contrails empty cell", CONTRAILS, cans,
                   (["record_id", "encoded_pixels"], [["1", "-"], ["2", ""]]),
                   ["line 3", "'encoded_pixels'", "'-'"])
    expect_invalid("contrails overlap", CONTRAILS, cans,
                   (["record_id", "encoded_pixels"], [["1", "1 4 2 1"], ["2", "-"]]),
                   ["line 2", "overlaps"])
    tans = (["id", "rle_mask"], [["a", "1 5"], ["b", ""]])
    expect_invalid("tgs extra column", TGS, tans,
                   (["id", "rle_mask", "x"], [["a", "", "1"], ["b", "", "2"]]),
                   ["line 1", "exactly"])
    kans = (["image_id", "labels"], [["p1", "U+0041 1 1 5 5"], ["p2", ""]])
    for name, cell, needle in [("4 fields", "U+0041 2 2 3", "not a multiple of 3"),
                               ("double space", "U+0041 2  2", "not a multiple of 3"),
                               ("trailing space", "U+0041 2 2 ", "not a multiple of 3"),
                               ("x not a number", "U+0041 a 2", "is not a number"),
                               ("hex x", "U+0041 0x2 2", "is not a number")]:
        expect_invalid("kuzushiji " + name, "kuzushiji-recognition", kans,
                       (["image_id", "labels"], [["p1", "U+0041 2 2"], ["p2", cell]]),
                       ["line 3", "'labels'", needle])
    uhead = ["id", "class", "predicted", "image_width", "image_height"]
    uans = (uhead, [["case1_day1_slice_0001", "stomach", "1 3", "4", "4"],
                    ["case1_day1_slice_0002", "stomach", "", "4", "4"]])
    expect_invalid("uw-madison rows out of order", "uw-madison-gi-tract-image-segmentation",
                   uans, (["id", "class", "predicted"],
                          [["case1_day1_slice_0002", "stomach", ""],
                           ["case1_day1_slice_0001", "stomach", "1 3"]]), ["line 2", "order"])
    expect_invalid("uw-madison no class column", "uw-madison-gi-tract-image-segmentation",
                   uans, (["id", "predicted"], [["case1_day1_slice_0001", "1 3"],
                                               ["case1_day1_slice_0002", ""]]), ["'class'"])
    vans = (["Id", "Predicted", "width", "height"], [["a", "1 5", "10", "8"], ["b", "3 4", "10", "8"]])
    expect_invalid("vesuvius empty cell", VESUVIUS, vans,
                   (["Id", "Predicted"], [["a", ""], ["b", "1 2"]]), ["line 2", "'Predicted'"])
    expect_invalid("vesuvius rows out of order", VESUVIUS, vans,
                   (["Id", "Predicted"], [["b", "1 2"], ["a", "1 2"]]), ["line 2", "order"])
    expect_invalid("vesuvius extra column", VESUVIUS, vans,
                   (["Id", "Predicted", "x"], [["a", "1 2", ""], ["b", "1 2", ""]]), ["exactly"])


def valid_edges():
    ans = (["id", "encoding", "width_pixels", "height_pixels"],
           [["a", "1 3 10 2", "5", "4"], ["b", "2 2", "5", "4"]])
    ta = decode("1 3 10 2", 4, 5)
    tb = decode("2 2", 4, 5)
    cases = [("run past the end", "19 50", "1 3 10 2"),   # cut at pixel 20
             ("run starting past the end", "2 2 25 3 40 1", "1 3"),
             ("blanks, + and _", " +2\t2  ", "1_0 1"),
             ("nan cell is empty", "nan", "")]
    for name, rb, ra in cases:
        exp = np.mean([dice(decode(ra.replace("_", ""), 4, 5), ta, 1.0),
                       dice(decode(rb.replace("nan", "").replace("+", ""), 4, 5), tb, 1.0)])
        check("hubmap " + name, HUBMAP, ans,
              (["id", "predicted"], [["b", rb], ["a", ra]]), float(exp))


for k in range(8):
    case_hubmap(k)
    case_contrails(k)
    case_tgs(k)
    case_vesuvius(k)
for k in range(6):
    case_kuzushiji(k)
for k in range(10):
    case_uw(k)
case_tgs_empty_prediction()
case_large()
valid_edges()
invalid_cases()
print("%d cases, %d failed" % (count, len(failures)))
sys.exit(1 if failures else 0)

#!/usr/bin/python3
"""diff_lyft.py: differential test of grove's 3-D box mAP (map_lyft3d,
bench/metrics_lyft.c and bench/box3d.c) for
3d-object-detection-for-autonomous-vehicles.

    /usr/bin/python3 diff_lyft.py GRADE_TOOL [SEED]

Random samples (several classes, boxes near the ground truth with jittered
centers, sizes and yaws, exact duplicates, tied and NaN confidences, classes
the sample lacks, empty and blank cells, samples without ground truth, boxes
without yaw at exact IoU ties) graded by GRADE_TOOL and compared to 1e-9
relative with a reference written here from MLE-bench's definition: the yaw
through the quaternion (cos, 0, 0, sin) of half the angle and the rotation
matrix numpy.dot gives from its 4x4 product matrices, footprints intersected
by shapely, VOC-style AP per class, means by numpy. Then submissions the
grader rejects must be invalid naming the line, and a NaN confidence among
64 boxes must be an error rather than a score. Debian's python3 with numpy
and python3-shapely.
"""
import math
import os
import random
import sys
import tempfile

import numpy as np
from shapely.geometry import Polygon

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gradekit  # noqa: E402

TOOL = sys.argv[1]
SEED = int(sys.argv[2]) if len(sys.argv) > 2 else 5
COMP = "3d-object-detection-for-autonomous-vehicles"
THRESHOLDS = [0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95]
rng = random.Random(SEED)
tmp = tempfile.mkdtemp(prefix="grove_lyft_")
tally = gradekit.Tally(24)
record = tally.record


PANDAS_NA = {"", "NA", "nan", "NaN", "None", "null", "NULL", "N/A", "n/a", "<NA>"}


class Rejected(Exception):
    """Where MLE-bench's grader raises."""


# ---- reference ------------------------------------------------------------------

def read_cell(cell):
    """[(conf, center, size, quaternion, name)] as grade.py reads a cell."""
    if cell.strip() == "":
        return []
    tok = cell.split(" ")
    if len(tok) % 9:
        raise Rejected("count")
    out = []
    for k in range(0, len(tok), 9):
        v = [float(x) for x in tok[k:k + 8]]  # ValueError: rejected
        half = v[7] / 2.0
        q = np.array([math.cos(half)] + list(np.array([0.0, 0.0, 1.0]) * math.sin(half)))
        out.append((v[0], v[1:4], v[4:7], q, tok[k + 8]))
    return out


def rotation(q):
    """The 3x3 rotation of unit quaternion q (w, x, y, z): the lower-right
    block of L(q) times R(q)^T, L and R the left and right multiplication
    matrices, by numpy.dot."""
    w, x, y, z = q
    left = np.array([[w, -x, -y, -z], [x, w, -z, y], [y, z, w, -x], [z, -y, x, w]])
    right = np.array([[w, -x, -y, -z], [x, w, z, -y], [y, -z, w, x], [z, y, -x, w]])
    return np.dot(left, right.T)[1:, 1:]


class Box:
    def __init__(self, b):
        conf, center, size, q, name = b
        if np.any(np.isnan(center)) or np.any(np.isnan(size)) or np.any(np.isnan(q)):
            raise Rejected("nan")
        if not all(s > 0 for s in size):
            raise Rejected("size")
        if abs(1.0 - np.dot(q, q)) >= 1e-14:
            q = q / math.sqrt(np.dot(q, q))
        r = rotation(q)
        c, s = r[0, 0], r[1, 0]
        w, l, h = size
        x, y, z = center
        pts = [(x + l / 2 * c + w / 2 * s, y + l / 2 * s - w / 2 * c),
               (x + l / 2 * c - w / 2 * s, y + l / 2 * s + w / 2 * c),
               (x - l / 2 * c - w / 2 * s, y - l / 2 * s + w / 2 * c),
               (x - l / 2 * c + w / 2 * s, y - l / 2 * s - w / 2 * c)]
        for a, b2, c2 in ((0, 1, 3), (1, 0, 2), (2, 1, 3), (3, 0, 2)):
            pa, pb, pc = pts[a], pts[b2], pts[c2]
            d = (pb[0] - pa[0]) * (pc[0] - pa[0]) + (pb[1] - pa[1]) * (pc[1] - pa[1])
            if not np.isclose(d, 0):
                raise Rejected("corners")
        self.poly = Polygon(pts + [pts[0]])
        self.zlo, self.zhi = z - h / 2, z + h / 2
        self.volume = np.prod(size)


def iou(p, g):
    dh = max(0, min(g.zhi, p.zhi) - max(g.zlo, p.zlo))
    inter = dh * p.poly.intersection(g.poly).area
    return np.clip(inter / (p.volume + g.volume - inter), 0, 1)


def ap_of(gts, preds, thr):
    gboxes = [Box(b) for b in gts]
    order = sorted(preds, key=lambda b: b[0], reverse=True)
    taken = [False] * len(gboxes)
    hits = []
    for b in order:
        ious = [iou(Box(b), g) for g in gboxes]
        best = np.max(ious)
        j = int(np.argmax(ious))
        hit = bool(best > thr) and not taken[j]
        if hit:
            taken[j] = True
        hits.append(hit)
    tp = np.cumsum(np.array(hits, float))
    fp = np.cumsum(1.0 - np.array(hits, float))
    rec = np.concatenate(([0.0], tp / len(gts), [1.0]))
    prec = np.concatenate(([0.0], tp / (tp + fp), [0.0]))
    prec = np.maximum.accumulate(prec[::-1])[::-1]
    step = np.nonzero(rec[1:] != rec[:-1])[0]
    return np.sum((rec[step + 1] - rec[step]) * prec[step + 1])


def expect(ans, sub):
    """ans, sub: {id: cell}; the score, or raises Rejected."""
    sub_boxes = {k: read_cell("" if v is None or v in PANDAS_NA else v) for k, v in sub.items()}
    ans_boxes = {k: read_cell(v) for k, v in ans.items()}
    maps = []
    for k in sorted(ans):
        gts, preds = ans_boxes[k], sub_boxes[k]
        names = sorted({b[4] for b in gts})
        for thr in THRESHOLDS:
            aps = []
            for n in names:
                mine = [b for b in preds if b[4] == n]
                aps.append(ap_of([b for b in gts if b[4] == n], mine, thr) if mine else 0.0)
            with np.errstate(all="ignore"):
                maps.append(np.mean(np.array(aps, float)) if aps else math.nan)
    return float(np.mean(maps))


# ---- cases ----------------------------------------------------------------------

CLASSES = ["car", "pedestrian", "bus", "truck", "bicycle"]


def num(x):
    return repr(float(x)) if rng.random() < 0.8 else "%.6g" % x


def cell_of(boxes):
    return " ".join(" ".join([num(v) for v in b[:8]] + [b[8]]) for b in boxes)


def gt_box():
    return [1.0, rng.uniform(2700, 2800), rng.uniform(600, 700), rng.uniform(-20, -17),
            rng.uniform(0.5, 3), rng.uniform(0.5, 12), rng.uniform(0.8, 4),
            rng.uniform(-math.pi, math.pi), rng.choice(CLASSES[:3])]


def near(g):
    j = rng.choice([0.02, 0.1, 0.3, 1.0])
    return [rng.choice([0.3, 0.5, 0.9, rng.random(), rng.random()]),
            g[1] + rng.gauss(0, j), g[2] + rng.gauss(0, j), g[3] + rng.gauss(0, j / 2),
            g[4] * math.exp(rng.gauss(0, j / 3)), g[5] * math.exp(rng.gauss(0, j / 3)),
            g[6] * math.exp(rng.gauss(0, j / 3)), g[7] + rng.gauss(0, j / 2),
            g[8] if rng.random() < 0.85 else rng.choice(CLASSES)]


def axis_box(cls):
    """Boxes without yaw at quarter-unit coordinates: exact IoUs (0.5, 0.6,
    0.75, ...) that tie with the thresholds."""
    x, y = rng.randint(0, 40) / 4, rng.randint(0, 40) / 4
    return [1.0, x, y, 0.0, rng.choice([1, 2, 4]), rng.choice([2, 4, 5]), 1.0, 0.0, cls]


def axis_near(g):
    b = list(g)
    b[0] = rng.choice([0.5, 0.7])
    b[5] = g[5] * rng.choice([0.5, 0.6, 0.75, 0.8, 1.0])
    b[1] = g[1] + (g[5] - b[5]) / 2 * rng.choice([-1, 0, 1])
    return b


def make_case(t):
    n = rng.randint(2, 7)
    ans, sub = {}, {}
    for i in range(n):
        k = "%064x" % rng.getrandbits(256)
        if t % 4 == 3:
            gts = [axis_box(rng.choice(CLASSES[:2])) for _ in range(rng.randint(1, 4))]
            preds = [axis_near(g) for g in gts for _ in range(rng.randint(0, 2))]
        else:
            gts = [gt_box() for _ in range(rng.randint(1, 6))]
            preds = [near(g) for g in gts for _ in range(rng.randint(0, 2))]
            preds += [gt_box() for _ in range(rng.randint(0, 2))]
            for p in preds:
                p[0] = rng.random() if rng.random() < 0.5 else p[0]
        if preds and rng.random() < 0.3:
            preds.append(list(rng.choice(preds)))  # an exact duplicate
        if preds and rng.random() < 0.15:
            rng.choice(preds)[0] = math.nan
        rng.shuffle(preds)
        ans[k] = cell_of(gts)
        sub[k] = cell_of(preds) if preds else rng.choice(["", " ", None])
    return ans, sub


def write_and_grade(ans, sub, header=("Id", "PredictionString"), order=None):
    keys = order or list(sub)
    rows = [[k, '"%s"' % ("" if sub[k] is None else sub[k])] for k in keys]
    for r, k in zip(rows, keys):
        if sub[k] is None:
            r[1] = ""
    arows = [[k, '"%s"' % v] for k, v in ans.items()]
    return gradekit.grade(TOOL, tmp, COMP, (["Id", "PredictionString"], arows),
                          (list(header), rows))


def check(name, ans, sub, **kw):
    rep = write_and_grade(ans, sub, **kw)
    try:
        want = expect(ans, sub)
    except (Rejected, ValueError) as e:
        err = rep.get("error") or ""
        record(rep.get("valid_submission") is False and "line" in err, name,
               "rejected (%s): %s" % (e, err[:160]))
        return
    got = rep.get("score_raw")
    if math.isnan(want):
        ok = rep.get("valid_submission") is True and got is None and rep.get("score") is None
    else:
        ok = rep.get("valid_submission") is True and got is not None and gradekit.close(got, want)
    record(ok, name, "grove %r expected %r %s" % (got, want, rep.get("error") or
                                                  rep.get("grade_error") or ""))


def fixed_cases():
    g = [1.0, 10.0, 20.0, 0.0, 2.0, 4.0, 1.5, 0.3, "car"]
    a = {"s1": cell_of([g]), "s2": cell_of([gt_box()])}
    good = cell_of([g])
    for name, cell in (("count", good + " 1"), ("word", good.replace("10.0", "ten", 1)),
                       ("inf_yaw", "0.9 10 20 0 2 4 1.5 inf car"),
                       ("neg_size", "0.9 10 20 0 -2 4 1.5 0.3 car"),
                       ("nan_center", "0.9 nan 20 0 2 4 1.5 0.3 car"),
                       ("huge", "0.9 1e15 1e15 0 2 4 1.5 0.3 car"),
                       ("double_space", "0.9 10 20 0  2 4 1.5 0.3 car"),
                       ("edge_space", good + " ")):
        check("bad_" + name, a, {"s1": cell, "s2": ""})
    # Box3D never sees a class the sample lacks: a negative size there scores
    check("unscored_neg_size", a, {"s1": good + " 0.5 1 1 1 -1 1 1 0 tram", "s2": " "})
    check("python_floats", a, {"s1": "1_0.0e-1 1_0 2e1 0 2. 4 1.5 .3 car", "s2": "nan"})
    check("large_coordinates", a, {"s1": "0.9 1e12 1e12 0 1e4 1e4 1.5 0.3 car", "s2": ""})
    check("empty_name", {"s1": "1 1 1 1 1 1 1 0 ", "s2": cell_of([g])},
          {"s1": "0.5 1 1 1 1 1 1 0 ", "s2": " "})
    check("no_ground_truth", {"s1": " ", "s2": cell_of([g])}, {"s1": good, "s2": good})
    # an answers cell pandas reads as NaN: MLE-bench's grader fails on it
    rep = write_and_grade({"s1": "", "s2": good}, {"s1": good, "s2": good})
    record("answers row 1" in (rep.get("grade_error") or ""), "answers_nan",
           rep.get("grade_error"))
    # wrong ids and columns
    rep = write_and_grade(a, {"s1": good, "s3": good})
    record(rep.get("valid_submission") is False, "bad_ids", rep.get("error"))
    rep = write_and_grade(a, {"s1": good, "s2": good}, header=("Id", "Prediction"))
    record(rep.get("valid_submission") is False, "bad_column", rep.get("error"))
    # 64 boxes of one class: sorted exactly without NaN, an error with one
    many = [[rng.choice([0.5, 0.25, rng.random()])] + near(g)[1:8] + ["car"] for _ in range(70)]
    check("many_boxes", a, {"s1": cell_of(many), "s2": ""})
    many[5][0] = math.nan
    rep = write_and_grade(a, {"s1": cell_of(many), "s2": ""})
    record("timsort" in (rep.get("grade_error") or ""), "many_nan", rep.get("grade_error"))
    many = many[:63]
    check("nan_63", a, {"s1": cell_of(many), "s2": ""})


for t in range(60):
    check("random_%d" % t, *make_case(t))
fixed_cases()
tally.finish()

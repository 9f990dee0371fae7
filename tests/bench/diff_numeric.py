#!/usr/bin/python3
"""diff_numeric.py: differential test of the competition-specific numeric metrics
(bench/metrics_numeric.c) against scikit-learn / scipy / numpy.

    /usr/bin/python3 diff_numeric.py GRADE_TOOL [SEED]

Per competition, random answers and submissions in its layout (extra answer
columns, group columns, repeated ids, ties, shuffled rows) are graded with
GRADE_TOOL (the streaming grader, plus bench_metric over tables when the rows
line up) and compared to the metric computed here from its definition, to
1e-9 relative. Broken submissions must come out invalid naming the row or
column. Needs Debian's python3 with numpy, pandas, sklearn, scipy; prints one
line per case and "N cases, M failed".
"""
import math
import random
import sys
import tempfile

import numpy as np
import pandas as pd
from scipy.special import rel_entr
from sklearn import metrics

import gradekit
from gradekit import close, fmt

TOOL = sys.argv[1]
SEED = int(sys.argv[2]) if len(sys.argv) > 2 else 7
rng = random.Random(SEED)
nrng = np.random.default_rng(SEED)
tmp = tempfile.mkdtemp(prefix="grove_diffnum_")
failures = []
count = 0


def grade(comp, answers, submission):
    return gradekit.grade(TOOL, tmp, comp, answers, submission)


def record(name, ok, detail, rep):
    global count
    count += 1
    print("%-4s %-34s %s" % ("ok" if ok else "FAIL", name, detail))
    if not ok:
        failures.append((name, rep))


def check(name, comp, answers, submission, expected, aligned):
    rep = grade(comp, answers, submission)
    ok = bool(rep.get("valid_submission")) and close(rep["score_raw"], expected)
    ok = ok and close(rep["score"], round(expected, 5))
    if aligned and ok:
        ok = close(rep.get("table_score", math.nan), expected)
    record(name, ok, "grove %-22r expected %r" % (rep.get("score_raw"), expected), rep)


def expect_invalid(name, comp, answers, submission, needle):
    rep = grade(comp, answers, submission)
    err = rep.get("error") or ""
    ok = rep.get("valid_submission") is False and rep.get("score") is None and needle in err
    record(name, ok, err, rep)


def expect_error(name, comp, answers, submission, needle):
    rep = grade(comp, answers, submission)
    err = rep.get("grade_error") or ""
    record(name, needle in err, err, rep)


def order(n, shuffle):
    idx = list(range(n))
    if shuffle:
        rng.shuffle(idx)
    return idx


# ---- champs-scalar-coupling: log MAE per coupling type, averaged ----------

CHAMPS = "champs-scalar-coupling"
CHAMPS_COLS = ["id", "molecule_name", "atom_index_0", "atom_index_1", "type",
               "scalar_coupling_constant"]


def champs_answers(ids, types, y):
    return (CHAMPS_COLS, [[i, "dsgdb9nsd_%06d" % (n // 7), str(n % 9), str(n % 5), t, fmt(v)]
                          for n, (i, t, v) in enumerate(zip(ids, types, y))])


def case_champs(k):
    n = rng.randint(40, 3000)
    kinds = ["1JHC", "2JHH", "3JHN", "1JHN", "2JHC", "3JHC", "ТИП-ü"][:rng.randint(1, 7)]
    types = [rng.choice(kinds) for _ in range(n)]
    y = nrng.normal(0, 30, n)
    p = y + nrng.normal(0, rng.choice([0.1, 3.0]), n)
    if k % 2:
        p = np.round(p, 1)
    ids = [str(4000000 + 3 * i) for i in range(n)]
    rows = order(n, k % 2 == 1)
    sub = (["id", "scalar_coupling_constant"], [[ids[i], fmt(p[i])] for i in rows])
    df = pd.DataFrame({"type": types, "y": y, "p": p})
    expected = np.mean([np.log(metrics.mean_absolute_error(g["y"], g["p"]))
                        for _, g in df.groupby("type")])
    check("champs #%d (n=%d, %d types)" % (k, n, len(set(types))), CHAMPS,
          champs_answers(ids, types, y), sub, expected, k % 2 == 0)


def champs_invalid():
    ids, types, y = ["1", "2", "3"], ["1JHC", "2JHH", "1JHC"], [1.0, 2.0, 3.0]
    ans = champs_answers(ids, types, y)
    cols = ["id", "scalar_coupling_constant"]
    expect_invalid("champs: missing id", CHAMPS, ans, (cols, [["1", "1"], ["3", "2"]]),
                   "id '2' missing")
    expect_invalid("champs: nan", CHAMPS, ans, (cols, [["1", "1"], ["2", "nan"], ["3", "2"]]),
                   "line 3, column 'scalar_coupling_constant'")
    expect_invalid("champs: missing column", CHAMPS, ans, (["id", "x"], [["1", "1"]]),
                   "missing required column 'scalar_coupling_constant'")
    no_type = ([c for c in CHAMPS_COLS if c != "type"],
               [[r[0], r[1], r[2], r[3], r[5]] for r in ans[1]])
    expect_error("champs: answers lack type", CHAMPS, no_type,
                 (cols, [["1", "1"], ["2", "2"], ["3", "3"]]), "lack the column 'type'")


# ---- playground-series-s3e18: macro AUC over EC1, EC2 ----------------------

S3E18 = "playground-series-s3e18"


def case_s3e18(k):
    n = rng.randint(30, 2000)
    ec = ["EC%d" % j for j in range(1, 7)]
    Y = nrng.integers(0, 2, (n, 6))
    Y[0, :2], Y[1, :2] = 0, 1
    P = nrng.normal(0, 2, (n, 2))  # scores, not probabilities: any range
    if k % 2:
        P = np.round(P, 1)  # ties
    ids = [str(14838 + i) for i in range(n)]
    ans = (["id", "BertzCT", "Chi1"] + ec,
           [[i, fmt(rng.random()), "3"] + [str(v) for v in r] for i, r in zip(ids, Y)])
    rows = order(n, k % 2 == 1)
    sub = (["id", "EC1", "EC2"], [[ids[i], fmt(P[i, 0]), fmt(P[i, 1])] for i in rows])
    check("s3e18 #%d (n=%d)" % (k, n), S3E18, ans, sub,
          metrics.roc_auc_score(Y[:, :2], P, average="macro"), k % 2 == 0)


# ---- alaska2: weighted AUC, TPR [0, 0.4] weighted 2, [0.4, 1] weighted 1 ------

ALASKA = "alaska2-image-steganalysis"


def weighted_auc_expected(y, p):
    """The curve from sklearn's roc_curve, the 0.4 crossing put into it by
    linear interpolation; the area under min(tpr, .4) weighs 2, the rest 1."""
    fpr, tpr, _ = metrics.roc_curve(y, p, pos_label=1, drop_intermediate=False)
    i = int(np.argmax(tpr > 0.4))
    x = fpr[i - 1] + (fpr[i] - fpr[i - 1]) * (0.4 - tpr[i - 1]) / (tpr[i] - tpr[i - 1])
    xs = np.concatenate([fpr[:i], [x], fpr[i:]])
    ys = np.concatenate([tpr[:i], [0.4], tpr[i:]])
    low = np.trapz(np.minimum(ys, 0.4), xs)
    high = np.trapz(np.maximum(ys - 0.4, 0), xs)
    return (2 * low + high) / (2 * 0.4 + 0.6)


def case_alaska(k):
    n = rng.randint(10, 4000)
    rate = rng.choice([0.5, 0.25, 0.05 + 3.0 / n])
    y = (nrng.random(n) < rate).astype(int)
    y[0], y[1] = 0, 1
    p = nrng.normal(0, 1, n) + y * rng.choice([0.3, 2.0])
    if k % 3 == 1:
        p = np.round(p, 1)  # ties: several points move at one threshold
    if k % 3 == 2:
        p = 1 / (1 + np.exp(-p))
    ids = ["%05d.jpg" % (i + 1) for i in range(n)]
    rows = order(n, k % 2 == 1)
    ans = (["Id", "Label"], [[i, str(v)] for i, v in zip(ids, y)])
    sub = (["Id", "Label"], [[ids[i], fmt(p[i])] for i in rows])
    check("alaska2 #%d (n=%d)" % (k, n), ALASKA, ans, sub, weighted_auc_expected(y, p),
          k % 2 == 0)


def alaska_edges():
    # a perfect ranking scores 1, a reversed one 0, a constant one the
    # weighted area under the diagonal: (2 * 0.32 + 0.18) / 1.4
    y = [0, 1, 0, 1, 1, 0, 0, 1, 0, 1]
    ids = ["%d.jpg" % i for i in range(10)]
    ans = (["Id", "Label"], [[i, str(v)] for i, v in zip(ids, y)])
    for name, p, want in (("perfect", y, 1.0), ("reversed", [1 - v for v in y], 0.0),
                          ("constant", [0.5] * 10, (2 * 0.32 + 0.18) / 1.4)):
        sub = (["Id", "Label"], [[i, fmt(v)] for i, v in zip(ids, p)])
        check("alaska2: %s" % name, ALASKA, ans, sub, want, True)
    expect_invalid("alaska2: text label", ALASKA, ans,
                   (["Id", "Label"], [[i, "x" if i == "3.jpg" else "0.5"] for i in ids]),
                   "line 5, column 'Label'")
    one = (["Id", "Label"], [[i, "0"] for i in ids])
    expect_error("alaska2: one class", ALASKA, one,
                 (["Id", "Label"], [[i, "0.5"] for i in ids]), "ROC curve is not defined")


# ---- hms: KL divergence of normalised votes -----------------------------------

HMS = "hms-harmful-brain-activity-classification"
VOTES = ["seizure_vote", "lpd_vote", "gpd_vote", "lrda_vote", "grda_vote", "other_vote"]


def hms_answers(eeg, V):
    head = ["eeg_id", "eeg_sub_id", "eeg_label_offset_seconds", "spectrogram_id",
            "spectrogram_sub_id", "spectrogram_label_offset_seconds", "label_id",
            "patient_id", "expert_consensus"] + VOTES
    return (head, [[e, str(j), "0.0", "77", "0", "2.0", str(900 + j), "5", "Other"] +
                   [str(v) for v in r] for j, (e, r) in enumerate(zip(eeg, V))])


def case_hms(k):
    m = rng.randint(20, 800)
    eeg = []
    for e in range(m):  # an eeg_id repeats over several label rows
        eeg += [str(1000 + e)] * rng.choice([1, 1, 2, 5])
    n = len(eeg)
    V = nrng.integers(0, 4, (n, 6)) * (nrng.random((n, 6)) < 0.5)
    V[V.sum(axis=1) == 0, rng.randrange(6)] = 3
    P = nrng.random((n, 6)) ** 3
    P[nrng.random((n, 6)) < 0.1] = 0  # clipped to 1e-15
    P = P / P.sum(axis=1, keepdims=True)
    if k == 0:
        P = V / V.sum(axis=1, keepdims=True)  # the gold submission: 0
    Y = V / V.sum(axis=1, keepdims=True)
    expected = rel_entr(Y, np.clip(P, 1e-15, 1 - 1e-15)).sum(axis=1).mean()
    # the k-th row of an eeg_id in the submission pairs with its k-th answer row
    groups = {}
    for i, e in enumerate(eeg):
        groups.setdefault(e, []).append(i)
    keys = list(groups)
    if k % 2:
        rng.shuffle(keys)
    rows = [i for e in keys for i in groups[e]]
    sub = (["eeg_id"] + VOTES, [[eeg[i]] + [fmt(v) for v in P[i]] for i in rows])
    check("hms #%d (n=%d)" % (k, n), HMS, hms_answers(eeg, V), sub, expected, k % 2 == 0)


def hms_invalid():
    eeg = ["1", "2", "2"]
    V = np.array([[1, 0, 0, 0, 0, 2], [0, 3, 0, 0, 0, 0], [0, 0, 1, 1, 0, 0]])
    ans = hms_answers(eeg, V)
    head = ["eeg_id"] + VOTES

    def sub(last):
        return (head, [["1", "0.5", "0", "0", "0", "0", "0.5"],
                       ["2", "0", "1", "0", "0", "0", "0"], ["2"] + last])
    P = np.array([[0.5, 0, 0, 0, 0, 0.5], [0, 1, 0, 0, 0, 0], [0, 0, 0.5, 0.5, 0, 0]])
    Y = V / V.sum(axis=1, keepdims=True)
    want = rel_entr(Y, np.clip(P, 1e-15, 1 - 1e-15)).sum(axis=1).mean()
    # round(s, 5) == 1: 1.0000049 rounds to 1, 1.0000051 does not
    check("hms: sum 1.0000049", HMS, ans,
          sub(["0", "0", "0.5", "0.5", "0.0000049", "0"]), want, True)
    expect_invalid("hms: sum 1.0000051", HMS, ans,
                   sub(["0", "0", "0.5", "0.5", "0.0000051", "0"]), "id '2' sum to 1.0000051")
    expect_invalid("hms: sum 0.99", HMS, ans, sub(["0", "0", "0.5", "0.49", "0", "0"]),
                   "sum to 0.99")
    expect_invalid("hms: above 1", HMS, ans, sub(["0", "0", "1.5", "-0.5", "0", "0"]),
                   "line 4, column 'gpd_vote': '1.5' is not a probability")
    expect_invalid("hms: id repeated too often", HMS, ans,
                   (head, [["1"] + ["0.5", "0", "0", "0", "0", "0.5"]] * 2 +
                    [["2", "0", "1", "0", "0", "0", "0"]]), "id '1' appears more often")


# ---- freesound: label-weighted label-ranking average precision --------------

FREESOUND = "freesound-audio-tagging-2019"
CLASSES = ["Accelerating_and_revving_and_vroom", "Accordion", "Acoustic_guitar",
           "Applause", "Bark", "Bass_drum", "Bass_guitar", "Bathtub_(filling_or_washing)",
           "Bicycle_bell", "Burping_and_eructation", "Bus", "Buzz", "Car_passing_by",
           "Cheering", "Chewing_and_mastication", "Child_speech_and_kid_speaking",
           "Chink_and_clink", "Chirp_and_tweet", "Church_bell", "Clapping"]


def case_freesound(k):
    n = rng.randint(5, 600)
    c = len(CLASSES)
    T = (nrng.random((n, c)) < rng.choice([0.05, 0.2])).astype(int)
    T[0] = 0          # no label: skipped
    T[1] = 1          # every label: scores 1
    T[2, :] = 0
    T[2, 3] = 1
    S = nrng.random((n, c))
    if k % 2:
        S = np.round(S, 1)  # ties rank "max": a tie counts as above
    weight = T.sum(axis=1)
    keep = np.flatnonzero(weight > 0)
    expected = metrics.label_ranking_average_precision_score(
        T[keep] > 0, S[keep], sample_weight=weight[keep])
    names = ["%08x.wav" % (i * 2654435761 % 2**32) for i in range(n)]
    rows = order(n, k % 2 == 1)
    ans = (["fname"] + CLASSES, [[f] + [str(v) for v in r] for f, r in zip(names, T)])
    sub = (["fname"] + CLASSES, [[names[i]] + [fmt(v) for v in S[i]] for i in rows])
    check("freesound #%d (n=%d)" % (k, n), FREESOUND, ans, sub, expected, k % 2 == 0)


# ---- icecube: mean angular error ------------------------------------------------

ICECUBE = "icecube-neutrinos-in-deep-ice"


def unit(az, zen):
    return np.stack([np.sin(zen) * np.cos(az), np.sin(zen) * np.sin(az), np.cos(zen)], axis=1)


def case_icecube(k):
    n = rng.randint(10, 3000)
    az, zen = nrng.uniform(0, 2 * np.pi, n), nrng.uniform(0, np.pi, n)
    paz, pzen = nrng.uniform(-1, 8, n), nrng.uniform(-1, 4, n)  # any angle
    paz[:3], pzen[:3] = az[:3], zen[:3]  # exact: cosine rounds past 1, clipped
    paz[3], pzen[3] = az[3] + np.pi, np.pi - zen[3]  # antipodal
    dot = np.clip(np.sum(unit(az, zen) * unit(paz, pzen), axis=1), -1, 1)
    expected = np.mean(np.arccos(dot))
    ids = [str(2092 + 17 * i) for i in range(n)]
    rows = order(n, k % 2 == 1)
    ans = (["event_id", "azimuth", "zenith"],
           [[i, fmt(a), fmt(z)] for i, a, z in zip(ids, az, zen)])
    # the submission's columns in another order: grove reads them by name
    sub = (["event_id", "zenith", "azimuth"], [[ids[i], fmt(pzen[i]), fmt(paz[i])] for i in rows])
    check("icecube #%d (n=%d)" % (k, n), ICECUBE, ans, sub, expected, k % 2 == 0)


# ---- smartphone-decimeter-2022: per-trip haversine percentiles ----------------

PHONE = "smartphone-decimeter-2022"
PHONE_COLS = ["tripId", "UnixTimeMillis", "LatitudeDegrees", "LongitudeDegrees"]


def haversine(lat1, lng1, lat2, lng2):
    lat1, lng1, lat2, lng2 = map(np.deg2rad, (lat1, lng1, lat2, lng2))
    h = np.sin((lat2 - lat1) / 2) ** 2 + \
        np.cos(lat1) * np.cos(lat2) * np.sin((lng2 - lng1) / 2) ** 2
    return 2 * 6371000 * np.arcsin(np.sqrt(h))


def case_phone(k):
    trips = ["2021-%02d-%02d-US-MTV-%d-Pixel%d" % (1 + t % 12, 1 + t, t, 4 + t % 3)
             for t in range(rng.randint(1, 8))]
    ans, sub_rows, parts = [], [], []
    for t in trips:
        m = rng.randint(1, 400)
        time = 1620000000000 + 1000 * np.arange(m)
        lat = 37.4 + nrng.normal(0, 0.01, m)
        lng = -122.1 + nrng.normal(0, 0.01, m)
        plat = lat + nrng.normal(0, rng.choice([1e-6, 1e-4]), m)
        plng = lng + nrng.normal(0, 1e-5, m)
        if k % 2:
            plat[: m // 3] = lat[: m // 3]  # exact: distance 0, ties
            plng[: m // 3] = lng[: m // 3]
        d = haversine(plat, plng, lat, lng)
        parts.append(np.mean([np.quantile(d, 0.5), np.quantile(d, 0.95)]))
        ans += [[t, str(x), fmt(a), fmt(b)] for x, a, b in zip(time, lat, lng)]
        sub_rows.append([[t, str(x), fmt(a), fmt(b)] for x, a, b in zip(time, plat, plng)])
    if k % 2:
        rng.shuffle(sub_rows)  # trips in another order; rows keep theirs
    sub = (PHONE_COLS, [r for trip in sub_rows for r in trip])
    check("smartphone #%d (%d trips, n=%d)" % (k, len(trips), len(ans)), PHONE,
          (PHONE_COLS, ans), sub, np.mean(parts), k % 2 == 0)


def phone_invalid():
    ans = (PHONE_COLS, [["a", "1", "37.0", "-122.0"], ["a", "2", "37.1", "-122.0"],
                        ["b", "1", "37.2", "-122.0"]])
    sub = [r[:] for r in ans[1]]
    expect_invalid("smartphone: trip short", PHONE, ans, (PHONE_COLS, sub[1:]),
                   "id 'a' missing")
    expect_invalid("smartphone: trip long", PHONE, ans, (PHONE_COLS, sub + [sub[2]]),
                   "id 'b' appears more often")
    expect_invalid("smartphone: no time column", PHONE, ans,
                   (["tripId", "LatitudeDegrees", "LongitudeDegrees"],
                    [[r[0], r[2], r[3]] for r in sub]), "missing required column 'UnixTimeMillis'")


# ---- osic: modified Laplace log likelihood on each patient's last 3 weeks ------

OSIC = "osic-pulmonary-fibrosis-progression"
OSIC_COLS = ["Patient", "Weeks", "FVC", "Percent", "Age", "Sex", "SmokingStatus",
             "Patient_Week", "Confidence"]


def osic_case(k):
    patients = ["ID00%05d637202177%03d" % (rng.randrange(10**5), j)
                for j in range(rng.randint(1, 30))]
    weeks = list(range(-5, rng.randint(5, 60)))
    ans, sub, graded = [], [], []
    for pat in patients:
        seen = sorted(rng.sample(weeks, rng.randint(1, min(9, len(weeks)))))
        last3 = seen[-3:]
        for w in weeks:
            pw = "%s_%d" % (pat, w)
            fvc = rng.randint(1000, 4000) if w in seen else None
            ans.append([pat, str(w), "" if fvc is None else str(fvc), "70.1", "66", "Male",
                        "Ex-smoker", pw, "100"])
            pred = rng.choice([rng.uniform(800, 4200), 2000.0, float(fvc or 0) + 0.5])
            conf = rng.choice([rng.uniform(0, 400), 70.0, None, -5.0])
            sub.append([pw, fmt(pred), "" if conf is None else fmt(conf)])
            if w in last3:
                graded.append((fvc, pred, 0.0 if conf is None else conf))
    y, p, c = (np.array(x, dtype=float) for x in zip(*graded))
    sd = np.maximum(c, 70)
    delta = np.minimum(np.abs(y - p), 1000)
    expected = np.mean(-np.sqrt(2) * delta / sd - np.log(np.sqrt(2) * sd))
    if k % 2:
        rng.shuffle(sub)
    check("osic #%d (%d patients)" % (k, len(patients)), OSIC, (OSIC_COLS, ans),
          (["Patient_Week", "FVC", "Confidence"], sub), expected, k % 2 == 0)


def osic_invalid():
    ans = (OSIC_COLS, [["P1", "1", "2000", "1", "1", "M", "S", "P1_1", "100"],
                       ["P1", "2", "", "1", "1", "M", "S", "P1_2", "100"]])
    cols = ["Patient_Week", "FVC", "Confidence"]
    expect_invalid("osic: no Confidence", OSIC, ans,
                   (["Patient_Week", "FVC"], [["P1_1", "1"], ["P1_2", "2"]]),
                   "missing required column 'Confidence'")
    expect_invalid("osic: text FVC", OSIC, ans, (cols, [["P1_1", "1", "1"], ["P1_2", "x", "1"]]),
                   "line 3, column 'FVC'")
    expect_invalid("osic: unknown week", OSIC, ans,
                   (cols, [["P1_1", "1", "1"], ["P1_2", "1", "1"], ["P1_3", "1", "1"]]),
                   "id 'P1_3' is not in the answers")


# ---- rsna-breast-cancer-detection: probabilistic F1 ------------------------------

BREAST = "rsna-breast-cancer-detection"


def pf1_expected(y, p):
    p = np.clip(np.asarray(p, dtype=float), 0, 1)
    y = np.asarray(y) != 0
    tp, fp = p[y].sum(), p[~y].sum()
    precision = tp / (tp + fp) if tp + fp > 0 else 0.0
    recall = tp / y.sum()
    return 2 * precision * recall / (precision + recall) if precision > 0 and recall > 0 else 0.0


def case_breast(k):
    n = rng.randint(10, 3000)
    y = (nrng.random(n) < 0.05).astype(int)
    y[0] = 1
    p = nrng.normal(0.2, 0.4, n)  # outside [0, 1] too: clipped
    if k == 3:
        p[:] = -1  # no predicted mass: 0
    ids = ["%d_%s" % (10000 + i // 2, "LR"[i % 2]) for i in range(n)]
    rows = order(n, k % 2 == 1)
    ans = (["prediction_id", "cancer"], [[i, str(v)] for i, v in zip(ids, y)])
    sub = (["prediction_id", "cancer"], [[ids[i], fmt(p[i])] for i in rows])
    check("breast #%d (n=%d)" % (k, n), BREAST, ans, sub, pf1_expected(y, p), k % 2 == 0)


# ---- rsna-2022-cervical: weighted multi-label log loss over melted rows ------

CERVICAL = "rsna-2022-cervical-spine-fracture-detection"
VARIABLES = ["patient_overall"] + ["C%d" % i for i in range(1, 8)]


def case_cervical(k):
    studies = ["1.2.826.0.1.3680043.%d" % rng.randrange(1, 40000) for _ in range(rng.randint(1, 200))]
    studies = sorted(set(studies)) + (["1.2.826.0.1.3680043"] if k == 1 else [])
    Y = (nrng.random((len(studies), 8)) < 0.2).astype(int)
    Y[:, 0] = Y[:, 1:].max(axis=1)
    P = nrng.random((len(studies), 8))
    P[nrng.random(P.shape) < 0.05] = rng.choice([0.0, 1.0])
    w = np.where(Y == 1, [14, 2, 2, 2, 2, 2, 2, 2], [7, 1, 1, 1, 1, 1, 1, 1])
    Pc = np.clip(P, 1e-15, 1 - 1e-15)
    loss = -(Y * np.log(Pc) + (1 - Y) * np.log(1 - Pc))
    expected = np.mean((loss * w).sum(axis=1) / w.sum(axis=1))
    ans, sub = [], []
    for s, yr, pr in zip(studies, Y, P):
        for v, yv, pv in zip(VARIABLES, yr, pr):
            ans.append(["%s_%s" % (s, v), str(yv)])
            sub.append(["%s_%s" % (s, v), fmt(pv)])
    if k % 2:
        rng.shuffle(sub)
    check("cervical #%d (%d studies)" % (k, len(studies)), CERVICAL,
          (["row_id", "fractured"], ans), (["row_id", "fractured"], sub), expected, k % 2 == 0)


# ---- stanford-covid-vaccine: RMSE over the kept rows, three columns ------------

COVID = "stanford-covid-vaccine"
COVID_ALL = ["reactivity", "deg_Mg_pH10", "deg_pH10", "deg_Mg_50C", "deg_50C"]


def case_covid(k):
    seqs, length, scored = rng.randint(1, 40), 20, rng.randint(1, 19)
    ids, keep = [], []
    for s in range(seqs):
        for j in range(length):
            ids.append("id_%09x_%d" % (s * 7919, j))
            keep.append(j < scored)
    n = len(ids)
    Y = nrng.normal(0.5, 0.5, (n, 5))
    Y[~np.array(keep)] = 0.0
    Y = np.vectorize(lambda v: float("%.10f" % v))(Y)  # as the answers file holds them
    P = Y + nrng.normal(0, 0.3, (n, 5))
    kept = np.array(keep)
    expected = np.mean([np.sqrt(metrics.mean_squared_error(Y[kept, c], P[kept, c]))
                        for c in (0, 1, 3)])
    ans = (["id_seqpos"] + COVID_ALL + ["keep"],
           [[i] + ["%.10f" % v for v in r] + [str(kp)] for i, r, kp in zip(ids, Y, keep)])
    rows = order(n, k % 2 == 1)
    sub = (["id_seqpos"] + COVID_ALL, [[ids[i]] + [fmt(v) for v in P[i]] for i in rows])
    check("covid #%d (n=%d)" % (k, n), COVID, ans, sub, expected, k % 2 == 0)
    no_extra = (["id_seqpos", "reactivity", "deg_Mg_pH10", "deg_Mg_50C"],
                [[r[0], r[1], r[2], r[4]] for r in sub[1]])
    if k == 0:
        expect_invalid("covid: no deg_pH10", COVID, ans, no_extra,
                       "missing required column 'deg_pH10'")


# ---- ventilator-pressure-prediction: MAE over the rows with u_out 0 --------

VENT = "ventilator-pressure-prediction"
VENT_COLS = ["id", "breath_id", "R", "C", "time_step", "u_in", "u_out", "pressure"]


def case_vent(k):
    breaths, steps = rng.randint(1, 30), 80
    n = breaths * steps
    ids = [str(i + 1) for i in range(n)]  # integer ids: pandas types them int64
    u_out = [int(j % steps >= rng.randint(25, 35)) for j in range(n)]
    y = nrng.normal(15, 8, n).round(6)
    p = y + nrng.normal(0, 2, n)
    mask = np.array(u_out) == 0
    expected = metrics.mean_absolute_error(y[mask], p[mask])
    ans = (VENT_COLS, [[ids[i], str(i // steps + 1), "20", "50", fmt(0.03 * (i % steps)),
                        fmt(nrng.random() * 30), str(u_out[i]), repr(y[i])] for i in range(n)])
    rows = order(n, k % 2 == 1)
    spell = "%s" if k < 2 else "%s.0"  # a float64 id column matches by value too
    sub = (["id", "pressure"], [[spell % ids[i], fmt(p[i])] for i in rows])
    check("ventilator #%d (n=%d)" % (k, n), VENT, ans, sub, expected, k % 2 == 0)
    if k == 0:
        expect_invalid("ventilator: a row missing", VENT, ans, (sub[0], sub[1][:-1]),
                       "missing")
        expect_invalid("ventilator: no pressure", VENT, ans,
                       (["id", "p"], [r[:] for r in sub[1]]),
                       "missing required column 'pressure'")
        bad = [r[:] for r in sub[1]]
        bad[3][1] = "nan"
        expect_invalid("ventilator: NaN pressure", VENT, ans, (sub[0], bad), "line 5")


# ---- jigsaw-unintended-bias: bias AUCs on 0.5-cut predictions ----------------

JIGSAW = "jigsaw-unintended-bias-in-toxicity-classification"
IDENTITIES = ["male", "female", "homosexual_gay_or_lesbian", "christian", "jewish", "muslim",
              "black", "white", "psychiatric_or_mental_illness"]


def jigsaw_expected(tox, idn, pred):
    t, s = (tox >= 0.5).astype(int), (pred >= 0.5).astype(int)
    aucs = []
    for c in range(idn.shape[1]):
        g = idn[:, c] >= 0.5  # NaN compares false: not in the subgroup
        masks = [g, (g & (t == 0)) | (~g & (t == 1)), (g & (t == 1)) | (~g & (t == 0))]
        aucs.append([metrics.roc_auc_score(t[m], s[m]) for m in masks])
    aucs = np.array(aucs)
    power = np.mean(aucs ** -5.0, axis=0) ** (-1 / 5)
    return 0.25 * metrics.roc_auc_score(t, s) + 0.25 * power.sum()


def case_jigsaw(k):
    n = rng.randint(200, 3000)
    tox = nrng.random(n) ** 2
    idn = np.where(nrng.random((n, 9)) < 0.3, nrng.random((n, 9)), 0.0)
    idn[nrng.random((n, 9)) < 0.2] = np.nan  # unannotated: empty cells
    pred = np.clip(tox + nrng.normal(0, 0.3, n), 0, 1)
    ids = [str(7000000 + i) for i in range(n)]
    cell = lambda v: "" if np.isnan(v) else fmt(v)
    ans = (["id", "comment_text", "toxicity"] + IDENTITIES,
           [[i, '"a, ""quoted"" comment"', fmt(t)] + [cell(v) for v in r]
            for i, t, r in zip(ids, tox, idn)])
    rows = order(n, k % 2 == 1)
    sub = (["id", "prediction"], [[ids[i], fmt(pred[i])] for i in rows])
    check("jigsaw-bias #%d (n=%d)" % (k, n), JIGSAW, ans, sub, jigsaw_expected(tox, idn, pred),
          k % 2 == 0)
    if k == 0:
        expect_invalid("jigsaw-bias: no prediction", JIGSAW, ans,
                       (["id", "score"], [[i, "0.5"] for i in ids]),
                       "missing required column 'prediction'")


for k in range(4):
    case_vent(k)
    case_jigsaw(k)
    case_breast(k)
    case_cervical(k)
    case_covid(k)
    osic_case(k)
    case_phone(k)
    case_champs(k)
    case_s3e18(k)
    case_hms(k)
    case_freesound(k)
    case_icecube(k)
for k in range(6):
    case_alaska(k)
champs_invalid()
alaska_edges()
hms_invalid()
phone_invalid()
osic_invalid()
# answers-side faults are grading errors, never invalid submissions
expect_error("cervical: label 2 in answers", CERVICAL,
             (["row_id", "fractured"], [["s1_C1", "2"], ["s1_patient_overall", "0"]]),
             (["row_id", "fractured"], [["s1_C1", "0.5"], ["s1_patient_overall", "0.5"]]),
             "'s1_C1': 2 is not a 0/1 label")
expect_error("osic: answers week", OSIC,
             (OSIC_COLS, [["P1", "1", "2000", "1", "1", "M", "S", "P1-1", "100"]]),
             (["Patient_Week", "FVC", "Confidence"], [["P1-1", "1", "1"]]),
             "does not end in _<week>")
expect_error("hms: row without votes", HMS, hms_answers(["1"], np.zeros((1, 6), dtype=int)),
             (["eeg_id"] + VOTES, [["1", "0.5", "0.5", "0", "0", "0", "0"]]), "has no votes")
print("%d cases, %d failed" % (count, len(failures)))
sys.exit(1 if failures else 0)

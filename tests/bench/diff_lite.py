#!/usr/bin/python3
"""diff_lite.py: `grove grade --json` against an independent pandas oracle
for the lite split's graders, on the submissions where the way MLE-bench
reads and lines up the rows matters (GROVE_BIN).

The oracle reads both files as MLE-bench does (pandas.read_csv with
float_precision="round_trip", so an id column of integers is int64 and a
submission id "007" or "7.0" is the value 7), and follows each
competition's grader: which columns it requires, whether it lines rows up by
sorted id, by position or not at all, and what it rejects. Validity must
agree and scores agree to 1e-9 after MLE-bench's round(score, 5).

    GROVE_BIN=build/agent/grove /usr/bin/python3 tests/bench/diff_lite.py
"""
import json
import math
import os
import subprocess
import sys
import tempfile
import warnings

import numpy as np
import pandas as pd
from sklearn import metrics

warnings.filterwarnings("ignore")
GROVE = os.environ["GROVE_BIN"]
tmp = tempfile.mkdtemp(prefix="grove_lite_")
failures = []


class Invalid(Exception):
    pass


def read(path):
    return pd.read_csv(path, float_precision="round_trip")


def rmsle(y, p):
    if (np.asarray(y) <= -1).any() or (np.asarray(p) <= -1).any():
        raise Invalid("log1p of a value <= -1")
    return math.sqrt(np.mean((np.log1p(y) - np.log1p(p)) ** 2))


# ---- the graders, as MLE-bench's grade.py files define them ----------------

def sorted_ids_match(s, a, idc):
    """Rows sorted by id on both sides must carry equal ids (by value)."""
    if len(s) != len(a):
        raise Invalid("row count")
    s, a = s.sort_values(idc, kind="stable"), a.sort_values(idc, kind="stable")
    if (s[idc].values != a[idc].values).any():
        raise Invalid("ids differ")
    return s, a


def g_auc(idc, col):
    def grade(s, a):
        if idc not in s or col not in s or len(s) != len(a):
            raise Invalid("columns or rows")
        try:
            v = pd.to_numeric(s[col])
        except ValueError:
            raise Invalid("not numeric")
        if v.min() < 0 or v.max() > 1:
            raise Invalid("not a probability")
        s, a = sorted_ids_match(s, a, idc)
        return metrics.roc_auc_score(a[col].to_numpy(), s[col].to_numpy())
    return grade


def g_accuracy(idc, col):
    def grade(s, a):
        if idc not in s or col not in s:
            raise Invalid("columns")
        s, a = sorted_ids_match(s, a, idc)
        return metrics.accuracy_score(a[col].to_numpy(), s[col].to_numpy())
    return grade


def g_logloss_binary(s, a):
    if "id" not in s or "label" not in s or set(s["id"]) != set(a["id"]) or len(s) != len(a):
        raise Invalid("ids")
    if not ((s["label"] >= 0) & (s["label"] <= 1)).all():
        raise Invalid("range")
    s, a = s.sort_values("id"), a.sort_values("id")
    return metrics.log_loss(a["label"].to_numpy(), s["label"].to_numpy())


def g_nomad(s, a):
    cols = ["formation_energy_ev_natom", "bandgap_energy_ev"]
    if any(c not in s for c in cols) or len(s) != len(a):
        raise Invalid("columns or rows")
    # no ids: row i of the submission against row i of the answers
    return sum(rmsle(a[c].to_numpy(), s[c].to_numpy()) for c in cols) / 2


def g_plant(s, a):
    cols = ["image_id", "healthy", "multiple_diseases", "rust", "scab"]
    if len(s) != len(a) or set(s.columns) != set(cols):
        raise Invalid("rows or columns")
    s = s.sort_values("image_id").reset_index(drop=True)
    a = a.sort_values("image_id").reset_index(drop=True)
    if not (s["image_id"] == a["image_id"]).all():
        raise Invalid("ids")
    # roc_auc_score on the raw columns: no [0, 1] check
    return np.mean([metrics.roc_auc_score(a[c], s[c]) for c in cols[1:]])


def g_jigsaw(s, a):
    classes = ["toxic", "severe_toxic", "obscene", "threat", "insult", "identity_hate"]
    if "id" not in s or not set(classes) <= set(s.columns) or len(s) != len(a):
        raise Invalid("columns or rows")
    s, a = s.set_index("id").sort_index(), a.set_index("id").sort_index()
    # the answers' keep mask indexes the submission too: pandas aligns it on
    # the ids (an unknown id fails, a repeated one takes its id's flag)
    keep = a[classes].sum(axis=1) >= 0
    a, s = a[keep], s[keep]
    # every remaining column, by position on each side
    return metrics.roc_auc_score(a.to_numpy(), s.to_numpy(), average="macro")


def onehot_logloss(s, a):
    """Log loss over the answers' columns, rows lined up by sorted id (each
    id once on both sides)."""
    s = s[list(a.columns)].sort_values("id").reset_index(drop=True)
    a = a.sort_values("id").reset_index(drop=True)
    if s["id"].tolist() != a["id"].tolist():
        raise Invalid("ids")
    return metrics.log_loss(a.drop(columns="id").to_numpy(), s.drop(columns="id").to_numpy())


def g_spooky(s, a):
    if s.shape != (len(a), 4):  # id and three authors, nothing else
        raise Invalid("shape")
    probs = s.iloc[:, 1:]  # every column but the first is taken as a probability
    if not np.isclose(probs.sum(axis=1), 1, atol=1e-6).all():
        raise Invalid("row sums")
    if not ((probs >= 0) & (probs <= 1)).all().all():
        raise Invalid("range")
    if not set(a.columns) <= set(s.columns):
        raise Invalid("columns")
    return onehot_logloss(s, a)


def g_leaf(s, a):
    classes = [c for c in a.columns if c != "id"]
    if set(s.columns) != set(a.columns) or len(s) != len(a):
        raise Invalid("columns or rows")
    if not np.isclose(s[classes].sum(axis=1), 1, atol=1e-6).all():
        raise Invalid("row sums")
    if not ((s[classes] >= 0) & (s[classes] <= 1)).all().all():
        raise Invalid("range")
    return onehot_logloss(s, a)


def g_nyc(s, a):
    if "key" not in s or "fare_amount" not in s:
        raise Invalid("columns")
    # both sorted by key, then paired in that order: the keys are never compared
    s, a = s.sort_values("key"), a.sort_values("key")
    return math.sqrt(metrics.mean_squared_error(a["fare_amount"], s["fare_amount"]))


GRADERS = {
    "spooky-author-identification": g_spooky,
    "leaf-classification": g_leaf,
    "new-york-city-taxi-fare-prediction": g_nyc,
    "plant-pathology-2020-fgvc7": g_plant,
    "jigsaw-toxic-comment-classification-challenge": g_jigsaw,
    "tabular-playground-series-dec-2021": g_accuracy("Id", "Cover_Type"),
    "tabular-playground-series-may-2022": g_auc("id", "target"),
    "mlsp-2013-birds": g_auc("Id", "Probability"),
    "aerial-cactus-identification": g_auc("id", "has_cactus"),
    "dogs-vs-cats-redux-kernels-edition": g_logloss_binary,
    "nomad2018-predict-transparent-conductors": g_nomad,
}


def oracle(comp, sub, ans):
    try:
        s = read(sub)
        if s.empty:
            raise Invalid("empty")
        score = GRADERS[comp](s, read(ans))
    except (Invalid, ValueError, TypeError, KeyError, IndexError, AssertionError,
            pd.errors.IndexingError):
        return None
    return round(float(score), 5)


def write(path, text):
    with open(path, "w", newline="") as f:
        f.write(text)


def case(comp, name, answers, submission, expect_valid=None):
    ans, sub = os.path.join(tmp, "answers.csv"), os.path.join(tmp, "submission.csv")
    write(ans, answers)
    write(sub, submission)
    want = oracle(comp, sub, ans)
    out = subprocess.run([GROVE, "grade", "--competition", comp, "--submission", sub,
                          "--answers", ans, "--json"], capture_output=True, text=True)
    try:
        got = json.loads(out.stdout)
    except ValueError:
        failures.append("%s/%s: no JSON (%s)" % (comp, name, out.stderr.strip()))
        return
    ok = got["valid_submission"] == (want is not None)
    if ok and want is not None:
        ok = got["score"] is not None and abs(got["score"] - want) <= 1e-9
    if ok and want is None:
        ok = got["score"] is None and not got["any_medal"] and not got["above_median"]
    if ok and expect_valid is not None:  # the oracle itself, against the reading of grade.py
        ok = (want is not None) == expect_valid
    print("%-4s %s / %s: grove %s, MLE-bench %s" % ("ok" if ok else "FAIL", comp, name,
                                                  got["score"] if got["valid_submission"]
                                                  else "invalid (%s)" % got.get("error"),
                                                  want if want is not None else "invalid"))
    if not ok:
        failures.append("%s/%s" % (comp, name))


def rows(header, data):
    return header + "\n" + "".join(r + "\n" for r in data)


# ---- integer ids: pandas compares values, not text -------------------------

TDEC = "tabular-playground-series-dec-2021"
tdec_a = rows("Id,Cover_Type", ["1,2", "2,3", "3,1", "10,2"])
case(TDEC, "leading zeros, blanks, 2.0", tdec_a,
     rows("Id,Cover_Type", ["001,2", "2.0,3", " 3 ,1", "+10,3"]), True)
case(TDEC, "same id twice as 3 and 03", tdec_a,
     rows("Id,Cover_Type", ["1,2", "2,3", "03,1", "3,1"]), False)
case(TDEC, "3.5 is no id", tdec_a, rows("Id,Cover_Type", ["1,2", "2,3", "3.5,1", "10,2"]),
     False)
case(TDEC, "text among the ids", tdec_a, rows("Id,Cover_Type", ["1,2", "2,3", "x3,1", "10,2"]),
     False)
# the labels as pandas types them: 2.0 is 2, 2.5 makes the column continuous
case(TDEC, "label 2.0", tdec_a, rows("Id,Cover_Type", ["1,2.0", "2,3", "3,1", "10,1"]), True)
case(TDEC, "label 2.5", tdec_a, rows("Id,Cover_Type", ["1,2.5", "2,3", "3,1", "10,1"]), False)
case(TDEC, "empty label", tdec_a, rows("Id,Cover_Type", ["1,", "2,3", "3,1", "10,1"]), False)
case(TDEC, "a text label", tdec_a, rows("Id,Cover_Type", ["1,abc", "2,3", "3,1", "10,2"]))

TMAY = "tabular-playground-series-may-2022"
tmay_a = rows("id,target", ["900000,0", "900001,1", "900002,1", "900003,0"])
case(TMAY, "ids as 9.00001e5 and 0900002", tmay_a,
     rows("id,target", ["900003,0.2", "9.00001e5,0.9", "0900002,0.4", "900000.0,0.5"]), True)

MLSP = "mlsp-2013-birds"
mlsp_a = rows("Id,Probability", ["100,0", "101,1", "1800,1", "1801,0"])
case(MLSP, "ids with zeros and blanks", mlsp_a,
     rows("Id,Probability", ["0100,0.1", " 101,0.8", "1800 ,0.3", "1801,0.35"]), True)

DVC = "dogs-vs-cats-redux-kernels-edition"
dvc_a = rows("id,label", ["1,1", "2,0", "3,1"])
case(DVC, "ids 1.0, 02", dvc_a, rows("id,label", ["1.0,0.9", "02,0.2", "3,0.6"]), True)

# text ids stay text: pandas keeps the column as strings
CACT = "aerial-cactus-identification"
cact_a = rows("id,has_cactus", ["a1.jpg,1", "b2.jpg,0", "007.jpg,1"])
case(CACT, "text ids compare as text", cact_a,
     rows("id,has_cactus", ["a1.jpg,0.9", "b2.jpg,0.1", "7.jpg,0.8"]), False)

# ---- nomad2018: the grader pairs rows by position and never reads the ids --

NOMAD = "nomad2018-predict-transparent-conductors"
nomad_a = rows("id,formation_energy_ev_natom,bandgap_energy_ev",
               ["1,0.1,1.0", "2,0.2,2.0", "3,0.3,3.0"])
case(NOMAD, "rows in another order", nomad_a,
     rows("id,formation_energy_ev_natom,bandgap_energy_ev",
          ["3,0.3,3.0", "2,0.2,2.0", "1,0.1,1.0"]), True)
case(NOMAD, "no id column", nomad_a,
     rows("formation_energy_ev_natom,bandgap_energy_ev", ["0.1,1.5", "0.25,2.0", "0.3,2.5"]),
     True)
case(NOMAD, "ids not in the answers", nomad_a,
     rows("id,formation_energy_ev_natom,bandgap_energy_ev",
          ["7,0.1,1.5", "8,0.25,2.0", "9,0.3,2.5"]), True)
case(NOMAD, "one row short", nomad_a,
     rows("id,formation_energy_ev_natom,bandgap_energy_ev", ["1,0.1,1.5", "2,0.25,2.0"]),
     False)

# ---- scores outside [0, 1]: only prepare_for_auroc_metric's graders check ---

PLANT = "plant-pathology-2020-fgvc7"
plant_a = rows("image_id,healthy,multiple_diseases,rust,scab",
               ["Test_0,1,0,0,0", "Test_1,0,1,0,0", "Test_2,0,0,1,0", "Test_3,0,0,0,1"])
case(PLANT, "scores outside [0, 1]", plant_a,
     rows("image_id,healthy,multiple_diseases,rust,scab",
          ["Test_0,3.5,-1,0.1,0.2", "Test_1,0.1,2,0.3,0.1", "Test_2,-4,0.5,0.2,0.3",
           "Test_3,0.2,0.1,0.25,7"]), True)

JIG = "jigsaw-toxic-comment-classification-challenge"
jig_h = "id,toxic,severe_toxic,obscene,threat,insult,identity_hate"
jig_a = rows(jig_h, ["a,1,0,1,0,1,0", "b,0,1,0,1,0,1", "c,1,1,0,0,1,1", "d,0,0,1,1,0,0",
                     "e,-1,-1,-1,-1,-1,-1"])
case(JIG, "scores outside [0, 1]", jig_a,
     rows(jig_h, ["a,2,0,1,0,1,0", "b,0,1,0,1,0,1", "c,1,1,0,0,1,1", "d,0,0,1,1,0,-1",
                  "e,0,0,0,0,0,0"]), True)
case(JIG, "a text score", jig_a,
     rows(jig_h, ["a,x,0,1,0,1,0", "b,0,1,0,1,0,1", "c,1,1,0,0,1,1", "d,0,0,1,1,0,0",
                  "e,0,0,0,0,0,0"]), False)

# scores that tell pairings apart: every column's AUC depends on which row
# meets which
jig_b = rows(jig_h, ["a,1,0,1,0,1,0", "b,0,1,0,1,0,1", "c,1,1,0,0,1,1", "d,0,0,1,1,0,0",
                     "e,-1,-1,-1,-1,-1,-1", "f,0,1,1,0,0,1", "g,1,0,0,1,1,0"])
jig_v = ["0.91,0.12,0.83,0.24,0.75,0.36", "0.27,0.78,0.19,0.61,0.32,0.93",
         "0.73,0.64,0.25,0.16,0.67,0.88", "0.14,0.35,0.96,0.77,0.28,0.19",
         "0.5,0.5,0.5,0.5,0.5,0.5", "0.42,0.53,0.71,0.08,0.49,0.62",
         "0.66,0.21,0.37,0.58,0.84,0.05"]
case(JIG, "columns in another order, scored", jig_b,
     rows("id,severe_toxic,toxic,obscene,threat,identity_hate,insult",
          ["%s,%s" % (i, v) for i, v in zip("abcdefg", jig_v)]), True)
case(JIG, "a repeated id, scored in sorted order", jig_b,
     rows(jig_h, ["%s,%s" % (i, v) for i, v in zip("gabcdef".replace("d", "a"), jig_v)]),
     True)
case(JIG, "the unlabelled id repeated for an unlabelled one", jig_b,
     rows(jig_h, ["%s,%s" % (i, v) for i, v in zip("abcdeef", jig_v)]), False)
case(JIG, "columns in another order", jig_a,
     rows("id,severe_toxic,toxic,obscene,threat,insult,identity_hate",
          ["a,0.9,0.1,1,0,1,0", "b,0.2,0.8,0,1,0,1", "c,0.7,0.6,0,0,1,1", "d,0.1,0.3,1,1,0,0",
           "e,0,0,0,0,0,0"]), True)
case(JIG, "an extra column", jig_a,
     rows(jig_h + ",note", ["a,1,0,1,0,1,0,1", "b,0,1,0,1,0,1,1", "c,1,1,0,0,1,1,1",
                            "d,0,0,1,1,0,0,1", "e,0,0,0,0,0,0,1"]), False)
case(JIG, "a repeated id, all ids known", jig_a,
     rows(jig_h, ["a,0.9,0.1,0.8,0.2,0.7,0.3", "a,0.2,0.8,0.1,0.6,0.3,0.9",
                  "c,0.7,0.6,0.2,0.1,0.6,0.8", "d,0.1,0.3,0.9,0.7,0.2,0.1",
                  "e,0,0,0,0,0,0"]), True)
case(JIG, "a repeated id in place of the unlabelled one", jig_a,
     rows(jig_h, ["a,0.9,0.1,0.8,0.2,0.7,0.3", "b,0.2,0.8,0.1,0.6,0.3,0.9",
                  "c,0.7,0.6,0.2,0.1,0.6,0.8", "d,0.1,0.3,0.9,0.7,0.2,0.1",
                  "d,0,0,0,0,0,0"]), False)
case(JIG, "the unlabelled id twice, a labelled one missing", jig_a,
     rows(jig_h, ["e,0.9,0.1,0.8,0.2,0.7,0.3", "b,0.2,0.8,0.1,0.6,0.3,0.9",
                  "c,0.7,0.6,0.2,0.1,0.6,0.8", "d,0.1,0.3,0.9,0.7,0.2,0.1",
                  "e,0,0,0,0,0,0"]), False)
case(JIG, "an unknown id", jig_a,
     rows(jig_h, ["a,1,0,1,0,1,0", "b,0,1,0,1,0,1", "c,1,1,0,0,1,1", "z,0,0,1,1,0,0",
                  "e,0,0,0,0,0,0"]), False)
case(JIG, "rows shuffled", jig_a,
     rows(jig_h, ["e,0,0,0,0,0,0", "c,0.7,0.6,0.2,0.1,0.6,0.8", "a,0.9,0.1,0.8,0.2,0.7,0.3",
                  "d,0.1,0.3,0.9,0.7,0.2,0.1", "b,0.2,0.8,0.1,0.6,0.3,0.9"]), True)

# ---- exact column sets: spooky (4 columns, the id first), plant, leaf -----

SPOOKY = "spooky-author-identification"
spooky_a = rows("id,EAP,HPL,MWS", ["id1,1,0,0", "id2,0,1,0", "id3,0,0,1", "id4,1,0,0"])
spooky_v = ["0.7,0.2,0.1", "0.1,0.6,0.3", "0.25,0.25,0.5", "0.5,0.3,0.2"]
case(SPOOKY, "authors in another order", spooky_a,
     rows("id,MWS,EAP,HPL", ["id1,0.1,0.7,0.2", "id2,0.3,0.1,0.6", "id3,0.5,0.25,0.25",
                             "id4,0.2,0.5,0.3"]), True)
case(SPOOKY, "an extra column", spooky_a,
     rows("id,EAP,HPL,MWS,x", ["id%d,%s,0" % (i + 1, v) for i, v in enumerate(spooky_v)]),
     False)
case(SPOOKY, "the id not first", spooky_a,
     rows("EAP,id,HPL,MWS", ["0.7,id1,0.2,0.1", "0.1,id2,0.6,0.3", "0.25,id3,0.25,0.5",
                             "0.5,id4,0.3,0.2"]), False)

PLANT_COLS = "image_id,healthy,multiple_diseases,rust,scab"
case(PLANT, "an extra column", plant_a,
     rows(PLANT_COLS + ",note", ["Test_%d,0.1,0.2,0.3,0.4,x" % i for i in range(4)]), False)
case(PLANT, "columns in another order", plant_a,
     rows("scab,image_id,rust,healthy,multiple_diseases",
          ["0.1,Test_0,0.2,0.9,0.1", "0.2,Test_1,0.1,0.3,0.8", "0.3,Test_2,0.7,0.2,0.1",
           "0.9,Test_3,0.1,0.1,0.2"]), True)

LEAF = "leaf-classification"
leaf_a = rows("id,Acer_Capillipes,Acer_Circinatum,Acer_Mono",
              ["4,1,0,0", "7,0,1,0", "9,0,0,1", "12,0,1,0"])
case(LEAF, "columns in another order", leaf_a,
     rows("Acer_Mono,id,Acer_Circinatum,Acer_Capillipes",
          ["0.1,4,0.2,0.7", "0.3,7,0.6,0.1", "0.5,9,0.25,0.25", "0.2,12,0.3,0.5"]), True)
case(LEAF, "an extra column", leaf_a,
     rows("id,Acer_Capillipes,Acer_Circinatum,Acer_Mono,Other",
          ["4,0.7,0.2,0.1,0", "7,0.1,0.6,0.3,0", "9,0.25,0.25,0.5,0", "12,0.5,0.3,0.2,0"]),
     False)

# ---- True/False scores: pandas reads an all-True/False column as bool, ----
# ---- which the graders take as 0/1; mixed with numbers it is text       ----

case(CACT, "True/False scores", cact_a,
     rows("id,has_cactus", ["a1.jpg,True", "b2.jpg,False", "007.jpg,TRUE"]), True)
case(CACT, "True/False mixed with numbers", cact_a,
     rows("id,has_cactus", ["a1.jpg,True", "b2.jpg,0.1", "007.jpg,1"]), False)
case(CACT, "a number, then True", cact_a,
     rows("id,has_cactus", ["a1.jpg,0.9", "b2.jpg,False", "007.jpg,true"]), False)
case(CACT, "True with a blank", cact_a,
     rows("id,has_cactus", ["a1.jpg,True ", "b2.jpg,False", "007.jpg,True"]), False)
case(DVC, "True/False labels", dvc_a, rows("id,label", ["1,true", "2,false", "3,False"]), True)
case(PLANT, "a True/False column", plant_a,
     rows(PLANT_COLS, ["Test_0,True,0.2,0.3,0.4", "Test_1,False,0.8,0.3,0.1",
                       "Test_2,False,0.1,0.7,0.2", "Test_3,True,0.2,0.1,0.9"]), True)
case(LEAF, "one-hot True/False", leaf_a,
     rows("id,Acer_Capillipes,Acer_Circinatum,Acer_Mono",
          ["4,True,False,False", "7,False,True,False", "9,False,False,True",
           "12,True,False,False"]), True)
case(LEAF, "one False column", leaf_a,
     rows("id,Acer_Capillipes,Acer_Circinatum,Acer_Mono",
          ["4,False,0.2,0.8", "7,False,0.6,0.4", "9,False,0.25,0.75", "12,False,0.3,0.7"]),
     True)

# ---- rows with too few fields: pandas fills the missing cells with NaN ----

case(CACT, "short rows, an ignored column missing", cact_a,
     rows("id,has_cactus,note", ["a1.jpg,0.9,x", "b2.jpg,0.1", "007.jpg,0.8"]), True)
case(CACT, "a short row without its score", cact_a,
     rows("id,has_cactus", ["a1.jpg,0.9", "b2.jpg", "007.jpg,0.8"]), False)
case(LEAF, "short rows, an ignored column missing", leaf_a,
     rows("id,Acer_Capillipes,Acer_Circinatum,Acer_Mono",
          ["4,0.7,0.2,0.1", "7,0.1,0.9", "9,0.25,0.25,0.5", "12,0.5,0.5"]), False)
case(JIG, "a short row", jig_a,
     rows(jig_h, ["a,1,0,1,0,1,0", "b,0,1,0,1,0", "c,1,1,0,0,1,1", "d,0,0,1,1,0,0",
                  "e,0,0,0,0,0,0"]), False)

# ---- new-york-city-taxi: rows pair by sorted key, the keys never compared --

NYC = "new-york-city-taxi-fare-prediction"
nyc_h = "key,fare_amount"
nyc_a = rows(nyc_h, ["2015-01-27 13:08:24.0000002,10.0", "2012-03-01 09:00:00.00000071,4.5",
                     "2013-07-10 20:11:00.000000123,22.0"])
case(NYC, "keys in another order", nyc_a,
     rows(nyc_h, ["2013-07-10 20:11:00.000000123,20", "2015-01-27 13:08:24.0000002,11",
                  "2012-03-01 09:00:00.00000071,5"]), True)
case(NYC, "unknown keys", nyc_a, rows(nyc_h, ["b,11", "a,5", "c,20"]), True)
case(NYC, "one key three times", nyc_a, rows(nyc_h, ["x,11", "x,5", "x,20"]), True)
case(NYC, "integer keys sort as numbers", nyc_a, rows(nyc_h, ["10,20", "9,5", "100,11"]), True)
case(NYC, "float keys, one missing", nyc_a, rows(nyc_h, [",20", "2.5,5", "-1e3,11"]), True)
case(NYC, "True/False keys", nyc_a, rows(nyc_h, ["True,20", "False,5", "true,11"]), True)
case(NYC, "True/False fares", nyc_a, rows(nyc_h, ["a,True", "b,False", "c,True"]), True)
case(NYC, "short rows, an ignored column missing", nyc_a,
     rows(nyc_h + ",note", ["a,5,x", "b,11", "c,20"]), True)
case(NYC, "a short row without its key", nyc_a,
     rows("fare_amount,key", ["5,a", "11", "20,c"]), True)
case(NYC, "a short row without its fare", nyc_a, rows(nyc_h, ["a,5", "b", "c,20"]), False)
case(NYC, "one row short", nyc_a, rows(nyc_h, ["a,5", "b,11"]), False)
case(NYC, "one row too many", nyc_a, rows(nyc_h, ["a,5", "b,11", "c,20", "d,1"]), False)
case(NYC, "no key column", nyc_a, rows("id,fare_amount", ["a,5", "b,11", "c,20"]), False)

if failures:
    print("%d failed: %s" % (len(failures), ", ".join(failures)))
    sys.exit(1)
print("all cases agree")

#!/usr/bin/python3
"""diff_refuse.py: the values MLE-bench's graders refuse, against grove's.

    /usr/bin/python3 diff_refuse.py GRADE_TOOL

MLE-bench's Grader.__call__ (mlebench/grade_helpers.py) turns *any* exception
of a competition's grade.py into "no score": the submission is invalid. Many of
those exceptions come from the scikit-learn / scipy call itself, not from a
check the grade.py writes: cohen_kappa_score, accuracy_score, f1_score and
matthews_corrcoef refuse a "continuous" column (type_of_target), every sklearn
metric refuses NaN and infinity (check_array), text where numbers are expected
fails in numpy, a mix of text and numbers cannot be sorted into one label set.
tests/bench/AUDIT.md lists, per competition grove grades, the call and what it
refuses; this file holds one case per refusal.

Each case writes answers and a submission, runs the grade.py's own steps on
them here (pandas.read_csv, the same column handling, the real sklearn call)
and requires grove's grade_tool to reach the same verdict: no score where the
grade.py raises (grove: an invalid submission; "answers" cases, whose refusal
comes from the answers alone, grove reports as an error, as test_grade.c
requires), else the same score to 1e-9. Prints one line per case and
"N cases, M failed".
"""
import math
import os
import sys
import tempfile
import warnings

import numpy as np
import pandas as pd
from scipy.stats import pearsonr
from sklearn import metrics

import gradekit
from gradekit import close

warnings.filterwarnings("ignore")
TOOL = sys.argv[1]
tmp = tempfile.mkdtemp(prefix="grove_refuse_")
tally = gradekit.Tally(58)


class Invalid(Exception):
    """grade.py's InvalidSubmissionError (its own checks before the call)."""


def mle_verdict(grade_fn):
    """What MLE-bench's Grader.__call__ makes of grade_fn on the files just
    written: (score, None), or (None, the exception) where it raises."""
    s = pd.read_csv(os.path.join(tmp, "submission.csv"))
    a = pd.read_csv(os.path.join(tmp, "answers.csv"))
    try:
        return float(grade_fn(s, a)), None
    except Exception as e:  # Grader.__call__ catches every exception
        return None, "%s: %s" % (type(e).__name__, str(e).split("\n")[0][:70])


def case(comp, name, answers, submission, grade_fn, answers_side=False):
    """answers, submission: (header, rows of cells)."""
    rep = gradekit.grade(TOOL, tmp, comp, answers, submission)
    want, why = mle_verdict(grade_fn)
    label = "%s: %s" % (comp[:30], name)
    if want is None:
        got = rep.get("grade_error") if answers_side else rep.get("error")
        ok = got is not None and rep.get("score") is None
        ok = ok and (answers_side or rep.get("valid_submission") is False)
        got = got or rep.get("error") or "score %r" % rep.get("score_raw")
        tally.record(ok, label, "MLE-bench %s | grove %s" % (why, got))
        return
    got = rep.get("score_raw")
    ok = bool(rep.get("valid_submission")) and got is not None and close(got, want)
    tally.record(ok, label, "MLE-bench %r | grove %r" % (want, got if ok else rep.get("error") or got))


def column(ids, values, id_col, col):
    """A two-column file: the ids and one column of already formatted cells."""
    return [id_col, col], [[i, v] for i, v in zip(ids, values)]


def sort_pair(s, a, idc):
    s, a = s.sort_values(idc), a.sort_values(idc)
    if len(s) != len(a) or (s[idc].values != a[idc].values).any():
        raise Invalid("ids")
    return s, a


BOOLS = ["True", "False", "False", "True", "True", "False", "True", "False"]


def cases(comp, idc, col, ans_cells, sub_cells, values, grade_fn, at=3):
    """The base submission, one case per (name, cell) of values with that
    cell at row `at`, and a column all True/False (pandas: bool, which numpy
    takes as 0/1)."""
    ids = ["r%02d" % i for i in range(len(ans_cells))]
    ans = column(ids, ans_cells, idc, col)
    case(comp, "base", ans, column(ids, sub_cells, idc, col), grade_fn)
    for name, v in values:
        sub = sub_cells[:at] + [v] + sub_cells[at + 1:]
        case(comp, name, ans, column(ids, sub, idc, col), grade_fn)
    case(comp, "all True/False", ans, column(ids, BOOLS[:len(ids)], idc, col), grade_fn)


# ---- cohen_kappa_score: aptos2019, learning-agency-lab -------------------

def g_kappa(idc, col):
    def g(s, a):
        s, a = sort_pair(s, a, idc)
        return metrics.cohen_kappa_score(s[col].values, a[col].values, weights="quadratic")
    return g


# the values a label column can hold and what each means to sklearn: a
# whole-number float is a class, 2.5 is "continuous", "" is NaN, text among
# numbers is an object column whose labels cannot be sorted together
LABEL_VALUES = [("2.0 (whole float)", "2.0"), ("2.5 (continuous)", "2.5"),
                ("empty (NaN)", ""), ("inf", "inf"), ("text", "x"), ("-1", "-1")]

KAPPA = [("aptos2019-blindness-detection", "id_code", "diagnosis"),
         ("learning-agency-lab-automated-essay-scoring-2", "essay_id", "score")]
Y04 = ["0", "1", "2", "3", "4", "2", "1", "0"]
P04 = ["0", "1", "2", "2", "4", "3", "1", "1"]
for comp, idc, col in KAPPA:
    cases(comp, idc, col, Y04, P04, LABEL_VALUES, g_kappa(idc, col))


# ---- roc_auc_score after prepare_for_auroc_metric (competitions/utils.py) --

def g_auroc(idc, col):
    def g(s, a):
        try:
            pd.to_numeric(s[col])
        except ValueError:
            raise Invalid("not numeric")
        if s[col].min() < 0 or s[col].max() > 1:  # NaN passes: min/max skip it
            raise Invalid("not in [0, 1]")
        s, a = sort_pair(s, a, idc)
        return metrics.roc_auc_score(a[col].to_numpy(), s[col].to_numpy())
    return g


SCORE_VALUES = [("empty (NaN)", ""), ("nan", "nan"), ("inf", "inf"), ("text", "x"),
                ("1.5 (above 1)", "1.5"), ("1e-300", "1e-300")]
AUROC = [("aerial-cactus-identification", "id", "has_cactus"),
         ("detecting-insults-in-social-commentary", "Comment", "Insult"),
         ("histopathologic-cancer-detection", "id", "label"),
         ("invasive-species-monitoring", "name", "invasive"),
         ("mlsp-2013-birds", "Id", "Probability"),
         ("random-acts-of-pizza", "request_id", "requester_received_pizza"),
         ("rsna-miccai-brain-tumor-radiogenomic-classification", "BraTS21ID", "MGMT_value"),
         ("seti-breakthrough-listen", "id", "target"),
         ("siim-isic-melanoma-classification", "image_name", "target"),
         ("tabular-playground-series-may-2022", "id", "target"),
         ("the-icml-2013-whale-challenge-right-whale-redux", "clip", "probability")]
Y01 = ["0", "1", "0", "1", "1", "0", "0", "1"]
P01 = ["0.1", "0.8", "0.3", "0.35", "0.9", "0.2", "0.6", "0.7"]
for comp, idc, col in AUROC:
    cases(comp, idc, col, Y01, P01, SCORE_VALUES, g_auroc(idc, col))
# one class in the answers: roc_auc_score raises; grove calls the metric
# undefined for these answers (an error, not the submission's fault)
ids = ["r%02d" % i for i in range(8)]
case("aerial-cactus-identification", "answers of one class",
     column(ids, ["1"] * 8, "id", "has_cactus"), column(ids, P01, "id", "has_cactus"),
     g_auroc("id", "has_cactus"), answers_side=True)


# ---- log_loss after a [0, 1] check (dogs-vs-cats, statoil) ----------------

def g_logloss(idc, col):
    def g(s, a):
        if set(s[idc]) != set(a[idc]):
            raise Invalid("ids")
        if not ((s[col] >= 0) & (s[col] <= 1)).all():  # NaN: False; text: TypeError
            raise Invalid("not in [0, 1]")
        s, a = s.sort_values(idc), a.sort_values(idc)
        return metrics.log_loss(a[col], s[col])
    return g


for comp, idc, col in [("dogs-vs-cats-redux-kernels-edition", "id", "label"),
                       ("statoil-iceberg-classifier-challenge", "id", "is_iceberg")]:
    cases(comp, idc, col, Y01, P01, SCORE_VALUES, g_logloss(idc, col))


# ---- accuracy_score after prepare_for_accuracy_metric (pandas-typed) ------

def g_accuracy(idc, col):
    def g(s, a):
        s, a = sort_pair(s, a, idc)
        return metrics.accuracy_score(a[col].to_numpy(), s[col].to_numpy())
    return g


ACCURACY = [("cassava-leaf-disease-classification", "image_id", "label"),
            ("cdiscount-image-classification-challenge", "_id", "category_id"),
            ("iwildcam-2020-fgvc7", "Id", "Category"),
            ("ml2021spring-hw2", "Id", "ClassId"),
            ("movie-review-sentiment-analysis-kernels-only", "PhraseId", "Sentiment"),
            ("tabular-playground-series-dec-2021", "Id", "Cover_Type")]
for comp, idc, col in ACCURACY:
    cases(comp, idc, col, Y04, P04, LABEL_VALUES, g_accuracy(idc, col))
# two classes: a "binary" target, where text and numbers cannot be ordered
for comp, idc, col in ACCURACY[:1]:
    cases(comp, idc, col, Y01, Y01[:5] + ["1", "0", "0"],
          [("binary, 0.5", "0.5"), ("binary, text", "x"), ("binary, True", "True")],
          g_accuracy(idc, col))
cases("spaceship-titanic", "PassengerId", "Transported",
      ["True", "False", "True", "True", "False", "False", "True", "False"],
      ["True", "False", "False", "True", "False", "True", "True", "False"],
      [("1 among True/False", "1"), ("empty (NaN)", ""), ("text", "x"), ("0.5", "0.5")],
      g_accuracy("PassengerId", "Transported"))
cases("tensorflow-speech-recognition-challenge", "fname", "label",
      ["yes", "no", "up", "down", "yes", "no", "silence", "unknown"],
      ["yes", "no", "up", "up", "yes", "no", "silence", "yes"],
      [("empty (NaN)", ""), ("a number", "3"), ("2.5", "2.5")],
      g_accuracy("fname", "label"))


# ---- accuracy_score on text: paddy (fillna("")), text normalization (str) --

def g_paddy(s, a):
    s = s.sort_values("image_id").reset_index(drop=True)
    a = a.sort_values("image_id").reset_index(drop=True)
    if len(s) != len(a) or (s["image_id"].values != a["image_id"].values).any():
        raise Invalid("ids")
    return metrics.accuracy_score(a["label"], s["label"].fillna("").tolist())


def g_textnorm(s, a):
    s, a = sort_pair(s, a, "id")
    return metrics.accuracy_score(a["after"].astype(str).to_numpy(),
                                  s["after"].astype(str).to_numpy())


WORDS = ["blast", "brown_spot", "normal", "hispa", "blast", "tungro", "normal", "dead_heart"]
GUESS = ["blast", "brown_spot", "normal", "normal", "blast", "hispa", "normal", "dead_heart"]
TEXT_VALUES = [("empty (NaN)", ""), ("a number", "3"), ("2.5", "2.5"), ("inf", "inf")]
cases("paddy-disease-classification", "image_id", "label", WORDS, GUESS, TEXT_VALUES, g_paddy)
for comp in ["text-normalization-challenge-english-language",
             "text-normalization-challenge-russian-language"]:
    cases(comp, "id", "after", WORDS, GUESS, TEXT_VALUES, g_textnorm)


# ---- f1_score / accuracy_score over int(value): herbarium, iwildcam, iNat --

def g_int_f1(idc, col):
    def g(s, a):
        s, a = sort_pair(s, a, idc)
        return metrics.f1_score([int(y) for y in a[col]], [int(y) for y in s[col]],
                                average="macro")
    return g


def g_top1(s, a):
    s, a = sort_pair(s, a, "id")
    p = [int(y) if isinstance(y, int) else int(y.split()[0]) for y in s["predicted"]]
    return 1 - metrics.accuracy_score([int(y) for y in a["predicted"]], p)


INT_VALUES = LABEL_VALUES + [("-2.7 (int() truncates)", "-2.7")]
for comp, col in [("herbarium-2020-fgvc7", "Predicted"), ("herbarium-2021-fgvc8", "Predicted"),
                  ("herbarium-2022-fgvc9", "Predicted"), ("iwildcam-2019-fgvc6", "Category")]:
    cases(comp, "Id", col, Y04, P04, INT_VALUES, g_int_f1("Id", col))
cases("inaturalist-2019-fgvc6", "id", "predicted", Y04, P04,
      INT_VALUES + [("five guesses", "3 1 2 0 4")], g_top1)


# ---- f1_score(average="micro") on the labels as read: plant-seedlings ------

def g_seedlings(s, a):
    s, a = sort_pair(s, a, "file")
    return metrics.f1_score(a["species"].tolist(), s["species"].tolist(), average="micro")


cases("plant-seedlings-classification", "file", "species", WORDS, GUESS, TEXT_VALUES,
      g_seedlings)


# ---- matthews_corrcoef: nfl-player-contact-detection ----------------------

def g_mcc(s, a):
    if set(s["contact_id"]) != set(a["contact_id"]) or len(s) != len(a):
        raise Invalid("ids")
    s, a = s.sort_values("contact_id"), a.sort_values("contact_id")
    return metrics.matthews_corrcoef(a["contact"], s["contact"])


cases("nfl-player-contact-detection", "contact_id", "contact", Y01,
      Y01[:5] + ["1", "0", "0"],
      [("1.0 (whole float)", "1.0"), ("0.5 (continuous)", "0.5"), ("2 (a third class)", "2"),
       ("empty (NaN)", ""), ("inf", "inf"), ("text", "x")], g_mcc)


# ---- regression: rmse, mae, rmsle, pearsonr --------------------------------

def g_denoising(s, a):
    s["value"].astype(float)  # text: ValueError
    s = s.sort_values("id").sort_index(axis=1)
    a = a.sort_values("id").sort_index(axis=1)
    if len(s) != len(a) or (s["id"].values != a["id"].values).any():
        raise Invalid("ids")
    return math.sqrt(metrics.mean_squared_error(s["value"], a["value"]))


def g_paw(s, a):
    if not s["Pawpularity"].between(1, 100).all():
        raise Invalid("not in [1, 100]")
    s, a = sort_pair(s, a, "Id")
    return math.sqrt(metrics.mean_squared_error(a["Pawpularity"].to_numpy(),
                                                s["Pawpularity"].to_numpy()))


def g_volcano(s, a):
    if set(s["segment_id"]) != set(a["segment_id"]):
        raise Invalid("ids")
    m = a.merge(s[["segment_id", "time_to_eruption"]], on="segment_id",
                suffixes=("_true", "_pred"))
    return int(round(metrics.mean_absolute_error(m["time_to_eruption_true"],
                                                 m["time_to_eruption_pred"])))


def g_pearson(s, a):
    s, a = sort_pair(s, a, "id")
    return pearsonr(a["score"].to_numpy(), s["score"].to_numpy())[0]


NUM = ["3.5", "10", "42", "7.25", "99", "1", "55.5", "20"]
NUM_P = ["4", "12.5", "40", "7", "90", "2", "50", "21"]
NUM_VALUES = [("empty (NaN)", ""), ("inf", "inf"), ("text", "x"), ("True", "True")]
cases("denoising-dirty-documents", "id", "value", NUM, NUM_P, NUM_VALUES, g_denoising)
cases("petfinder-pawpularity-score", "Id", "Pawpularity", NUM, NUM_P,
      NUM_VALUES + [("0.5 (below 1)", "0.5")], g_paw)
cases("predict-volcanic-eruptions-ingv-oe", "segment_id", "time_to_eruption", NUM, NUM_P,
      NUM_VALUES, g_volcano)
cases("us-patent-phrase-to-phrase-matching", "id", "score", NUM, NUM_P,
      [("inf", "inf"), ("text", "x")], g_pearson)


# ---- several columns: one cell of one column replaced ---------------------

def table(ids, idc, cols):
    """cols: (name, cells) pairs; a file with the ids first."""
    return [idc] + [c for c, _ in cols], [[i] + [v[n] for _, v in cols]
                                          for n, i in enumerate(ids)]


def table_cases(comp, idc, ans_cols, sub_cols, values, grade_fn, at=3, bools=True):
    """As cases(), on the first column of sub_cols; ans_cols may carry columns
    the submission lacks (groups, masks)."""
    ids = ["r%02d" % i for i in range(len(ans_cols[0][1]))]
    ans = table(ids, idc, ans_cols)
    case(comp, "base", ans, table(ids, idc, sub_cols), grade_fn)
    (name0, cells0), rest = sub_cols[0], sub_cols[1:]
    for name, v in values:
        sub = [(name0, cells0[:at] + [v] + cells0[at + 1:])] + rest
        case(comp, name, ans, table(ids, idc, sub), grade_fn)
    if bools:
        sub = [(name0, BOOLS[:len(ids)])] + rest
        case(comp, "all True/False", ans, table(ids, idc, sub), grade_fn)


def g_taxi(s, a):
    s, a = s.sort_values("key"), a.sort_values("key")
    return math.sqrt(metrics.mean_squared_error(a["fare_amount"], s["fare_amount"]))


def g_nomad(s, a):
    """root_mean_squared_log_error as sklearn >= 1.6 has it (values <= -1
    refused; Debian's sklearn 1.2 refuses every negative value)."""
    if len(s) != len(a):
        raise Invalid("rows")
    total = 0
    for c in ["formation_energy_ev_natom", "bandgap_energy_ev"]:
        y, p = a[c].astype(float).to_numpy(), s[c].astype(float).to_numpy()
        if (y <= -1).any() or (p <= -1).any():
            raise ValueError("values <= -1")
        total += math.sqrt(metrics.mean_squared_error(np.log1p(y), np.log1p(p)))
    return total / 2


def g_vent(s, a):
    s, a = sort_pair(s, a, "id")
    a = a[a["u_out"] == 0]
    s = s[s["id"].isin(a["id"])]
    return metrics.mean_absolute_error(a["pressure"].values, s["pressure"].values)


def g_champs(s, a):
    if set(s["id"]) != set(a["id"]):
        raise Invalid("ids")
    m = a.merge(s[["id", "scalar_coupling_constant"]], on="id", suffixes=("_true", "_pred"))
    return np.mean([np.log(metrics.mean_absolute_error(g["scalar_coupling_constant_true"],
                                                       g["scalar_coupling_constant_pred"]))
                    for _, g in m.groupby("type")])


def g_s3e18(s, a):
    s, a = sort_pair(s, a, "id")
    return metrics.roc_auc_score(a[["EC1", "EC2"]].to_numpy(), s[["EC1", "EC2"]].to_numpy(),
                                 average="macro")


PLANT = ["healthy", "multiple_diseases", "rust", "scab"]


def g_plant(s, a):
    if len(s) != len(a) or set(s.columns) != {"image_id"} | set(PLANT):
        raise Invalid("columns")
    s = s.sort_values(by="image_id").reset_index(drop=True)
    a = a.sort_values(by="image_id").reset_index(drop=True)
    if not all(s["image_id"] == a["image_id"]):
        raise Invalid("ids")
    return np.mean([metrics.roc_auc_score(a[c], s[c]) for c in PLANT])


def g_spooky(s, a):
    if s.shape != (len(a), 4):
        raise Invalid("shape")
    if not np.all(np.isclose(s.iloc[:, 1:].sum(axis=1), 1, atol=1e-6)):
        raise Invalid("row sums")
    if not ((s.iloc[:, 1:] >= 0) & (s.iloc[:, 1:] <= 1)).all().all():
        raise Invalid("not in [0, 1]")
    s, a = s.sort_values("id").reset_index(drop=True), a.sort_values("id").reset_index(drop=True)
    if s["id"].tolist() != a["id"].tolist():
        raise AssertionError("ids")
    return metrics.log_loss(a.drop(columns=["id"]).to_numpy(), s.drop(columns=["id"]).to_numpy())


cases("new-york-city-taxi-fare-prediction", "key", "fare_amount", NUM, NUM_P, NUM_VALUES, g_taxi)
table_cases("nomad2018-predict-transparent-conductors", "id",
            [("formation_energy_ev_natom", ["0.1", "0.2", "0.05", "0.3", "0.15", "0.25", "0", "0.4"]),
             ("bandgap_energy_ev", NUM)],
            [("formation_energy_ev_natom", ["0.1", "0.25", "0.1", "0.2", "0.1", "0.2", "0.05", "0.3"]),
             ("bandgap_energy_ev", NUM_P)],
            NUM_VALUES + [("-0.5 (log1p defined)", "-0.5"), ("-1", "-1")], g_nomad)
table_cases("ventilator-pressure-prediction", "id",
            [("pressure", NUM), ("u_out", ["0", "0", "1", "0", "0", "1", "0", "0"])],
            [("pressure", NUM_P)], NUM_VALUES, g_vent)
table_cases("champs-scalar-coupling", "id",
            [("scalar_coupling_constant", NUM),
             ("type", ["1JHC", "2JHH", "1JHC", "2JHH", "1JHC", "2JHH", "1JHC", "2JHH"])],
            [("scalar_coupling_constant", NUM_P)], NUM_VALUES, g_champs)
table_cases("playground-series-s3e18", "id", [("EC1", Y01), ("EC2", Y01[::-1])],
            [("EC1", P01), ("EC2", P01[::-1])], SCORE_VALUES, g_s3e18)
table_cases("plant-pathology-2020-fgvc7", "image_id",
            [(c, Y01[k:] + Y01[:k]) for k, c in enumerate(PLANT)],
            [(c, P01[k:] + P01[:k]) for k, c in enumerate(PLANT)],
            SCORE_VALUES + [("-3 (raw scores)", "-3")], g_plant)
SPOOKY_Y = [["1", "0", "0"], ["0", "1", "0"], ["0", "0", "1"], ["1", "0", "0"]] * 2
SPOOKY_P = [["0.7", "0.2", "0.1"], ["0.1", "0.8", "0.1"], ["0.2", "0.2", "0.6"],
            ["0.5", "0.25", "0.25"]] * 2
table_cases("spooky-author-identification", "id",
            [(c, [r[k] for r in SPOOKY_Y]) for k, c in enumerate(["EAP", "HPL", "MWS"])],
            [(c, [r[k] for r in SPOOKY_P]) for k, c in enumerate(["EAP", "HPL", "MWS"])],
            [("empty (NaN)", ""), ("inf", "inf"), ("text", "x")], g_spooky, bools=False)


tally.finish()

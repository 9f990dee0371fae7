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
from scipy.stats import pearsonr, spearmanr
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
        tally.record(ok, label, "MLE-bench %s | grove %s" % (why, got or rep))
        return
    got = rep.get("score_raw")
    ok = bool(rep.get("valid_submission")) and got is not None and close(got, want)
    tally.record(ok, label, "MLE-bench %r | grove %r" % (want, got if ok else rep))


def column(ids, values, id_col, col):
    """A two-column file: the ids and one column of already formatted cells."""
    return [id_col, col], [[i, v] for i, v in zip(ids, values)]


def sort_pair(s, a, idc):
    s, a = s.sort_values(idc), a.sort_values(idc)
    if len(s) != len(a) or (s[idc].values != a[idc].values).any():
        raise Invalid("ids")
    return s, a


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
for comp, idc, col in KAPPA:
    ids = ["r%02d" % i for i in range(8)]
    y = ["0", "1", "2", "3", "4", "2", "1", "0"]
    p = ["0", "1", "2", "2", "4", "3", "1", "1"]
    ans = column(ids, y, idc, col)
    case(comp, "whole numbers", ans, column(ids, p, idc, col), g_kappa(idc, col))
    for name, v in LABEL_VALUES:
        case(comp, name, ans, column(ids, p[:3] + [v] + p[4:], idc, col), g_kappa(idc, col))


tally.finish()

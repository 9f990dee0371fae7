#!/usr/bin/python3
"""Measure the reference scores of grove's bundled competitions.

    /usr/bin/python3 scripts/offline_reference.py DATA_DIR [ID...] > bench/offline/reference.tsv

DATA_DIR holds competitions prepared with the default seed
(`grove prepare --all --data-dir DATA_DIR`). For each one this fits, on
public/train.csv only, and scores on private/answers.csv:

  constant  the training prior (class frequencies; 0.5 for AUC, where any
            constant scores 0.5; the training mean for regression)
  linear    a linear model: logistic regression (ridge regression on
            log1p(target) for RMSLE) on standardised numbers, one-hot
            categories, TF-IDF of text columns, pixels/255 of images
  forest    a random forest (200 trees, seed 0) on the same features

These are references, not a leaderboard: grove's registry maps them to
median = constant, bronze = the weaker and silver = the stronger of linear
and forest, gold = none (bench/offline/registry.c). Run at development time only; grove itself
never needs Python.
"""
import os
import sys

import numpy as np
import pandas as pd
from PIL import Image
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import log_loss, mean_squared_log_error, roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

# id -> (task, label column, metric)
COMPETITIONS = {
    "grove-titanic": ("binary", "survived", "auc"),
    "grove-spambase": ("binary", "spam", "auc"),
    "grove-letters": ("multiclass", "letter", "logloss"),
    "grove-fashion": ("multiclass", "label", "logloss"),
    "grove-diamonds": ("regression", "price", "rmsle"),
    "grove-churn": ("binary", "churn", "auc"),
    "grove-austen": ("multiclass", "book", "logloss"),
}


def features(train, test, public):
    """Feature matrices for train and test: images as pixels, a text column
    (mean length > 40 characters) as TF-IDF, other strings one-hot, numbers
    imputed and standardised."""
    if "image" in train.columns:
        def pixels(df, base):
            return np.stack([np.asarray(Image.open(os.path.join(base, p)), dtype=np.float32)
                             .ravel() / 255.0 for p in df["image"]])
        return pixels(train, public), pixels(test, public)
    cols = [c for c in train.columns if c != "id"]
    text = [c for c in cols if train[c].dtype == object and train[c].str.len().mean() > 40]
    if text:
        vec = TfidfVectorizer(sublinear_tf=True, min_df=2, ngram_range=(1, 2),
                              max_features=50000)
        return vec.fit_transform(train[text[0]]), vec.transform(test[text[0]])
    cat = [c for c in cols if train[c].dtype == object]
    num = [c for c in cols if c not in cat]
    ct = ColumnTransformer([
        ("num", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), num),
        ("cat", make_pipeline(SimpleImputer(strategy="most_frequent"),
                              OneHotEncoder(handle_unknown="ignore", min_frequency=5)), cat),
    ])
    return ct.fit_transform(train[cols]), ct.transform(test[cols])


def score(metric, answers, pred, classes):
    if metric == "auc":
        return roc_auc_score(answers.iloc[:, 1], pred)
    if metric == "logloss":
        return log_loss(answers[classes].values.argmax(1), pred, labels=range(len(classes)))
    return float(np.sqrt(mean_squared_log_error(answers.iloc[:, 1], np.maximum(pred, 0))))


def measure(comp_dir, task, label, metric):
    public = os.path.join(comp_dir, "public")
    train = pd.read_csv(os.path.join(public, "train.csv"))
    test = pd.read_csv(os.path.join(public, "test.csv"))
    answers = pd.read_csv(os.path.join(comp_dir, "private", "answers.csv"))
    assert (answers["id"].values == test["id"].values).all()
    y = train.pop(label)
    classes = list(answers.columns[1:])
    xtr, xte = features(train, test, public)
    out = {}
    if task == "regression":
        out["constant"] = score(metric, answers, np.full(len(test), y.mean()), classes)
        lin = Ridge(alpha=1.0).fit(xtr, np.log1p(y))
        out["linear"] = score(metric, answers, np.expm1(lin.predict(xte)), classes)
        rf = RandomForestRegressor(n_estimators=200, n_jobs=2, random_state=0,
                                   min_samples_leaf=2).fit(xtr, np.log1p(y))
        out["forest"] = score(metric, answers, np.expm1(rf.predict(xte)), classes)
        return out
    if task == "binary":
        yy = y.astype(int).values
        out["constant"] = score(metric, answers, np.full(len(test), yy.mean()), classes)
    else:
        yy = np.array([classes.index(v) for v in y])
        prior = np.bincount(yy, minlength=len(classes)) / len(yy)
        out["constant"] = score(metric, answers, np.tile(prior, (len(test), 1)), classes)
    lin = LogisticRegression(max_iter=2000, C=1.0).fit(xtr, yy)
    rf = RandomForestClassifier(n_estimators=200, n_jobs=2, random_state=0).fit(xtr, yy)
    for name, model in (("linear", lin), ("forest", rf)):
        p = model.predict_proba(xte)
        out[name] = score(metric, answers, p[:, 1] if task == "binary" else p, classes)
    return out


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    data = sys.argv[1]
    ids = sys.argv[2:] or list(COMPETITIONS)
    print("# Reference scores of the bundled competitions (not a leaderboard).")
    print("# Measured by scripts/offline_reference.py on the test split of seed 42:")
    print("# constant = training prior, linear = logistic/ridge regression,")
    print("# forest = random forest (200 trees). sklearn " + __import__("sklearn").__version__)
    print("id\tconstant\tlinear\tforest\tmetric")
    for cid in ids:
        task, label, metric = COMPETITIONS[cid]
        r = measure(os.path.join(data, cid, "prepared"), task, label, metric)
        print(f"{cid}\t{r['constant']:.5f}\t{r['linear']:.5f}\t{r['forest']:.5f}\t{metric}",
              flush=True)


if __name__ == "__main__":
    main()

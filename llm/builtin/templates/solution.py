# grove-builtin: {{=config_json}}
# {{=title}}
#
# Written by grove's offline builtin coder (not an LLM) from its own templates.
# Reads ./input, detects column kinds at run time, prints "Validation score: X"
# measured with the competition's metric (5-fold cross-validation on small
# data, an 80/20 split on large data), refits on all training rows and writes
# ./submission/submission.csv in the sample submission's format.
import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import glob
import json
import sys
import warnings

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.model_selection import KFold, StratifiedKFold, train_test_split
from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler

warnings.filterwarnings("ignore")

# grove's final selection re-runs a script with other seeds to measure its noise
SEED = int(os.environ.get("GROVE_SEED", {{seed}}))
TASK = {{task}}
METRIC = {{metric}}
TRAIN_FILE = {{train_file}}
TEST_FILE = {{test_file}}
SAMPLE_FILE = {{sample_submission}}
ID_COL = {{id_col}}
LABEL_COL = {{label_col}}
TARGET_COLS = {{target_cols}}
LABEL_SOURCE = {{label_source}}  # "given": trust LABEL_COL; "infer": columns of train missing from test
FEATURES = {{features}}
ENCODING = {{encoding}}
TEXT_MODE = {{text}}
IMAGE_MODE = {{image}}
MAX_ROWS = {{max_rows}}
# Up to this many training rows the validation score is 5-fold cross-validated:
# one 20% split of a small set is so noisy (a few hundred rows) that every node
# of a run, sharing the split, was off from grove's holdout score in the same
# direction; above it one split is precise enough and 5 fits would cost too much.
CV_MAX_ROWS = 3000
INPUT = "input"
IMAGE_EXT = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff")

{{=models}}

MODELS = {{=model_list}}


def find_file(name, pattern):
    path = os.path.join(INPUT, name) if name else ""
    if path and os.path.exists(path):
        return path
    hits = sorted(glob.glob(os.path.join(INPUT, pattern)))
    if not hits:
        sys.exit("no %s in %s (looked for %r and %s)" % (pattern, INPUT, name, pattern))
    return hits[0]


def read_inputs():
    train = pd.read_csv(find_file(TRAIN_FILE, "train*.csv"))
    test = pd.read_csv(find_file(TEST_FILE, "test*.csv"))
    sample = pd.read_csv(find_file(SAMPLE_FILE, "sample*.csv"))
    return train, test, sample


def id_column(train, test, sample):
    if ID_COL and ID_COL in sample.columns:
        return ID_COL
    first = sample.columns[0]
    return first if first in test.columns else None


def target_setup(train, test, sample, id_col):
    """Return (mode, label columns in train, submission columns)."""
    sub_cols = [c for c in sample.columns if c != id_col]
    if TARGET_COLS and all(c in sample.columns for c in TARGET_COLS):
        sub_cols = list(TARGET_COLS)
    if len(sub_cols) > 1 and all(c in train.columns for c in sub_cols) and TASK != "multiclass":
        return "multi", sub_cols, sub_cols
    if LABEL_SOURCE == "given" and LABEL_COL:
        if LABEL_COL not in train.columns:
            raise KeyError("label column %r not in %s (columns: %s)"
                           % (LABEL_COL, TRAIN_FILE, ", ".join(map(str, train.columns))))
        return "label", [LABEL_COL], sub_cols
    missing = [c for c in train.columns if c not in test.columns and c != id_col]
    for c in sub_cols:
        if c in missing:
            return "label", [c], sub_cols
    if len(missing) >= 1:
        return "label", [missing[-1]], sub_cols
    sys.exit("cannot tell the label column: train and test have the same columns %s"
             % list(train.columns))


def find_image_root(values):
    for v in values[:5]:
        for root in ("", INPUT, os.path.join(INPUT, "images"), os.path.join(INPUT, "train"),
                     os.path.join(INPUT, "test")):
            if os.path.exists(os.path.join(root, v)):
                return root
    return INPUT


def detect_columns(train, test, exclude):
    kinds = {"numeric": [], "categorical": [], "text": [], "image": [], "date": []}
    for c in train.columns:
        if c in exclude or c not in test.columns:
            continue
        s = train[c]
        if pd.api.types.is_bool_dtype(s) or pd.api.types.is_numeric_dtype(s):
            kinds["numeric"].append(c)
            continue
        v = s.dropna().astype(str)
        if len(v) == 0:
            continue
        head = v.iloc[:300]
        if head.str.lower().str.endswith(IMAGE_EXT).mean() > 0.9:
            kinds["image"].append(c)
        elif (head.str.match(r"^\d{4}-\d{1,2}-\d{1,2}|^\d{1,2}/\d{1,2}/\d{2,4}").mean() > 0.9
              and pd.to_datetime(head, errors="coerce").notna().mean() > 0.9):
            kinds["date"].append(c)
        elif v.str.len().mean() > 25 and v.str.count(" ").mean() >= 3:
            kinds["text"].append(c)
        else:
            kinds["categorical"].append(c)
    return kinds


IMAGE_CACHE = {}


def load_image(path, size):
    from PIL import Image

    key = (path, size)
    if key not in IMAGE_CACHE:
        try:
            with Image.open(path) as im:
                arr = np.asarray(im.convert("L").resize((size, size)), dtype=np.float32) / 255.0
        except (OSError, ValueError):
            arr = np.zeros((size, size), dtype=np.float32)
        IMAGE_CACHE[key] = arr
    return IMAGE_CACHE[key]


def hog(img, cells=4, bins=9):
    """Histogram of oriented gradients: per cell, gradient magnitude binned by angle."""
    gy, gx = np.gradient(img)
    mag = np.hypot(gx, gy)
    ang = (np.arctan2(gy, gx) % np.pi) / np.pi * bins
    idx = np.minimum(ang.astype(int), bins - 1)
    h, w = img.shape
    out = []
    for i in range(cells):
        for j in range(cells):
            sl = (slice(i * h // cells, (i + 1) * h // cells), slice(j * w // cells, (j + 1) * w // cells))
            hist = np.bincount(idx[sl].ravel(), weights=mag[sl].ravel(), minlength=bins)
            out.append(hist / (np.linalg.norm(hist) + 1e-6))
    return np.concatenate(out)


class Features:
    """Turns a frame into a model matrix; fit on training rows only."""

    def __init__(self, kinds, dense, y_num):
        self.kinds = kinds
        self.dense = dense
        self.y_num = y_num  # numeric target for target encoding, or None

    def numeric(self, df, fit):
        cols = self.kinds["numeric"]
        x = df[cols].astype(float) if cols else pd.DataFrame(index=df.index)
        for c in self.kinds["date"]:
            d = pd.to_datetime(df[c], errors="coerce")
            for part in ("year", "month", "day", "dayofweek"):
                x[c + "_" + part] = getattr(d.dt, part).astype(float)
        if "text_stats" in FEATURES:
            for c in self.kinds["text"]:
                t = df[c].fillna("").astype(str)
                x[c + "_len"] = t.str.len()
                x[c + "_words"] = t.str.count(" ") + 1
        if fit:
            self.medians = x.median()
            self.skewed = [c for c in x.columns if "log_skewed" in FEATURES
                           and x[c].min() >= 0 and x[c].skew() > 1.0]
            self.with_na = [c for c in x.columns if x[c].isna().any()]
        out = x.fillna(self.medians).fillna(0.0)
        for c in self.skewed:
            out[c] = np.log1p(out[c])
        if "missing_indicators" in FEATURES:
            for c in self.with_na:
                out[c + "_na"] = x[c].isna().astype(float)
        if "row_stats" in FEATURES and cols:
            out["row_mean"] = x[cols].mean(axis=1).fillna(0.0)
            out["row_std"] = x[cols].std(axis=1).fillna(0.0)
            out["row_na"] = x[cols].isna().sum(axis=1)
        return out.values

    def categorical(self, df, fit):
        cols = self.kinds["categorical"]
        if not cols:
            return None
        x = df[cols].fillna("__NA__").astype(str)
        enc = ENCODING
        if enc == "target" and self.y_num is None:
            enc = "ordinal"
        if enc == "onehot":
            if fit:
                self.ohe = OneHotEncoder(handle_unknown="infrequent_if_exist", min_frequency=5,
                                         max_categories=30, sparse_output=True)
                return self.ohe.fit_transform(x)
            return self.ohe.transform(x)
        if enc == "count":
            if fit:
                self.counts = {c: x[c].value_counts(normalize=True) for c in cols}
            return np.column_stack([x[c].map(self.counts[c]).fillna(0.0).values for c in cols])
        if enc == "target":
            return self.target_encode(x, fit)
        if fit:
            self.ord = OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1)
            return self.ord.fit_transform(x)
        return self.ord.transform(x)

    def target_encode(self, x, fit, smooth=20.0):
        """Smoothed mean target per category; out-of-fold on the training rows."""
        y = np.asarray(self.y_num, dtype=float)
        if fit:
            self.prior = y.mean()
            self.maps = {}
            out = np.zeros((len(x), x.shape[1]))
            for j, c in enumerate(x.columns):
                for tr, va in KFold(5, shuffle=True, random_state=SEED).split(x):
                    m = self.means(x[c].values[tr], y[tr])
                    out[va, j] = x[c].iloc[va].map(m).fillna(self.prior).values
                self.maps[c] = self.means(x[c].values, y)
            return out
        return np.column_stack([x[c].map(self.maps[c]).fillna(self.prior).values for c in x.columns])

    def means(self, keys, y, smooth=20.0):
        g = pd.DataFrame({"k": keys, "y": y}).groupby("k")["y"].agg(["sum", "count"])
        return (g["sum"] + smooth * self.prior) / (g["count"] + smooth)

    def text(self, df, fit):
        blocks = []
        for c in self.kinds["text"]:
            t = df[c].fillna("").astype(str)
            if fit:
                vecs = [TfidfVectorizer(ngram_range=(1, 2), min_df=2, max_features=20000,
                                        sublinear_tf=True)]
                if TEXT_MODE == "word+char":
                    vecs.append(TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), min_df=2,
                                                max_features=20000, sublinear_tf=True))
                setattr(self, "tfidf_" + c, vecs)
                mats = [v.fit_transform(t) for v in vecs]
            else:
                mats = [v.transform(t) for v in getattr(self, "tfidf_" + c)]
            blocks.append(sparse.hstack(mats).tocsr())
        if not blocks:
            return None
        m = sparse.hstack(blocks).tocsr()
        if self.dense:
            if fit:
                k = max(1, min(100, m.shape[1] - 1, m.shape[0] - 1))
                self.svd = TruncatedSVD(n_components=k, random_state=SEED)
                return self.svd.fit_transform(m)
            return self.svd.transform(m)
        return m

    def images(self, df):
        mats = []
        for c in self.kinds["image"]:
            vals = df[c].fillna("").astype(str).tolist()
            root = find_image_root(vals)
            size = 28 if IMAGE_MODE == "pixels" else 32
            rows = []
            for v in vals:
                img = load_image(os.path.join(root, v), size)
                feat = img.ravel() if IMAGE_MODE == "pixels" else hog(img)
                if IMAGE_MODE == "pixels+hog":
                    feat = np.concatenate([load_image(os.path.join(root, v), 28).ravel(), feat])
                rows.append(feat)
            mats.append(np.asarray(rows, dtype=np.float32))
        return np.hstack(mats) if mats else None

    def transform(self, df, fit=False):
        num = self.numeric(df, fit)
        cat = self.categorical(df, fit)
        if cat is not None and not sparse.issparse(cat):
            # Ordinal codes run into the hundreds for ID-like columns: unscaled,
            # they swamp a network's or a linear model's other inputs (an MLP
            # scored below chance on Titanic). Trees do not mind either way.
            num, cat = np.hstack([num, cat]), None
        if fit:
            self.scaler = StandardScaler().fit(num) if num.shape[1] else None
        if self.scaler is not None:
            num = self.scaler.transform(num)
        parts = [num] + [p for p in (cat, self.text(df, fit), self.images(df)) if p is not None]
        if any(sparse.issparse(p) for p in parts):
            m = sparse.hstack([sparse.csr_matrix(p) for p in parts]).tocsr()
            return m.toarray() if self.dense else m
        return np.hstack(parts) if len(parts) > 1 else parts[0]

    def fit_transform(self, df):
        return self.transform(df, fit=True)


def norm_metric(name):
    n = "".join(ch for ch in str(name).lower() if ch.isalnum())
    for key, alias in (("auc", "auc"), ("logloss", "logloss"), ("crossentropy", "logloss"),
                       ("rmsle", "rmsle"), ("rmse", "rmse"), ("mse", "mse"), ("mae", "mae"),
                       ("accuracy", "accuracy"), ("kappa", "qwk"), ("qwk", "qwk"),
                       ("macrof1", "f1_macro"), ("f1macro", "f1_macro"), ("microf1", "f1_micro"),
                       ("f1micro", "f1_micro"), ("f1", "f1"), ("mcc", "mcc"), ("matthews", "mcc"),
                       ("r2", "r2")):
        if key in n:
            return alias
    return {"binary": "auc", "multiclass": "logloss"}.get(TASK, "rmse")


def metric_value(metric, y, pred, classes):
    """y: true values (encoded class index for classification); pred: see predict()."""
    from sklearn import metrics as M

    if metric in ("rmse", "mse", "mae", "r2", "rmsle"):
        if pred.ndim == 2 and pred.shape[1] > 1:
            # A classifier scored by a value metric: the positive-class
            # probability for two classes, else the predicted class index.
            pred = pred[:, 1] if pred.shape[1] == 2 else pred.argmax(axis=1).astype(float)
        p = pred.ravel()
        if metric == "rmsle":
            return float(np.sqrt(M.mean_squared_log_error(np.clip(y, 0, None), np.clip(p, 0, None))))
        f = {"rmse": lambda a, b: np.sqrt(M.mean_squared_error(a, b)),
             "mse": M.mean_squared_error, "mae": M.mean_absolute_error, "r2": M.r2_score}[metric]
        return float(f(y, p))
    k = len(classes)
    if metric == "auc":
        if k == 2:
            return float(M.roc_auc_score(y, pred[:, 1]))
        return float(M.roc_auc_score(y, pred, multi_class="ovr", labels=list(range(k))))
    if metric == "logloss":
        return float(M.log_loss(y, np.clip(pred, 1e-15, 1 - 1e-15), labels=list(range(k))))
    lab = pred.argmax(axis=1)
    if metric == "qwk":
        return float(M.cohen_kappa_score(y, lab, weights="quadratic"))
    if metric == "mcc":
        return float(M.matthews_corrcoef(y, lab))
    if metric.startswith("f1"):
        avg = "binary" if metric == "f1" and k == 2 else metric[3:] or "macro"
        return float(M.f1_score(y, lab, average=avg))
    return float(M.accuracy_score(y, lab))


def fit_predict(maker, kind, n_classes, x_tr, y_tr, x_te):
    """Fit one model; classification returns (n, n_classes) probabilities."""
    model = maker(kind, n_classes)
    if kind == "reg":
        model.fit(x_tr, y_tr)
        return np.asarray(model.predict(x_te), dtype=float).reshape(-1, 1)
    # Relabel to 0..m-1 over the classes present: a subsample may miss a rare
    # class, and xgboost insists on contiguous labels.
    present, y_local = np.unique(y_tr, return_inverse=True)
    out = np.zeros((x_te.shape[0], n_classes))
    if len(present) == 1:
        out[:, present[0]] = 1.0
        return out
    model.fit(x_tr, y_local)
    if hasattr(model, "predict_proba"):
        out[:, present[np.asarray(model.classes_, dtype=int)]] = model.predict_proba(x_te)
    else:
        out[np.arange(x_te.shape[0]), present[np.asarray(model.predict(x_te), dtype=int)]] = 1.0
    return out


def cap_rows(df, y, limit):
    if limit and len(df) > limit:
        idx = np.random.RandomState(SEED).choice(len(df), limit, replace=False)
        idx.sort()
        return df.iloc[idx], y[idx]
    return df, y


def validation_folds(y, kind):
    """(train rows, validation rows) pairs: stratified by class where every
    class has a row in each part; 5 folds up to CV_MAX_ROWS rows, else 80/20."""
    n = len(y)
    counts = np.bincount(y) if kind == "clf" else None
    if n <= CV_MAX_ROWS:
        if counts is not None and counts.min() >= 5:
            return list(StratifiedKFold(5, shuffle=True, random_state=SEED).split(np.zeros(n), y))
        return list(KFold(5, shuffle=True, random_state=SEED).split(np.zeros(n)))
    strat = y if counts is not None and counts.min() >= 2 else None
    return [train_test_split(np.arange(n), test_size=0.2, random_state=SEED, stratify=strat)]


def run_target(train, test, kinds, y_raw, kind):
    """Validate then refit for one target; returns (score, test predictions, classes)."""
    classes = None
    y = y_raw
    if kind == "clf":
        classes, y = np.unique(y_raw.astype(str) if y_raw.dtype == object else y_raw,
                               return_inverse=True)
    log_target = kind == "reg" and (METRIC_NAME == "rmsle" or "log_target" in FEATURES) \
        and np.nanmin(y_raw) >= 0
    y_fit = np.log1p(y) if log_target else y
    y_num = y_fit if kind == "reg" else (y if classes is not None and len(classes) == 2 else None)

    def predict(fit_df, fit_y, fit_num, pred_df):
        preds = []
        for family, maker, dense in MODELS:
            feats = Features(kinds, dense, fit_num)
            x_fit = feats.fit_transform(fit_df)
            preds.append(fit_predict(maker, kind, len(classes) if classes is not None else 0,
                                     x_fit, fit_y, feats.transform(pred_df)))
        p = np.mean(preds, axis=0)
        return np.expm1(p) if log_target else p

    scores = []
    for tr, va in validation_folds(y, kind):
        tr_df, tr_y = cap_rows(train.iloc[tr], y_fit[tr], MAX_ROWS)
        tr_num = None if y_num is None else cap_rows(train.iloc[tr], y_num[tr], MAX_ROWS)[1]
        pred = predict(tr_df, tr_y, tr_num, train.iloc[va])
        try:
            scores.append(metric_value(METRIC_NAME, y[va], pred, classes))
        except ValueError:
            continue  # a fold with one class has no AUC; the other folds do
    score = float(np.mean(scores)) if scores else float("nan")
    full_df, full_y = cap_rows(train, y_fit, MAX_ROWS)
    full_num = None if y_num is None else cap_rows(train, y_num, MAX_ROWS)[1]
    return score, predict(full_df, full_y, full_num, test), classes


def task_kind(y):
    if TASK in ("binary", "multiclass"):
        return "clf"
    if TASK == "regression":
        return "reg"
    numeric = pd.api.types.is_numeric_dtype(y)
    return "reg" if numeric and pd.Series(y).nunique() > 20 else "clf"


def fill_submission(sample, test, id_col, sub_cols, pred, classes, kind):
    sub = sample.copy()
    if id_col and id_col in test.columns and len(sub) == len(test):
        sub[id_col] = test[id_col].values
    if kind == "reg":
        sub[sub_cols[0]] = pred.ravel()
        return sub
    names = [str(c) for c in classes]
    if len(sub_cols) > 1:
        cols = np.zeros((len(test), len(sub_cols)))
        for j, c in enumerate(sub_cols):
            if str(c) in names:
                cols[:, j] = pred[:, names.index(str(c))]
        cols = cols / np.clip(cols.sum(axis=1, keepdims=True), 1e-12, None)
        sub[sub_cols] = cols
    elif METRIC_NAME in ("auc", "logloss") and len(classes) == 2:
        sub[sub_cols[0]] = pred[:, 1]
    else:
        sub[sub_cols[0]] = np.asarray(classes)[pred.argmax(axis=1)]
    return sub


METRIC_NAME = norm_metric(METRIC)


def main():
    train, test, sample = read_inputs()
    id_col = id_column(train, test, sample)
    mode, label_cols, sub_cols = target_setup(train, test, sample, id_col)
    train = train.dropna(subset=label_cols).reset_index(drop=True)
    kinds = detect_columns(train, test, set(label_cols) | {id_col} | set(sub_cols))
    counts = {k: len(v) for k, v in kinds.items()}
    counts["with_na"] = int(train[[c for v in kinds.values() for c in v]].isna().any().sum())
    print("Detected columns: " + json.dumps(counts))
    print("Rows: train %d, test %d; label %s; models %s"
          % (len(train), len(test), label_cols, [m[0] for m in MODELS]))
    if len(test) != len(sample):
        print("note: test has %d rows, sample submission %d" % (len(test), len(sample)))
    if mode == "multi":
        sub = sample.copy()
        if id_col and id_col in test.columns and len(sub) == len(test):
            sub[id_col] = test[id_col].values
        scores = []
        for c in label_cols:
            y = train[c].values
            kind = "clf" if pd.Series(y).nunique() == 2 else "reg"
            s, pred, _ = run_target(train, test, kinds, y, kind)
            scores.append(s)
            sub[c] = pred[:, 1] if kind == "clf" else pred.ravel()
        score = float(np.mean(scores))
    else:
        y = train[label_cols[0]].values
        kind = task_kind(y)
        score, pred, classes = run_target(train, test, kinds, y, kind)
        sub = fill_submission(sample, test, id_col, sub_cols, pred, classes, kind)
    print("Validation score: %.6f" % score)
    os.makedirs("submission", exist_ok=True)
    sub.to_csv(os.path.join("submission", "submission.csv"), index=False)
    print("Wrote submission/submission.csv: %d rows, columns %s" % (len(sub), list(sub.columns)))


if __name__ == "__main__":
    main()

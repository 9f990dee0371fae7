"""Synthetic competitions for the builtin coder's tests.

    make_data.py KIND DIR

writes DIR/train.csv, DIR/test.csv and DIR/sample_submission.csv (and DIR/images/
for the image task) for KIND in binary, multiclass, regression, text, image,
groups; groups (binary, like Titanic: shuffled ids, an ID-like ticket column
shared by groups, a text column) also writes the test answers to
DIR.answers.csv, outside the folder a script sees.

    make_data.py auc ANSWERS SUBMISSION

prints the AUC of SUBMISSION's target column against ANSWERS (sklearn).
Small on purpose (a few hundred rows) so each generated script runs in seconds;
the labels depend on the features, so a working model scores above chance.
"""
import os
import sys

import numpy as np
import pandas as pd

WORDS = {0: "dull slow broken refund awful late cold rude".split(),
         1: "great fast friendly tasty fresh warm lovely superb".split()}
FILLER = "the a and was of it very we our food service place".split()


def tabular(rng, n):
    x1 = rng.normal(size=n)
    x2 = rng.normal(size=n)
    city = rng.choice(["north", "south", "east", "west"], size=n)
    df = pd.DataFrame({"id": np.arange(1000, 1000 + n), "x1": x1, "x2": x2, "city": city,
                       "joined": pd.date_range("2020-01-01", periods=n, freq="D").astype(str)})
    df.loc[rng.random(n) < 0.1, "x2"] = np.nan
    signal = 1.5 * x1 - np.nan_to_num(df["x2"].values) + (city == "north") * 1.2
    return df, signal


def split(df, n_test, label_cols):
    train, test = df.iloc[n_test:].reset_index(drop=True), df.iloc[:n_test].reset_index(drop=True)
    return train, test.drop(columns=label_cols)


def groups(rng, n):
    """Binary data whose rows come in groups sharing an ID-like ticket code."""
    group = rng.randint(0, n // 3, size=n)
    x1 = rng.normal(size=n)
    good = rng.random_sample(n) < 0.5
    note = [" ".join(rng.choice((WORDS[1] if g else WORDS[0]) + FILLER, size=10)) for g in good]
    df = pd.DataFrame({"id": rng.permutation(n) * 7 + 3, "x1": x1,
                       "ticket": ["T%05d" % (g * 7919 % 100003) for g in group],
                       "city": rng.choice(["north", "south", "east"], size=n), "note": note})
    s = 1.5 * x1 + 1.5 * good + 0.8 * (df["city"] == "north") + rng.normal(size=n_groups(n))[group]
    df["target"] = (s + rng.normal(scale=0.7, size=n) > 1.2).astype(int)
    return df


def n_groups(n):
    return n // 3


def main():
    if sys.argv[1] == "auc":
        from sklearn.metrics import roc_auc_score

        ans, sub = pd.read_csv(sys.argv[2]), pd.read_csv(sys.argv[3])
        m = ans.merge(sub, on="id", suffixes=("", "_pred"))
        if len(m) != len(ans):
            sys.exit("submission ids do not match the answers")
        print("%.6f" % roc_auc_score(m["target"], m["target_pred"]))
        return
    kind, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    rng = np.random.RandomState(7)
    n, n_test = 500, 120
    if kind in ("binary", "multiclass", "regression"):
        df, s = tabular(rng, n)
        if kind == "binary":
            df["target"] = (s + rng.normal(scale=0.5, size=n) > 0.3).astype(int)
            sample_cols = {"target": 0.5}
        elif kind == "multiclass":
            df["species"] = np.array(["ant", "bee", "cat"])[np.digitize(s, [-0.8, 0.8])]
            sample_cols = {"ant": 1 / 3, "bee": 1 / 3, "cat": 1 / 3}
        else:
            df["price"] = np.exp(1.0 + 0.4 * s + rng.normal(scale=0.1, size=n))
            sample_cols = {"price": 1.0}
        label = [c for c in ("target", "species", "price") if c in df.columns]
    elif kind == "groups":
        n, n_test = 900, 250
        df = groups(rng, n)
        label, sample_cols = ["target"], {"target": 0.5}
        df.iloc[:n_test][["id", "target"]].to_csv(out.rstrip("/") + ".answers.csv", index=False)
    elif kind == "text":
        y = rng.randint(0, 2, size=n)
        texts = [" ".join(rng.choice(WORDS[c] + FILLER, size=12)) for c in y]
        df = pd.DataFrame({"id": np.arange(n), "review": texts, "stars": rng.randint(1, 4, size=n),
                           "label": y})
        label, sample_cols = ["label"], {"label": 0.5}
    elif kind == "image":
        from PIL import Image

        os.makedirs(os.path.join(out, "images"), exist_ok=True)
        n, n_test = 240, 60
        y = rng.randint(0, 3, size=n)
        paths = []
        for i, c in enumerate(y):
            img = rng.randint(0, 60, size=(16, 16)).astype(np.uint8)
            if c == 0:
                img[:, 6:10] = 230  # vertical bar
            elif c == 1:
                img[6:10, :] = 230  # horizontal bar
            else:
                np.fill_diagonal(img, 230)
            name = "img_%04d.png" % i
            Image.fromarray(img).save(os.path.join(out, "images", name))
            paths.append(name)
        df = pd.DataFrame({"image_id": ["im%d" % i for i in range(n)], "path": paths,
                           "shape": np.array(["bar", "flat", "diag"])[y]})
        label, sample_cols = ["shape"], {"bar": 1 / 3, "flat": 1 / 3, "diag": 1 / 3}
    else:
        sys.exit("unknown kind " + kind)
    train, test = split(df, n_test, label)
    id_col = df.columns[0]
    train.to_csv(os.path.join(out, "train.csv"), index=False)
    test.to_csv(os.path.join(out, "test.csv"), index=False)
    sample = pd.DataFrame({id_col: test[id_col]})
    for c, v in sample_cols.items():
        sample[c] = v
    sample.to_csv(os.path.join(out, "sample_submission.csv"), index=False)


if __name__ == "__main__":
    main()

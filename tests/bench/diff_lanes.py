#!/usr/bin/python3
"""diff_lanes.py: a large binary AUC or multi-class log loss submission is
matched by several threads, each over its own byte range (bench/halves.c).
Whatever the file holds, the report must be the single reader's: the same
score to the last digit for a valid file, the same first fault, on the same
line, in the same words, for a faulty one. Every case is graded with one
reader and with 2, 3 and 7 threads, files cut anywhere (GROVE_GRADE_SPLIT_MIN=0).

    diff_lanes.py GROVE
"""
import json
import os
import random
import subprocess
import sys
import tempfile

GROVE = sys.argv[1]
AUC, LL = "aerial-cactus-identification", "dog-breed-identification"
K = 5
failures = []


def grade(comp, sub, ans, lanes):
    env = dict(os.environ, GROVE_GRADE_LANES=str(lanes), GROVE_GRADE_SPLIT_MIN="0")
    out = subprocess.run([GROVE, "-v", "grade", "--json", "--competition", comp,
                          "--submission", sub, "--answers", ans],
                         capture_output=True, text=True, env=env)
    if out.returncode not in (0, 3):  # 3: an invalid submission, still reported
        return {"exit": out.returncode, "stderr": out.stderr.strip()[-300:]}, out.stderr
    rep = json.loads(out.stdout)
    rep.pop("created_at", None)
    return rep, out.stderr


def check(name, comp, ans_text, sub_text, want_valid, threaded=None):
    """threaded: True when the threads must take every row, False when they
    must stand aside, None when either is right."""
    d = tempfile.mkdtemp(prefix="grove_lanes_")
    ans, sub = os.path.join(d, "answers.csv"), os.path.join(d, "sub.csv")
    with open(ans, "w", newline="") as f:
        f.write(ans_text)
    with open(sub, "wb") as f:
        f.write(sub_text.encode("utf-8") if isinstance(sub_text, str) else sub_text)
    one, _ = grade(comp, sub, ans, 1)
    if want_valid is not None and one.get("valid_submission") is not want_valid:
        failures.append("%s: one reader: valid_submission %s, expected %s (%s)" %
                        (name, one.get("valid_submission"), want_valid, one.get("error")))
    for lanes in (2, 3, 7):
        rep, log = grade(comp, sub, ans, lanes)
        if rep != one:
            failures.append("%s: %d threads: %s\n  one reader: %s" % (name, lanes, rep, one))
        took = "rows matched by %d threads" % lanes in log
        aside = "threads stood aside" in log
        if threaded is True and not took:
            failures.append("%s: %d threads did not take the file: %s" % (name, lanes, log))
        if threaded is False and not aside:
            failures.append("%s: %d threads did not stand aside: %s" % (name, lanes, log))
    print("ok   %s" % name if not failures or not failures[-1].startswith(name) else
          "FAIL %s" % name)


def csv_text(header, rows, eol="\n"):
    return eol.join([",".join(header)] + [",".join(r) for r in rows]) + eol


def auc_cases(rng):
    n = 3000
    ids = ["img%05d" % i for i in range(n)]
    y = [int(rng.random() < 0.3) for _ in range(n)]
    ans = csv_text(["id", "has_cactus"], [[i, str(v)] for i, v in zip(ids, y)])
    p = [repr(min(1.0, max(0.0, v * 0.3 + rng.random() * 0.7))) for v in y]
    order = list(range(n))
    rng.shuffle(order)

    def sub(rows, eol="\n"):
        return csv_text(["id", "has_cactus"], rows, eol)
    rows = [[ids[i], p[i]] for i in order]
    check("auc shuffled", AUC, ans, sub(rows), True, True)
    check("auc in order", AUC, ans, sub([[ids[i], p[i]] for i in range(n)]), True, True)
    ties = [[ids[i], rng.choice(["0", "0.5", "1", "0.25", "1e-3"])] for i in order]
    check("auc ties and exponents", AUC, ans, sub(ties), True, True)
    check("auc CRLF", AUC, ans, sub(rows, "\r\n"), True, True)
    check("auc BOM", AUC, ans, "\ufeff" + sub(rows), True, True)
    blank = sub(rows).replace("\n", "\n\n", 700)
    check("auc blank lines", AUC, ans, blank, True, True)
    check("auc no last newline", AUC, ans, sub(rows)[:-1], True, True)
    check("auc blanks around values", AUC, ans,
          sub([[a, " %s " % b] for a, b in rows]), True, True)
    # integer ids: pandas types them int64, so "007" and "7.0" are 7
    nums = csv_text(["id", "has_cactus"], [[str(i), str(v)] for i, v in enumerate(y)])
    spell = [[rng.choice(["%d", "%03d", "%d.0", " %d"]) % i, p[i]] for i in order]
    check("auc integer ids", AUC, nums, sub(spell), True, True)
    # faults: the first in file order is what both must report
    for at in (5, n // 2, n - 2):
        bad = [r[:] for r in rows]
        bad[at][0] = "nosuchid"
        check("auc unknown id at row %d" % at, AUC, ans, sub(bad), False, False)
        dup = [r[:] for r in rows]
        dup[at][0] = rows[n - 1 - at][0]
        check("auc repeated id at row %d" % at, AUC, ans, sub(dup), False, False)
        for cell, why in (("nan", "nan"), ("1.5", "above 1"), ("", "empty"),
                          ("-0.1", "negative"), ("inf", "inf"), ("0x1p-2", "hex"),
                          ("True", "bool")):
            v = [r[:] for r in rows]
            v[at][1] = cell
            hexa = cell == "0x1p-2" # strtod reads it (0.25), as the single reader does
            check("auc %s value at row %d" % (why, at), AUC, ans, sub(v), hexa,
                  None if hexa else False)
        q = [r[:] for r in rows]
        q[at][0] = '"%s"' % q[at][0]
        check("auc quoted id at row %d" % at, AUC, ans, sub(q), True, False)
        short = [r[:] for r in rows]
        short[at] = [short[at][0]]
        check("auc short row at row %d" % at, AUC, ans, sub(short), False, False)
        long_ = [r[:] for r in rows]
        long_[at] = long_[at] + ["x"]
        check("auc long row at row %d" % at, AUC, ans, sub(long_), False, False)
        cr = sub(rows).split("\n")
        cr[at + 1] += "\r" + cr[at + 2]
        del cr[at + 2]
        check("auc lone CR at row %d" % at, AUC, ans, "\n".join(cr), True, False)
        nul = sub(rows).replace(rows[at][0], rows[at][0] + "\0", 1)
        check("auc NUL in id at row %d" % at, AUC, ans, nul, None, False)
    check("auc a row missing", AUC, ans, sub(rows[:-1]), False, None)
    check("auc a row too many", AUC, ans, sub(rows + [["extra", "0.5"]]), False, False)
    check("auc bools from the first row", AUC, ans,
          sub([[a, rng.choice(["True", "False"])] for a, _ in rows]), True, False)
    check("auc quoted newline", AUC, ans, sub(rows).replace(
        rows[n // 2][0], '"%s\n"' % rows[n // 2][0], 1), False, False)
    check("auc not UTF-8", AUC, ans, sub(rows).encode() .replace(
        rows[n // 3][0].encode(), b"\xff\xfe", 1), False, False)


def ll_cases(rng):
    n = 900
    cols = ["c%d" % j for j in range(K)]
    ids = ["s%04d" % i for i in range(n)]
    y = [rng.randrange(K) for _ in range(n)]
    ans = csv_text(["id"] + cols, [[ids[i]] + ["1" if j == y[i] else "0" for j in range(K)]
                                   for i in range(n)])

    def probs(i):
        w = [rng.random() + (2 if j == y[i] else 0) for j in range(K)]
        s = sum(w)
        return [repr(x / s) for x in w]
    order = list(range(n))
    rng.shuffle(order)
    rows = [[ids[i]] + probs(i) for i in order]

    def sub(rows, eol="\n"):
        return csv_text(["id"] + cols, rows, eol)
    check("ll shuffled", LL, ans, sub(rows), True, True)
    check("ll CRLF", LL, ans, sub(rows, "\r\n"), True, True)
    check("ll columns in another order", LL, ans,
          csv_text(["id"] + cols[::-1], [[r[0]] + r[1:][::-1] for r in rows]), True, True)
    check("ll zeros and ones", LL, ans, sub([[r[0]] + ["1" if j == y[int(r[0][1:])] else "0"
                                                      for j in range(K)] for r in rows]),
          True, True)
    # two rows that do not sum to 1: the first answer row of the two is named
    for a, b in ((10, n - 10), (n - 10, 10), (n // 2, n // 2 + 1)):
        bad = [r[:] for r in rows]
        bad[a][1] = repr(float(bad[a][1]) + 0.25)
        bad[b][2] = repr(float(bad[b][2]) + 0.5)
        check("ll row sums off at rows %d and %d" % (a, b), LL, ans, sub(bad), False, False)
    near = [r[:] for r in rows]
    near[n // 3][1] = repr(float(near[n // 3][1]) + 1.09995e-5)
    check("ll a row sum near the tolerance", LL, ans, sub(near), True, False)
    for at in (3, n // 2, n - 3):
        for cell, why in (("nan", "nan"), ("1.5", "above 1"), ("", "empty"), ("abc", "text")):
            v = [r[:] for r in rows]
            v[at][1 + at % K] = cell
            check("ll %s value at row %d" % (why, at), LL, ans, sub(v), False, False)
        dup = [r[:] for r in rows]
        dup[at][0] = rows[n - 1 - at][0]
        check("ll repeated id at row %d" % at, LL, ans, sub(dup), False, False)
        q = [r[:] for r in rows]
        q[at][2] = '"%s"' % q[at][2]
        check("ll quoted value at row %d" % at, LL, ans, sub(q), True, False)


def main():
    rng = random.Random(7)
    auc_cases(rng)
    ll_cases(rng)
    for f in failures:
        print("FAIL", f)
    print("%d failures" % len(failures))
    sys.exit(1 if failures else 0)


main()

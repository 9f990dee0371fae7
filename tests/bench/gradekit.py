"""gradekit.py: what the grader's differential tests (diff_*.py) share: a case's
answers and submission written as CSV, graded by tests/bench/grade_tool, and the
1e-9 comparison. Standard library only."""
import json
import os
import subprocess


def write_csv(path, header, rows=None):
    """header + rows of already formatted cells, or (rows None) header is the
    file's whole text (quotes, CRLF: the reader's odd rows)."""
    with open(path, "w", newline="", encoding="utf-8") as f:
        if rows is None:
            f.write(header)
            return
        f.write(",".join(header) + "\n")
        for r in rows:
            f.write(",".join(r) + "\n")


def fmt(x):
    return repr(float(x))


def close(a, b):
    return abs(a - b) <= 1e-9 * max(1.0, abs(b))


def grade(tool, tmp, comp, answers, submission):
    """answers: (header, rows); submission: (header, rows) or the file's text.
    The grade_tool report as a dict."""
    a, s = os.path.join(tmp, "answers.csv"), os.path.join(tmp, "submission.csv")
    write_csv(a, *answers)
    write_csv(s, *((submission,) if isinstance(submission, str) else submission))
    out = subprocess.run([tool, comp, s, a], capture_output=True, text=True)
    return json.loads(out.stdout)

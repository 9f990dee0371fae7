"""gradekit.py: what the grader's differential tests (diff_*.py) share: a case's
answers and submission written as CSV, graded by tests/bench/grade_tool, and the
1e-9 comparison. Standard library only."""
import json
import os
import subprocess
import sys


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


class Tally:
    """One line per case ("ok" or "FAIL", its name, what was compared) and the
    closing "N cases, N failed", whose exit status fails the test."""

    def __init__(self, width=30):
        self.count, self.failures, self.width = 0, [], width

    def record(self, ok, name, detail):
        self.count += 1
        print("%-4s %-*s %s" % ("ok" if ok else "FAIL", self.width, name, detail))
        if not ok:
            self.failures.append(name)

    def finish(self):
        print("%d cases, %d failed" % (self.count, len(self.failures)))
        sys.exit(1 if self.failures else 0)

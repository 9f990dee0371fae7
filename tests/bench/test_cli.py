#!/usr/bin/python3
"""test_cli.py: `grove grade` and `grove competitions` end to end (GROVE_BIN).

Builds an MLE-bench data folder with one prepared competition, then checks
single grading (JSON and text), an invalid submission (exit 3 with the
report and the reason, a missing file too), a
not-yet competition (exit 1), the batch report file and aggregation.
"""
import datetime
import glob
import json
import os
import re
import subprocess
import sys
import tempfile

GROVE = os.environ["GROVE_BIN"]
failed = 0


def run(*args, env=None):
    return subprocess.run([GROVE, *args], capture_output=True, text=True, env=env)


def check(cond, what):
    global failed
    print("%-4s %s" % ("ok" if cond else "FAIL", what))
    failed += not cond


def put(path, text):
    """Write text (str or bytes) at path, making its folders; returns path."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(text if isinstance(text, bytes) else text.encode("utf-8"))
    return path


tmp = tempfile.mkdtemp(prefix="grove_cli_")
data = os.path.join(tmp, "data")
comp = "random-acts-of-pizza"
put(os.path.join(data, comp, "prepared", "private", "test.csv"),
    "request_id,requester_received_pizza\nt1,1\nt2,0\nt3,0\nt4,1\n")
good = put(os.path.join(tmp, "good.csv"),
           "request_id,requester_received_pizza\nt2,0.1\nt1,0.9\nt4,0.8\nt3,0.3\n")
bad = put(os.path.join(tmp, "bad.csv"), "request_id,requester_received_pizza\nt1,0.9\nt2,0.1\n")

r = run("competitions", "--split", "lite", "--json")
lst = json.loads(r.stdout) if r.returncode == 0 else []
check(len(lst) == 22 and all(c["graded"] for c in lst), "competitions --split lite: 22 graded")
r = run("competitions", "--split", "split75", "--json")
lst = json.loads(r.stdout) if r.returncode == 0 else []
check(len(lst) == 75 and all(c["graded"] or c["reason"] for c in lst),
      "competitions --split split75: 75, each graded or with a reason")

check(all(c["thresholds_kind"] == ("none" if c["id"] == "ventilator-pressure-prediction"
                                   else "leaderboard") for c in lst),
      "competitions: MLE-bench thresholds come from leaderboards (ventilator has none)")
r = run("competitions", "--split", "bundled", "--json")
lst = json.loads(r.stdout) if r.returncode == 0 else []
check(lst and all(c["thresholds_kind"] == "reference" for c in lst),
      "competitions --split bundled: thresholds are reference scores")
r = run("competitions", "--split", "bundled")
check(r.returncode == 0 and r.stdout.count("reference scores, not a leaderboard") == len(lst),
      "competitions --split bundled: the listing says 'reference scores, not a leaderboard'")

r = run("grade", "--competition", comp, "--submission", good, "--data-dir", data, "--json")
rep = json.loads(r.stdout) if r.returncode == 0 else {}
check(rep.get("score") == 1.0 and rep.get("valid_submission") and rep.get("gold_medal")
      and rep.get("any_medal"), "grade --json: perfect AUC wins gold")
keys = ["competition_id", "score", "gold_threshold", "silver_threshold", "bronze_threshold",
        "median_threshold", "any_medal", "gold_medal", "silver_medal", "bronze_medal",
        "above_median", "submission_exists", "valid_submission", "is_lower_better",
        "created_at", "submission_path", "error"]
check(list(rep.keys()) == keys, "report has MLE-bench's fields, in order, plus error")
# created_at as MLE-bench writes it (datetime.now().isoformat(): local, no zone),
# which its CompetitionReport.from_dict reads back with datetime.fromisoformat
made = datetime.datetime.fromisoformat(rep.get("created_at", ""))
check(made.tzinfo is None and abs((datetime.datetime.now() - made).total_seconds()) < 60,
      "created_at is local time without a zone: %r" % rep.get("created_at"))
check(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?", rep["created_at"]) is not None,
      "created_at has isoformat()'s shape: %r" % rep["created_at"])

env = dict(os.environ, GROVE_DATA=data)
r = run("grade", "--competition", comp, "--submission", bad, env=env)
check(r.returncode == 3 and "valid" in r.stdout and "missing" in r.stdout,
      "invalid submission: exit 3, text report says why (got %d)" % r.returncode)
r = run("grade", "--competition", comp, "--submission", "/missing.csv", "--json", env=env)
try:
    rep = json.loads(r.stdout)
except ValueError:
    rep = {}
check(r.returncode == 3 and rep.get("valid_submission") is False and rep.get("error"),
      "a missing submission file: exit 3, the JSON report says why (got %d: %r)"
      % (r.returncode, r.stderr))
# an id that is not UTF-8 is quoted in the error: the report stays UTF-8 JSON
odd = put(os.path.join(tmp, "odd.csv"),
          b"request_id,requester_received_pizza\nt2,0.1\nt1\xff\xfe,0.9\nt4,0.8\nt3,0.3\n")
r = subprocess.run([GROVE, "grade", "--json", "--competition", comp, "--submission", odd],
                   capture_output=True, env=env)
try:
    rep = json.loads(r.stdout.decode("utf-8"))
except ValueError as e:
    rep = {"error": "not UTF-8 JSON: %s" % e}
check(r.returncode == 3 and rep.get("valid_submission") is False
      and "'t1\ufffd\ufffd' is not in the answers" in rep.get("error", ""),
      "an id that is not UTF-8: the report is UTF-8 JSON: %r" % rep.get("error"))
# a competition without a leaderboard: the score, null thresholds, no medal
put(os.path.join(data, "ventilator-pressure-prediction", "prepared", "private", "test.csv"),
    "id,breath_id,u_out,pressure\n1,1,0,5.0\n2,1,0,6.0\n3,1,1,30.0\n")
vsub = put(os.path.join(tmp, "vent.csv"), "id,pressure\n3,0\n2,6.5\n1,4.0\n")
r = run("grade", "--json", "--competition", "ventilator-pressure-prediction",
        "--submission", vsub, "--data-dir", data)
rep = json.loads(r.stdout) if r.returncode == 0 else {}
check(rep.get("valid_submission") and rep.get("score") == 0.75
      and rep.get("gold_threshold") is None and rep.get("median_threshold") is None
      and not rep.get("any_medal") and not rep.get("above_median") and rep.get("is_lower_better"),
      "no leaderboard: MAE over u_out 0 rows, null thresholds, no medal: %s" % rep)

batch = os.path.join(tmp, "batch.jsonl")
with open(batch, "w") as f:
    f.write(json.dumps({"competition_id": comp, "submission_path": good}) + "\n")
    f.write("# a comment line\n")
    f.write(json.dumps({"competition_id": comp, "submission_path": bad}) + "\n")
out = os.path.join(tmp, "reports")
r = run("grade", "--batch", batch, "--output-dir", out, env=env)
files = glob.glob(os.path.join(out, "*_grading_report.json"))
rep = json.load(open(files[0])) if files else {}
check(r.returncode == 0 and rep.get("total_runs") == 2 and rep.get("total_valid_submissions") == 1
      and rep.get("total_gold_medals") == 1 and len(rep.get("competition_reports", [])) == 2,
      "batch: report file with MLE-bench totals")

r = run("grade", "--aggregate", files[0] if files else "x", "--seeds", "2", "--json")
agg = json.loads(r.stdout) if r.returncode == 0 else {}
lite = agg.get("splits", {}).get("lite", {})
check(lite.get("any_medal_pct_per_seed") == [100 / 22, 0.0], "aggregate: per-seed lite rates")
print("%s" % ("all passed" if not failed else "%d failed" % failed))
sys.exit(1 if failed else 0)

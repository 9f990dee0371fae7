#!/usr/bin/python3
"""e2e_audit.py: the audit log of the private answers (RUN/audit.jsonl,
`grove show RUN --audit`).

    e2e_audit.py sandbox|nosandbox

Each scenario runs grove-titanic against the mock LLM server with scripts
that try to read the holdout's answers and the competition's test answers
(by absolute and relative path), then write a plain submission.

  sandbox    the scripts' attempts never reach the files, so the log holds
             exactly the grader's reads: one "holdout score" per scored
             node, one "final submission" for the final grading, and no
             "unexplained" line.
  nosandbox  with --no-sandbox the scripts do read both files: each read is
             logged as "unexplained" (not by grove's grader), beside the
             grader's own reads, which are still one per scored node.

In both, `grove show RUN --audit` prints the log and every line is JSON.
Standard library only; meson passes GROVE_BIN and GROVE_SRC.
"""
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import e2e_run as e2e  # noqa: E402

STEPS = 3


def snooping_script(private, holdout):
    return e2e.snooping_script([private, holdout, "../../holdout/answers.csv",
                                "../../../holdout/answers.csv"])


def main():
    scenario = sys.argv[1]
    sandbox = scenario == "sandbox"
    # files outside /tmp: the sandbox's private /tmp would hide them by
    # accident, and the test must see the sandbox hide them on purpose
    env = e2e.Env(outside_tmp=True)
    try:
        run_dir = os.path.join(env.runs, scenario)
        private = os.path.join(env.data, "grove-titanic", "prepared", "private", "answers.csv")
        holdout = os.path.join(run_dir, "holdout", "answers.csv")
        code = snooping_script(private, holdout)
        # a script per node: grove never runs a byte-identical script twice
        env.start_mock({"replies": ["Look around.\n\n```python\n# node %d\n%s```\n" % (i, code)
                                    for i in range(STEPS)], "replies_cycle": True})
        extra = [] if sandbox else ["--no-sandbox"]
        r = env.run(env.grove_args(scenario, STEPS, 1, extra), timeout=600)
        print(r.stdout[-1500:], r.stderr[-1500:])
        e2e.check(r.returncode == 0, "grove run exits 0")
        out = e2e.git(run_dir, "show", "node/0:output.txt")
        leaks = [l for l in out.splitlines() if l.startswith("LEAK ")]
        if sandbox:
            e2e.check(not leaks, "the sandbox hid the answers:\n" + out)
        else:
            e2e.check(len(leaks) >= 2, "without the sandbox the script read them:\n" + out)

        lines = [json.loads(l) for l in open(os.path.join(run_dir, "audit.jsonl"))]
        for l in lines:
            e2e.check(set(l) >= {"time", "who", "node", "why"}, "audit line fields: %s" % l)
        grader = [l for l in lines if l["who"] == "grader"]
        unexplained = [l for l in lines if l["who"] == "unexplained"]
        scored = [n for n in range(STEPS) if e2e.node_json(run_dir, n)["score"] is not None]
        holdout_reads = [l for l in grader if l["why"] == "holdout score"]
        e2e.check(sorted(l["node"] for l in holdout_reads) == sorted(scored),
                  "one holdout read per scored node: %s vs %s" % (holdout_reads, scored))
        e2e.check(all(l["file"] == holdout for l in holdout_reads), "holdout reads name the file")
        finals = [l for l in grader if l["why"] == "final submission"]
        e2e.check(len(finals) == 1 and finals[0]["file"] == private,
                  "one read of the test answers for the final submission: %s" % finals)
        if sandbox:
            e2e.check(not unexplained, "no script attempt logged as a read: %s" % unexplained)
        else:
            files = set(l["file"] for l in unexplained)
            e2e.check(holdout in files and private in files,
                      "the script's reads are logged as unexplained: %s" % unexplained)
            e2e.check(all(l["node"] is None for l in unexplained),
                      "an unexplained read is no grader read of a node")
        shown = subprocess.run([e2e.GROVE, "show", run_dir, "--audit"], capture_output=True,
                               text=True)
        print(shown.stdout)
        e2e.check(shown.returncode == 0, "grove show --audit exits 0")
        e2e.check(shown.stdout.count("holdout score") == len(holdout_reads) and
                  "final submission" in shown.stdout, "grove show --audit prints the log")
    finally:
        env.close()
    print("e2e audit %s: ok" % scenario)


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""test_run_cli.py: `grove run`'s configuration as a user meets it, through
the real binary and the builtin coder (offline, no key):

  - `--set search.num_drafts=20` runs (the policy's "0 means 3 x num_drafts"
    is the only rule; config.json keeps max_failed_drafts 0);
  - a run whose config.json was written before the option table (durations
    as text, max_failed_drafts 15) resumes;
  - wrong types are exit 2 with a message naming the key, the type and the
    fix, and nothing is created;
  - an unknown policy, an unknown provider, a missing API key are exit 2 and
    leave no run folder (everything is checked before anything is made).

Standard library only; meson passes GROVE_BIN.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

GROVE = os.environ["GROVE_BIN"]


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def check(cond, msg):
    if not cond:
        fail(msg)


def grove(*args, env=None):
    e = dict(os.environ)
    e.pop("OPENAI_API_KEY", None)
    e.pop("ANTHROPIC_API_KEY", None)
    e.update(env or {})
    return subprocess.run([GROVE] + list(args), capture_output=True, text=True, env=e,
                          timeout=600)


def main():
    tmp = tempfile.mkdtemp(prefix="grove-cli-")
    try:
        run(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("test_run_cli: ok")


def run(tmp):
    data, runs = os.path.join(tmp, "data"), os.path.join(tmp, "runs")
    r = grove("prepare", "grove-titanic", "--data-dir", data)
    if r.returncode != 0:
        print(r.stdout, r.stderr)
        if "not installed" in r.stderr or "apt-get" in r.stderr:
            print("SKIP: grove-titanic's source package is missing")
            sys.exit(77)
        fail("grove prepare grove-titanic failed")
    base = ["run", "grove-titanic", "--data-dir", data, "--out", runs,
            "--model", "builtin:baseline", "--workers", "1"]

    # issue 14: more drafts than the old fixed max_failed_drafts (15)
    r = grove(*base, "--name", "drafts", "--steps", "2", "--set", "search.num_drafts=20")
    print(r.stdout[-1500:], r.stderr[-1500:])
    check(r.returncode == 0, "--set search.num_drafts=20 runs")
    check("2 steps, 1 worker," in r.stdout, "the banner says '1 worker'")
    run_dir = os.path.join(runs, "drafts")
    cfg = json.load(open(os.path.join(run_dir, "config.json")))
    check(cfg["search"]["num_drafts"] == 20 and cfg["search"]["max_failed_drafts"] == 0,
          "config.json keeps num_drafts 20 and max_failed_drafts 0: %s" % cfg["search"])

    # a config.json as main wrote it before the table still resumes
    cfg["time_limit"] = "15m"
    cfg["search"]["num_drafts"] = 5
    cfg["search"]["max_failed_drafts"] = 15
    json.dump(cfg, open(os.path.join(run_dir, "config.json"), "w"), indent=2)
    r = grove("run", "--resume", run_dir, "--steps", "3")
    print(r.stdout[-1500:], r.stderr[-1500:])
    check(r.returncode == 0, "an old config.json resumes")
    cfg = json.load(open(os.path.join(run_dir, "config.json")))
    check(cfg["time_limit"] == 900 and cfg["search"]["max_failed_drafts"] == 15,
          "the resumed config keeps its values: %s" % cfg)

    # issue 11 item 11: wrong types are errors that name the key, the type, the fix
    bad_file = os.path.join(tmp, "bad.json")
    cases = [
        (["--set", "search=3"], "'search' is a group of settings", "--set search.num_drafts="),
        ({"search": [1, 2]}, "'search' must be an object", "\"search\": {\"num_drafts\""),
        ({"model": 5}, "'model' must be a string", "\"model\": \""),
        ({"steps": 1.7}, "'steps' must be a whole number", "\"steps\": 20"),
        (["--set", "exec.allow_network=maybe"], "must be true or false",
         "--set exec.allow_network=false"),
        (["--steps", "0"], "--steps: must be a whole number from 1 to 1000000",
         "--steps 20"),
        (["--workers", "1.5"], "--workers: must be a whole number", "--workers 2"),
    ]
    for i, (args, what, fix) in enumerate(cases):
        if isinstance(args, dict):
            json.dump(args, open(bad_file, "w"))
            args = ["--config", bad_file]
        r = grove(*base, "--name", "bad%d" % i, *args)
        check(r.returncode == 2, "%s exits 2 (got %d)" % (args, r.returncode))
        check(what in r.stderr and fix in r.stderr, "%s: %r" % (args, r.stderr))
        check(not os.path.exists(os.path.join(runs, "bad%d" % i)),
              "%s left no run folder" % args)
        check("run: run:" not in r.stderr and "grove run: run" not in r.stderr,
              "no doubled prefix: %r" % r.stderr)

    # issue 11 item 12: checked before anything is made, exit 2
    before = sorted(os.listdir(runs))
    cases = [
        (["--policy", "nosuch"], "unknown policy 'nosuch'", {}),
        (["--model", "gpt4"], "unknown provider 'gpt4'", {}),
        (["--model", "openai:gpt-4o"], "OPENAI_API_KEY", {}),
        (["--model", "anthropic:claude-sonnet-4-5", "--api-key-env", "NO_SUCH_KEY_VAR"],
         "NO_SUCH_KEY_VAR", {}),
        (["--set", "search.max_failed_drafts=2", "--set", "search.num_drafts=4"],
         "max_failed_drafts", {}),
    ]
    for i, (args, what, env) in enumerate(cases):
        r = grove(*base, "--name", "half%d" % i, *args, env=env)
        check(r.returncode == 2, "%s exits 2 (got %d): %r" % (args, r.returncode, r.stderr))
        check(what in r.stderr, "%s: %r" % (args, r.stderr))
        check(sorted(os.listdir(runs)) == before,
              "%s left %s" % (args, sorted(set(os.listdir(runs)) - set(before))))
    # the same on a resume: the run is untouched
    r = grove("run", "--resume", run_dir, "--policy", "nosuch")
    check(r.returncode == 2 and "unknown policy" in r.stderr, "resume --policy nosuch: %r"
          % r.stderr)


if __name__ == "__main__":
    main()

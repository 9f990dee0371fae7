#!/usr/bin/python3
"""test_status_line.py: the live status line of `grove run` and `grove bench`
(issue 13 item 3), through the real binary on a pseudo-terminal (Python's pty
module) and the builtin coder (offline, no key).

    test_status_line.py run|sigint|plain|quiet|bench

  run     on a pty: the block is reserved at the bottom (a scrolling region),
          drawn, redrawn as the run goes, shows each worker and what it does
          with its elapsed time; the per-node lines printed above it are whole
          once the block's own drawing is taken out; at the end the block is
          erased, the region reset, the cursor never left hidden, and the
          output ends at the start of a clean line
  sigint  the same, with a SIGINT (Ctrl-C) while scripts run: the terminal is
          given back as cleanly
  sigterm the same with SIGTERM
  resize  the terminal shrinks mid-run (SIGWINCH): the block is reserved
          again for the new height and its rows are cut to the new width
  model   against the mock LLM server answering slowly: a worker row says
          'waiting on the model' with its elapsed time, the summary counts
          the tokens
  plain   stdout a pipe: not one escape sequence in the whole output; with
          --set status_every=1, plain 'status:' lines between the per-node
          lines say the same as the block (nodes, workers and what they do)
  quiet   --quiet on a pty: no status output and not one escape sequence
  bench   `grove bench` on a pty: its live line (runs done/running/left,
          medals by kind, elapsed) redrawn in place and the terminal given
          back; the final line stays as a plain line

Standard library only; meson passes GROVE_BIN.
"""
import fcntl
import json
import os
import pty
import re
import select
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import termios
import time

GROVE = os.environ["GROVE_BIN"]
ROWS, COLS = 30, 120
ESC = "\x1b"
DRAW = re.compile(r"\x1b7(.*?)\x1b8", re.S)        # one redraw of the block
RESERVE = re.compile(r"\n*\x1b\[(\d+)A\x1b7\x1b\[1;(\d+)r\x1b8")
RELEASE = re.compile(r"\x1b7\x1b\[r\x1b\[(\d+);1H\x1b\[J\x1b8")


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def check(cond, msg):
    if not cond:
        fail(msg)


def env_for(tmp):
    e = dict(os.environ, TERM="xterm", GROVE_DATA=os.path.join(tmp, "data"))
    e.pop("OPENAI_API_KEY", None)
    e.pop("ANTHROPIC_API_KEY", None)
    return e


def on_pty(args, env, until=None, then_signal=None, timeout=400, resize=None):
    """Run args with stdin/stdout/stderr on a fresh pty of ROWS x COLS; all
    it wrote, and its exit status. until(text) -> True sends then_signal;
    with resize (rows, cols), the pty takes that size first (and the signal
    is SIGWINCH, as a terminal sends it)."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLS, 0, 0))
    p = subprocess.Popen(args, stdin=slave, stdout=slave, stderr=slave, env=env,
                         start_new_session=True)
    os.close(slave)
    out, sent, deadline = b"", False, time.time() + timeout
    while time.time() < deadline:
        r, _, _ = select.select([master], [], [], 0.2)
        if r:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: every writer closed the pty
                chunk = b""
            if not chunk and p.poll() is not None:
                break
            out += chunk
        elif p.poll() is not None:
            break
        if until and not sent and until(out.decode("utf-8", "replace")):
            if resize:
                fcntl.ioctl(master, termios.TIOCSWINSZ, struct.pack("HHHH", resize[0],
                                                                    resize[1], 0, 0))
            p.send_signal(then_signal)
            sent = True
    else:
        p.kill()
        fail("%s did not end in %ds; output tail: %r" % (args[:2], timeout, out[-2000:]))
    os.close(master)
    check(not until or sent, "the moment to send the signal never came: %r" % out[-3000:])
    return out.decode("utf-8", "replace").replace("\r\n", "\n"), p.wait()


def prepare(tmp, env):
    r = subprocess.run([GROVE, "prepare", "grove-titanic"], capture_output=True, text=True,
                       env=env)
    if r.returncode != 0:
        print(r.stdout, r.stderr)
        if "not installed" in r.stderr or "apt-get" in r.stderr:
            print("SKIP: grove-titanic's source package is missing")
            sys.exit(77)
        fail("grove prepare grove-titanic failed")


def run_args(tmp, name, steps, *more):
    return [GROVE, "run", "grove-titanic", "--out", os.path.join(tmp, "runs"), "--name", name,
            "--model", "builtin:baseline", "--workers", "2", "--steps", str(steps)] + list(more)


def short_args(tmp, name, steps, *more):
    """run_args without the final selection's re-runs (--selection search),
    for every scenario but 'run': what they test ends before it."""
    return run_args(tmp, name, steps, "--selection", "search", *more)


def check_clean_end(out, what, rows=ROWS):
    """The terminal as grove leaves it: block erased, region reset, cursor
    shown, the output ending at the start of a clean line."""
    reserves = list(RESERVE.finditer(out))
    releases = list(RELEASE.finditer(out))
    check(reserves, "%s: the block was never reserved (a scrolling region): %r" % (what, out[:800]))
    check(releases, "%s: the terminal was never given back (region reset, block erased)" % what)
    bottom = int(reserves[-1].group(2))
    check(bottom < rows, "%s: the region %d leaves rows for the block" % (what, bottom))
    last = releases[-1]
    check(int(last.group(1)) == bottom + 1,
          "%s: the block erased from row %s, reserved from %d" % (what, last.group(1), bottom + 1))
    after = out[last.end():]
    check(ESC not in after, "%s: escape sequences after the terminal was given back: %r"
          % (what, after[:300]))
    check(out.rfind("\x1b[?25l") <= out.rfind("\x1b[?25h"), "%s: the cursor is left hidden" % what)
    check(out.endswith("\n"), "%s: the output ends inside a line: %r" % (what, out[-200:]))
    return after


def scrolled(out):
    """What scrolled above the block: the output less the block's drawing."""
    return RELEASE.sub("", RESERVE.sub("", DRAW.sub("", out)))


def draws(out):
    return [m.group(1) for m in DRAW.finditer(out) if m.group(1).count("nodes ")]


def block_lines(draw):
    """The text lines of one redraw: each row's text after its erase."""
    return [re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", part)
            for part in re.split(r"\x1b\[\d+;1H\x1b\[2K", draw)[1:]]


def node_lines_whole(text, steps, what):
    lines = [l for l in text.split("\n") if re.match(r"\[\s*\d+/%d\] " % steps, l)]
    check(lines, "%s: no per-node line scrolled above the block: %r" % (what, text[-1500:]))
    for l in lines:
        check(re.search(r"(\d+\.\d+s|\*best\*)$", l) and ESC not in l,
              "%s: a per-node line was cut or mixed with the status: %r" % (what, l))
    return lines


def scenario_run(tmp, env):
    out, rc = on_pty(run_args(tmp, "live", 4), env)
    check(rc == 0, "grove run on a pty exits 0, not %d: %r" % (rc, out[-1500:]))
    ds = draws(out)
    check(len(ds) >= 3, "the status line was drawn %d times" % len(ds))
    texts = ["\n".join(block_lines(d)) for d in ds]
    check(len(set(texts)) >= 3, "the status line was not updated: %r" % texts[:3])
    for d in ds:
        for l in block_lines(d):
            check(len(l) < COLS, "a status row is wider than the terminal: %r" % l)
    first = block_lines(ds[0])[0]
    for part in ("nodes ", " done, ", "running", "left", "elapsed", "LLM call"):
        check(part in first, "the summary says '%s': %r" % (part, first))
    check(any("best holdout" in block_lines(d)[0] for d in ds), "no draw showed the best score")
    workers = re.compile(r"^  node (\d+) +\S+ +(running the script|waiting on the model|grading"
                         r"[^ ]*|waiting for a GPU) +\d+s$")
    seen = {}
    for d in ds:
        for l in block_lines(d)[1:]:
            m = workers.match(l)
            if m:
                seen.setdefault(m.group(2), set()).add(int(m.group(1)))
    check("running the script" in seen, "no worker row said 'running the script': %r" % texts[-3:])
    ids = set().union(*seen.values())
    check(len(ids) >= 2, "worker rows showed %d nodes, not each worker's: %r" % (len(ids), seen))
    two = any(sum(1 for l in block_lines(d)[1:] if workers.match(l)) == 2 for d in ds)
    check(two, "no draw showed both workers at once")
    rest = scrolled(out)
    node_lines_whole(rest, 4, "run")
    check("run folder:" in check_clean_end(out, "run"), "the run's last line follows the block")


def running(text):
    return "running the script" in text


def scenario_sigint(tmp, env):
    out, rc = on_pty(short_args(tmp, "int", 40), env, until=running, then_signal=signal.SIGINT)
    check(rc == 130, "a SIGINT'd run exits 130, not %d: %r" % (rc, out[-1500:]))
    check("finishing" in out, "the Ctrl-C message was printed")
    check_clean_end(out, "sigint")
    node_lines_whole(scrolled(out), 40, "sigint")


def scenario_sigterm(tmp, env):
    out, rc = on_pty(short_args(tmp, "term", 40), env, until=running, then_signal=signal.SIGTERM)
    check(rc == 143, "a SIGTERM'd run exits 143, not %d: %r" % (rc, out[-1500:]))
    check_clean_end(out, "sigterm")


def scenario_resize(tmp, env):
    rows, cols = 16, 60
    out, rc = on_pty(short_args(tmp, "resize", 4), env, until=running,
                     then_signal=signal.SIGWINCH, resize=(rows, cols))
    check(rc == 0, "a resized run exits 0, not %d: %r" % (rc, out[-1500:]))
    bottoms = [int(m.group(2)) for m in RESERVE.finditer(out)]
    check(bottoms[0] == ROWS - 3 and rows - 3 in bottoms,
          "the block was reserved again for %d rows: regions %s" % (rows, bottoms))
    last = out.rfind("\x1b[1;%dr" % (rows - 3))
    later = [d for d in draws(out[last:])]
    check(later, "the block was drawn after the resize")
    for d in later:
        for l in block_lines(d):
            check(len(l) < cols, "a row wider than the resized terminal: %r" % l)
        check(all(int(r) > rows - 3 for r in re.findall(r"\x1b\[(\d+);1H", d)),
              "a draw after the resize writes above its block: %r" % d[:200])
    check_clean_end(out, "resize", rows)


def scenario_model(tmp, env):
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import e2e_run  # its candidate scripts and API key
    script = os.path.join(tmp, "script.json")
    with open(script, "w") as f:
        json.dump({"delay_all_ms": 2500, "replies_cycle": True,
                   "replies": [e2e_run.reply("Draft %d." % i, 1 + i, 0.5 + i) for i in range(4)]},
                  f)
    mock = subprocess.Popen(["/usr/bin/python3", os.path.join(e2e_run.SRC, "tests/llm/mock_llm.py"),
                             "--script", script], stdout=subprocess.PIPE, text=True)
    try:
        port = int(mock.stdout.readline().strip())
        env = dict(env, OPENAI_API_KEY=e2e_run.KEY)
        args = short_args(tmp, "model", 3) + ["--model", "openai:e2e-model", "--base-url",
                                            "http://127.0.0.1:%d/v1" % port]
        out, rc = on_pty(args, env)
    finally:
        mock.terminate()
        mock.wait()
        mock.stdout.close()
    check(rc == 0, "a run against the mock exits 0, not %d: %r" % (rc, out[-1500:]))
    check(e2e_run.KEY not in out, "the API key reached the terminal")
    rows = [l for d in draws(out) for l in block_lines(d)]
    waits = [l for l in rows if re.match(r"^  node \d+ +draft +waiting on the model +[12]s$", l)]
    check(waits, "no worker row waited on the model for a second or two: %r" % rows[-6:])
    check(any(re.search(r"\| [1-9]\d* tokens, ", l) for l in rows), "the summary counts tokens")
    check_clean_end(out, "model")


def scenario_plain(tmp, env):
    for every in ("1m", "1"):
        r = subprocess.run(short_args(tmp, "plain" + every, 3, "--set", "status_every=" + every),
                           capture_output=True, text=True, env=env, timeout=400)
        check(r.returncode == 0, "grove run to a pipe exits 0: %s" % r.stderr[-1000:])
        both = r.stdout + r.stderr
        check(ESC not in both, "an escape sequence in a piped run's output: %r"
              % both[max(0, both.find(ESC) - 200):both.find(ESC) + 200])
        node_lines_whole(r.stdout, 3, "plain")
        status = [l for l in r.stdout.split("\n") if l.startswith("status: ")]
        if every == "1m":
            check(not status, "a short run printed a minute's status line: %r" % status)
            continue
        check(status, "no plain status line a second: %r" % r.stdout[-1500:])
        line = re.compile(r"^status: nodes \d/3 done, \d running, \d left \| .* elapsed, .* left"
                          r" \| .*( \| node \d+ draft (running the script|grading) \d+s(;|$))+")
        check(any(line.match(l) for l in status), "the plain status lines: %r" % status[:3])


def scenario_quiet(tmp, env):
    out, rc = on_pty(short_args(tmp, "quiet", 3, "--quiet"), env)
    check(rc == 0, "grove run --quiet exits 0: %r" % out[-1500:])
    check(ESC not in out, "--quiet drew something: %r" % out[max(0, out.find(ESC) - 200):][:400])
    check(" done, " not in out and "status:" not in out, "--quiet printed a status")
    node_lines_whole(out, 3, "quiet")


def scenario_bench(tmp, env):
    ids = os.path.join(tmp, "ids.txt")
    with open(ids, "w") as f:
        f.write("grove-titanic\n")
    out, rc = on_pty([GROVE, "bench", ids, "--seeds", "2", "--jobs", "2", "--model",
                      "builtin:baseline", "--steps", "2", "--workers", "1", "--selection", "search",
                      "--out", os.path.join(tmp, "benches"), "--name", "b"], env)
    check(rc == 0, "grove bench on a pty exits 0, not %d: %r" % (rc, out[-2000:]))
    ds = [m.group(1) for m in DRAW.finditer(out) if "runs done" in m.group(1)]
    check(len(ds) >= 2, "the bench's line was drawn %d times: %r" % (len(ds), out[-1500:]))
    line = re.compile(r"^bench: \d+/2 runs done, \d+ running, \d+ left \| medals \d+ \(gold \d+, "
                      r"silver \d+, bronze \d+\) \| \d+\S* elapsed$")
    for d in ds:
        rows = block_lines(d)
        check(len(rows) == 1 and line.match(rows[0]), "the bench's live line: %r" % rows)
    after = check_clean_end(out, "bench")
    check(re.search(r"^bench: 2/2 runs done, 0 running, 0 left", after, re.M),
          "the final line stays as a plain line: %r" % after[-600:])


def main():
    which = sys.argv[1] if len(sys.argv) > 1 else "run"
    tmp = tempfile.mkdtemp(prefix="grove-status-")
    try:
        env = env_for(tmp)
        prepare(tmp, env)
        {"run": scenario_run, "sigint": scenario_sigint, "sigterm": scenario_sigterm,
         "model": scenario_model,
         "resize": scenario_resize, "plain": scenario_plain,
         "quiet": scenario_quiet, "bench": scenario_bench}[which](tmp, env)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("test_status_line %s: ok" % which)


if __name__ == "__main__":
    main()

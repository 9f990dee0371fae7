#!/usr/bin/python3
"""e2e_hardware.py: what grove run's scripts get of the machine.

    e2e_hardware.py gpus|memory|disk|nosandbox

  gpus       two fake GPUs (device nodes made with mknod: there is no GPU on
             the test machine; removed at the end, also on failure) and two
             workers whose scripts each hold the run for a while: every script
             sees exactly one /dev/nvidiaN and CUDA_VISIBLE_DEVICES=N, two
             scripts running at the same time never see the same GPU, both
             GPUs get used, and the prompt names the GPU. Then three workers
             on the two GPUs without --gpu-share: still never two scripts on
             one GPU at once.
  memory     a script that allocates more than --memory 200M is killed and its
             node says "out of memory (limit 200 MB)"; without --memory the
             banner and the prompt state the default cap per script.
  disk       a script that writes 32 MB into its workspace under a quota of
             8 MB is killed at once and its node says "disk quota exceeded".
  nosandbox  where bubblewrap cannot run (user namespaces exhausted inside an
             unprivileged namespace), holdout scoring is refused with a
             message saying what the scores would be worth and no run folder
             is made; --no-sandbox runs it, with that warning.

Runs the real grove binary against tests/llm/mock_llm.py (as e2e_run.py does).
"""
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import e2e_run  # noqa: E402
from e2e_run import Env, check, git, node_refs  # noqa: E402

GPU_SCRIPT = '''import os, time, shutil
start = time.time()
devs = sorted(d for d in os.listdir("/dev") if d.startswith("nvidia"))
time.sleep(1.5)
print("GPUSEEN", repr((os.environ.get("CUDA_VISIBLE_DEVICES"), devs, start, time.time())))
os.makedirs("submission", exist_ok=True)
shutil.copy("input/sample_submission.csv", "submission/submission.csv")
print("Validation score: 0.5")
'''

NODES = ["/dev/nvidia0", "/dev/nvidia1", "/dev/nvidiactl"]


def gpu_reply():
    return "Look at the GPUs.\n\n```python\n" + GPU_SCRIPT + "```\n"


def seen(run_dir):
    out = []
    for ref in node_refs(run_dir):
        text = git(run_dir, "show", "node/%d:output.txt" % ref)
        line = [l for l in text.splitlines() if l.startswith("GPUSEEN ")]
        check(line, "node %s printed what it saw:\n%s" % (ref, text))
        out.append(eval(line[0][len("GPUSEEN "):]))
    return out


def check_gpus(env, name, workers, steps):
    env.start_mock({"replies": [gpu_reply()], "replies_cycle": True})
    r = env.run(env.grove_args(name, steps, workers), timeout=600)
    print(r.stdout[-3000:], r.stderr[-2000:])
    check(r.returncode == 0, "grove run exits 0")
    check("1 GPU (NVIDIA GPU)" in r.stdout, "the banner names the GPU")
    rows = seen(os.path.join(env.runs, name))
    check(len(rows) == steps, "every node ran: %r" % rows)
    for cvd, devs, _, _ in rows:
        check(cvd in ("0", "1") and devs == ["nvidia" + cvd, "nvidiactl"],
              "exactly its own GPU: %r %r" % (cvd, devs))
    for i, a in enumerate(rows):
        for b in rows[i + 1:]:
            overlap = a[2] < b[3] and b[2] < a[3]
            check(not (overlap and a[0] == b[0]), "two scripts at once on GPU %s: %r %r" %
                  (a[0], a, b))
    env.close_mock()
    with open(env.record) as f:
        prompts = f.read()
    check("1 GPU (NVIDIA GPU)" in prompts, "the prompt tells the model its GPU")
    return rows


def gpus(env):
    for n in NODES:
        if os.path.exists(n):
            print("SKIP: %s exists (a real GPU machine)" % n)
            sys.exit(77)
    made = []
    try:
        for i, n in enumerate(NODES):
            minor = 255 if n.endswith("ctl") else i
            subprocess.run(["mknod", "-m", "666", n, "c", "195", str(minor)], check=True)
            made.append(n)
        rows = check_gpus(env, "two", 2, 4)
        check(len({r[0] for r in rows}) == 2, "both GPUs used: %r" % rows)
        check_gpus(env, "three", 3, 4)
    finally:
        for n in made:
            os.unlink(n)


MEM_SCRIPT = '''import shutil, os
os.makedirs("submission", exist_ok=True)
shutil.copy("input/sample_submission.csv", "submission/submission.csv")
blocks = []
for i in range(40):
    blocks.append(bytearray(20 << 20))  # touched: bytearray zero-fills
print("Validation score: 0.5")
'''


def memory(env):
    env.start_mock({"replies": ["Use memory.\n\n```python\n" + MEM_SCRIPT + "```\n"]})
    r = env.run(env.grove_args("mem", 1, 1, ["--memory", "200M"]), timeout=600)
    print(r.stdout[-3000:], r.stderr[-2000:])
    node = json.loads(git(os.path.join(env.runs, "mem"), "show", "node/0:node.json"))
    check(node.get("is_buggy") and "out of memory (limit 200 MB)" in (node.get("bug_reason") or ""),
          "the node says why: %r" % node)
    check("0.2 GB of memory" in r.stdout, "the banner states the cap")
    env.close_mock()
    # the default: a share of the machine's memory per worker
    env.start_mock({"replies": ["Copy.\n\n```python\n" + MEM_SCRIPT.replace("40", "1") + "```\n"]})
    r = env.run(env.grove_args("memdefault", 1, 2), timeout=600)
    check(r.returncode == 0, "grove run exits 0: " + r.stderr[-2000:])
    total = int([l for l in open("/proc/meminfo") if l.startswith("MemTotal:")][0].split()[1]) << 10
    cap = (total - max(total // 8, 1 << 30)) // 2
    want = "%.1f GB of memory" % (cap / (1 << 30))
    check(want in r.stdout, "default cap %s in the banner:\n%s" % (want, r.stdout))
    env.close_mock()
    with open(env.record) as f:
        check(want in f.read(), "the prompt states the cap")


DISK_SCRIPT = '''import time
for i in range(8):
    open("working/chunk%d" % i, "wb").write(b"x" * (4 << 20))
time.sleep(30)
'''


def disk(env):
    env.start_mock({"replies": ["Fill the disk.\n\n```python\n" + DISK_SCRIPT + "```\n"]})
    r = env.run(env.grove_args("disk", 1, 1, ["--set", "exec.disk_limit_mb=8"]), timeout=600)
    print(r.stdout[-3000:], r.stderr[-2000:])
    node = json.loads(git(os.path.join(env.runs, "disk"), "show", "node/0:node.json"))
    check(node.get("is_buggy") and "disk quota exceeded" in (node.get("bug_reason") or "")
          and "limit 8 MB" in node.get("bug_reason"), "the node says why: %r" % node)
    check(node.get("exec_time", 99) < 10, "killed at once, not at the timeout: %r" % node)


def nosandbox(env):
    # user namespaces exhausted: bwrap cannot run; grove runs as root of an
    # unprivileged user namespace, the way a container without them would
    wrap = ["unshare", "--user", "--map-root-user", "sh", "-c",
            'echo 0 > /proc/sys/user/max_user_namespaces && exec "$@"', "sh"]
    env.start_mock({"replies": [e2e_run.reply("baseline")]})
    r = env.run(wrap + env.grove_args("refused", 1, 1), timeout=600)
    print(r.stdout[-2000:], r.stderr[-2000:])
    check(r.returncode != 0, "holdout scoring without a sandbox is refused")
    check("--no-sandbox" in r.stderr and "worth nothing" in r.stderr, "the message says why")
    check(not os.path.exists(os.path.join(env.runs, "refused")), "no run folder is made")
    r = env.run(wrap + env.grove_args("allowed", 1, 1, ["--no-sandbox"]), timeout=600)
    print(r.stdout[-2000:], r.stderr[-2000:])
    check(r.returncode == 0, "--no-sandbox runs it")
    check("only as honest as the script" in r.stderr, "and says what the scores are worth")


def main():
    scenario = sys.argv[1]
    env = Env(outside_tmp=True)
    try:
        {"gpus": gpus, "memory": memory, "disk": disk, "nosandbox": nosandbox}[scenario](env)
    finally:
        env.close()
    print("e2e_hardware %s: ok" % scenario)


if __name__ == "__main__":
    main()

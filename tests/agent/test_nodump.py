#!/usr/bin/python3
"""test_nodump.py: a process of grove's own uid (a candidate run without the
sandbox) cannot read grove's environment or memory, where the API key lives:
grove makes itself non-dumpable. Run as root, grove and the reader both drop
to uid 65534 first (root would read anything).

    GROVE_BIN=... test_nodump.py
"""
import os
import socket
import subprocess
import sys
import time

GROVE = os.environ["GROVE_BIN"]
KEY = "sk-nodump-0123456789abcdef"


def as_nobody():
    os.setgroups([])
    os.setgid(65534)
    os.setuid(65534)


def main():
    drop = as_nobody if os.getuid() == 0 else None
    try:
        subprocess.run([GROVE, "version"], preexec_fn=drop, capture_output=True, check=True)
    except (OSError, subprocess.CalledProcessError) as e:
        print("SKIP: uid %d cannot run %s (%s)" % (65534 if drop else os.getuid(), GROVE, e))
        sys.exit(77)
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)  # accepts, never answers: grove waits on its request
    port = srv.getsockname()[1]
    env = {"PATH": "/usr/bin:/bin", "OPENAI_API_KEY": KEY}
    p = subprocess.Popen([GROVE, "llm", "ping", "--model", "openai:x", "--base-url",
                          "http://127.0.0.1:%d/v1" % port], env=env, preexec_fn=drop,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        srv.settimeout(10)
        conn, _ = srv.accept()  # grove is up, with the key in its environment
        reader = ("import sys\ntry:\n    d = open('/proc/%d/environ', 'rb').read()\n"
                  "except OSError as e:\n    print('denied', e.errno); sys.exit(0)\n"
                  "print('LEAK' if b'%s' in d else 'read, no key')\n" % (p.pid, KEY))
        r = subprocess.run(["/usr/bin/python3", "-c", reader], preexec_fn=drop,
                           capture_output=True, text=True, timeout=30)
        out = r.stdout.strip()
        print("same-uid reader of /proc/%d/environ: %s" % (p.pid, out))
        conn.close()
    finally:
        p.kill()
        p.wait()
    if not out.startswith("denied"):
        print("FAIL: grove's environment is readable by its own uid")
        sys.exit(1)
    print("ok")


main()

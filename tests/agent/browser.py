"""browser.py: open a page in Debian's headless Chromium, with no network.

Chromium runs inside its own network namespace (`unshare -n`: it can reach
no address, not even the host's loopback) and with every host name mapped
to nothing, so a page that tried to fetch anything would fail to, and the
test would see it. A missing file still exits 0, so callers assert on the
DOM. JavaScript errors and console messages of the page itself (file://
sources; Chromium's own chrome:// pages log too) come back as `console`.
"""
import html.parser
import os
import shutil
import subprocess
import time

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
         "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost",
         "--enable-logging=stderr", "--v=0"]


def chromium():
    path = shutil.which("chromium")
    if not path:
        raise SystemExit("FAIL: no chromium on PATH (scripts/setup --browser installs it)")
    return path


def run(url, *extra, timeout=120):
    """(stdout, console lines of the page, seconds) for one Chromium call."""
    t0 = time.time()
    r = subprocess.run(["unshare", "-n", chromium()] + FLAGS + list(extra) + [url],
                       capture_output=True, text=True, timeout=timeout, errors="replace")
    took = time.time() - t0
    console = [l for l in r.stderr.splitlines()
               if ":CONSOLE" in l and "source: chrome://" not in l]
    return r.stdout, console, took


def dump_dom(url):
    return run(url, "--dump-dom")


def screenshot(url, png, size="1400,1800"):
    os.makedirs(os.path.dirname(png), exist_ok=True)
    if os.path.exists(png):
        os.unlink(png)
    _, console, _ = run(url, "--hide-scrollbars", "--window-size=" + size, "--screenshot=" + png)
    return console


class Dom(html.parser.HTMLParser):
    """Elements with an id, their attributes and their text (script and
    style contents left out: they hold the page's code and data, not what it
    shows)."""

    def __init__(self, text):
        super().__init__(convert_charrefs=True)
        self.by_id, self.stack, self.skip, self.tags = {}, [], 0, []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append((tag, a))
        if tag in ("script", "style"):
            self.skip += 1
        node = {"tag": tag, "attrs": a, "text": []}
        if "id" in a:
            self.by_id[a["id"]] = node
        if tag not in ("br", "input", "meta", "img", "link", "hr"):
            self.stack.append(node)

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self.skip -= 1
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i]["tag"] == tag:
                del self.stack[i:]
                break

    def handle_data(self, data):
        if self.skip:
            return
        for node in self.stack:
            node["text"].append(data)

    def text(self, id_):
        node = self.by_id.get(id_)
        return "".join(node["text"]) if node else None

    def attr(self, id_, name):
        node = self.by_id.get(id_)
        return node["attrs"].get(name) if node else None

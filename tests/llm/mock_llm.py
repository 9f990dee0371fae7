#!/usr/bin/python3
"""mock_llm.py: a scriptable LLM server speaking OpenAI Chat Completions and
the Anthropic Messages API, for grove's tests. Standard library only.

    /usr/bin/python3 mock_llm.py [--script SCRIPT.json] [--record REQUESTS.jsonl]

Listens on 127.0.0.1 on a free port and prints the port alone on stdout's
first line (then flushes), so a test can read it and connect. Stops on
SIGTERM/SIGINT.

Endpoints: POST /v1/chat/completions (OpenAI; also served at
/chat/completions) and POST /v1/messages (Anthropic). The protocol of a reply
follows the path.

Script (JSON object; every key optional):

  {
    "delay_all_ms": 200,          # sleep before every answer (concurrency tests)
    "routes": {                   # per-path queues, consumed in order
      "/v1/chat/completions": [STEP, ...],
      "/v1/messages": [STEP, ...]
    },
    "replies": [REPLY, ...],      # after a path's queue is empty: these, in
                                  # order, for ANY request (either protocol) --
                                  # the way to drive a scripted agent run
    "replies_cycle": false        # true: start "replies" over when used up
  }

When both are used up, the answer is a default echo in the path's protocol:
text "echo: <last user message>", or, when the request forces a function,
a call of that function with arguments {"echo": "<last user message>"}.

STEP (one HTTP answer):
  status        HTTP status (default 200)
  headers       {"Retry-After": "1", ...} extra response headers
  json          a body to send as JSON, verbatim
  body          a body to send as a raw string (HTML pages, broken JSON)
  text          reply text, wrapped in the path's protocol (as REPLY)
  function_args reply function-call arguments (object), wrapped (as REPLY)
  raw_arguments reply a function call whose arguments are this string sent
                 as is (malformed JSON: "{\"is_bug\": tru"); OpenAI's
                 arguments are a JSON-encoded string, so only it can carry
                 text that does not parse
  usage         {"input": N, "output": N, "cached": N, "reasoning": N,
                 "cache_write": N} token counts for a wrapped reply
  delay_s       sleep this long before answering (timeouts)
  drop_mid_body true: announce the full Content-Length, send half the body,
                 close the connection
  reset_mid_body true: as drop_mid_body, but abort with a TCP reset (RST)
  drip_s        send the body one byte every drip_s seconds (stall tests)
  silent        true: read the request, then answer nothing, ever (the
                 connection stays open until the client gives up)
  gzip          true: gzip the body and say so (Content-Encoding: gzip)
  pad_bytes     append this many spaces to the body (huge replies)
  repeat        serve this step N times (default 1)
  latin1        true: send a wrapped reply as Latin-1 bytes, not UTF-8 (a
                 reply holding bytes that are not UTF-8; text must be Latin-1)

REPLY (for "replies"): a string (reply text), or an object with text,
function_args and usage as in STEP (wrapped in the request's protocol).

Validation: like the real APIs, a request body that is not valid UTF-8 JSON
is answered 400 invalid_request_error (and recorded with "invalid_utf8": true
and the body as text with the bad bytes replaced). An Anthropic request whose messages hold an
empty or whitespace-only content (any but the final assistant turn, which
may be empty but not end in whitespace) is answered 400 invalid_request_error
before any scripted step is used.

Recording: with --record, every request is appended as one JSON line
{"path", "headers" (names lower-cased), "body" (parsed JSON, or the raw
string), "client_port", "time"} before it is answered, so a test can check
what was sent (the key in the auth header, tool_choice's shape, ...) and
whether connections were reused (same client_port).
"""
import argparse
import json
import gzip
import signal
import socket
import struct
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

OPENAI_PATHS = ("/v1/chat/completions", "/chat/completions")
ANTHROPIC_PATHS = ("/v1/messages", "/messages")


class Script:
    """The queues, shared by the server's threads under one lock."""

    def __init__(self, data):
        self.lock = threading.Lock()
        self.delay_all = float(data.get("delay_all_ms", 0)) / 1000.0
        self.routes = {}
        for path, steps in data.get("routes", {}).items():
            queue = []
            for step in steps:
                queue.extend([step] * int(step.get("repeat", 1)))
            self.routes[path] = queue
        self.replies = list(data.get("replies", []))
        self.cycle = bool(data.get("replies_cycle", False))
        self.next_reply = 0

    def next_step(self, path):
        with self.lock:
            queue = self.routes.get(path)
            if queue:
                return queue.pop(0)
            if self.replies and (self.next_reply < len(self.replies) or self.cycle):
                reply = self.replies[self.next_reply % len(self.replies)]
                self.next_reply += 1
                return {"text": reply} if isinstance(reply, str) else dict(reply)
            return None


def last_user_text(req):
    for msg in reversed(req.get("messages", []) if isinstance(req, dict) else []):
        if msg.get("role") == "user":
            content = msg.get("content")
            if isinstance(content, list):
                return " ".join(b.get("text", "") for b in content if isinstance(b, dict))
            return str(content)
    return ""


def forced_function(req, anthropic):
    choice = req.get("tool_choice") if isinstance(req, dict) else None
    if not isinstance(choice, dict):
        return None
    if anthropic:
        return choice.get("name") if choice.get("type") == "tool" else None
    fn = choice.get("function")
    return fn.get("name") if isinstance(fn, dict) else None


def wrap(step, req, anthropic):
    """A reply object in the request's protocol."""
    usage = step.get("usage", {})
    n_in, n_out = usage.get("input", 11), usage.get("output", 7)
    model = req.get("model", "mock") if isinstance(req, dict) else "mock"
    fname = forced_function(req, anthropic) or "answer"
    args = step.get("function_args")
    raw_args = step.get("raw_arguments")
    if raw_args is not None and args is None:
        args = {}
    text = step.get("text")
    if anthropic:
        blocks = []
        if text is not None:
            blocks.append({"type": "text", "text": text})
        if args is not None:
            blocks.append({"type": "tool_use", "id": "toolu_mock", "name": fname, "input": args})
        return {"id": "msg_mock", "type": "message", "role": "assistant", "model": model,
                "content": blocks,
                "stop_reason": "tool_use" if args is not None else "end_turn",
                "stop_sequence": None,
                "usage": {"input_tokens": n_in, "output_tokens": n_out,
                          "cache_creation_input_tokens": usage.get("cache_write", 0),
                          "cache_read_input_tokens": usage.get("cached", 0)}}
    message = {"role": "assistant", "content": text}
    if args is not None:
        message["tool_calls"] = [{"id": "call_mock", "type": "function",
                                  "function": {"name": fname,
                                               "arguments": raw_args if raw_args is not None
                                               else json.dumps(args)}}]
    return {"id": "chatcmpl-mock", "object": "chat.completion", "created": int(time.time()),
            "model": model,
            "choices": [{"index": 0, "message": message,
                         "finish_reason": "tool_calls" if args is not None else "stop"}],
            "usage": {"prompt_tokens": n_in, "completion_tokens": n_out,
                      "total_tokens": n_in + n_out,
                      "prompt_tokens_details": {"cached_tokens": usage.get("cached", 0)},
                      "completion_tokens_details":
                          {"reasoning_tokens": usage.get("reasoning", 0)}}}


def anthropic_invalid(req):
    """The message the Messages API gives a request it rejects for its
    content, or None. It wants every turn non-empty (text blocks with
    non-whitespace text) except an optional final assistant prefill, which
    must not end in whitespace."""
    msgs = req.get("messages", []) if isinstance(req, dict) else []
    for i, msg in enumerate(msgs):
        content = msg.get("content") if isinstance(msg, dict) else None
        if isinstance(content, list):
            content = "".join(b.get("text", "") for b in content if isinstance(b, dict))
        content = content if isinstance(content, str) else ""
        final_prefill = i == len(msgs) - 1 and msg.get("role") == "assistant"
        if final_prefill:
            if content != content.rstrip():
                return ("messages: final assistant content cannot end with trailing "
                        "whitespace")
        elif not content:
            return ("messages.%d: all messages must have non-empty content except for the "
                    "optional final assistant message" % i)
        elif not content.strip():
            return "messages: text content blocks must contain non-whitespace text"
    return None


def echo_step(req, anthropic):
    said = "echo: " + last_user_text(req)
    if forced_function(req, anthropic):
        return {"function_args": {"echo": said}}
    return {"text": said}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, so clients can reuse connections
    script = None
    record = None
    record_lock = threading.Lock()

    def log_message(self, fmt, *args):
        pass

    def do_POST(self):
        n = int(self.headers.get("Content-Length", 0) or 0)
        data = self.rfile.read(n)
        try:
            raw, bad_utf8 = data.decode("utf-8"), False
        except UnicodeDecodeError:
            raw, bad_utf8 = data.decode("utf-8", "replace"), True
        try:
            req = json.loads(raw)
        except ValueError:
            req = raw
        path = self.path.split("?", 1)[0]
        if self.record:
            line = {"path": path, "headers": {k.lower(): v for k, v in self.headers.items()},
                    "body": req, "client_port": self.client_address[1], "time": time.time(),
                    "invalid_utf8": bad_utf8}
            with self.record_lock, open(self.record, "a") as f:
                f.write(json.dumps(line) + "\n")
        anthropic = path in ANTHROPIC_PATHS
        if bad_utf8:  # as the providers do: the body must be UTF-8 JSON text
            self.answer({"status": 400, "json": {"error": {
                "message": "The request body is not valid UTF-8 JSON",
                "type": "invalid_request_error"}}}, req, anthropic)
            return
        if path not in OPENAI_PATHS + ANTHROPIC_PATHS:
            self.answer({"status": 404, "json": {"error": {"message": "no route " + path}}},
                        req, anthropic)
            return
        invalid = anthropic_invalid(req) if anthropic else None
        if invalid:
            self.answer({"status": 400, "json": {"type": "error", "error": {
                "type": "invalid_request_error", "message": invalid}}}, req, anthropic)
            return
        step = self.script.next_step(path) or echo_step(req, anthropic)
        if self.script.delay_all:
            time.sleep(self.script.delay_all)
        self.answer(step, req, anthropic)

    def answer(self, step, req, anthropic):
        time.sleep(float(step.get("delay_s", 0)))
        if step.get("silent"):
            while True:  # hold the connection open and say nothing
                time.sleep(60)
        if "body" in step:
            body = step["body"].encode()
            ctype = "text/html" if body.lstrip().startswith(b"<") else "application/json"
        else:
            obj = step["json"] if "json" in step else wrap(step, req, anthropic)
            latin1 = step.get("latin1")
            body = json.dumps(obj, ensure_ascii=not latin1).encode("latin-1" if latin1 else "utf-8")
            ctype = "application/json"
        body += b" " * int(step.get("pad_bytes", 0))
        self.send_response(int(step.get("status", 200)))
        self.send_header("Content-Type", ctype)
        if step.get("gzip"):
            body = gzip.compress(body)
            self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        for k, v in step.get("headers", {}).items():
            self.send_header(k, str(v))
        self.end_headers()
        if step.get("drop_mid_body") or step.get("reset_mid_body"):
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            if step.get("reset_mid_body"):  # linger 0: close() sends RST, no FIN
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                           struct.pack("ii", 1, 0))
                self.connection.close()
            self.close_connection = True
            return
        if step.get("drip_s"):
            for i in range(len(body)):
                self.wfile.write(body[i:i + 1])
                self.wfile.flush()
                time.sleep(float(step["drip_s"]))
            return
        self.wfile.write(body)


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # a client that gave up mid-drip is the point of the test, not news


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--script", help="JSON script (see the top of this file)")
    ap.add_argument("--record", help="append every received request here (JSON lines)")
    args = ap.parse_args()
    data = {}
    if args.script:
        with open(args.script) as f:
            data = json.load(f)
    Handler.script = Script(data)
    Handler.record = args.record
    server = Server(("127.0.0.1", 0), Handler)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(server.server_address[1], flush=True)
    try:
        server.serve_forever()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()

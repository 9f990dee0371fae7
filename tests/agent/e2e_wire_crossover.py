#!/usr/bin/python3
"""e2e_wire_crossover.py: the crossover prompt (prompts/templates/crossover.txt)
on the wire of both protocols, against tests/llm/mock_llm.py (issue 16 item 5).

`grove run --policy evolutionary` with crossover_rate 1 sends crossover
requests; every request the mock recorded is checked against the provider's
published request schema (OpenAI Chat Completions: roles, non-empty string
contents, the system message first, max_tokens, the bearer key; Anthropic
Messages: x-api-key and anthropic-version, a top-level system, user first and
turns alternating, non-empty text blocks, max_tokens), and the crossover
request's prompt shows both parents' code. The mock's replies are real
scripts, so the run goes on past the crossover and ends with a final
submission: the replies to the new prompt pass like any other.

usage: e2e_wire_crossover.py openai|anthropic (meson passes GROVE_BIN, GROVE_SRC)
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import e2e_run  # noqa: E402  (the mock harness and the candidate script)
from e2e_run import KEY, check, reply  # noqa: E402

OPENAI_BODY = {"model", "messages", "max_tokens", "max_completion_tokens", "temperature",
               "seed", "tools", "tool_choice", "reasoning_effort", "stream", "stream_options"}
ANTHROPIC_BODY = {"model", "messages", "max_tokens", "system", "temperature", "tools",
                  "tool_choice", "thinking", "metadata", "stop_sequences", "stream"}


def text_of(content):
    if isinstance(content, str):
        return content
    check(isinstance(content, list), "content is a string or a list of blocks: %r" % content)
    for b in content:
        check(b.get("type") == "text" and isinstance(b.get("text"), str),
              "a content block is {type: text, text: ...}: %r" % b)
    return "".join(b["text"] for b in content)


def check_openai(req):
    check(req["path"] in ("/v1/chat/completions", "/chat/completions"), "path %s" % req["path"])
    check(req["headers"].get("authorization") == "Bearer " + KEY, "the bearer key is sent")
    body = req["body"]
    check(set(body) <= OPENAI_BODY, "unknown body fields: %s" % (set(body) - OPENAI_BODY))
    check(body["model"] == "e2e-model", "model")
    check(isinstance(body.get("max_tokens", body.get("max_completion_tokens")), int),
          "max_tokens is an integer")
    msgs = body["messages"]
    check(msgs and msgs[0]["role"] in ("system", "developer"), "the system message comes first")
    for m in msgs:
        check(set(m) == {"role", "content"}, "a message has role and content: %s" % set(m))
        check(m["role"] in ("system", "developer", "user", "assistant"), "role %s" % m["role"])
        check(isinstance(m["content"], str) and m["content"].strip(), "non-empty string content")
    return msgs[-1]["content"]


def check_anthropic(req):
    check(req["path"] == "/v1/messages", "path %s" % req["path"])
    h = req["headers"]
    check(h.get("x-api-key") == KEY and "authorization" not in h, "the key is x-api-key only")
    check(h.get("anthropic-version") == "2023-06-01", "anthropic-version")
    body = req["body"]
    check(set(body) <= ANTHROPIC_BODY, "unknown body fields: %s" % (set(body) - ANTHROPIC_BODY))
    check(isinstance(body["max_tokens"], int) and body["max_tokens"] > 0, "max_tokens")
    check(text_of(body["system"]).strip(), "a top-level system prompt")
    t = body.get("temperature")
    check(t is None or 0 <= t <= 1, "temperature within Anthropic's [0, 1]: %r" % t)
    msgs = body["messages"]
    for i, m in enumerate(msgs):
        check(set(m) == {"role", "content"}, "a message has role and content: %s" % set(m))
        check(m["role"] == ("user" if i % 2 == 0 else "assistant"),
              "turns alternate, user first: %s" % [x["role"] for x in msgs])
        check(text_of(m["content"]).strip(), "non-empty text in turn %d" % i)
    return text_of(msgs[-1]["content"])


def main():
    proto = sys.argv[1]
    env = e2e_run.Env()
    try:
        # distinct scripts (no duplicate is run twice), each a valid solution
        replies = [{"text": reply("Plan %d: logistic regression, %d features, C=%g."
                                  % (i, 2 + i % 4, 0.25 * (i + 1)), nfeat=2 + i % 4,
                                  c=0.25 * (i + 1))} for i in range(8)]
        env.start_mock({"replies": replies})
        args = env.grove_args("wire", 4, 1, ["--policy", "evolutionary",
                                             "--set", "search.num_drafts=2",
                                             "--set", "search.crossover_rate=1",
                                             "--set", "search.debug_prob=0",
                                             "--set", "search.exploit_after=1",
                                             "--ensemble", "false"])
        if proto == "anthropic":
            i = args.index("--model")
            args[i + 1] = "anthropic:claude-sonnet-4-5"
            i = args.index("--base-url")
            args[i + 1] = "http://127.0.0.1:%d" % env.port
        e = env.env()
        if proto == "anthropic":
            e["ANTHROPIC_API_KEY"] = e.pop("OPENAI_API_KEY")
        r = e2e_run.subprocess.run(args, capture_output=True, text=True, env=e, timeout=600)
        print(r.stdout[-2000:], r.stderr[-1500:])
        check(r.returncode == 0, "the run succeeds")
        run_dir = os.path.join(env.runs, "wire")
        nodes = {n["id"]: n for n in
                 json.load(open(os.path.join(run_dir, "journal.json")))["nodes"]}
        cross = [n for n in nodes.values() if n["stage"] == "crossover"]
        check(cross, "crossover nodes: %s" % [(n["id"], n["stage"]) for n in nodes.values()])
        reqs = [json.loads(line) for line in open(env.record)]
        check(len(reqs) == 4, "one request per node: %d" % len(reqs))
        crossover_prompts = []
        for q in reqs:
            prompt = check_openai(q) if proto == "openai" else check_anthropic(q)
            if "merge them" in prompt:
                crossover_prompts.append(prompt)
        check(len(crossover_prompts) == len(cross),
              "%d crossover requests for %d crossover nodes" % (len(crossover_prompts),
                                                                 len(cross)))
        n = cross[0]
        for p in (n["parent"], n["parent2"]):
            line = [x for x in nodes[p]["code"].splitlines() if "LogisticRegression(C=" in x][0]
            check(line in crossover_prompts[0], "the crossover prompt shows parent %d's code" % p)
        check(os.path.exists(os.path.join(run_dir, "best", "submission.csv")),
              "the run ends with a final submission")
    finally:
        env.close()
    print("e2e_wire_crossover %s: ok" % proto)


if __name__ == "__main__":
    main()

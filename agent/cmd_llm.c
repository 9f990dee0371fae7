/*
 * cmd_llm.c: `grove llm ping`: one short exchange with an endpoint, to check
 * a key, a base URL and a model before a long run depends on them.
 *
 * Prints the reply, the latency and attempts, the tokens and the cost (or
 * "unknown" when the model is not in the price table), or the exact reason
 * the exchange failed (the endpoint URL and the server's own message).
 */
#include "commands.h"
#include "config.h"
#include "llm.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char summary_llm[] = "check an LLM endpoint with one short exchange";
const char usage_llm[] =
    "usage: grove llm ping --model PROVIDER:MODEL [--base-url URL] [--api-key-env VAR]\n"
    "                      [--timeout SECONDS] [--prices FILE] [--log FILE]\n\n"
    "Sends one short request and prints the reply, latency, tokens and cost, or\n"
    "the exact reason it failed.\n\n"
    "  --model        openai:MODEL, anthropic:MODEL, builtin (offline: no network, so\n"
    "                 nothing to check) or replay:PATH/llm.jsonl\n"
    "  --base-url     endpoint base (openai default https://api.openai.com/v1;\n"
    "                 anthropic default https://api.anthropic.com); any\n"
    "                 OpenAI-compatible server works: vLLM, llama.cpp, Ollama, ...\n"
    "  --api-key-env  variable holding the key (default OPENAI_API_KEY or\n"
    "                 ANTHROPIC_API_KEY)\n"
    "  --timeout      total time for the exchange, retries included: seconds, or\n"
    "                 30s, 2m (default 60)\n"
    "  --prices       price table overriding the built-in one (JSON)\n"
    "  --log          append the exchange to this llm.jsonl (key redacted)\n";

static int parse_args(int argc, char **argv, llm_config *cfg)
{
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        const char **dst = !strcmp(a, "--model") ? &cfg->spec
                         : !strcmp(a, "--base-url") ? &cfg->base_url
                         : !strcmp(a, "--api-key-env") ? &cfg->api_key_env
                         : !strcmp(a, "--prices") ? &cfg->prices_path
                         : !strcmp(a, "--log") ? &cfg->log_path : NULL;
        if (!strcmp(a, "--timeout") && v) {
            cfg->total_timeout_s = config_parse_duration(v);
            if (cfg->total_timeout_s <= 0) {
                fprintf(stderr, "grove llm ping: --timeout '%s' is not a positive number of "
                        "seconds or a duration like 30s, 2m\n", v);
                return -1;
            }
        } else if (dst && v) {
            *dst = v;
        } else {
            fprintf(stderr, "grove llm ping: %s '%s'\n",
                    dst || !strcmp(a, "--timeout") ? "missing value for" : "unknown option", a);
            return -1;
        }
        i++;
    }
    if (!cfg->spec) {
        fprintf(stderr, "grove llm ping: --model PROVIDER:MODEL is required\n");
        return -1;
    }
    return 0;
}

static void print_result(const llm_config *cfg, const llm_response *r)
{
    const char *reply = r->text ? r->text : "";
    printf("reply:    %s\n", *reply ? reply : "(empty)");
    /* the base URL without its query, which may hold a key */
    const char *base = cfg->base_url ? cfg->base_url : "";
    size_t shown = strcspn(base, "?");
    printf("model:    %s%s%.*s%s\n", cfg->spec, *base ? " at " : "", (int)shown, base,
           base[shown] ? "?..." : "");
    printf("latency:  %.2f s (%d attempt%s)\n", r->latency_s, r->attempts,
           r->attempts == 1 ? "" : "s");
    printf("tokens:   in %ld (cached %ld), out %ld (reasoning %ld)\n", r->usage.input_tokens,
           r->usage.cached_tokens, r->usage.output_tokens, r->usage.reasoning_tokens);
    if (r->usage.cost_known)
        printf("cost:     $%.6f\n", r->usage.cost_usd);
    else
        printf("cost:     unknown (model not in the price table; see --prices)\n");
}

int cmd_llm(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "ping") != 0)
        return cmd_usage("llm", 1);
    llm_config cfg = {0};
    cfg.total_timeout_s = 60;
    cfg.max_attempts = 3;
    cfg.max_retry_wait_s = 30;
    if (parse_args(argc, argv, &cfg) < 0)
        return 2;
    if (llm_spec_is_builtin(cfg.spec)) {
        /* nothing to reach: it answers grove run's requests from templates */
        printf("model:    %s: the builtin offline baseline coder, not an LLM\n"
               "reply:    none needed: it uses no network and no key, and is always ready\n",
               cfg.spec);
        return 0;
    }
    llm_message msgs[] = {
        {LLM_SYSTEM, "You are a health check. Answer with one word."},
        {LLM_USER, "Reply with the single word: pong"},
    };
    llm_request req = {0};
    req.messages = msgs;
    req.n_messages = 2;
    req.temperature = -1;
    req.max_output_tokens = 1024; /* room for a reasoning model to think */
    req.tag = "ping";
    llm_response *r = NULL;
    if (llm_complete_sync(&cfg, &req, &r) < 0) {
        fprintf(stderr, "grove llm ping: %s\n", err_last());
        llm_response_free(r);
        return 1;
    }
    int rc = 0;
    if (!r || !r->ok) {
        fprintf(stderr, "grove llm ping: %s\n", r && r->error ? r->error : "no reply");
        rc = 1;
    } else {
        print_result(&cfg, r);
    }
    llm_response_free(r);
    return rc;
}

/*
 * llm.h: any LLM endpoint behind one provider-neutral, asynchronous API.
 *
 * A client is made from a spec "PROVIDER:MODEL" (openai, anthropic, builtin,
 * replay) plus options, and submits requests on the caller's libuv loop:
 * libcurl's multi interface is driven by libuv socket and timer callbacks, so
 * many requests are in flight at once with no threads. Retries are bounded,
 * with exponential backoff, full jitter and Retry-After. Every exchange is
 * appended (redacted: no key, no auth header) to the client's llm.jsonl.
 */
#ifndef GROVE_LLM_H
#define GROVE_LLM_H

#include <cjson/cJSON.h>
#include <stddef.h>
#include <uv.h>

typedef enum llm_role { LLM_SYSTEM, LLM_USER, LLM_ASSISTANT } llm_role;

typedef struct llm_message {
    llm_role role;
    const char *content;
} llm_message;

/* What identifies an exchange within a run, whatever its prompt says (the
 * prompts carry the time left, which differs from one run to the next):
 * written to llm.jsonl as "exchange", and what replay matches on. */
typedef struct llm_exchange {
    const char *client;   /* "coder" or "feedback" */
    const char *action;   /* "draft", "improve", "debug" or "review" */
    int node;             /* the node's id */
    int parent;           /* its parent's id, -1 for a draft */
    int ask;              /* 0 for the first ask; n for the n-th ask again of the
                             same node and action (no code block, text review) */
} llm_exchange;

typedef struct llm_request {
    const llm_message *messages; /* in order; system messages anywhere are merged */
    size_t n_messages;
    double temperature;          /* < 0: provider default (and never sent to
                                    models that refuse it) */
    int max_output_tokens;       /* 0: the client's default */
    /* Optional forced function call: the reply's arguments come back in
     * llm_response.func_args. NULL name: plain text. */
    const char *func_name;
    const char *func_description;
    const cJSON *func_schema;    /* JSON schema of the arguments */
    /* Structured context for providers that are not LLMs (builtin coder) and
     * for the log: {"action": "draft|improve|debug|review", "node": 12,
     * "competition": {...}, "parent_code": "...", ...}. May be NULL. */
    const cJSON *context;
    const char *tag;             /* short label for the log ("node 12 draft") */
    const llm_exchange *exchange;/* NULL: replay matches the whole request's hash */
} llm_request;

typedef struct llm_usage {
    long input_tokens;      /* every prompt token, cached ones included (for
                               anthropic: input + cache writes + cache reads) */
    long output_tokens;     /* every completion token, reasoning included */
    long cached_tokens;     /* cache reads (and writes for anthropic), where reported */
    long cache_write_tokens;/* the part of cached_tokens written to the cache
                               (anthropic), priced apart */
    long reasoning_tokens;  /* where reported */
    double cost_usd;        /* valid only when cost_known */
    int cost_known;         /* 0: model not in the price table ("unknown", never 0) */
} llm_usage;

typedef struct llm_response {
    int ok;                 /* 1: text/func_args valid; 0: see error */
    char *text;             /* reply text (may be "" for a pure function call) */
    cJSON *func_args;       /* parsed arguments of the forced function, or NULL */
    char *finish_reason;    /* provider's own word ("stop", "end_turn", "length"...) */
    llm_usage usage;
    double latency_s;       /* from submit to completion, retries included */
    int attempts;           /* HTTP attempts made */
    int http_status;        /* last status, 0 when none */
    char *error;            /* NULL when ok; else names the endpoint and the server's message */
    int tools_unsupported;  /* the endpoint refused the tools/function request */
} llm_response;

typedef struct llm_config {
    const char *spec;            /* "openai:gpt-4o", "anthropic:claude-...",
                                    "builtin:baseline", "replay:PATH/llm.jsonl" */
    const char *base_url;        /* NULL: the provider's default */
    const char *api_key_env;     /* NULL: OPENAI_API_KEY / ANTHROPIC_API_KEY */
    const char *log_path;        /* llm.jsonl to append to; NULL: no log */
    const char *prices_path;     /* price table override (JSON); NULL: built-in */
    const char *reasoning_effort;/* NULL: the model's default setting */
    int max_attempts;            /* 0: default 6 */
    double max_retry_wait_s;     /* cap on total backoff wait; 0: default 120 */
    double retry_base_s;         /* first backoff step (full jitter below
                                    base * 2^n); 0: default 1 */
    double connect_timeout_s;    /* 0: default 30 */
    double total_timeout_s;      /* the whole request, every attempt and every
                                    wait between them included; 0: default 600 */
    double stall_timeout_s;      /* under 1 KB/s (silence or a drip) for this
                                    long aborts; 0: default 300, as a reply
                                    sends nothing while it is generated (8192
                                    tokens at 40/s is 200 s); reasoning
                                    models: the total timeout, as they also
                                    think first */
    int default_max_tokens;      /* 0: default 8192 */
    unsigned long seed;          /* jitter RNG and the builtin coder */
} llm_config;

typedef struct llm_client llm_client;

/* Called once per request on the loop thread. The callback owns `resp` and
 * frees it with llm_response_free(). */
typedef void (*llm_done_cb)(llm_response *resp, void *data);

/* Make a client. Fails (< 0, err_last() set) on an unknown provider, a
 * missing key for a provider that needs one, a bad base URL, an unreadable
 * replay log or price table. */
int llm_client_new(llm_client **out, uv_loop_t *loop, const llm_config *cfg);
/* Free the client; requests still in flight complete with an error first. */
void llm_client_free(llm_client *c);

/* Queue a request. The request and everything it points to may be freed
 * once this returns (it is copied). < 0 only for invalid requests. */
int llm_submit(llm_client *c, const llm_request *req, llm_done_cb cb, void *data);

/* Run one request to completion on a private loop (CLI ping, tests). */
int llm_complete_sync(const llm_config *cfg, const llm_request *req, llm_response **out);

/* Totals over every completed request of this client. out->cost_usd sums
 * the known costs; out->cost_known is 1 only when every request's cost was
 * known (a request to a model missing from the price table makes the
 * total a lower bound). */
void llm_client_totals(const llm_client *c, llm_usage *out, long *n_requests);
const char *llm_client_provider(const llm_client *c); /* "openai", ... */
const char *llm_client_model(const llm_client *c);
/* 1 when the provider is the offline builtin coder (not an LLM). */
int llm_client_is_builtin(const llm_client *c);

void llm_response_free(llm_response *r);

/* 1 when `spec` names the offline builtin coder ("builtin", "builtin:X"). */
int llm_spec_is_builtin(const char *spec);

/* 1 when an API key for `spec`'s provider is present in the environment. */
int llm_key_available(const char *spec, const char *api_key_env);

/* ---- structured review --------------------------------------------------- */

typedef struct llm_review {
    int is_bug;
    int has_submission;
    char *summary;      /* owned */
    double metric;      /* valid only when has_metric */
    int has_metric;     /* 0 for null, NaN, missing or unparseable */
} llm_review;

/* The JSON schema of the review function ({is_bug, summary, metric,
 * has_submission}); caller frees with cJSON_Delete. */
cJSON *llm_review_schema(void);

/* Extract a review from a response: its func_args when present, else the
 * first JSON object found in its text. Tolerates metric as "0.81", 1, null,
 * NaN, prose around the JSON and missing fields. 0 on success; < 0 with
 * err_last() naming what was wrong (never a crash). */
int llm_review_parse(llm_review *out, const cJSON *func_args, const char *text);
void llm_review_free(llm_review *r);

#endif

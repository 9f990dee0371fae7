/*
 * llm_int.h (private to llm/): the pieces behind llm.h and how they meet.
 *
 *   client.c    llm_client_new/free, llm_submit, totals, the sync helper
 *   provider.c  the provider registry and what the HTTP providers share
 *   openai.c    the "openai" provider: Chat Completions bodies and replies
 *   anthropic.c the "anthropic" provider: Messages API bodies and replies
 *   builtin_provider.c  the "builtin" provider: grove's offline coder
 *   replay.c    the "replay" provider: recorded replies from an llm.jsonl
 *   endpoint.c  the endpoint URL, its shown (redacted) form and its secrets
 *   job.c       one request's life: attempts, retries, accounting, delivery
 *   verdict.c   what a finished exchange means: reply, error, retry or not
 *   http.c      libcurl's multi interface driven by the client's libuv loop
 *   retry.c     which failures are retried, backoff with full jitter, Retry-After
 *   prices.c    the model table (prices + per-model settings), cost
 *   jsonl.c     llm.jsonl lines (redacted) and the canonical request hash
 *   review.c    the structured review: schema and tolerant parsing
 */
#ifndef GROVE_LLM_INT_H
#define GROVE_LLM_INT_H

#include "llm.h"
#include "util.h"

#include <curl/curl.h>
#include <stdint.h>

/* ---- http.c -------------------------------------------------------------- */

typedef struct http_multi http_multi;
typedef struct http_req http_req;
typedef void (*http_done_fn)(http_req *r, void *data);

/* One POST in flight. Read the result fields in the done callback, then
 * free it with http_req_free(). */
struct http_req {
    CURL *easy;
    http_multi *m;
    struct curl_slist *headers;
    char *body;                 /* request body (owned) */
    sb resp;                    /* response body */
    long status;                /* HTTP status, 0 when none arrived */
    CURLcode result;            /* transport outcome */
    char errbuf[CURL_ERROR_SIZE];
    char retry_after[96];       /* Retry-After header value, "" when absent */
    char retry_after_ms[32];    /* retry-after-ms (OpenAI), "" when absent */
    char should_retry[8];       /* x-should-retry ("true"/"false"), "" when absent */
    char location[512];         /* Location (redirects), "" when absent */
    char request_id[128];       /* request-id (Anthropic) or x-request-id
                                   (OpenAI and most proxies), "" when absent */
    int too_big;                /* the body passed HTTP_MAX_BODY and was cut off */
    http_done_fn done;
    void *data;
};

/* The most response body buffered: a reply is a few KB to a few hundred KB;
 * a server streaming far more is broken or hostile, and must not take the
 * whole memory with it. */
#define HTTP_MAX_BODY ((size_t)32 << 20)

typedef struct http_opts {
    double connect_timeout_s;
    double total_timeout_s;
    double stall_timeout_s;     /* below HTTP_STALL_RATE for this long aborts */
} http_opts;

/* Bytes per second under which a transfer counts as stalled. Far below any
 * real link, far above a server dripping a byte at a time (which a limit of
 * 1 byte/s would wait on forever). */
#define HTTP_STALL_RATE 1024L

/* The multi handle bound to `loop`; freed with http_multi_free(), whose
 * libuv handles finish closing on the loop's next turn. */
int http_multi_new(http_multi **out, uv_loop_t *loop);
void http_multi_free(http_multi *m);
/* Start a POST of `body` (copied) with extra header lines. `done` fires
 * later from the loop, never from inside this call. */
int http_post(http_req **out, http_multi *m, const char *url,
              const char *const *headers, size_t n_headers, const char *body,
              const http_opts *opts, http_done_fn done, void *data);
/* Abort a request that has not completed (no callback) and free it. */
void http_cancel(http_req *r);
void http_req_free(http_req *r);

/* ---- endpoint.c ------------------------------------------------------------ */

#define ENDPOINT_MAX_SECRETS 8

typedef struct endpoint {
    char *url;      /* what is requested */
    char *shown;    /* url with secret query values as [REDACTED]: for
                       errors, stderr and the log */
    char *secrets[ENDPOINT_MAX_SECRETS]; /* those values, NULL-terminated */
} endpoint;

/* base + suffix ("/chat/completions", "/v1/messages") joined on the path,
 * the query kept. < 0 with err_last() (naming --base-url, query hidden)
 * when base is not an http(s) URL. Free with endpoint_free(). */
int endpoint_url(endpoint *out, const char *base, const char *suffix);
void endpoint_free(endpoint *e);

/* ---- retry.c --------------------------------------------------------------- */

int retry_status_retryable(long status);
int retry_curl_retryable(CURLcode code);
/* Seconds the server asked to wait, from Retry-After (delta-seconds or an
 * HTTP date, relative to `now_wall`) or retry-after-ms; < 0 when absent or
 * unreadable. */
double retry_after_seconds(const char *retry_after, const char *retry_after_ms,
                           double now_wall);
/* Seconds an error body asks to wait (Google's RetryInfo: error.details[]
 * .retryDelay "37s"); < 0 when it names none. */
double retry_body_delay(const char *body, size_t len);
/* Full jitter: uniform in [0, min(cap, base * 2^(attempt-1))). */
double retry_backoff(uint64_t *rng, int attempt, double base_s, double cap_s);
uint64_t rng_next(uint64_t *state);

/* ---- prices.c -------------------------------------------------------------- */

/* What the table knows about one model. */
typedef struct model_info {
    int price_known;
    double input, cached_input, cache_write, output; /* USD per million tokens */
    int reasoning;          /* takes max_completion_tokens and an effort */
    int temperature;        /* accepts a temperature */
    char effort[16];        /* default reasoning effort, "" for none */
    char system_role[16];   /* role of instructions (openai): "system", or
                               "developer" for o-series and gpt-5, which
                               take instructions under that name; "" means
                               "system" */
    int from_table;         /* settings came from the table, not name patterns */
} model_info;

/* Look up provider/model in the user's table (path, may be NULL) then the
 * built-in llm/prices.json; unknown models get name-pattern defaults and
 * price_known = 0. < 0 only when the user's file is unreadable or bad. */
int prices_lookup(model_info *out, const char *prices_path, const char *provider,
                  const char *model);
/* Fill u->cost_usd / cost_known from the token counts. */
void prices_cost(llm_usage *u, const model_info *mi);

/* ---- provider bodies (openai.c, anthropic.c) ------------------------------- */

/* The request as a provider body; caller frees with cJSON_Delete. */
cJSON *openai_body(const llm_request *req, const char *model, const model_info *mi,
                   const char *effort, int max_tokens);
cJSON *anthropic_body(const llm_request *req, const char *model, const model_info *mi,
                      int max_tokens);
/* Fill r's text, func_args, finish_reason and usage from a parsed 2xx body.
 * < 0 with err_last() when the body is not the expected shape. */
int openai_parse(llm_response *r, const cJSON *root, const char *func_name);
int anthropic_parse(llm_response *r, const cJSON *root, const char *func_name);
/* The server's own message from an error body in either protocol (or a
 * bare {"error": "..."} / {"message": ...}); caller frees. NULL if none. */
char *provider_error_message(const cJSON *root);
/* Where an error body keeps its "error": root, or root[0] for the
 * array-wrapped form of Google's APIs. */
const cJSON *error_root(const cJSON *root);
/* Helpers both protocols use: append {role, content} to a messages array;
 * a non-negative integer field (0 when absent or absurd); every system message's
 * content joined by blank lines into *out (empty when none). */
void msg_add(cJSON *arr, const char *role, const char *content);
long json_count(const cJSON *obj, const char *field);
void system_text(const llm_request *req, sb *out);
/* The first `n` bytes of a body, control characters escaped, for errors;
 * caller frees. */
char *body_quote(const char *body, size_t len, size_t n);

/* ---- jsonl.c --------------------------------------------------------------- */

/* The canonical, provider-neutral form of a request (messages in order and
 * the forced function) and its 64-bit FNV-1a hash as 16 hex digits. */
cJSON *canonical_request(const llm_request *req);
/* An exchange as the JSON object llm.jsonl keeps ({client, action, node,
 * parent, ask}), NULL for none; and the key replay matches on, made from
 * that object ("coder/improve/12/7/0"), "" when it is not one. */
cJSON *exchange_json(const llm_exchange *x);
#define EXCHANGE_KEY_MAX 96
void exchange_key(const cJSON *x, char out[EXCHANGE_KEY_MAX]);
void request_hash(const llm_request *req, char out[17]);
/* Replace every occurrence of `secret` in s (in place) with "[REDACTED]";
 * returns a new string when it changed anything, else s. */
char *redact(char *s, const char *secret);
/* redact() for each string of a NULL-terminated list; same return rule. */
char *redact_all(char *s, const char *const *secrets);

/* One line of llm.jsonl: one HTTP exchange (or one builtin/replay answer). */
typedef struct log_entry {
    const char *tag, *provider, *model, *url, *hash;
    const cJSON *exchange;      /* what identifies the exchange, may be NULL */
    int attempt;
    int final;                  /* the request's last attempt */
    long status;
    double latency_s;           /* this attempt */
    double total_latency_s;     /* submit to completion (final lines) */
    const cJSON *request;       /* the body sent (or the canonical request) */
    const char *response;       /* raw response body, may be NULL */
    size_t response_len;
    const char *error;          /* NULL when this exchange succeeded */
    const llm_response *resp;   /* final lines: usage, cost and the reply */
} log_entry;

/* Append one line to path; every occurrence of each of `secrets` (the API
 * key, keys in the URL; NULL-terminated) is replaced before anything
 * reaches the disk. */
int jsonl_append(const char *path, const char *const *secrets, const log_entry *e);

/* ---- replay.c -------------------------------------------------------------- */

typedef struct replay_table replay_table;
int replay_load(replay_table **out, const char *path);
void replay_free(replay_table *t);
/* Fill r (text, func_args, finish_reason, usage) with the next recorded
 * reply to the exchange with this key (exchange_key; "" for none), or, when
 * the log recorded no such key, to a request with this hash. < 0 when
 * neither was recorded. */
int replay_lookup(replay_table *t, const char *key, const char *hash, llm_response *r);

/* ---- providers (provider.c; one file each) -------------------------------- */

/* The registry's indices, in the order provider.c lists them. A client
 * keeps its provider's index; everything a provider does differently goes
 * through the vtable below (provider_of), never through a test of the
 * index. To add one: write its file with a `const provider provider_<name>`,
 * add an index here and a row to the registry. */
typedef enum prov_kind { PROV_OPENAI, PROV_ANTHROPIC, PROV_BUILTIN, PROV_REPLAY, PROV_COUNT } prov_kind;

typedef struct provider {
    const char *name;        /* the part of --model before the colon */
    const char *model_hint;  /* the form --model must take when the part after the
                                colon is missing; NULL: it is optional ("baseline") */
    const char *key_env;     /* variable holding the key by default; NULL: none needed */
    int context_only;        /* a request may carry a context and no message */
    /* After the common fields are set: check what can be checked before the
     * first request (URL, key, log to replay). < 0 with err_last(). */
    int (*setup)(llm_client *c, const llm_config *cfg);
    /* The body sent (HTTP) or logged (local); caller frees with cJSON_Delete. */
    cJSON *(*body)(const llm_client *c, const llm_request *req, int max_tokens);
    /* The cost of a successful reply, into r->usage (cost_usd, cost_known). */
    void (*price)(const llm_client *c, llm_response *r, int usage_known);
    /* A local provider answers without a network: fill r's reply from req
     * (key and hash: exchange_key and request_hash of it); < 0 with
     * err_last(). NULL for an HTTP provider, which fills the rest. */
    int (*answer)(llm_client *c, const llm_request *req, const char *key, const char *hash,
                  llm_response *r);
    /* HTTP: append its header lines to h (at most 2), the one holding the
     * key in *auth (caller wipes and frees it); returns how many. */
    size_t (*headers)(const llm_client *c, const char **h, char **auth);
    /* HTTP: fill r from a parsed 2xx body, as openai_parse. */
    int (*parse)(llm_response *r, const cJSON *root, const char *func_name);
    const char *usage_in, *usage_out; /* HTTP: the usage fields counting tokens */
    int choice_errors;       /* HTTP: a 2xx choice may carry an upstream error */
} provider;

extern const provider provider_openai, provider_anthropic, provider_builtin, provider_replay;

/* The provider at index k (k < PROV_COUNT); its index by name, < 0 if none. */
const provider *provider_at(prov_kind k);
int provider_find(const char *name, size_t len);
#define provider_of(c) provider_at((c)->kind)

/* What the HTTP providers share: the endpoint (base_url, else
 * default_base, joined with path), the key, the model table, the HTTP
 * multi handle. */
int provider_http_setup(llm_client *c, const llm_config *cfg, const char *default_base,
                        const char *path);
/* Priced from the model table; unknown when the reply gave no counts. */
void provider_http_price(const llm_client *c, llm_response *r, int usage_known);
/* What the local providers share: the canonical request (with its context)
 * as the logged body, and no cost. */
cJSON *provider_local_body(const llm_client *c, const llm_request *req, int max_tokens);
void provider_free_price(const llm_client *c, llm_response *r, int usage_known);

/* ---- client internals (client.c, job.c) ------------------------------------ */

typedef struct llm_job llm_job;

struct llm_client {
    uv_loop_t *loop;
    prov_kind kind;      /* index of its provider: use provider_of(c) */
    char *provider;      /* "openai", ... */
    char *model;
    endpoint ep;         /* endpoint URL, shown form, URL secrets (http providers) */
    char *key;           /* never logged; redacted from every log line */
    const char *secrets[ENDPOINT_MAX_SECRETS + 1]; /* key + ep.secrets, NULL-terminated:
                                                      scrubbed from logs and errors */
    char *key_env;       /* the variable it came from, for error hints */
    char *log_path;
    char *replay_path;
    char *effort;        /* reasoning effort to send, NULL for none */
    model_info info;
    http_opts http;
    http_multi *multi;
    replay_table *replay;
    int max_attempts;
    double max_retry_wait_s;
    double retry_base_s;
    int max_tokens;
    unsigned long seed;
    uint64_t rng;        /* jitter; advanced per retry, seeded from cfg.seed */
    llm_usage totals;
    long n_requests;
    llm_job *jobs;       /* in flight, doubly linked */
    int closing;
};

/* verdict.c: the error for a finished exchange, NULL on success (r then
 * holds the reply); *retry says whether another attempt could help,
 * *usage_known whether the reply stated its token counts. */
char *verdict(const llm_client *c, const llm_request *req, llm_response *r, const http_req *hr,
              int *retry, int *usage_known);

/* Copy the request, build the body and start the job on the loop. */
int job_start(llm_client *c, const llm_request *req, llm_done_cb cb, void *data);
/* End every in-flight job with an error (client going away). */
void job_abort_all(llm_client *c);

#endif

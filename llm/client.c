/*
 * client.c: making and ending clients, submitting, totals.
 *
 * A client is bound to one provider and model ("PROVIDER:MODEL", split at
 * the first colon so "openai:llama3:8b" keeps its tag) and to the caller's
 * loop. Everything that can be checked before the first request is checked
 * here, so a bad flag fails at start-up with a message naming the flag:
 * unknown provider, a malformed base URL, a missing key, an unreadable
 * replay log or price table. The key is read from the environment once and
 * lives only in the client (headers and the log's redaction list).
 */
#include "llm_int.h"

#include <stdlib.h>
#include <string.h>

static int parse_spec(const char *spec, prov_kind *kind, char **model)
{
    if (!spec || !*spec)
        return err_set("llm: no model given; use --model PROVIDER:MODEL "
                       "(openai:gpt-4o, anthropic:claude-sonnet-4-5, builtin, replay:PATH)");
    const char *colon = strchr(spec, ':');
    size_t n = colon ? (size_t)(colon - spec) : strlen(spec);
    int k = provider_find(spec, n);
    if (k < 0)
        return err_set("llm: --model '%s': unknown provider '%.*s' (use openai, anthropic, "
                       "builtin or replay)", spec, (int)n, spec);
    *kind = (prov_kind)k;
    const char *rest = colon ? colon + 1 : "";
    const char *hint = provider_at(*kind)->model_hint;
    if (!*rest && hint)
        return err_set("llm: --model '%s' lacks the part after the colon (%s)", spec, hint);
    *model = xstrdup(*rest ? rest : "baseline");
    return 0;
}

int llm_key_available(const char *spec, const char *api_key_env)
{
    prov_kind kind;
    char *model = NULL;
    if (parse_spec(spec, &kind, &model) < 0)
        return 0;
    free(model);
    const char *var = api_key_env ? api_key_env : provider_at(kind)->key_env;
    if (!var)
        return 1;
    const char *v = getenv(var);
    return v && *v;
}

int llm_spec_is_builtin(const char *spec)
{
    prov_kind kind;
    char *model = NULL;
    if (parse_spec(spec, &kind, &model) < 0)
        return 0;
    free(model);
    return provider_at(kind) == &provider_builtin;
}

int llm_client_new(llm_client **out, uv_loop_t *loop, const llm_config *cfg)
{
    *out = NULL;
    prov_kind kind;
    char *model;
    if (parse_spec(cfg->spec, &kind, &model) < 0)
        return -1;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    llm_client *c = xcalloc(1, sizeof *c);
    c->loop = loop;
    c->kind = kind;
    c->provider = xstrdup(provider_at(kind)->name);
    c->model = model;
    c->log_path = xstrdup(cfg->log_path);
    c->max_attempts = cfg->max_attempts > 0 ? cfg->max_attempts : 6;
    c->max_retry_wait_s = cfg->max_retry_wait_s > 0 ? cfg->max_retry_wait_s : 120;
    c->retry_base_s = cfg->retry_base_s > 0 ? cfg->retry_base_s : 1;
    c->http.connect_timeout_s = cfg->connect_timeout_s > 0 ? cfg->connect_timeout_s : 30;
    c->http.total_timeout_s = cfg->total_timeout_s > 0 ? cfg->total_timeout_s : 600;
    c->http.stall_timeout_s = cfg->stall_timeout_s > 0 ? cfg->stall_timeout_s : 300;
    c->max_tokens = cfg->default_max_tokens > 0 ? cfg->default_max_tokens : 8192;
    c->seed = cfg->seed;
    c->rng = (uint64_t)cfg->seed ^ 0x6a09e667f3bcc909ull;
    c->totals.cost_known = 1;
    if (provider_at(kind)->setup(c, cfg) < 0) {
        llm_client_free(c);
        return -1;
    }
    *out = c;
    return 0;
}

void llm_client_free(llm_client *c)
{
    if (!c)
        return;
    c->closing = 1;
    job_abort_all(c);
    http_multi_free(c->multi);
    replay_free(c->replay);
    if (c->key)
        memset(c->key, 0, strlen(c->key));
    free(c->key);
    free(c->key_env);
    free(c->provider);
    free(c->model);
    endpoint_free(&c->ep);
    free(c->log_path);
    free(c->replay_path);
    free(c->effort);
    free(c);
    curl_global_cleanup();
}

int llm_submit(llm_client *c, const llm_request *req, llm_done_cb cb, void *data)
{
    if (c->closing)
        return err_set("llm: submit on a client being freed");
    if (!cb)
        return err_set("llm: submit needs a completion callback");
    if (req->n_messages == 0 && !(provider_of(c)->context_only && req->context))
        return err_set("llm: a request needs at least one message");
    for (size_t i = 0; i < req->n_messages; i++)
        if (!req->messages[i].content || (unsigned)req->messages[i].role > LLM_ASSISTANT)
            return err_set("llm: message %zu has no content or a bad role", i);
    if (req->func_name && !*req->func_name)
        return err_set("llm: the forced function has an empty name");
    return job_start(c, req, cb, data);
}

typedef struct sync_ctx { llm_response *resp; } sync_ctx;

static void sync_done(llm_response *resp, void *data) { ((sync_ctx *)data)->resp = resp; }

int llm_complete_sync(const llm_config *cfg, const llm_request *req, llm_response **out)
{
    *out = NULL;
    uv_loop_t loop;
    if (uv_loop_init(&loop) != 0)
        return err_set("llm: cannot make an event loop");
    llm_client *c;
    int rc = llm_client_new(&c, &loop, cfg);
    sync_ctx ctx = {NULL};
    if (rc == 0) {
        rc = llm_submit(c, req, sync_done, &ctx);
        if (rc == 0)
            uv_run(&loop, UV_RUN_DEFAULT);
        llm_client_free(c);
    }
    uv_run(&loop, UV_RUN_DEFAULT); /* let closed handles finish */
    uv_loop_close(&loop);
    *out = ctx.resp;
    return rc;
}

void llm_client_totals(const llm_client *c, llm_usage *out, long *n_requests)
{
    *out = c->totals;
    if (n_requests)
        *n_requests = c->n_requests;
}

const char *llm_client_provider(const llm_client *c) { return c->provider; }
const char *llm_client_model(const llm_client *c) { return c->model; }
int llm_client_is_builtin(const llm_client *c) { return provider_of(c) == &provider_builtin; }

void llm_response_free(llm_response *r)
{
    if (!r)
        return;
    free(r->text);
    cJSON_Delete(r->func_args);
    free(r->finish_reason);
    free(r->error);
    free(r);
}

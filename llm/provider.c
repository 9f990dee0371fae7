/*
 * provider.c: the providers by name, and what the HTTP ones share.
 *
 * A provider is a row of the table below and a vtable (llm_int.h) in a file
 * of its own: openai.c and anthropic.c speak HTTP, builtin_provider.c and
 * replay.c answer locally. The client and the job never ask which provider
 * they hold; they call through the vtable, and a provider without `answer`
 * is one reached over HTTP.
 */
#include "llm_int.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

static const provider *const registry[PROV_COUNT] = {
    [PROV_OPENAI] = &provider_openai,
    [PROV_ANTHROPIC] = &provider_anthropic,
    [PROV_BUILTIN] = &provider_builtin,
    [PROV_REPLAY] = &provider_replay,
};

/* A provider answers locally or over HTTP, and has what that takes. */
static inline int provider_complete(const provider *p)
{
    return p && p->name && p->setup && p->body && p->price &&
           (p->answer || (p->headers && p->parse && p->usage_in && p->usage_out));
}

const provider *provider_at(prov_kind k)
{
    assert((unsigned)k < PROV_COUNT && provider_complete(registry[k]));
    return registry[k];
}

int provider_find(const char *name, size_t len)
{
    for (int k = 0; k < PROV_COUNT; k++)
        if (strlen(registry[k]->name) == len && strncmp(name, registry[k]->name, len) == 0)
            return k;
    return -1;
}

/* Everything that must never be written anywhere: the key, keys in the URL. */
static void collect_secrets(llm_client *c)
{
    size_t n = 0;
    if (c->key)
        c->secrets[n++] = c->key;
    for (size_t i = 0; c->ep.secrets[i] && n < ENDPOINT_MAX_SECRETS; i++)
        c->secrets[n++] = c->ep.secrets[i];
    assert(n <= ENDPOINT_MAX_SECRETS); /* the list keeps room for its NULL */
    c->secrets[n] = NULL;
}

static int read_key(llm_client *c, const llm_config *cfg)
{
    const char *var = cfg->api_key_env ? cfg->api_key_env : provider_of(c)->key_env;
    c->key_env = xstrdup(var);
    const char *v = getenv(var);
    if (v && *v) {
        c->key = xstrdup(v);
        return 0;
    }
    /* Local OpenAI-compatible servers (vLLM, llama.cpp, Ollama) need no key;
     * a named variable that is empty is still a mistake. */
    if (cfg->base_url && !cfg->api_key_env)
        return 0;
    return err_set("llm: %s needs an API key: set %s (or name another variable with "
                   "--api-key-env), or use --model builtin to run offline", c->provider, var);
}

int provider_http_setup(llm_client *c, const llm_config *cfg, const char *default_base,
                        const char *path)
{
    if (endpoint_url(&c->ep, cfg->base_url ? cfg->base_url : default_base, path) < 0 ||
        read_key(c, cfg) < 0)
        return -1;
    collect_secrets(c);
    if (prices_lookup(&c->info, cfg->prices_path, c->provider, c->model) < 0)
        return -1;
    const char *effort = cfg->reasoning_effort ? cfg->reasoning_effort : c->info.effort;
    if (c->info.reasoning && *effort)
        c->effort = xstrdup(effort);
    /* Without streaming, a reasoning model sends nothing while it thinks,
     * which can take minutes: only an explicit stall limit applies there. */
    if (c->info.reasoning && cfg->stall_timeout_s <= 0)
        c->http.stall_timeout_s = c->http.total_timeout_s;
    return http_multi_new(&c->multi, c->loop);
}

void provider_http_price(const llm_client *c, llm_response *r, int usage_known)
{
    prices_cost(&r->usage, &c->info);
    /* No token counts (some compatible servers): the cost is unknown, not
     * the 0 the missing counts would price to. */
    if (!usage_known)
        r->usage.cost_known = 0;
}

cJSON *provider_local_body(const llm_client *c, const llm_request *req, int max_tokens)
{
    (void)c;
    (void)max_tokens;
    cJSON *body = canonical_request(req);
    if (req->context)
        cJSON_AddItemToObject(body, "context", cJSON_Duplicate(req->context, 1));
    return body;
}

void provider_free_price(const llm_client *c, llm_response *r, int usage_known)
{
    (void)c;
    (void)usage_known;
    r->usage.cost_known = 1; /* builtin and replay spend nothing */
    r->usage.cost_usd = 0;
}

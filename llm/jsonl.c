/*
 * jsonl.c: llm.jsonl, the record of every exchange, and the request hash
 * that lets a recorded run be replayed.
 *
 * One JSON object per line: time, tag, provider, model, url, attempt,
 * final, status, latency_s, request_hash, usage, cost_usd (null when
 * unknown), the request body as sent, the response body (as JSON when it
 * parses, else as a string) or the error, and on a request's final
 * successful line a provider-neutral "reply" {text, func_args,
 * finish_reason} that replay.c serves back. Headers are never written, and
 * the API key and any key in the URL's query are scrubbed from the finished
 * line as a last line of defence (a server echoing the key in an error).
 *
 * "exchange" says which exchange of the run it was ({client, action, node,
 * parent, ask}): replay matches on it, as the prompts themselves change
 * from run to run (they carry the time left).
 *
 * The hash is FNV-1a 64 over the canonical request: the messages in order
 * (role, content) and the forced function (name, schema), printed by cJSON
 * without formatting. It ignores the model, temperature and provider on
 * purpose: a replay serves a run's answers to the same prompts whichever
 * endpoint first produced them.
 */
#include "llm_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

cJSON *exchange_json(const llm_exchange *x)
{
    if (!x)
        return NULL;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "client", x->client ? x->client : "");
    cJSON_AddStringToObject(o, "action", x->action ? x->action : "");
    cJSON_AddNumberToObject(o, "node", x->node);
    cJSON_AddNumberToObject(o, "parent", x->parent);
    cJSON_AddNumberToObject(o, "ask", x->ask);
    return o;
}

void exchange_key(const cJSON *x, char out[EXCHANGE_KEY_MAX])
{
    const cJSON *client = cJSON_GetObjectItemCaseSensitive(x, "client");
    const cJSON *action = cJSON_GetObjectItemCaseSensitive(x, "action");
    const cJSON *node = cJSON_GetObjectItemCaseSensitive(x, "node");
    const cJSON *parent = cJSON_GetObjectItemCaseSensitive(x, "parent");
    const cJSON *ask = cJSON_GetObjectItemCaseSensitive(x, "ask");
    out[0] = 0;
    if (cJSON_IsString(client) && cJSON_IsString(action) && cJSON_IsNumber(node) &&
        cJSON_IsNumber(parent) && cJSON_IsNumber(ask))
        snprintf(out, EXCHANGE_KEY_MAX, "%.20s/%.20s/%d/%d/%d", client->valuestring,
                 action->valuestring, node->valueint, parent->valueint, ask->valueint);
}

cJSON *canonical_request(const llm_request *req)
{
    static const char *const roles[] = {"system", "user", "assistant"};
    cJSON *root = cJSON_CreateObject();
    cJSON *msgs = cJSON_AddArrayToObject(root, "messages");
    for (size_t i = 0; i < req->n_messages; i++) {
        cJSON *m = cJSON_CreateObject();
        cJSON_AddStringToObject(m, "role", roles[req->messages[i].role]);
        cJSON_AddStringToObject(m, "content", req->messages[i].content);
        cJSON_AddItemToArray(msgs, m);
    }
    if (req->func_name) {
        cJSON *fn = cJSON_AddObjectToObject(root, "function");
        cJSON_AddStringToObject(fn, "name", req->func_name);
        if (req->func_schema)
            cJSON_AddItemToObject(fn, "schema", cJSON_Duplicate(req->func_schema, 1));
    }
    return root;
}

void request_hash(const llm_request *req, char out[17])
{
    cJSON *c = canonical_request(req);
    char *text = cJSON_PrintUnformatted(c);
    uint64_t h = 0xcbf29ce484222325ull;
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
        h ^= *p;
        h *= 0x100000001b3ull;
    }
    snprintf(out, 17, "%016llx", (unsigned long long)h);
    cJSON_free(text);
    cJSON_Delete(c);
}

char *redact(char *s, const char *secret)
{
    if (!secret || !*secret || !strstr(s, secret))
        return s;
    sb out = {0};
    size_t n = strlen(secret);
    const char *p = s, *hit;
    while ((hit = strstr(p, secret))) {
        sb_append(&out, p, (size_t)(hit - p));
        sb_puts(&out, "[REDACTED]");
        p = hit + n;
    }
    sb_puts(&out, p);
    return sb_steal(&out);
}

char *redact_all(char *s, const char *const *secrets)
{
    char *cur = s;
    for (size_t i = 0; secrets && secrets[i]; i++) {
        char *next = redact(cur, secrets[i]);
        if (next != cur && cur != s)
            free(cur);
        cur = next;
    }
    return cur;
}

static void add_str(cJSON *o, const char *k, const char *v)
{
    if (v)
        cJSON_AddStringToObject(o, k, v);
    else
        cJSON_AddNullToObject(o, k);
}

static void add_usage(cJSON *line, const llm_response *r)
{
    cJSON *u = cJSON_AddObjectToObject(line, "usage");
    llm_usage z = {0};
    const llm_usage *us = r ? &r->usage : &z;
    cJSON_AddNumberToObject(u, "input_tokens", (double)us->input_tokens);
    cJSON_AddNumberToObject(u, "output_tokens", (double)us->output_tokens);
    cJSON_AddNumberToObject(u, "cached_tokens", (double)us->cached_tokens);
    cJSON_AddNumberToObject(u, "cache_write_tokens", (double)us->cache_write_tokens);
    cJSON_AddNumberToObject(u, "reasoning_tokens", (double)us->reasoning_tokens);
    if (r && us->cost_known)
        cJSON_AddNumberToObject(line, "cost_usd", us->cost_usd);
    else
        cJSON_AddNullToObject(line, "cost_usd");
}

static void add_reply(cJSON *line, const llm_response *r)
{
    cJSON *reply = cJSON_AddObjectToObject(line, "reply");
    add_str(reply, "text", r->text);
    if (r->func_args)
        cJSON_AddItemToObject(reply, "func_args", cJSON_Duplicate(r->func_args, 1));
    else
        cJSON_AddNullToObject(reply, "func_args");
    add_str(reply, "finish_reason", r->finish_reason);
}

static cJSON *build_line(const log_entry *e)
{
    char when[40];
    clock_iso8601(when, sizeof when, clock_wall());
    cJSON *line = cJSON_CreateObject();
    cJSON_AddStringToObject(line, "time", when);
    add_str(line, "tag", e->tag);
    add_str(line, "provider", e->provider);
    add_str(line, "model", e->model);
    add_str(line, "url", e->url);
    cJSON_AddNumberToObject(line, "attempt", e->attempt);
    cJSON_AddBoolToObject(line, "final", e->final);
    cJSON_AddNumberToObject(line, "status", (double)e->status);
    cJSON_AddNumberToObject(line, "latency_s", e->latency_s);
    if (e->final)
        cJSON_AddNumberToObject(line, "total_latency_s", e->total_latency_s);
    add_str(line, "request_hash", e->hash);
    if (e->exchange)
        cJSON_AddItemToObject(line, "exchange", cJSON_Duplicate(e->exchange, 1));
    cJSON_AddBoolToObject(line, "ok", e->error == NULL);
    add_usage(line, e->final ? e->resp : NULL);
    cJSON_AddItemToObject(line, "request", e->request ? cJSON_Duplicate(e->request, 1)
                                                      : cJSON_CreateNull());
    cJSON *resp = NULL;
    if (e->response) {
        resp = cJSON_ParseWithLength(e->response, e->response_len);
        if (!resp)
            resp = cJSON_CreateString(e->response);
    }
    cJSON_AddItemToObject(line, "response", resp ? resp : cJSON_CreateNull());
    add_str(line, "error", e->error);
    if (e->final && !e->error && e->resp)
        add_reply(line, e->resp);
    return line;
}

int jsonl_append(const char *path, const char *const *secrets, const log_entry *e)
{
    if (!path)
        return 0;
    cJSON *line = build_line(e);
    char *text = utf8_fix(cJSON_PrintUnformatted(line)); /* one UTF-8 JSON text per line */
    cJSON_Delete(line);
    if (!text)
        return err_set("%s: could not serialize a log line", path);
    char *clean = redact_all(text, secrets);
    sb out = {0};
    sb_puts(&out, clean);
    sb_putc(&out, '\n');
    if (clean != text)
        free(clean);
    cJSON_free(text);
    int rc = file_append(path, out.buf, out.len);
    sb_free(&out);
    return rc;
}

/*
 * replay.c: the `replay:PATH` provider -- a recorded run's llm.jsonl served
 * back with no network.
 *
 * Loading keeps, from each final successful line, its exchange (which
 * client asked, for which action, node, parent and ask), its request_hash,
 * its provider-neutral reply and its usage. A request is matched on its
 * exchange, not on its text: a run's prompts carry the time left, which is
 * never the same twice, so a hash of the whole text matched the first
 * request only. The hash still serves logs written before exchanges were
 * recorded, and requests that name none. A request is answered by the
 * first not-yet-served reply recorded for it, so a run that asked the same
 * question twice gets its two answers in order; once they are used up, the
 * last one is served again (a replay that asks more often than the
 * recording did is still deterministic). A request never recorded is an
 * error that names it.
 * Lines that do not parse (a run killed mid-write) are skipped with a
 * warning; a log without a single usable reply is an error.
 */
#include "llm_int.h"

#include <stdlib.h>
#include <string.h>

typedef struct replay_entry {
    char hash[17];
    char key[EXCHANGE_KEY_MAX]; /* "" for a line without an exchange */
    cJSON *reply;   /* {text, func_args, finish_reason} */
    llm_usage usage;
    int served;
} replay_entry;

struct replay_table {
    replay_entry *e;
    size_t n;
    char *path;
};

static void add_line(replay_table *t, const cJSON *line)
{
    const cJSON *hash = cJSON_GetObjectItemCaseSensitive(line, "request_hash");
    const cJSON *reply = cJSON_GetObjectItemCaseSensitive(line, "reply");
    if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(line, "final")) ||
        !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(line, "ok")) ||
        !cJSON_IsString(hash) || strlen(hash->valuestring) != 16 || !cJSON_IsObject(reply))
        return;
    t->e = xrealloc(t->e, (t->n + 1) * sizeof *t->e);
    replay_entry *e = &t->e[t->n++];
    memset(e, 0, sizeof *e);
    memcpy(e->hash, hash->valuestring, 17);
    exchange_key(cJSON_GetObjectItemCaseSensitive(line, "exchange"), e->key);
    e->reply = cJSON_Duplicate(reply, 1);
    const cJSON *u = cJSON_GetObjectItemCaseSensitive(line, "usage");
    e->usage.input_tokens = json_count(u, "input_tokens");
    e->usage.output_tokens = json_count(u, "output_tokens");
    e->usage.cached_tokens = json_count(u, "cached_tokens");
    e->usage.cache_write_tokens = json_count(u, "cache_write_tokens");
    e->usage.reasoning_tokens = json_count(u, "reasoning_tokens");
}

int replay_load(replay_table **out, const char *path)
{
    char *text;
    if (file_read(path, &text, NULL) < 0)
        return err_prefix("replay");
    replay_table *t = xcalloc(1, sizeof *t);
    t->path = xstrdup(path);
    long lineno = 0, bad = 0;
    for (char *p = text, *nl; *p; p = nl ? nl + 1 : p + strlen(p)) {
        nl = strchr(p, '\n');
        if (nl)
            *nl = 0;
        lineno++;
        if (!*p)
            continue;
        cJSON *line = cJSON_Parse(p);
        if (line)
            add_line(t, line);
        else if (bad++ == 0)
            log_warn("replay: %s:%ld is not JSON; skipping it", path, lineno);
        cJSON_Delete(line);
        if (!nl)
            break;
    }
    free(text);
    if (t->n == 0) {
        replay_free(t);
        return err_set("replay: %s holds no successful exchange to serve (%ld lines); "
                       "give the llm.jsonl of a run that reached the LLM", path, lineno);
    }
    *out = t;
    return 0;
}

void replay_free(replay_table *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->n; i++)
        cJSON_Delete(t->e[i].reply);
    free(t->e);
    free(t->path);
    free(t);
}

/* The first unserved entry whose key (by_key) or hash equals want, else the
 * last one that does; NULL when none does. */
static replay_entry *find(replay_table *t, int by_key, const char *want)
{
    replay_entry *last = NULL;
    for (size_t i = 0; i < t->n; i++) {
        if (strcmp(by_key ? t->e[i].key : t->e[i].hash, want) != 0)
            continue;
        if (!t->e[i].served)
            return &t->e[i];
        last = &t->e[i];
    }
    return last;
}

int replay_lookup(replay_table *t, const char *key, const char *hash, llm_response *r)
{
    replay_entry *pick = *key ? find(t, 1, key) : NULL;
    if (!pick)
        pick = find(t, 0, hash);
    if (!pick && *key)
        return err_set("replay: %s has no recorded reply for %s (client/action/node/parent/"
                       "ask) nor for this exact request (hash %s): this run took another "
                       "path than the recorded one (another seed, policy or step budget?)",
                       t->path, key, hash);
    if (!pick)
        return err_set("replay: %s has no recorded reply for this request (hash %s); "
                       "the prompts differ from the recorded run's", t->path, hash);
    pick->served = 1;
    const cJSON *text = cJSON_GetObjectItemCaseSensitive(pick->reply, "text");
    const cJSON *args = cJSON_GetObjectItemCaseSensitive(pick->reply, "func_args");
    const cJSON *fin = cJSON_GetObjectItemCaseSensitive(pick->reply, "finish_reason");
    r->text = xstrdup(cJSON_IsString(text) ? text->valuestring : "");
    r->func_args = cJSON_IsObject(args) ? cJSON_Duplicate(args, 1) : NULL;
    r->finish_reason = xstrdup(cJSON_IsString(fin) ? fin->valuestring : "");
    r->usage = pick->usage;
    return 0;
}

/* ---- the provider ---------------------------------------------------------- */

/* The model part of replay:PATH is the log's path. */
static int replay_setup(llm_client *c, const llm_config *cfg)
{
    (void)cfg;
    c->replay_path = xstrdup(c->model);
    return replay_load(&c->replay, c->replay_path);
}

static int replay_answer(llm_client *c, const llm_request *req, const char *key,
                         const char *hash, llm_response *r)
{
    (void)req;
    return replay_lookup(c->replay, key, hash, r);
}

const provider provider_replay = {
    .name = "replay",
    .model_hint = "replay:PATH/llm.jsonl",
    .setup = replay_setup,
    .body = provider_local_body,
    .price = provider_free_price,
    .answer = replay_answer,
};

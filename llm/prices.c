/*
 * prices.c: the model table -- what a model costs and how it wants to be
 * asked (reasoning or not, default effort, temperature or not).
 *
 * The table is data: llm/prices.json, embedded at build time, and an
 * optional user file of the same shape (llm_config.prices_path) whose
 * entries win. A model matches an entry named exactly like it, or like it
 * plus a dated snapshot suffix ("claude-sonnet-4-20250514",
 * "gpt-4o-2024-08-06") or "-latest"; nothing looser, because a cousin model
 * ("gpt-4o-audio-preview") has other prices and a wrong price is worse than
 * "unknown". A model the table does not know gets settings from name
 * patterns (o-series and gpt-5 reason) and cost_known = 0. Besides prices
 * an entry may set reasoning, reasoning_effort, temperature and
 * system_role ("developer" for OpenAI's reasoning models).
 *
 * The table is parsed per lookup (once per client): it is small, and
 * keeping no cache keeps the module free of global state.
 */
#include "llm_int.h"
#include "embed.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

extern const embed_file llm_prices_files[];

/* "-20250514", "-2024-08-06" or "-latest" */
static int is_snapshot_suffix(const char *s)
{
    if (strcmp(s, "-latest") == 0)
        return 1;
    if (*s++ != '-')
        return 0;
    size_t digits = 0, dashes = 0, n = strlen(s);
    for (size_t i = 0; i < n; i++) {
        if (isdigit((unsigned char)s[i]))
            digits++;
        else if (s[i] == '-' && (i == 4 || i == 7))
            dashes++;
        else
            return 0;
    }
    return digits == 8 && (dashes == 0 || dashes == 2);
}

/* The best (longest) entry of `section` matching `model`, or NULL. */
static const cJSON *find_entry(const cJSON *section, const char *model)
{
    const cJSON *best = NULL;
    size_t best_len = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, section) {
        const char *k = e->string;
        size_t n = strlen(k);
        if (strncmp(model, k, n) != 0 || n <= best_len)
            continue;
        if (model[n] == 0 || is_snapshot_suffix(model + n)) {
            best = e;
            best_len = n;
        }
    }
    return best;
}

static void pattern_defaults(model_info *mi, const char *provider, const char *model)
{
    const char *base = strrchr(model, '/'); /* "openai/o3" on OpenRouter */
    base = base ? base + 1 : model;
    int reasoning = 0;
    if (strcmp(provider, "openai") == 0)
        reasoning = (base[0] == 'o' && isdigit((unsigned char)base[1])) ||
                    (str_starts(base, "gpt-5") && !strstr(base, "chat"));
    mi->reasoning = reasoning;
    mi->temperature = !reasoning;
    strcpy(mi->effort, reasoning ? "medium" : "");
    /* "system" for names the table does not know: every compatible server
     * takes it, and OpenAI reads it as "developer" for the models that
     * prefer that name. */
    strcpy(mi->system_role, "system");
}

static int read_number(double *out, const cJSON *e, const char *field, double dflt,
                       const char *where)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(e, field);
    if (!v) {
        if (dflt < 0)
            return err_set("%s: model '%s' lacks \"%s\" (USD per million tokens)",
                           where, e->string, field);
        *out = dflt;
        return 0;
    }
    if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) || v->valuedouble < 0)
        return err_set("%s: model '%s': \"%s\" must be a number >= 0 (USD per million tokens)",
                       where, e->string, field);
    *out = v->valuedouble;
    return 0;
}

static int read_entry(model_info *mi, const cJSON *e, const char *where)
{
    if (!cJSON_IsObject(e))
        return err_set("%s: model '%s' must be an object", where, e->string);
    if (read_number(&mi->input, e, "input", -1, where) < 0 ||
        read_number(&mi->output, e, "output", -1, where) < 0 ||
        read_number(&mi->cached_input, e, "cached_input", mi->input, where) < 0 ||
        read_number(&mi->cache_write, e, "cache_write", mi->input, where) < 0)
        return -1;
    mi->price_known = 1;
    mi->from_table = 1;
    const cJSON *r = cJSON_GetObjectItemCaseSensitive(e, "reasoning");
    if (cJSON_IsBool(r)) {
        mi->reasoning = cJSON_IsTrue(r);
        mi->temperature = !mi->reasoning;
        strcpy(mi->effort, mi->reasoning ? "medium" : "");
    }
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(e, "temperature");
    if (cJSON_IsBool(t))
        mi->temperature = cJSON_IsTrue(t);
    const cJSON *ef = cJSON_GetObjectItemCaseSensitive(e, "reasoning_effort");
    if (cJSON_IsString(ef) && strlen(ef->valuestring) < sizeof mi->effort)
        strcpy(mi->effort, ef->valuestring);
    const cJSON *sr = cJSON_GetObjectItemCaseSensitive(e, "system_role");
    if (sr && !(cJSON_IsString(sr) && (strcmp(sr->valuestring, "system") == 0 ||
                                      strcmp(sr->valuestring, "developer") == 0 ||
                                      strcmp(sr->valuestring, "user") == 0)))
        return err_set("%s: model '%s': \"system_role\" must be \"system\", \"developer\" "
                       "or \"user\"", where, e->string);
    if (sr)
        strcpy(mi->system_role, sr->valuestring);
    return 0;
}

/* 1 when found, 0 when not, < 0 on a bad table. */
static int lookup_in(model_info *mi, const char *json, const char *where,
                     const char *provider, const char *model)
{
    cJSON *root = cJSON_Parse(json);
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return err_set("%s: not a JSON object of the form {\"openai\": {\"MODEL\": "
                       "{\"input\": USD, \"output\": USD}}}", where);
    }
    const cJSON *e = find_entry(cJSON_GetObjectItemCaseSensitive(root, provider), model);
    int rc = e ? read_entry(mi, e, where) : 0;
    if (rc == 0 && e)
        rc = 1;
    cJSON_Delete(root);
    return rc;
}

int prices_lookup(model_info *out, const char *prices_path, const char *provider,
                  const char *model)
{
    memset(out, 0, sizeof *out);
    pattern_defaults(out, provider, model);
    if (prices_path) {
        char *text;
        if (file_read(prices_path, &text, NULL) < 0)
            return err_prefix("price table");
        int rc = lookup_in(out, text, prices_path, provider, model);
        free(text);
        if (rc != 0)
            return rc < 0 ? -1 : 0;
    }
    const embed_file *f = embed_find(llm_prices_files, "prices.json");
    if (!f)
        return err_set("llm: built-in price table missing from the binary");
    int rc = lookup_in(out, f->data, "llm/prices.json", provider, model);
    return rc < 0 ? -1 : 0;
}

void prices_cost(llm_usage *u, const model_info *mi)
{
    u->cost_usd = 0;
    u->cost_known = mi->price_known;
    if (!mi->price_known)
        return;
    double writes = (double)u->cache_write_tokens;
    double reads = (double)u->cached_tokens - writes;
    double fresh = (double)u->input_tokens - (double)u->cached_tokens;
    if (reads < 0)
        reads = 0;
    if (fresh < 0)
        fresh = 0;
    u->cost_usd = (fresh * mi->input + reads * mi->cached_input + writes * mi->cache_write +
                   (double)u->output_tokens * mi->output) / 1e6;
}

/*
 * config.c: defaults, file merge, dotted overrides and validation for the run
 * configuration (see config.h).
 */
#include "config.h"
#include "util.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char defaults_json[] =
    "{"
    "\"competition\": null,"
    "\"data_dir\": null,"
    "\"model\": null,"
    "\"feedback_model\": null,"
    "\"base_url\": null,"
    "\"feedback_base_url\": null,"
    "\"api_key_env\": null,"
    "\"prices\": null,"
    "\"reasoning_effort\": null,"
    "\"steps\": 20,"
    "\"time_limit\": 3600,"
    "\"exec_timeout\": 600,"
    "\"workers\": 2,"
    "\"seed\": 0,"
    "\"out\": \"runs\","
    "\"name\": null,"
    "\"policy\": \"greedy\","
    "\"scoring\": \"auto\","
    "\"holdout_fraction\": 0.2,"
    "\"final_top_k\": 1,"
    "\"analysis_top_k\": 0,"
    "\"max_cost\": null,"
    "\"python\": null,"
    "\"sandbox\": \"auto\","
    "\"prompts\": null,"
    "\"memory_chars\": 4000,"
    "\"max_output_tokens\": 8192,"
    "\"temperature\": 0.5,"
    "\"gap_warning\": 0.05,"
    "\"lower_is_better\": null,"
    "\"metric\": null,"
    "\"search\": {\"num_drafts\": 5, \"debug_prob\": 0.5, \"max_debug_depth\": 3,"
    "             \"max_failed_drafts\": 15, \"top_k\": 3},"
    "\"exec\": {\"memory_limit_mb\": 0, \"file_limit_mb\": 8192, \"max_procs\": 1024,"
    "          \"allow_network\": false, \"threads\": 1}"
    "}";

cJSON *config_defaults(void)
{
    cJSON *c = cJSON_Parse(defaults_json);
    if (!c)
        abort(); /* the literal above is valid JSON; this is a programming error */
    return c;
}

static int known_key(const char *dotted);

static void merge(cJSON *dst, const cJSON *src)
{
    for (const cJSON *it = src->child; it; it = it->next) {
        cJSON *cur = cJSON_GetObjectItemCaseSensitive(dst, it->string);
        if (cur && cJSON_IsObject(cur) && cJSON_IsObject(it)) {
            merge(cur, it);
            continue;
        }
        cJSON *copy = cJSON_Duplicate(it, 1);
        if (cur)
            cJSON_ReplaceItemInObjectCaseSensitive(dst, it->string, copy);
        else
            cJSON_AddItemToObject(dst, it->string, copy);
    }
}

static void line_col(const char *text, const char *at, int *line, int *col)
{
    *line = 1;
    *col = 1;
    for (const char *p = text; p < at && *p; p++) {
        if (*p == '\n') {
            (*line)++;
            *col = 1;
        } else {
            (*col)++;
        }
    }
}

int config_merge_file(cJSON *cfg, const char *path)
{
    char *text = NULL;
    if (file_read(path, &text, NULL) < 0)
        return err_prefix("config");
    const char *end = NULL;
    cJSON *file = cJSON_ParseWithOpts(text, &end, 1);
    if (!file || !cJSON_IsObject(file)) {
        int line, col;
        line_col(text, end ? end : text, &line, &col);
        err_set("config %s: %s at line %d, column %d (fix the JSON syntax there)", path,
                file ? "expected a JSON object" : "invalid JSON", line, col);
        cJSON_Delete(file);
        free(text);
        return -1;
    }
    free(text);
    for (const cJSON *it = file->child; it; it = it->next) {
        const cJSON *bad = known_key(it->string) ? NULL : it;
        for (const cJSON *in = cJSON_IsObject(it) ? it->child : NULL; in && !bad; in = in->next) {
            char *k = xasprintf("%s.%s", it->string, in->string);
            if (!known_key(k))
                bad = in;
            free(k);
        }
        if (bad) {
            err_set("config %s: unknown key '%s%s%s' (see `grove help run` for the keys)", path,
                    bad == it ? "" : it->string, bad == it ? "" : ".", bad->string);
            cJSON_Delete(file);
            return -1;
        }
    }
    merge(cfg, file);
    cJSON_Delete(file);
    return config_validate(cfg) < 0 ? err_prefix("config %s", path) : 0;
}

/* The object holding the last part of a dotted path, created as needed. */
static cJSON *parent_of(cJSON *cfg, const char *dotted, char *last, size_t n)
{
    const char *p = dotted;
    cJSON *cur = cfg;
    for (;;) {
        const char *dot = strchr(p, '.');
        size_t len = dot ? (size_t)(dot - p) : strlen(p);
        if (!len || len >= n)
            return NULL;
        memcpy(last, p, len);
        last[len] = 0;
        if (!dot)
            return cur;
        cJSON *next = cJSON_GetObjectItemCaseSensitive(cur, last);
        if (!next || cJSON_IsNull(next)) {
            next = cJSON_CreateObject();
            cJSON_DeleteItemFromObjectCaseSensitive(cur, last);
            cJSON_AddItemToObject(cur, last, next);
        } else if (!cJSON_IsObject(next)) {
            return NULL;
        }
        cur = next;
        p = dot + 1;
    }
}

static const cJSON *lookup(const cJSON *cfg, const char *dotted);

/* A key is known when the defaults have it, or when it sits under a
 * top-level key whose default is not an object (free-form values). */
static int known_key(const char *dotted)
{
    cJSON *d = config_defaults();
    char top[128];
    size_t tl = strcspn(dotted, ".");
    snprintf(top, sizeof top, "%.*s", (int)(tl < sizeof top ? tl : sizeof top - 1), dotted);
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(d, top);
    int ok = t && (!cJSON_IsObject(t) || !dotted[tl] ||
                   cJSON_GetObjectItemCaseSensitive(t, dotted + tl + 1) != NULL);
    cJSON_Delete(d);
    return ok;
}

static int put(cJSON *cfg, const char *dotted, cJSON *value)
{
    char top[128];
    const char *dot = strchr(dotted, '.');
    size_t tl = dot ? (size_t)(dot - dotted) : strlen(dotted);
    if (tl >= sizeof top) {
        cJSON_Delete(value);
        return err_set("config: key '%s' is too long", dotted);
    }
    memcpy(top, dotted, tl);
    top[tl] = 0;
    if (!cJSON_GetObjectItemCaseSensitive(cfg, top)) {
        cJSON_Delete(value);
        return err_set("config: unknown key '%s' (see `grove help run` for the keys)", dotted);
    }
    if (!known_key(dotted)) {
        cJSON_Delete(value);
        return err_set("config: unknown key '%s' (see `grove help run` and a run's config.json "
                       "for the keys)", dotted);
    }
    char last[128];
    cJSON *parent = parent_of(cfg, dotted, last, sizeof last);
    if (!parent) {
        cJSON_Delete(value);
        return err_set("config: '%s' is not a valid key path", dotted);
    }
    if (cJSON_GetObjectItemCaseSensitive(parent, last))
        cJSON_ReplaceItemInObjectCaseSensitive(parent, last, value);
    else
        cJSON_AddItemToObject(parent, last, value);
    return 0;
}

int config_set(cJSON *cfg, const char *assignment)
{
    const char *eq = strchr(assignment, '=');
    if (!eq || eq == assignment)
        return err_set("config: '%s' is not KEY=VALUE (e.g. search.num_drafts=3)", assignment);
    char *key = xstrndup(assignment, (size_t)(eq - assignment));
    cJSON *v = cJSON_Parse(eq + 1);
    if (!v)
        v = cJSON_CreateString(eq + 1);
    int rc = put(cfg, key, v);
    free(key);
    return rc;
}

static int numeric_key(const char *dotted);

int config_set_value(cJSON *cfg, const char *dotted, const char *value)
{
    char *end;
    double d = strtod(value, &end);
    /* "--name 7" names a run "7": only numeric keys take numbers */
    int number = numeric_key(dotted) && *value && !*end && isfinite(d);
    return put(cfg, dotted, number ? cJSON_CreateNumber(d) : cJSON_CreateString(value));
}

static const cJSON *lookup(const cJSON *cfg, const char *dotted)
{
    char part[128];
    const char *p = dotted;
    const cJSON *cur = cfg;
    while (cur && *p) {
        const char *dot = strchr(p, '.');
        size_t len = dot ? (size_t)(dot - p) : strlen(p);
        if (len >= sizeof part)
            return NULL;
        memcpy(part, p, len);
        part[len] = 0;
        cur = cJSON_GetObjectItemCaseSensitive(cur, part);
        p = dot ? dot + 1 : p + len;
    }
    return cur && !cJSON_IsNull(cur) ? cur : NULL;
}

const char *config_str(const cJSON *cfg, const char *dotted, const char *dflt)
{
    const cJSON *v = lookup(cfg, dotted);
    return cJSON_IsString(v) ? v->valuestring : dflt;
}

double config_num(const cJSON *cfg, const char *dotted, double dflt)
{
    const cJSON *v = lookup(cfg, dotted);
    if (cJSON_IsNumber(v))
        return v->valuedouble;
    if (cJSON_IsString(v)) {
        double d = config_parse_duration(v->valuestring);
        if (d >= 0)
            return d;
    }
    return dflt;
}

int config_bool(const cJSON *cfg, const char *dotted, int dflt)
{
    const cJSON *v = lookup(cfg, dotted);
    if (cJSON_IsBool(v))
        return cJSON_IsTrue(v);
    if (cJSON_IsNumber(v))
        return v->valuedouble != 0;
    return dflt;
}

double config_parse_duration(const char *s)
{
    if (!s || !*s)
        return -1;
    double total = 0;
    const char *p = s;
    while (*p) {
        char *end;
        double v = strtod(p, &end);
        if (end == p || !isfinite(v) || v < 0)
            return -1;
        double unit = 1;
        switch (*end) {
        case 'h': unit = 3600; end++; break;
        case 'm': unit = 60; end++; break;
        case 's': end++; break;
        case 0: break;
        default: return -1;
        }
        total += v * unit;
        p = end;
    }
    return total;
}

void config_format_duration(char *buf, size_t n, double seconds)
{
    long s = seconds < 0 ? 0 : (long)(seconds + 0.5);
    if (s >= 3600)
        snprintf(buf, n, "%ldh %02ldm", s / 3600, (s % 3600) / 60);
    else if (s >= 60)
        snprintf(buf, n, "%ldm %02lds", s / 60, s % 60);
    else
        snprintf(buf, n, "%lds", s);
}

typedef struct num_rule {
    const char *key;
    double min, max;
    int duration;
} num_rule;

static const num_rule rules[] = {
    {"steps", 1, 1e6, 0},
    {"time_limit", 1, 1e7, 1},
    {"exec_timeout", 1, 1e6, 1},
    {"workers", 1, 256, 0},
    {"seed", 0, 4294967295.0, 0},
    {"holdout_fraction", 0.01, 0.9, 0},
    {"final_top_k", 0, 100, 0},
    {"analysis_top_k", 0, 100, 0},
    {"memory_chars", 0, 1e6, 0},
    {"max_output_tokens", 16, 1e6, 0},
    {"temperature", 0, 2, 0},
    {"gap_warning", 0, 1e9, 0},
    {"search.num_drafts", 0, 1e4, 0},
    {"search.debug_prob", 0, 1, 0},
    {"search.max_debug_depth", 0, 100, 0},
    {"search.max_failed_drafts", 0, 1e5, 0},
    {"search.top_k", 1, 1000, 0},
    {"exec.memory_limit_mb", 0, 1e9, 0},
    {"exec.threads", 0, 1024, 0},
    {"exec.file_limit_mb", 0, 1e9, 0},
    {"exec.max_procs", -1, 1e6, 0},
};

static int numeric_key(const char *dotted)
{
    for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++)
        if (!strcmp(rules[i].key, dotted))
            return 1;
    return !strcmp(dotted, "max_cost");
}

int config_validate(const cJSON *cfg)
{
    for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++) {
        const cJSON *v = lookup(cfg, rules[i].key);
        if (!v)
            continue;
        double d;
        if (cJSON_IsNumber(v))
            d = v->valuedouble;
        else if (rules[i].duration && cJSON_IsString(v) &&
                 (d = config_parse_duration(v->valuestring)) >= 0)
            ;
        else
            return err_set("config: '%s' must be a number%s", rules[i].key,
                           rules[i].duration ? " or a duration like 90s, 15m, 2h" : "");
        if (!(d >= rules[i].min && d <= rules[i].max))
            return err_set("config: '%s' is %g; it must be between %g and %g", rules[i].key, d,
                           rules[i].min, rules[i].max);
    }
    const cJSON *mc = lookup(cfg, "max_cost");
    if (mc && (!cJSON_IsNumber(mc) || mc->valuedouble <= 0))
        return err_set("config: 'max_cost' must be a positive number of US dollars");
    static const char *const str_keys[] = {"scoring", "sandbox", "policy", "out"};
    for (size_t i = 0; i < 4; i++) {
        const cJSON *v = lookup(cfg, str_keys[i]);
        if (v && !cJSON_IsString(v))
            return err_set("config: '%s' must be a string", str_keys[i]);
    }
    const char *scoring = config_str(cfg, "scoring", "auto");
    if (strcmp(scoring, "auto") && strcmp(scoring, "holdout") && strcmp(scoring, "self-report"))
        return err_set("config: 'scoring' is '%s'; use auto, holdout or self-report", scoring);
    const char *sandbox = config_str(cfg, "sandbox", "auto");
    if (strcmp(sandbox, "auto") && strcmp(sandbox, "on") && strcmp(sandbox, "off"))
        return err_set("config: 'sandbox' is '%s'; use auto, on or off", sandbox);
    return 0;
}

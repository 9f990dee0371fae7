/*
 * review.c: the structured review {is_bug, summary, metric, has_submission}
 * -- its function schema, and a parser that takes what models really send.
 *
 * Forced function arguments are used first. Otherwise the reply's text is
 * searched for balanced {...} candidates with one recursive PCRE2 pattern
 * that skips braces inside JSON strings; each candidate, from the left, is
 * repaired for the usual non-JSON (NaN, Infinity, Python's True/False/None,
 * trailing commas) and parsed with cJSON, and the first object holding any
 * review field wins. A candidate that parses but holds no review field is
 * searched for nested objects ({"review": {...}}).
 *
 * Field tolerance: booleans may come as true/1/"yes"/"true"; metric as a
 * number, a numeric string ("0.81"), null, NaN or "nan" (the last three:
 * no metric). Missing fields: summary "", has_submission 0, and is_bug
 * follows the metric (a review with neither a verdict nor a metric counts
 * as a bug, since nothing shows the script worked).
 */
#include "llm_int.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <ctype.h>
#include <math.h>
#include <pcre2.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Longer texts are cut: a review is small, and the match is quadratic in
 * the worst case. */
#define REVIEW_MAX_TEXT (256 * 1024)

cJSON *llm_review_schema(void)
{
    return cJSON_Parse(
        "{\"type\":\"object\",\"properties\":{"
        "\"is_bug\":{\"type\":\"boolean\",\"description\":\"true if the script failed, raised "
        "an exception or produced no usable result\"},"
        "\"summary\":{\"type\":\"string\",\"description\":\"2-3 sentences on what the run "
        "showed, or what went wrong\"},"
        "\"metric\":{\"type\":[\"number\",\"null\"],\"description\":\"the validation metric "
        "the script printed, or null if none\"},"
        "\"has_submission\":{\"type\":\"boolean\",\"description\":\"true if the script wrote "
        "the submission file\"}},"
        "\"required\":[\"is_bug\",\"summary\",\"metric\",\"has_submission\"]}");
}

static const char *const review_keys[] = {"is_bug", "summary", "metric", "has_submission",
                                          "has_csv_submission"};

static int has_review_key(const cJSON *o)
{
    for (size_t i = 0; i < sizeof review_keys / sizeof *review_keys; i++)
        if (cJSON_GetObjectItemCaseSensitive(o, review_keys[i]))
            return 1;
    return 0;
}

/* -1 when absent or unreadable, else 0/1. */
static int read_bool(const cJSON *v)
{
    if (cJSON_IsBool(v))
        return cJSON_IsTrue(v);
    if (cJSON_IsNumber(v))
        return v->valuedouble != 0;
    if (cJSON_IsString(v)) {
        const char *s = v->valuestring;
        if (!strcasecmp(s, "true") || !strcasecmp(s, "yes") || !strcmp(s, "1"))
            return 1;
        if (!strcasecmp(s, "false") || !strcasecmp(s, "no") || !strcmp(s, "0"))
            return 0;
    }
    return -1;
}

static int read_metric(double *out, const cJSON *v)
{
    double x;
    if (cJSON_IsNumber(v)) {
        x = v->valuedouble;
    } else if (cJSON_IsString(v)) {
        char *end;
        x = strtod(v->valuestring, &end);
        while (isspace((unsigned char)*end))
            end++;
        if (end == v->valuestring || *end)
            return 0;
    } else {
        return 0;
    }
    if (!isfinite(x))
        return 0;
    *out = x;
    return 1;
}

static void fill_review(llm_review *out, const cJSON *o)
{
    memset(out, 0, sizeof *out);
    out->has_metric = read_metric(&out->metric, cJSON_GetObjectItemCaseSensitive(o, "metric"));
    int bug = read_bool(cJSON_GetObjectItemCaseSensitive(o, "is_bug"));
    out->is_bug = bug >= 0 ? bug : !out->has_metric;
    int sub = read_bool(cJSON_GetObjectItemCaseSensitive(o, "has_submission"));
    if (sub < 0)
        sub = read_bool(cJSON_GetObjectItemCaseSensitive(o, "has_csv_submission"));
    out->has_submission = sub > 0;
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(o, "summary");
    if (cJSON_IsString(s))
        out->summary = xstrdup(s->valuestring);
    else if (s && !cJSON_IsNull(s)) {
        char *p = cJSON_PrintUnformatted(s);
        out->summary = xstrdup(p ? p : "");
        cJSON_free(p);
    } else
        out->summary = xstrdup("");
}

/* Rewrite bare words JSON lacks (outside strings) and drop trailing commas. */
static char *repair_json(const char *s, size_t n)
{
    static const struct { const char *word, *json; } words[] = {
        {"-Infinity", "null"}, {"Infinity", "null"}, {"-NaN", "null"}, {"NaN", "null"},
        {"-nan", "null"}, {"nan", "null"}, {"-inf", "null"}, {"inf", "null"},
        {"None", "null"}, {"True", "true"}, {"False", "false"},
    };
    sb out = {0};
    for (size_t i = 0; i < n;) {
        if (s[i] == '"') { /* copy a string verbatim */
            size_t j = i + 1;
            while (j < n && s[j] != '"')
                j += s[j] == '\\' ? 2 : 1;
            j = j < n ? j + 1 : n;
            sb_append(&out, s + i, j - i);
            i = j;
            continue;
        }
        if (s[i] == ',') { /* a comma followed only by space then } or ] */
            size_t j = i + 1;
            while (j < n && isspace((unsigned char)s[j]))
                j++;
            if (j < n && (s[j] == '}' || s[j] == ']')) {
                i++;
                continue;
            }
        }
        size_t k, wl = 0;
        for (k = 0; k < sizeof words / sizeof *words; k++) {
            wl = strlen(words[k].word);
            if (wl <= n - i && memcmp(s + i, words[k].word, wl) == 0 &&
                (i + wl == n || !isalnum((unsigned char)s[i + wl])) &&
                (i == 0 || !isalnum((unsigned char)s[i - 1])))
                break;
        }
        if (k < sizeof words / sizeof *words) {
            sb_puts(&out, words[k].json);
            i += wl;
        } else {
            sb_putc(&out, s[i++]);
        }
    }
    return sb_steal(&out);
}

static cJSON *parse_candidate(const char *s, size_t n)
{
    char *fixed = repair_json(s, n);
    cJSON *o = fixed ? cJSON_Parse(fixed) : NULL;
    free(fixed);
    if (o && !cJSON_IsObject(o)) {
        cJSON_Delete(o);
        o = NULL;
    }
    return o;
}

static pcre2_code *object_pattern(void)
{
    /* A balanced {...}: runs of non-brace non-quote bytes, JSON strings
     * (with escapes), or a nested object by recursion. Possessive, so a
     * failed start fails fast. */
    static const char pat[] = "\\{(?:[^{}\"]++|\"(?:[^\"\\\\]++|\\\\.)*+\"|(?R))*+\\}";
    int errcode;
    PCRE2_SIZE erroff;
    return pcre2_compile((PCRE2_SPTR)pat, PCRE2_ZERO_TERMINATED, PCRE2_DOTALL, &errcode,
                         &erroff, NULL);
}

/* The first review object in text, or NULL. */
static cJSON *find_in_text(const char *text, size_t len)
{
    pcre2_code *re = object_pattern();
    if (!re)
        return NULL;
    pcre2_match_data *md = pcre2_match_data_create_from_pattern(re, NULL);
    pcre2_match_context *mc = pcre2_match_context_create(NULL);
    pcre2_set_match_limit(mc, 2000000);
    pcre2_set_depth_limit(mc, 10000);
    cJSON *found = NULL;
    PCRE2_SIZE at = 0;
    while (!found && at < len) {
        int rc = pcre2_match(re, (PCRE2_SPTR)text, len, at, 0, md, mc);
        if (rc < 0)
            break;
        PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
        cJSON *o = parse_candidate(text + ov[0], ov[1] - ov[0]);
        if (o && has_review_key(o))
            found = o;
        else
            cJSON_Delete(o);
        at = ov[0] + 1; /* next try starts inside: nested objects count */
    }
    pcre2_match_context_free(mc);
    pcre2_match_data_free(md);
    pcre2_code_free(re);
    return found;
}

int llm_review_parse(llm_review *out, const cJSON *func_args, const char *text)
{
    memset(out, 0, sizeof *out);
    if (cJSON_IsObject(func_args) && has_review_key(func_args)) {
        fill_review(out, func_args);
        return 0;
    }
    if (cJSON_IsString(func_args)) { /* arguments left as a JSON string */
        cJSON *o = find_in_text(func_args->valuestring, strlen(func_args->valuestring));
        if (o) {
            fill_review(out, o);
            cJSON_Delete(o);
            return 0;
        }
    }
    size_t len = text ? strlen(text) : 0;
    if (len > REVIEW_MAX_TEXT)
        len = REVIEW_MAX_TEXT;
    cJSON *o = len ? find_in_text(text, len) : NULL;
    if (!o) {
        char *q = body_quote(text ? text : "", len, 200);
        err_set("review: the reply holds no JSON object with is_bug, summary, metric or "
                "has_submission: %s", q);
        free(q);
        return -1;
    }
    fill_review(out, o);
    cJSON_Delete(o);
    return 0;
}

void llm_review_free(llm_review *r)
{
    if (!r)
        return;
    free(r->summary);
    r->summary = NULL;
}

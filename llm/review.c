/*
 * review.c: the structured review {is_bug, summary, metric, has_submission}
 * -- its function schema, and a parser that takes what models really send.
 *
 * Forced function arguments are used first. Otherwise the reply's text is
 * searched: PCRE2 finds each place a review field is named ("metric":), a
 * linear brace matcher (aware of JSON strings) gives the innermost balanced
 * {...} around it, and that candidate is repaired for the usual non-JSON
 * (NaN, Infinity, Python's True/False/None, trailing commas) and parsed
 * with cJSON. The first candidate that parses wins, so prose, code fences,
 * unrelated objects before it and wrappers ({"review": {...}}) are all
 * fine.
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

/* Longer texts are cut: a review is small, and a reply this long is a
 * runaway, not a review. */
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

typedef struct span { size_t start, end; } span; /* [start, end) of a {...} */

/* Every balanced {...} in s, in one linear pass; braces inside JSON strings
 * (tracked only within braces, so prose quotes do not confuse it) do not
 * count. Caller frees. */
static span *balanced_objects(const char *s, size_t n, size_t *count)
{
    size_t *stack = NULL, depth = 0, cap = 0, nspans = 0;
    span *spans = NULL;
    int in_str = 0, esc = 0;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if (in_str) {
            if (esc)
                esc = 0;
            else if (ch == '\\')
                esc = 1;
            else if (ch == '"')
                in_str = 0;
        } else if (ch == '{') {
            if (depth == cap)
                stack = xrealloc(stack, (cap = cap ? cap * 2 : 16) * sizeof *stack);
            stack[depth++] = i;
        } else if (ch == '}' && depth) {
            spans = xrealloc(spans, (nspans + 1) * sizeof *spans);
            spans[nspans++] = (span){stack[--depth], i + 1};
        } else if (ch == '"' && depth) {
            in_str = 1;
        }
    }
    free(stack);
    *count = nspans;
    return spans;
}

/* The innermost object around position p, or NULL. */
static const span *enclosing(const span *spans, size_t n, size_t p)
{
    const span *best = NULL;
    for (size_t i = 0; i < n; i++)
        if (spans[i].start < p && p < spans[i].end && (!best || spans[i].start > best->start))
            best = &spans[i];
    return best;
}

/* The first review object in text, or NULL. PCRE2 finds where review
 * fields are named ("metric":); the innermost balanced object around each
 * such place is a candidate, tried in order. Linear in the text, so a huge
 * or hostile reply costs little. */
static cJSON *find_in_text(const char *text, size_t len)
{
    static const char pat[] =
        "\"(?:is_bug|summary|metric|has_submission|has_csv_submission)\"\\s*:";
    int errcode;
    PCRE2_SIZE erroff;
    pcre2_code *re = pcre2_compile((PCRE2_SPTR)pat, PCRE2_ZERO_TERMINATED, 0, &errcode,
                                   &erroff, NULL);
    if (!re)
        return NULL;
    pcre2_match_data *md = pcre2_match_data_create_from_pattern(re, NULL);
    size_t nspans;
    span *spans = balanced_objects(text, len, &nspans);
    const span *tried = NULL;
    cJSON *found = NULL;
    PCRE2_SIZE at = 0;
    for (int tries = 0; !found && at < len && tries < 256; tries++) {
        if (pcre2_match(re, (PCRE2_SPTR)text, len, at, 0, md, NULL) < 0)
            break;
        PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
        at = ov[1];
        const span *sp = enclosing(spans, nspans, ov[0]);
        if (!sp || sp == tried)
            continue;
        tried = sp;
        cJSON *o = parse_candidate(text + sp->start, sp->end - sp->start);
        if (o && has_review_key(o))
            found = o;
        else
            cJSON_Delete(o);
    }
    free(spans);
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

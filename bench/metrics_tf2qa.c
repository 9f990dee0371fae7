/*
 * metrics_tf2qa.c: f1_tf2qa (tensorflow2-question-answering). The answers
 * cell lists the valid answers ("start:end" spans, YES, NO; answers_rows.c
 * builds it); micro F1 of the binary y_true/y_pred that MLE-bench derives
 * is the share of rows where a given answer is valid or no answer is given
 * and none is valid. A submission cell is a "start_token:end_token" span,
 * YES, NO or empty, its tokens read as Python's int() reads them.
 */
#include "metrics.h"
#include "util.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Python's int() of text (whitespace around allowed): 0 with *v, 1 when the
 * value is beyond 64 bits (it matches no answer), -1 when int() fails. */
static int py_int_text(const char *s, size_t len, long long *v)
{
    char *copy = xstrndup(s, len);
    text_tok *t = NULL;
    size_t cap = 0;
    int rc = -1;
    /* bytes that are not UTF-8 never reach float() (pandas cannot decode
     * them); text_split would read a lone 0xA0 as a no-break space */
    if (strlen(copy) != len || text_utf8_check(copy, len) >= 0 ||
        strpbrk(copy, "\x1c\x1d\x1e\x1f") || text_split(&t, &cap, copy, 0) != 1)
        goto done; /* \x1c-\x1f: str.split() spaces that float() does not strip */
    const char *p = t[0].s, *end = p + t[0].len;
    int neg = *p == '-';
    p += *p == '+' || *p == '-';
    unsigned long long acc = 0;
    int over = 0, prev_digit = 0;
    if (p == end)
        goto done;
    for (; p < end; p++) {
        if (*p == '_' && prev_digit && p + 1 < end && p[1] >= '0' && p[1] <= '9') {
            prev_digit = 0;
            continue;
        }
        if (*p < '0' || *p > '9')
            goto done;
        prev_digit = 1;
        if (acc > (ULLONG_MAX - 9) / 10)
            over = 1;
        else
            acc = acc * 10 + (unsigned long long)(*p - '0');
    }
    over |= acc > (unsigned long long)LLONG_MAX;
    *v = neg ? -(long long)acc : (long long)acc;
    rc = over;
done:
    free(t);
    free(copy);
    return rc;
}

/* Is the prediction (trimmed, non-empty, n bytes at s) among the valid
 * answers (space-separated "start:end", YES, NO)? -1: not a prediction
 * MLE-bench accepts. */
static int tf2qa_hit(const char *s, size_t n, const char *valid)
{
    const char *colon = memchr(s, ':', n);
    int span = colon && !memchr(colon + 1, ':', n - (size_t)(colon + 1 - s));
    long long a = 0, b = 0;
    if (span) {
        int ra = py_int_text(s, (size_t)(colon - s), &a);
        int rb = py_int_text(colon + 1, n - (size_t)(colon + 1 - s), &b);
        if (ra < 0 || rb < 0)
            return -1;
        if (ra || rb)
            return 0;
    } else if (!((n == 3 && !memcmp(s, "YES", 3)) || (n == 2 && !memcmp(s, "NO", 2))))
        return -1;
    for (const char *v = valid; *v;) {
        size_t len = strcspn(v, " ");
        long long va, vb;
        if (span && memchr(v, ':', len) && sscanf(v, "%lld:%lld", &va, &vb) == 2 && va == a &&
            vb == b)
            return 1;
        if (!span && len == n && !memcmp(v, s, n))
            return 1;
        v += len + (v[len] == ' ');
    }
    return 0;
}

static int f1_tf2qa(double *out, const metric_input *in)
{
    text_tok *t = NULL;
    size_t cap = 0, hits = 0;
    int rc = 0;
    for (size_t i = 0; i < in->n && rc == 0; i++) {
        const char *p = in->ps[i];
        size_t n = metric_is_na(p) ? 0 : text_split(&t, &cap, p, 0); /* fillna(""), strip() */
        if (!n) {
            hits += !*in->ys[i];
            continue;
        }
        const char *s = t[0].s;
        size_t len = (size_t)(t[n - 1].s + t[n - 1].len - s);
        int hit = tf2qa_hit(s, len, in->ys[i]);
        if (hit < 0)
            rc = (err_set("submission line %zu, column '%s': '%.*s' is not an answer "
                          "(\"start_token:end_token\", YES, NO or empty)", metric_line_of(in, i),
                          in->cols[0], (int)(len > 200 ? 200 : len), s), 1);
        hits += hit > 0;
    }
    free(t);
    if (rc == 0)
        *out = (double)hits / (double)in->n;
    return rc;
}

const metric_def metrics_tf2qa[] = {
    {"f1_tf2qa", METRIC_STRING | METRIC_ONE_COL, f1_tf2qa, 0, 0, NULL},
    {NULL, 0, NULL, 0, 0, NULL},
};

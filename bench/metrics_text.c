/*
 * metrics_text.c: metrics over the cells' text (lists of labels, words,
 * sequences), as MLE-bench's graders compute them in Python.
 *
 * Those graders read both files with pandas, then work on Python strings, so
 * the score depends on three layers that this file reproduces in order:
 *
 * 1. pandas' reading of a column: a cell in pandas' default NA list ("",
 *    "NA", "null", "None", ...) is NaN; a column whose every other cell is a
 *    number becomes int64 or float64, and .astype(str) then prints the
 *    numbers back ("007" -> "7"; "5" -> "5.0" once an NaN makes the column
 *    float). text_pandas() gives each cell's text after that; a grader that
 *    calls string methods on a numeric column fails, which is an invalid
 *    submission here (text_numeric_column()).
 * 2. Python's str methods: str.split() splits on Unicode whitespace,
 *    str.split(" ") on single spaces (keeping empty tokens), str.lower()
 *    maps code points by the tables that scripts/gen_unicase.py reads off
 *    Python itself, including the final-sigma rule and U+0130. Text must be
 *    valid UTF-8 (pandas would fail to decode the file otherwise).
 * 3. The metric: MAP@k (MLE-bench's average_precision_at_k: the first k
 *    predictions, a repeated one never scores twice, divided by min(|truth|,
 *    k)); word-set Jaccard; Levenshtein over code points (python-Levenshtein)
 *    or over integer tokens; the Kendall tau of AI4Code (inversions by merge
 *    sort, O(n log n)); micro F1 over label sets whose classes are the
 *    answers' labels (sklearn's MultiLabelBinarizer ignores the others).
 *
 * Limits, all documented in the report of the branch that added this: bool
 * columns ("True"/"False") are left as text (f1_micro_labels refuses them,
 * as sklearn does); integers beyond 18 digits keep
 * their text; Python's int() of non-ASCII digits is not accepted.
 */
#include "metrics.h"
#include "util.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- tokens as sets ------------------------------------------------------- */

static int tok_cmp(const void *a, const void *b)
{
    const text_tok *x = a, *y = b;
    int c = memcmp(x->s, y->s, x->len < y->len ? x->len : y->len);
    return c ? c : (x->len > y->len) - (x->len < y->len);
}

/* Sort and drop repeats; returns the new count. */
static size_t tok_set(text_tok *v, size_t n)
{
    if (n < 2)
        return n;
    xqsort(v, n, sizeof *v, tok_cmp);
    size_t m = 1;
    for (size_t i = 1; i < n; i++)
        if (tok_cmp(&v[m - 1], &v[i]))
            v[m++] = v[i];
    return m;
}

/* Split s into *v (text_split), then tok_set. One function, because
 * text_split may move *v: tok_set(s->a, text_split(&s->a, ...)) read the
 * vector before or after the move depending on the compiler's order of
 * evaluation (clang: before, so a NULL or freed vector; found by the
 * libFuzzer build of fuzz_text). */
static size_t tok_split_set(text_tok **v, size_t *cap, const char *s, int sep)
{
    size_t n = text_split(v, cap, s, sep);
    return tok_set(*v, n);
}

static int tok_in(const text_tok *set, size_t n, const text_tok *t)
{
    return n && bsearch(t, set, n, sizeof *set, tok_cmp) != NULL;
}

/* |a ∩ b| of two sorted sets. */
static size_t tok_common(const text_tok *a, size_t na, const text_tok *b, size_t nb)
{
    size_t i = 0, j = 0, c = 0;
    while (i < na && j < nb) {
        int d = tok_cmp(&a[i], &b[j]);
        c += d == 0;
        i += d <= 0;
        j += d >= 0;
    }
    return c;
}

/* Scratch for one metric run: two token lists and their capacities. */
typedef struct scratch {
    text_tok *a, *b;
    size_t cap_a, cap_b;
    sb arena_y, arena_p;
} scratch;

static void scratch_free(scratch *s)
{
    free(s->a);
    free(s->b);
    sb_free(&s->arena_y);
    sb_free(&s->arena_p);
}

/* Every cell valid UTF-8: a bad submission cell is an invalid submission
 * (1), a bad answers cell an error (< 0). */
static int check_utf8(const metric_input *in, const char *const *ys, const char *const *ps)
{
    for (size_t i = 0; i < in->n; i++) {
        if (text_utf8_check(ys[i], strlen(ys[i])) >= 0)
            return err_set("answers row %zu, column '%s': not valid UTF-8", i + 1,
                           in->cols[0]);
        long at = text_utf8_check(ps[i], strlen(ps[i]));
        if (at >= 0) {
            err_set("submission line %zu, column '%s': not valid UTF-8 (byte %ld); save "
                    "the file as UTF-8", metric_line_of(in, i), in->cols[0], at + 1);
            return 1;
        }
    }
    return 0;
}

/* A numeric answers column is an error; a numeric submission column makes
 * the submission invalid (1): the grader calls str methods on the cells. */
static int check_not_numeric(const metric_input *in, const char *what)
{
    if (text_numeric_column(in->ys, in->n))
        return err_set("answers column '%s' holds numbers only; %s needs text", in->cols[0],
                       what);
    if (text_numeric_column(in->ps, in->n)) {
        err_set("submission column '%s' holds numbers only, which pandas reads as a "
                "numeric column, where MLE-bench's %s grader needs text; write "
                "the values as text", in->cols[0], what);
        return 1;
    }
    return 0;
}

/* ---- MAP@k ---------------------------------------------------------------- */

/* MLE-bench's mean_average_precision_at_k over .astype(str).str.split(" "):
 * the truth is a set, the predictions a list cut at k; a prediction that
 * repeats an earlier one scores nothing. */
static int map_at_k(double *out, const metric_input *in, size_t k, scratch *s)
{
    const char **ys = text_pandas(&s->arena_y, in->ys, in->n, "nan");
    const char **ps = text_pandas(&s->arena_p, in->ps, in->n, "nan");
    double sum = 0;
    for (size_t i = 0; i < in->n; i++) {
        size_t na = tok_split_set(&s->a, &s->cap_a, ys[i], ' ');
        size_t np = text_split(&s->b, &s->cap_b, ps[i], ' ');
        if (np > k)
            np = k;
        double score = 0, hits = 0;
        for (size_t j = 0; j < np; j++) {
            int repeat = 0;
            for (size_t t = 0; t < j && !repeat; t++)
                repeat = !tok_cmp(&s->b[t], &s->b[j]);
            if (!repeat && tok_in(s->a, na, &s->b[j])) {
                hits += 1;
                score += hits / (double)(j + 1);
            }
        }
        sum += na ? score / (double)(na < k ? na : k) : 0;
    }
    free(ys);
    free(ps);
    *out = sum / (double)in->n;
    return 0;
}

/* ---- Jaccard over lowercased word sets --------------------------------------- */

/* tweet: jaccard(str1, str2) of Kaggle's page over .fillna("").astype(str),
 * undefined (ZeroDivisionError: invalid) when both sets are empty. chaii:
 * sklearn's jaccard_score(average="samples"), 0 for two empty sets, over
 * .fillna("") (str methods on a numeric column fail). */
static int jaccard(double *out, const metric_input *in, int samples, scratch *s)
{
    int rc = samples ? check_not_numeric(in, "word-level Jaccard") : 0;
    if (rc)
        return rc;
    const char **ys = text_pandas(&s->arena_y, in->ys, in->n, "");
    const char **ps = text_pandas(&s->arena_p, in->ps, in->n, "");
    double sum = 0;
    rc = check_utf8(in, ys, ps);
    for (size_t i = 0; rc == 0 && i < in->n; i++) {
        char *ly = text_lower(ys[i]), *lp = text_lower(ps[i]);
        size_t na = tok_split_set(&s->a, &s->cap_a, ly, 0);
        size_t np = tok_split_set(&s->b, &s->cap_b, lp, 0);
        size_t c = tok_common(s->a, na, s->b, np);
        if (na + np - c)
            sum += (double)c / (double)(na + np - c);
        else if (!samples) {
            err_set("submission line %zu, column '%s': the prediction and the answer "
                    "both have no words, where the Jaccard score is undefined (MLE-bench's "
                    "grader divides by zero); predict at least one word", metric_line_of(in, i),
                    in->cols[0]);
            rc = 1;
        }
        free(ly);
        free(lp);
    }
    free(ys);
    free(ps);
    if (rc == 0)
        *out = sum / (double)in->n;
    return rc;
}

/* ---- Levenshtein ------------------------------------------------------------ */

/* billion-word-imputation (kind 0): raw cells, an NaN cell cannot be
 * compared (TypeError); bms-molecular-translation (kind 1): .astype(str). */
static int levenshtein_mean(double *out, const metric_input *in, int astype_str, scratch *s)
{
    int rc = 0;
    if (!astype_str) {
        for (size_t i = 0; i < in->n; i++) {
            if (metric_is_na(in->ys[i]))
                return err_set("answers row %zu, column '%s': '%s' is read as NaN", i + 1,
                               in->cols[0], in->ys[i]);
            if (metric_is_na(in->ps[i])) {
                err_set("submission line %zu, column '%s': '%s' is read as a missing value "
                        "(NaN), which MLE-bench's Levenshtein cannot compare; write the "
                        "text", metric_line_of(in, i), in->cols[0], in->ps[i]);
                return 1;
            }
        }
        if ((rc = check_not_numeric(in, "Levenshtein")))
            return rc;
    }
    const char **ys = text_pandas(&s->arena_y, in->ys, in->n, "nan");
    const char **ps = text_pandas(&s->arena_p, in->ps, in->n, "nan");
    rc = check_utf8(in, ys, ps);
    double sum = 0;
    for (size_t i = 0; rc == 0 && i < in->n; i++)
        sum += (double)text_levenshtein(ys[i], ps[i]);
    free(ys);
    free(ps);
    if (rc == 0)
        *out = sum / (double)in->n;
    return rc;
}

/* Python's int() of a token from str.split(): sign, ASCII digits with single
 * underscores between them. Its value's canonical text goes to out. */
static int py_int(sb *out, const text_tok *t)
{
    const char *s = t->s, *end = t->s + t->len;
    int neg = s < end && *s == '-';
    s += s < end && (*s == '+' || *s == '-');
    if (s == end || *s == '_')
        return -1;
    sb_reset(out);
    int prev_us = 0;
    for (; s < end; s++) {
        if (*s == '_') {
            if (prev_us)
                return -1;
            prev_us = 1;
            continue;
        }
        if (*s < '0' || *s > '9')
            return -1;
        prev_us = 0;
        if (!(out->len == 0 && *s == '0'))
            sb_putc(out, *s);
    }
    if (prev_us)
        return -1;
    if (out->len == 0)
        sb_putc(out, '0');
    else if (neg) {
        sb tmp = {0};
        sb_putc(&tmp, '-');
        sb_append(&tmp, out->buf, out->len);
        sb_free(out);
        *out = tmp;
    }
    return 0;
}

/* Both rows' integers as small ids, equal values getting equal ids: each
 * token's canonical text goes into texts, then the tokens are sorted by it.
 * 0, or -1 with *bad (caller frees) and *side (0 answers, 1 submission). */
typedef struct seq_tok {
    const char *text;
    size_t off, at; /* text's offset in the arena; place in ids (a then b) */
} seq_tok;

static int seq_cmp(const void *x, const void *y)
{
    return strcmp(((const seq_tok *)x)->text, ((const seq_tok *)y)->text);
}

static int seq_ids(uint32_t **ids, size_t *na, size_t *nb, const char *ya, const char *pb,
                   scratch *s, char **bad, int *side)
{
    size_t n[2] = {text_split(&s->a, &s->cap_a, ya, 0), text_split(&s->b, &s->cap_b, pb, 0)};
    seq_tok *t = xmalloc((n[0] + n[1] + 1) * sizeof *t);
    sb texts = {0}, num = {0};
    for (int r = 0; r < 2; r++)
        for (size_t j = 0; j < n[r]; j++) {
            const text_tok *tok = r ? &s->b[j] : &s->a[j];
            if (py_int(&num, tok) < 0) {
                *bad = xstrndup(tok->s, tok->len);
                *side = r;
                free(t);
                sb_free(&texts);
                sb_free(&num);
                return -1;
            }
            t[r * n[0] + j] = (seq_tok){NULL, texts.len, r * n[0] + j};
            sb_append(&texts, num.buf, num.len + 1);
        }
    size_t total = n[0] + n[1];
    for (size_t j = 0; j < total; j++)
        t[j].text = texts.buf + t[j].off;
    xqsort(t, total, sizeof *t, seq_cmp);
    *ids = xrealloc(*ids, (total + 1) * sizeof **ids);
    uint32_t id = 0;
    for (size_t j = 0; j < total; j++) {
        if (j && strcmp(t[j - 1].text, t[j].text))
            id++;
        (*ids)[t[j].at] = id;
    }
    *na = n[0];
    *nb = n[1];
    free(t);
    sb_free(&texts);
    sb_free(&num);
    return 0;
}

/* multi-modal-gesture-recognition: integer sequences (.astype(str), split,
 * int()); the sum of distances over the number of gestures in the answers. */
static int levenshtein_seq(double *out, const metric_input *in, scratch *s)
{
    const char **ys = text_pandas(&s->arena_y, in->ys, in->n, "nan");
    const char **ps = text_pandas(&s->arena_p, in->ps, in->n, "nan");
    uint32_t *ids = NULL;
    size_t na = 0, np = 0;
    double dist = 0, total = 0;
    int rc = 0, side = 0;
    char *bad = NULL;
    for (size_t i = 0; rc == 0 && i < in->n; i++) {
        if (seq_ids(&ids, &na, &np, ys[i], ps[i], s, &bad, &side) == 0) {
            dist += (double)text_edit_distance(ids, na, ids + na, np);
            total += (double)na;
        } else if (side == 0) {
            rc = err_set("answers row %zu, column '%s': '%s' is not an integer", i + 1,
                         in->cols[0], bad);
        } else {
            err_set("submission line %zu, column '%s': '%s' is not an integer (the "
                    "sequence must be integers separated by spaces)", metric_line_of(in, i),
                    in->cols[0], bad);
            rc = 1;
        }
    }
    free(bad);
    free(ids);
    free(ys);
    free(ps);
    if (rc == 0 && total == 0)
        rc = err_set("column '%s': the answers hold no gestures; the score divides by "
                     "their number", in->cols[0]);
    if (rc == 0)
        *out = dist / total;
    return rc;
}

/* ---- Kendall tau of orderings (AI4Code) -------------------------------------- */

typedef struct placed {
    text_tok t;
    size_t pos;
} placed;

static int placed_cmp(const void *a, const void *b)
{
    const placed *x = a, *y = b;
    int c = tok_cmp(&x->t, &y->t);
    return c ? c : (x->pos > y->pos) - (x->pos < y->pos);
}

/* Pairs i < j with r[i] > r[j] (strictly), by merge sort; r is sorted. */
static uint64_t inversions(size_t *r, size_t *tmp, size_t n)
{
    if (n < 2)
        return 0;
    size_t h = n / 2;
    uint64_t inv = inversions(r, tmp, h) + inversions(r + h, tmp, n - h);
    size_t i = 0, j = h, o = 0;
    while (i < h && j < n) {
        if (r[j] < r[i]) {
            inv += h - i;
            tmp[o++] = r[j++];
        } else
            tmp[o++] = r[i++];
    }
    while (i < h)
        tmp[o++] = r[i++];
    while (j < n)
        tmp[o++] = r[j++];
    memcpy(r, tmp, n * sizeof *r);
    return inv;
}

/* For each answer cell, its first position in the submission's order (as
 * list.index); 1 (invalid) when one is missing or the lengths differ. */
static int order_ranks(size_t *rank, const text_tok *ans, size_t n, const text_tok *sub,
                       size_t m, const metric_input *in, size_t row)
{
    if (n != m) {
        err_set("submission line %zu, column '%s': %zu cell ids, the answers' order has "
                "%zu; list every cell of the notebook once", metric_line_of(in, row), in->cols[0],
                m, n);
        return 1;
    }
    placed *p = xmalloc((m ? m : 1) * sizeof *p);
    for (size_t j = 0; j < m; j++)
        p[j] = (placed){sub[j], j};
    xqsort(p, m, sizeof *p, placed_cmp);
    int rc = 0;
    for (size_t j = 0; j < n && rc == 0; j++) {
        size_t lo = 0, hi = m;
        while (lo < hi) { /* the first entry not below ans[j]: its first position */
            size_t mid = (lo + hi) / 2;
            if (tok_cmp(&p[mid].t, &ans[j]) < 0)
                lo = mid + 1;
            else
                hi = mid;
        }
        if (lo == m || tok_cmp(&p[lo].t, &ans[j])) {
            err_set("submission line %zu, column '%s': cell id '%.*s' of the notebook is "
                    "missing from the order; list every cell once", metric_line_of(in, row),
                    in->cols[0], (int)ans[j].len, ans[j].s);
            rc = 1;
        } else
            rank[j] = p[lo].pos;
    }
    free(p);
    return rc;
}

/* 1 - 4 * (inversions) / sum of n (n - 1), over all notebooks together. */
static int kendall_order(double *out, const metric_input *in, scratch *s)
{
    const char **ys = text_pandas(&s->arena_y, in->ys, in->n, "nan");
    const char **ps = text_pandas(&s->arena_p, in->ps, in->n, "nan");
    size_t *rank = NULL, *tmp = NULL;
    double inv = 0, max2 = 0;
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < in->n; i++) {
        size_t n = text_split(&s->a, &s->cap_a, ys[i], 0);
        size_t m = text_split(&s->b, &s->cap_b, ps[i], 0);
        rank = xrealloc(rank, (n + 1) * sizeof *rank);
        tmp = xrealloc(tmp, (n + 1) * sizeof *tmp);
        rc = order_ranks(rank, s->a, n, s->b, m, in, i);
        if (rc == 0) {
            inv += (double)inversions(rank, tmp, n);
            max2 += (double)n * (double)(n ? n - 1 : 0);
        }
    }
    free(rank);
    free(tmp);
    free(ys);
    free(ps);
    if (rc == 0 && max2 == 0)
        rc = err_set("column '%s': no notebook in the answers has two cells; Kendall tau "
                     "is not defined", in->cols[0]);
    if (rc == 0)
        *out = 1 - 4 * inv / max2;
    return rc;
}

/* ---- micro F1 ----------------------------------------------------------------- */

/* Label sets (.fillna("").str.split()), sklearn's f1_score(average="micro")
 * over MultiLabelBinarizer(classes = the answers' labels): a predicted label
 * outside those classes is dropped, not counted false. */
static int f1_micro_sets(double *out, const metric_input *in, scratch *s)
{
    int rc = check_not_numeric(in, "micro-F1");
    if (rc)
        return rc;
    const char **ys = text_pandas(&s->arena_y, in->ys, in->n, "");
    const char **ps = text_pandas(&s->arena_p, in->ps, in->n, "");
    text_tok *classes = NULL;
    size_t n_classes = 0, cap = 0;
    if ((rc = check_utf8(in, ys, ps)) != 0)
        goto done;
    for (size_t i = 0; i < in->n; i++) {
        size_t n = text_split(&s->a, &s->cap_a, ys[i], 0);
        if (n_classes + n > cap) {
            cap = 2 * (n_classes + n);
            classes = xrealloc(classes, cap * sizeof *classes);
        }
        if (n) /* s->a is still NULL after an empty split */
            memcpy(classes + n_classes, s->a, n * sizeof *classes);
        n_classes += n;
    }
    n_classes = tok_set(classes, n_classes);
    double tp = 0, fp = 0, fn = 0;
    for (size_t i = 0; i < in->n; i++) {
        size_t na = tok_split_set(&s->a, &s->cap_a, ys[i], 0);
        size_t np = text_split(&s->b, &s->cap_b, ps[i], 0), kept = 0;
        for (size_t j = 0; j < np; j++)
            if (tok_in(classes, n_classes, &s->b[j]))
                s->b[kept++] = s->b[j];
        np = tok_set(s->b, kept);
        size_t c = tok_common(s->a, na, s->b, np);
        tp += (double)c;
        fp += (double)(np - c);
        fn += (double)(na - c);
    }
    *out = 2 * tp + fp + fn > 0 ? 2 * tp / (2 * tp + fp + fn) : 0;
done:
    free(classes);
    free(ys);
    free(ps);
    return rc;
}

/* plant-seedlings: f1_score(average="micro") of one label per row, which is
 * accuracy, over the column's .tolist(). sklearn makes that list one numpy
 * array: in a column of text a missing cell (NaN) becomes the string "nan",
 * a wrong label; a column pandas reads as numbers or bools puts numbers
 * beside the answers' text, which sklearn refuses. */
static int f1_micro_labels(double *out, const metric_input *in)
{
    int rc = check_not_numeric(in, "micro-F1");
    if (rc)
        return rc;
    if (metric_bool_column(in->ps, in->n)) {
        err_set("submission column '%s' holds only True/False or missing cells, which "
                "pandas reads as bools, where MLE-bench's micro-F1 grader needs text; "
                "write the labels as text", in->cols[0]);
        return 1;
    }
    size_t hits = 0;
    for (size_t i = 0; i < in->n; i++) {
        if (metric_is_na(in->ys[i]))
            return err_set("answers row %zu, column '%s': missing label", i + 1,
                           in->cols[0]);
        hits += !metric_is_na(in->ps[i]) && !strcmp(in->ys[i], in->ps[i]);
    }
    *out = (double)hits / (double)in->n;
    return 0;
}

/* ---- table ------------------------------------------------------------------ */

/* A row of the table: the metric f called with a fresh scratch, freed after. */
#define WITH_SCRATCH(name, call)                                                            \
    static int name(double *out, const metric_input *in)                                    \
    {                                                                                       \
        scratch s = {0};                                                                    \
        int rc = call;                                                                      \
        scratch_free(&s);                                                                   \
        return rc;                                                                          \
    }
WITH_SCRATCH(map_at_5, map_at_k(out, in, 5, &s))
WITH_SCRATCH(map_at_12, map_at_k(out, in, 12, &s))
WITH_SCRATCH(jaccard_tweet, jaccard(out, in, 0, &s))
WITH_SCRATCH(jaccard_words, jaccard(out, in, 1, &s))
WITH_SCRATCH(levenshtein_chars, levenshtein_mean(out, in, 0, &s))
WITH_SCRATCH(levenshtein_str, levenshtein_mean(out, in, 1, &s))
WITH_SCRATCH(levenshtein_seq_mean, levenshtein_seq(out, in, &s))
WITH_SCRATCH(kendall_tau_order, kendall_order(out, in, &s))
WITH_SCRATCH(f1_micro_sets_mean, f1_micro_sets(out, in, &s))

enum { TEXT = METRIC_STRING | METRIC_TEXT | METRIC_ONE_COL };

const metric_def metrics_text[] = {
    {"map_at_5", TEXT, map_at_5, 0, 0, NULL},
    {"map_at_5_strict", TEXT | METRIC_ONLY_COLS, map_at_5, 0, 0, NULL},
    {"map_at_12", TEXT | METRIC_EXTRA_IDS | METRIC_ONLY_COLS, map_at_12, 0, 0, NULL},
    {"jaccard_tweet", TEXT, jaccard_tweet, 0, 0, NULL},
    {"jaccard_words", TEXT, jaccard_words, 0, 0, NULL},
    {"levenshtein", TEXT, levenshtein_chars, 0, 0, NULL},
    {"levenshtein_str", TEXT, levenshtein_str, 0, 0, NULL},
    {"levenshtein_seq", TEXT, levenshtein_seq_mean, 0, 0, NULL},
    {"kendall_tau_order", TEXT, kendall_tau_order, 0, 0, NULL},
    {"f1_micro_sets", TEXT, f1_micro_sets_mean, 0, 0, NULL},
    {"f1_micro_labels", TEXT, f1_micro_labels, 0, 0, NULL},
    {NULL, 0, NULL, 0, 0, NULL},
};

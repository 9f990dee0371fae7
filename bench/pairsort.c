/*
 * pairsort.c: pairing rows by sorted id (PAIR_BY_SORTED_ID and
 * PAIR_BY_ALIGNED_ID).
 *
 * Some graders sort both files by the id column and pair the rows in that
 * order without ever comparing the ids (new-york-city-taxi's sorts each side
 * with sort_values("key") and hands the two value columns to the metric). A
 * submission with unknown or repeated ids is then graded all the same, as
 * long as it has as many rows as the answers.
 *
 * match.c puts submission row r at answer row r and keeps its id here. Once
 * every row is in, each side's ids are put in the order pandas sorts its
 * column, which depends on the type pandas gives the column: integers
 * (int64) and numbers (float64) by value, True/False (bool) with False
 * first, anything else as text (Python's str order: by code point, which is
 * UTF-8 byte order); missing cells last. Then the submission row at sorted
 * position i goes to the answer row at sorted position i: the value rows are
 * permuted, and the metric never knows.
 *
 * jigsaw-toxic's grader sorts both by id too, then drops the rows whose
 * answers are labelled -1 from both with one boolean mask, which pandas
 * aligns on the ids: each submission id must be an answers id (it may
 * repeat) and takes that id's flag. So (PAIR_BY_ALIGNED_ID) each submission
 * row is first tied to its answer row by walking the two sorted columns
 * together, and the pairing waits until the answers' values are read: the
 * kept rows of each side, in sorted order, then meet row i with row i (the
 * counts must agree; the metric's inputs must have one length).
 *
 * Equal ids keep their file order. numpy's quicksort does too on the <= 16
 * rows it insertion-sorts; on longer columns, which of two rows with one id
 * comes first is numpy's accident, so repeated ids with differing values are
 * the one case where the score can differ.
 */
#include "bigmem.h"
#include "pairsort.h"
#include "grade_data.h"
#include "metrics.h"
#include "numparse.h"
#include "util.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct sort_key {
    union {
        long long i;
        double d;
        const char *s;
    } v;
    size_t row;
    int na; /* a missing cell: sorts last */
} sort_key;

enum { KIND_INT, KIND_FLOAT, KIND_BOOL, KIND_TEXT };

/* pandas' default true_values / false_values: 1, 0; -1 for anything else. */
static int bool_of(const char *s)
{
    if (!strcmp(s, "True") || !strcmp(s, "TRUE") || !strcmp(s, "true"))
        return 1;
    if (!strcmp(s, "False") || !strcmp(s, "FALSE") || !strcmp(s, "false"))
        return 0;
    return -1;
}

static int int_of(const char *s, long long *out)
{
    char buf[64];
    if (strlen(s) >= sizeof buf || num_int_canon(s, buf) < 0)
        return -1;
    errno = 0;
    *out = strtoll(buf, NULL, 10);
    return errno ? -1 : 0; /* beyond int64: pandas goes on to uint64 or float */
}

/* The type pandas gives a column of these cells. */
static int kind_of(const char *const *cells, size_t n)
{
    int is_int = 1, is_float = 1, is_bool = 1;
    for (size_t i = 0; i < n && (is_float || is_bool); i++) {
        long long iv;
        double d;
        if (metric_is_na(cells[i])) {
            is_int = 0; /* int64 holds no NaN: the column is float64 */
            continue;
        }
        if (is_int && int_of(cells[i], &iv) < 0)
            is_int = 0;
        if (is_float && num_parse(cells[i], &d) < 0)
            is_float = 0;
        if (is_bool && bool_of(cells[i]) < 0)
            is_bool = 0;
    }
    return is_int ? KIND_INT : is_float ? KIND_FLOAT : is_bool ? KIND_BOOL : KIND_TEXT;
}

static int cmp_int(const void *a, const void *b)
{
    const sort_key *x = a, *y = b;
    if (x->na != y->na)
        return x->na - y->na;
    if (!x->na && x->v.i != y->v.i)
        return x->v.i < y->v.i ? -1 : 1;
    return x->row < y->row ? -1 : x->row > y->row;
}

static int cmp_float(const void *a, const void *b)
{
    const sort_key *x = a, *y = b;
    if (x->na != y->na)
        return x->na - y->na;
    if (!x->na && x->v.d != y->v.d)
        return x->v.d < y->v.d ? -1 : 1;
    return x->row < y->row ? -1 : x->row > y->row;
}

static int cmp_text(const void *a, const void *b)
{
    const sort_key *x = a, *y = b;
    if (x->na != y->na)
        return x->na - y->na;
    int c = x->na ? 0 : strcmp(x->v.s, y->v.s);
    if (c)
        return c;
    return x->row < y->row ? -1 : x->row > y->row;
}

/* A column's cells as keys in pandas' sort_values order, and the kind
 * pandas types them as; caller frees. */
static sort_key *sorted_keys(const char *const *cells, size_t n, int *kind_out)
{
    int kind = kind_of(cells, n);
    sort_key *k = xmalloc(n * sizeof *k);
    for (size_t i = 0; i < n; i++) {
        k[i].row = i;
        k[i].na = metric_is_na(cells[i]);
        if (k[i].na)
            k[i].v.i = 0;
        else if (kind == KIND_INT)
            int_of(cells[i], &k[i].v.i);
        else if (kind == KIND_FLOAT) {
            num_parse(cells[i], &k[i].v.d);
            k[i].na = k[i].v.d != k[i].v.d; /* "nan" spelt some other way */
        } else if (kind == KIND_BOOL)
            k[i].v.i = bool_of(cells[i]);
        else
            k[i].v.s = cells[i];
    }
    xqsort(k, n, sizeof *k, kind == KIND_FLOAT ? cmp_float : kind == KIND_TEXT ? cmp_text
                                                                              : cmp_int);
    *kind_out = kind;
    return k;
}

/* Order of an answers key a (kind ka) and a submission key s (kind ks) as
 * pandas' index lookup compares them; 2 when they never equal (text
 * against a number, a missing id). Numbers compare by value across int64
 * and float64. */
static int cross_cmp(const sort_key *a, int ka, const sort_key *s, int ks)
{
    if (a->na || s->na || (ka == KIND_TEXT) != (ks == KIND_TEXT) ||
        (ka == KIND_BOOL) != (ks == KIND_BOOL))
        return 2;
    if (ka == KIND_TEXT) {
        int c = strcmp(a->v.s, s->v.s);
        return (c > 0) - (c < 0);
    }
    double x = ka == KIND_FLOAT ? a->v.d : (double)a->v.i,
           y = ks == KIND_FLOAT ? s->v.d : (double)s->v.i;
    return (x > y) - (x < y);
}

/* Each submission row's answer row, walking both sorted columns together;
 * 1 (invalid) at the first submission id the answers lack. */
static int align(grade_data *g, const sort_key *a, int ka, const sort_key *s, int ks)
{
    g->sub_ans = xmalloc(g->n * sizeof *g->sub_ans);
    size_t j = 0;
    for (size_t i = 0; i < g->n; i++) {
        int c = 1;
        while (j < g->n && (c = cross_cmp(&a[j], ka, &s[i], ks)) < 0)
            j++;
        if (c != 0) {
            /* a missing answers id sorts last, so it ends the walk early */
            return grade_invalid(g, "submission: data row %zu, column '%s': id '%s' is not "
                                 "in the answers", s[i].row + 1, g->comp->id_col,
                                 g->skeys.buf + g->skey_off[s[i].row]);
        }
        g->sub_ans[s[i].row] = a[j].row;
    }
    return 0;
}

void grade_keep_key(grade_data *g, const char *id)
{
    size_t r = g->seq_row - 1; /* grade_claim has counted this row */
    if (r % 1024 == 0)
        g->skey_off = xrealloc(g->skey_off, (r + 1024) * sizeof *g->skey_off);
    g->skey_off[r] = g->skeys.len;
    sb_append(&g->skeys, id, strlen(id) + 1);
}

/* Move the submission's row sub[i] to answer row ans[i], for m pairs: the
 * value rows and the string metrics' cells and lines. Rows no pair reaches
 * keep zeros. */
static void permute(grade_data *g, const size_t *ans, const size_t *sub, size_t m)
{
    size_t n = g->n, k = g->k;
    if (g->p) {
        double *p = big_alloc(n * k * sizeof *p);
        for (size_t i = 0; i < m; i++)
            memcpy(p + ans[i] * k, g->p + sub[i] * k, k * sizeof *p);
        big_free(g->p);
        g->p = p;
    }
    size_t **arr[2] = {&g->poff, &g->pline};
    for (int t = 0; t < 2; t++) {
        if (!*arr[t])
            continue;
        size_t *moved = xcalloc(n, sizeof *moved);
        for (size_t i = 0; i < m; i++)
            moved[ans[i]] = (*arr[t])[sub[i]];
        free(*arr[t]);
        *arr[t] = moved;
    }
}

int grade_pair_sorted(grade_data *g)
{
    size_t n = g->n;
    const char **cells = xmalloc(n * sizeof *cells);
    const char *id = g->ids;
    for (size_t i = 0; i < n; i++, id += strlen(id) + 1)
        cells[i] = id;
    int ka, ks, rc = 0;
    sort_key *a = sorted_keys(cells, n, &ka);
    for (size_t r = 0; r < n; r++)
        cells[r] = g->skeys.buf + g->skey_off[r];
    sort_key *s = sorted_keys(cells, n, &ks);
    free(cells);
    g->pair_ans = xmalloc(n * sizeof *g->pair_ans);
    g->pair_sub = xmalloc(n * sizeof *g->pair_sub);
    for (size_t i = 0; i < n; i++) {
        g->pair_ans[i] = a[i].row;
        g->pair_sub[i] = s[i].row;
    }
    if (g->comp->pairing == PAIR_BY_ALIGNED_ID)
        rc = align(g, a, ka, s, ks); /* pairs once the answers' values are in */
    else
        permute(g, g->pair_ans, g->pair_sub, n);
    free(a);
    free(s);
    return rc;
}

int grade_pair_kept(grade_data *g)
{
    size_t n = g->n, k = g->k, na = 0, ns = 0;
    unsigned char *keep = xmalloc(n);
    for (size_t i = 0; i < n; i++) {
        double sum = 0;
        for (size_t j = 0; j < k; j++)
            sum += g->y ? g->y[i * k + j] : 0; /* text answers: every row kept */
        keep[i] = sum >= 0;
    }
    /* both lists shrink in place to their kept rows, still in sorted order */
    for (size_t i = 0; i < n; i++) {
        if (keep[g->pair_ans[i]])
            g->pair_ans[na++] = g->pair_ans[i];
        if (keep[g->sub_ans[g->pair_sub[i]]])
            g->pair_sub[ns++] = g->pair_sub[i];
    }
    free(keep);
    if (na != ns)
        return grade_invalid(g, "submission: %zu rows whose ids the answers label, the answers "
                             "%zu (rows of ids labelled -1 are dropped; an id may repeat, "
                             "but the counts must agree)", ns, na);
    permute(g, g->pair_ans, g->pair_sub, na);
    return 0;
}

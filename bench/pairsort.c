/*
 * pairsort.c: pairing rows by sorted id (PAIR_BY_SORTED_ID).
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
 * Equal ids keep their file order. numpy's quicksort does too on the <= 16
 * rows it insertion-sorts; on longer columns, which of two rows with one id
 * comes first is numpy's accident, so repeated ids with differing values are
 * the one case where the score can differ.
 */
#include "bigmem.h"
#include "grade_internal.h"
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
    if (strlen(s) >= sizeof buf || grade_int_canon(s, buf) < 0)
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

/* The rows of a column in pandas' sort_values order; caller frees. */
static size_t *sorted_rows(const char *const *cells, size_t n)
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
    qsort(k, n, sizeof *k, kind == KIND_FLOAT ? cmp_float : kind == KIND_TEXT ? cmp_text
                                                                              : cmp_int);
    size_t *rows = xmalloc(n * sizeof *rows);
    for (size_t i = 0; i < n; i++)
        rows[i] = k[i].row;
    free(k);
    return rows;
}

void grade_keep_key(grade_data *g, const char *id)
{
    size_t r = g->seq_row - 1; /* grade_claim has counted this row */
    if (r % 1024 == 0)
        g->skey_off = xrealloc(g->skey_off, (r + 1024) * sizeof *g->skey_off);
    g->skey_off[r] = g->skeys.len;
    sb_append(&g->skeys, id, strlen(id) + 1);
}

/* Move element sub[i] of v (n elements of size bytes) to place ans[i]. */
static void *permute(void *v, size_t size, const size_t *ans, const size_t *sub, size_t n)
{
    if (!v)
        return NULL;
    char *out = big_alloc(n * size);
    for (size_t i = 0; i < n; i++)
        memcpy(out + ans[i] * size, (char *)v + sub[i] * size, size);
    return out;
}

void grade_pair_sorted(grade_data *g)
{
    size_t n = g->n;
    const char **cells = xmalloc(n * sizeof *cells);
    const char *id = g->ids;
    for (size_t i = 0; i < n; i++, id += strlen(id) + 1)
        cells[i] = id;
    size_t *ans = sorted_rows(cells, n);
    for (size_t r = 0; r < n; r++)
        cells[r] = g->skeys.buf + g->skey_off[r];
    size_t *sub = sorted_rows(cells, n);
    free(cells);
    double *p = permute(g->p, g->k * sizeof *g->p, ans, sub, n);
    big_free(g->p);
    g->p = p;
    /* the string metrics' cells and lines: xmalloc'd, like the originals */
    size_t *tmp[2] = {g->poff, g->pline};
    for (int t = 0; t < 2; t++) {
        if (!tmp[t])
            continue;
        size_t *moved = xmalloc(n * sizeof *moved);
        for (size_t i = 0; i < n; i++)
            moved[ans[i]] = tmp[t][sub[i]];
        free(tmp[t]);
        tmp[t] = moved;
    }
    g->poff = tmp[0];
    g->pline = tmp[1];
    free(ans);
    free(sub);
}

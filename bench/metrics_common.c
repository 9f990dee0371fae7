/*
 * metrics_common.c: the helpers every metrics_*.c file shares, kept in one
 * place so no metric carries its own copy: how pandas reads a cell (missing,
 * True/False), where a row stands in the submission (for messages), and the
 * exact ROC AUC from radix-sorted keys that metrics.c, metrics_numeric.c and
 * fastauc.c all rest on.
 *
 * ROC AUC is computed as the Mann-Whitney statistic: scores of positives and
 * negatives are radix-sorted separately (8-byte keys, no comparison sort),
 * then merged, counting for each positive the negatives below it plus half
 * the tied ones. That is exactly the area under the trapezoid ROC curve that
 * sklearn integrates, with ties handled exactly, in O(n).
 */
#include "metrics.h"
#include "util.h"

#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ---- cells as pandas reads them ----------------------------------------- */

int metric_is_na(const char *s)
{
    static const char *const na[] = {"", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN",
                                     "-NaN", "-nan", "1.#IND", "1.#QNAN", "<NA>", "N/A",
                                     "NA", "NULL", "NaN", "None", "n/a", "nan", "null"};
    for (size_t i = 0; i < sizeof na / sizeof na[0]; i++)
        if (!strcmp(s, na[i]))
            return 1;
    return 0;
}

int metric_bool_literal(const char *s)
{
    if (*s != 'T' && *s != 't' && *s != 'F' && *s != 'f')
        return -1; /* a number, the common case, at one compare */
    if (!strcmp(s, "True") || !strcmp(s, "TRUE") || !strcmp(s, "true"))
        return 1;
    if (!strcmp(s, "False") || !strcmp(s, "FALSE") || !strcmp(s, "false"))
        return 0;
    return -1;
}

int metric_bool_column(const char *const *cells, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!metric_is_na(cells[i]) && metric_bool_literal(cells[i]) < 0)
            return 0;
    return 1;
}

size_t metric_line_of(const metric_input *in, size_t i)
{
    assert(i < in->n);
    return in->lines ? in->lines[i] : i + 2; /* the header is line 1 */
}

long metric_target_col(const metric_input *in, const char *name)
{
    for (size_t j = 0; j < in->k; j++)
        if (!strcmp(in->cols[j], name))
            return (long)j;
    return err_set("the metric needs a target column '%s'", name);
}

/* ---- sorting and ROC AUC ------------------------------------------------ */

uint64_t metric_sort_key(double x)
{
    if (x == 0)
        x = 0; /* -0.0 and 0.0 tie */
    uint64_t u;
    memcpy(&u, &x, sizeof u);
    return (u >> 63) ? ~u : u | ((uint64_t)1 << 63);
}

static int key_cmp(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Below this many keys a comparison sort is cheaper than the radix sort's
 * 512 KB of counters, cleared for each pass: a holdout of a few hundred
 * rows, graded at every node, spent most of its grading time there. */
#define RADIX_MIN 4096

/* LSD radix sort, 16 bits a pass; passes where every key has the same digit
 * are skipped (common: probabilities share their top bits). */
static void radix_sort(uint64_t *a, size_t n)
{
    uint64_t *tmp = xmalloc(n * sizeof *tmp);
    size_t *count = xmalloc(65536 * sizeof *count);
    for (int shift = 0; shift < 64; shift += 16) {
        memset(count, 0, 65536 * sizeof *count);
        for (size_t i = 0; i < n; i++)
            count[(a[i] >> shift) & 0xFFFF]++;
        if (count[(a[0] >> shift) & 0xFFFF] == n)
            continue;
        size_t sum = 0;
        for (size_t d = 0; d < 65536; d++) {
            size_t c = count[d];
            count[d] = sum;
            sum += c;
        }
        for (size_t i = 0; i < n; i++)
            tmp[count[(a[i] >> shift) & 0xFFFF]++] = a[i];
        memcpy(a, tmp, n * sizeof *a);
    }
    free(count);
    free(tmp);
}

static void sort_keys(uint64_t *a, size_t n)
{
    if (n < RADIX_MIN)
        qsort(a, n, sizeof *a, key_cmp);
    else
        radix_sort(a, n);
}

double metric_auc_keys(uint64_t *keys, size_t n_pos, size_t n_neg)
{
    assert(n_pos > 0 && n_neg > 0); /* both classes present: the callers check */
    uint64_t *neg = keys + n_pos;
    sort_keys(keys, n_pos);
    sort_keys(neg, n_neg);
    /* twice the Mann-Whitney U, kept in integers: exact up to 2^53 pairs */
    double u2 = 0;
    size_t below = 0, upto = 0;
    for (size_t i = 0; i < n_pos; i++) {
        while (below < n_neg && neg[below] < keys[i])
            below++;
        if (upto < below)
            upto = below;
        while (upto < n_neg && neg[upto] == keys[i])
            upto++;
        u2 += (double)(2 * below + (upto - below));
    }
    return u2 / 2 / ((double)n_pos * (double)n_neg);
}

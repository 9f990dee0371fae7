/*
 * fastauc.c: binary ROC AUC of one column without value tables.
 *
 * The general path keeps n doubles for the submission while the ids and
 * their hash are still held, then reads the answers a second time into n
 * more doubles. A binary AUC needs much less: per answer row one bit (is
 * its label the first label seen?), and per submission row its value's sort
 * key, in any order, as long as its answer's label travels with it. So:
 *
 * - pass 1 over the answers takes each row's label as a bit next to its id
 *   (the same checks and messages as the general path; a third label is
 *   kept as the fault and reported at scoring, where metrics.c reports it);
 * - each matched submission value is stored as its sort key in file order,
 *   with its answer's bit in a second bitmap: sequential writes, no random
 *   access into a value array, and no second pass over the answers;
 * - at scoring the keys are split in place into positives and negatives
 *   and handed to metric_auc_keys (radix sorts, then the Mann-Whitney merge).
 *
 * The positive class is the larger label, as in sklearn and metrics.c.
 */
#include "bigmem.h"
#include "grade_internal.h"
#include "metrics.h"
#include "util.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define BITS_STEP 65536 /* rows per growth of the answers' label bitmap */

void auc_setup(grade_data *g)
{
    /* each value takes its answer's label as it is matched: the pairing must
     * be known then */
    g->bin_auc = !strcmp(g->comp->metric, "auc") && g->k == 1 &&
                 !grade_pairs_sorted(g->comp);
    if (!g->bin_auc)
        return;
    g->scratch = xcalloc(1, sizeof *g->scratch);
    g->lab_a = g->lab_b = NAN;
    g->lab_bad_row = SIZE_MAX;
}

static void set_bit(uint64_t *bits, size_t i)
{
    bits[i >> 6] |= (uint64_t)1 << (i & 63);
}

static int get_bit(const uint64_t *bits, size_t i)
{
    return bits[i >> 6] >> (i & 63) & 1;
}

int auc_answer_row(grade_data *g, const row_view *r)
{
    double y;
    if (grade_take_values(g, r, 1, &y, NULL, NULL) < 0)
        return -1;
    size_t row = g->n - 1; /* load_answers has counted it already */
    if (row % BITS_STEP == 0) {
        g->lab = xrealloc(g->lab, (row + BITS_STEP) / 64 * sizeof *g->lab);
        memset(g->lab + row / 64, 0, BITS_STEP / 64 * sizeof *g->lab);
    }
    if (isnan(g->lab_a))
        g->lab_a = y;
    else if (isnan(g->lab_b) && y != g->lab_a)
        g->lab_b = y;
    else if (y != g->lab_a && y != g->lab_b && g->lab_bad_row == SIZE_MAX) {
        g->lab_bad_row = row;
        g->lab_bad = y;
    }
    if (y == g->lab_a)
        set_bit(g->lab, row);
    return 0;
}

void auc_take_row(grade_data *g, size_t at, double v)
{
    size_t r = g->seq_row - 1; /* grade_claim has counted this row */
    if (r == 0) {
        g->keys = big_alloc(g->n * sizeof *g->keys);
        g->key_lab = xcalloc(g->n / 64 + 1, sizeof *g->key_lab);
    }
    g->keys[r] = metric_sort_key(v);
    if (get_bit(g->lab, at))
        set_bit(g->key_lab, r);
}

int auc_score(double *out, grade_data *g)
{
    const char *col = g->cols[0];
    if (g->lab_bad_row != SIZE_MAX)
        return err_set("%s: column '%s': more than two classes in the answers (%g, %g, "
                       "%g); ROC AUC needs binary labels", g->comp->id, col, g->lab_a,
                       g->lab_b, g->lab_bad);
    if (isnan(g->lab_b))
        return err_set("%s: column '%s': only one class present in the answers; ROC AUC "
                       "is not defined", g->comp->id, col);
    /* rows with bit want == 1 are the positives: move them to the front */
    int want = g->lab_a > g->lab_b;
    size_t i = 0, j = g->n;
    for (;;) {
        while (i < j && get_bit(g->key_lab, i) == want)
            i++;
        while (i < j && get_bit(g->key_lab, j - 1) != want)
            j--;
        if (i >= j)
            break;
        uint64_t t = g->keys[i];
        g->keys[i++] = g->keys[j - 1];
        g->keys[--j] = t;
    }
    *out = metric_auc_keys(g->keys, i, g->n - i);
    return 0;
}

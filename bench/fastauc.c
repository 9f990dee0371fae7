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
 *
 * The bits and keys are auc_path's, behind grade_path's hooks; with several
 * threads (halves.c) each lane writes the keys of the rows it matched by
 * answer row instead, and the answers' bits are then the keys' labels.
 */
#include "bigmem.h"
#include "csv_reader.h"
#include "grade_data.h"
#include "grade_paths.h"
#include "halves.h"
#include "inplace.h"
#include "match.h"
#include "metrics.h"
#include "util.h"
#include "values.h"

#include <assert.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define BITS_STEP 65536 /* rows per growth of the answers' label bitmap */

typedef struct auc_path {
    grade_path base;        /* base.row: the value of the row being read */
    uint64_t *lab;          /* bit i: answer row i has label lab_a */
    double lab_a, lab_b;    /* the two labels in order of appearance (NaN: none) */
    size_t lab_bad_row;     /* first row with a third label (SIZE_MAX: none) */
    double lab_bad;         /* and that label */
    uint64_t *keys;         /* n sort keys, submission order (big_alloc) */
    uint64_t *key_lab;      /* bit r: submission row r's answer has label lab_a */
    uint64_t *lane_keys;    /* while lanes run: keys by answer row (big_alloc) */
} auc_path;

static void set_bit(uint64_t *bits, size_t i)
{
    bits[i >> 6] |= (uint64_t)1 << (i & 63);
}

static int get_bit(const uint64_t *bits, size_t i)
{
    return bits[i >> 6] >> (i & 63) & 1;
}

static int answer_row(grade_path *p, grade_data *g, const row_view *r)
{
    auc_path *ap = (auc_path *)p;
    double y;
    if (grade_take_values(g, r, 1, &y, NULL, NULL) < 0)
        return -1;
    size_t row = g->n - 1; /* load_answers has counted it already */
    if (row % BITS_STEP == 0) {
        ap->lab = xrealloc(ap->lab, (row + BITS_STEP) / 64 * sizeof *ap->lab);
        memset(ap->lab + row / 64, 0, BITS_STEP / 64 * sizeof *ap->lab);
    }
    if (isnan(ap->lab_a))
        ap->lab_a = y;
    else if (isnan(ap->lab_b) && y != ap->lab_a)
        ap->lab_b = y;
    else if (y != ap->lab_a && y != ap->lab_b && ap->lab_bad_row == SIZE_MAX) {
        ap->lab_bad_row = row;
        ap->lab_bad = y;
    }
    if (y == ap->lab_a)
        set_bit(ap->lab, row);
    return 0;
}

static void take_row(grade_path *p, grade_data *g, size_t at)
{
    auc_path *ap = (auc_path *)p;
    assert(g->seq_row > 0 && at < g->n);
    size_t r = g->seq_row - 1; /* grade_claim has counted this row */
    if (r == 0) {
        ap->keys = big_alloc(g->n * sizeof *ap->keys);
        ap->key_lab = xcalloc(g->n / 64 + 1, sizeof *ap->key_lab);
    }
    ap->keys[r] = metric_sort_key(p->row[0]);
    if (get_bit(ap->lab, at))
        set_bit(ap->key_lab, r);
}

static int match_rows(grade_path *p, grade_data *g, csv_reader *r, long id_at)
{
    (void)p; /* the general reader, with take_row above */
    return grade_match_rows(g, r, id_at);
}

/* Up to AUC_BATCH rows at the lane's cursor, their ids looked up together
 * (a lookup is cache misses; a row is a few bytes): 1 while rows follow, 0
 * at the end of the range, -1 when the single reader must grade the file. */
#define AUC_BATCH 32
static int lane_rows(grade_path *p, grade_lane *l, csv_reader *r)
{
    uint64_t *keys = ((auc_path *)p)->lane_keys;
    size_t off[AUC_BATCH], m = 0;
    double v[AUC_BATCH];
    const char *ids[AUC_BATCH], *next;
    long at[AUC_BATCH];
    sb_reset(&l->text);
    int more = 1;
    while (m < AUC_BATCH && (more = csv_reader_skip_blank(r)) != 0) {
        if (r->read_errno || inplace_fields(&v[m], r, l->role, l->ncols, NULL, &l->id, &next))
            return -1;
        off[m++] = l->text.len;
        sb_append(&l->text, l->id.buf, l->id.len + 1);
        inplace_skip(r, next);
    }
    for (size_t j = 0; j < m; j++)
        ids[j] = l->text.buf + off[j];
    grade_lookup_many(l->g, ids, m, at);
    for (size_t j = 0; j < m; j++) {
        if (at[j] < 0 || !grade_claim_shared(l->g, (size_t)at[j]) ||
            !(v[j] >= 0 && v[j] <= 1)) /* METRIC_PROB */
            return -1;
        keys[at[j]] = metric_sort_key(v[j]);
    }
    l->rows += m;
    return more;
}

static void lanes_begin(grade_path *p, grade_data *g)
{
    auc_path *ap = (auc_path *)p;
    assert(!ap->keys && !ap->lane_keys); /* no row taken yet */
    ap->lane_keys = big_alloc(g->n * sizeof *ap->lane_keys);
}

/* Keys by answer row: the answers' bits are their labels. */
static void lanes_end(grade_path *p, grade_data *g, int ok, const grade_fault *fault)
{
    auc_path *ap = (auc_path *)p;
    (void)fault; /* no row rule is checked after the rows */
    if (!ok) {
        big_free(ap->lane_keys);
        ap->lane_keys = NULL;
        return;
    }
    ap->keys = ap->lane_keys;
    ap->lane_keys = NULL;
    ap->key_lab = xcalloc(g->n / 64 + 1, sizeof *ap->key_lab);
    memcpy(ap->key_lab, ap->lab, (g->n + 63) / 64 * sizeof *ap->key_lab);
}

static int check_rows(grade_path *p, grade_data *g)
{
    (void)p;
    (void)g;
    return 0; /* one column: no row sums */
}

static int score(double *out, grade_path *p, grade_data *g)
{
    auc_path *ap = (auc_path *)p;
    const char *col = g->cols[0];
    if (ap->lab_bad_row != SIZE_MAX)
        return err_set("%s: column '%s': more than two classes in the answers (%g, %g, "
                       "%g); ROC AUC needs binary labels", g->comp->id, col, ap->lab_a,
                       ap->lab_b, ap->lab_bad);
    if (isnan(ap->lab_b))
        return err_set("%s: column '%s': only one class present in the answers; ROC AUC "
                       "is not defined", g->comp->id, col);
    assert(ap->keys && ap->key_lab); /* every row was taken */
    /* rows with bit want == 1 are the positives: move them to the front */
    int want = ap->lab_a > ap->lab_b;
    size_t i = 0, j = g->n;
    for (;;) {
        while (i < j && get_bit(ap->key_lab, i) == want)
            i++;
        while (i < j && get_bit(ap->key_lab, j - 1) != want)
            j--;
        if (i >= j)
            break;
        uint64_t t = ap->keys[i];
        ap->keys[i++] = ap->keys[j - 1];
        ap->keys[--j] = t;
    }
    *out = metric_auc_keys(ap->keys, i, g->n - i);
    return 0;
}

static void destroy(grade_path *p)
{
    auc_path *ap = (auc_path *)p;
    free(p->row);
    free(ap->lab);
    big_free(ap->keys);
    free(ap->key_lab);
    big_free(ap->lane_keys);
    free(ap);
}

static const grade_path_ops auc_ops = {
    .name = "binary AUC", .answer_row = answer_row, .take_row = take_row,
    .match_rows = match_rows, .lane_rows = lane_rows, .lanes_begin = lanes_begin,
    .lanes_end = lanes_end, .check_rows = check_rows, .score = score, .destroy = destroy,
};

grade_path *auc_path_open(const grade_data *g)
{
    /* each value takes its answer's label as it is matched: the pairing must
     * be known then */
    if (strcmp(g->comp->metric, "auc") || g->k != 1 || grade_pairs_sorted(g->comp))
        return NULL;
    auc_path *ap = xcalloc(1, sizeof *ap);
    ap->base.ops = &auc_ops;
    ap->base.row = xcalloc(1, sizeof *ap->base.row);
    ap->lab_a = ap->lab_b = NAN;
    ap->lab_bad_row = SIZE_MAX;
    return &ap->base;
}

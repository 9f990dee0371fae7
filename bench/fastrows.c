/*
 * fastrows.c: multi-class log loss without an n x k table.
 *
 * A 100,000 x 100 probability submission is 10 million numbers, and the
 * general path (copy each field out of the file, parse it, keep n x k
 * doubles for both answers and submission, then score) spends most of its
 * time copying and most of its memory on the two tables. Log loss needs
 * far less: per answer row only its non-zero cells (one for one-hot
 * answers), and per submission row only the sum of its clipped values and
 * the values of those cells. So:
 *
 * - the answers are kept as sparse rows (column, weight) next to their ids;
 * - each submission row is parsed where it lies in the mapped file, in
 *   one pass (num_scan stops on the delimiters: no copy, no NUL needed,
 *   no separate scan for line ends), matched to its
 *   answer row, and folded straight into that row's loss: one log() per
 *   non-zero answer cell instead of one per cell;
 * - the cells that only enter the row's sums are read by num_scan_frac (a
 *   few ulp off, so the renormalised loss moves by ~1e-16); the cells the
 *   loss takes the log of are read again exactly, and a row whose sum lies
 *   within 1e-9 of the row-sum tolerance goes to the general path, so the
 *   verdict and the reported sum are the exact values';
 * - the per-row losses are summed in answer order at the end.
 *
 * The path's state (the sparse answers, the per-row losses, the first
 * row-sum fault) is ll_path's, behind grade_path's hooks: grade.c and
 * match.c never see it.
 *
 * Any row the fast parse cannot take as it is (quotes, a field count or
 * value out of line, an unknown or repeated id) is read again by the general
 * reader and matched by grade_match_one, which finds the same fault and
 * words it the same way, so the first fault in file order is reported
 * exactly as the general path reports it. The arithmetic is the general
 * log loss's (metrics.c): clip to [eps, 1 - eps], renormalise by the
 * clipped row sum; the row-sum check (numpy.isclose as MLE-bench applies it)
 * keeps the first failing answer row, as check_row_sums walks them.
 */
#include "bigmem.h"
#include "csv_reader.h"
#include "grade_data.h"
#include "grade_paths.h"
#include "halves.h"
#include "inplace.h"
#include "match.h"
#include "util.h"
#include "values.h"

#include <assert.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct ll_path {
    grade_path base;        /* base.row: k values of the row being read */
    size_t *nz_end;         /* answer row i's cells are nz[nz_end[i-1] .. nz_end[i]) */
    uint32_t *nz_col;
    double *nz_val;
    size_t nz_len, nz_cap;
    double *loss;           /* n per-row losses (big_alloc) */
    grade_fault bad_sum;    /* the first answer row whose probabilities do not
                               sum to 1, and that sum */
} ll_path;

/* The answers row just counted (answer row g->n - 1), held in base.row, as
 * its non-zero cells. */
static void add_sparse(ll_path *lp, const grade_data *g)
{
    assert(g->n > 0);
    size_t row = g->n - 1;
    if (row % 1024 == 0)
        lp->nz_end = xrealloc(lp->nz_end, (row + 1024) * sizeof *lp->nz_end);
    for (size_t j = 0; j < g->k; j++) {
        if (lp->base.row[j] == 0)
            continue;
        if (lp->nz_len == lp->nz_cap) {
            lp->nz_cap = lp->nz_cap ? lp->nz_cap * 2 : 1024;
            lp->nz_col = xrealloc(lp->nz_col, lp->nz_cap * sizeof *lp->nz_col);
            lp->nz_val = xrealloc(lp->nz_val, lp->nz_cap * sizeof *lp->nz_val);
        }
        lp->nz_col[lp->nz_len] = (uint32_t)j;
        lp->nz_val[lp->nz_len++] = lp->base.row[j];
    }
    lp->nz_end[row] = lp->nz_len;
}

static int answer_row(grade_path *p, grade_data *g, const row_view *r)
{
    if (grade_take_values(g, r, 1, p->row, NULL, NULL) < 0)
        return -1;
    add_sparse((ll_path *)p, g);
    return 0;
}

static int answer_in_place(grade_path *p, grade_data *g, csv_reader *r, const long *role,
                           size_t ncols, sb *id)
{
    const char *next;
    if (inplace_fields(p->row, r, role, ncols, NULL, id, &next))
        return 1;
    if (grade_add_id(g, id->buf, id->len, r->name) < 0)
        return -1;
    add_sparse((ll_path *)p, g);
    inplace_skip(r, next);
    return 0;
}

/* The row's loss from its values p (clipped, renormalised by the clipped
 * sum). With near set (the values that only enter the sums were read by
 * num_scan_frac, a few ulp off), a row whose raw sum is anywhere near the
 * row-sum tolerance is left alone (1): the general path reads it exactly,
 * so the check and the sum it reports are those of the exact values. */
static int take_row(ll_path *lp, const grade_data *g, size_t at, const double *p, int near,
                    grade_fault *bad)
{
    assert(at < g->n && lp->loss);
    const double eps = DBL_EPSILON, tol = 1e-6 + 1e-5;
    double raw = 0, s = 0;
    for (size_t j = 0; j < g->k; j++) { /* p[j] is in [0, 1]: no NaN to mind */
        double q = p[j] < eps ? eps : p[j];
        raw += p[j];
        s += q > 1 - eps ? 1 - eps : q;
    }
    if (g->comp->prob_rows_sum_to_one && near && !(fabs(raw - 1) <= tol - 1e-9))
        return 1;
    if (g->comp->prob_rows_sum_to_one && !(fabs(raw - 1) <= tol) && at < bad->row) {
        bad->row = at;
        bad->value = raw;
    }
    double loss = 0;
    for (size_t c = at ? lp->nz_end[at - 1] : 0; c < lp->nz_end[at]; c++)
        loss -= lp->nz_val[c] * log(fmin(fmax(p[lp->nz_col[c]], eps), 1 - eps) / s);
    lp->loss[at] = loss;
    return 0;
}

static void take_matched(grade_path *p, grade_data *g, size_t at)
{
    ll_path *lp = (ll_path *)p;
    take_row(lp, g, at, p->row, 0, &lp->bad_sum);
}

/* A submission row read in place (inplace_fields with pos) into answer row
 * at's loss: the cells the loss takes the log of are read again exactly
 * from pos; a row-sum fault goes to *bad. 0, or 1 when the general path
 * must read the row (nothing was written then). Rows of distinct answer
 * rows may be taken at once from several threads. */
static int take_in_place(ll_path *lp, const grade_data *g, size_t at, double *p,
                         const char **pos, const char *end, grade_fault *bad)
{
    /* the cells the loss takes the log of: exact, as the general path has them */
    for (size_t c = at ? lp->nz_end[at - 1] : 0; c < lp->nz_end[at]; c++) {
        uint32_t j = lp->nz_col[c];
        if (inplace_exact(&p[j], pos[j], end) < 0 || !(p[j] <= 1))
            return 1;
    }
    return take_row(lp, g, at, p, 1, bad);
}

/* A submission row in place: 0 when it was matched and scored and the
 * cursor moved past it; 1 when the general path must read it (nothing was
 * changed then). */
static int fast_row(ll_path *lp, grade_data *g, csv_reader *r, const long *role, size_t ncols,
                    sb *id, int has_id, const char **pos)
{
    const char *next;
    double *vals = lp->base.row;
    if (g->any_bool || inplace_fields(vals, r, role, ncols, pos, id, &next))
        return 1; /* a True/False column: grade_take_values reads those */
    long at = g->seq_row < g->n ? (long)g->seq_row : -1;
    if (has_id)
        at = grade_find_row(g, id->buf, g->seq_row);
    if (at < 0 || take_in_place(lp, g, (size_t)at, vals, pos, r->end, &lp->bad_sum))
        return 1;
    grade_claim(g, at);
    inplace_skip(r, next);
    return 0;
}

static int match_rows(grade_path *p, grade_data *g, csv_reader *r, long id_at)
{
    ll_path *lp = (ll_path *)p;
    size_t ncols = r->n_fields;
    long *role = inplace_roles(g, ncols, id_at);
    if (!lp->loss)
        lp->loss = big_alloc(g->n * sizeof *lp->loss);
    const char **pos = xcalloc(g->k, sizeof *pos);
    sb id = {0};
    int rc = 0;
    while (csv_reader_skip_blank(r)) {
        if (fast_row(lp, g, r, role, ncols, &id, id_at >= 0, pos) == 0)
            continue;
        int got = csv_reader_next(r); /* read it again, the general way */
        if (got < 0)
            rc = grade_invalid(g, "%s", err_last());
        if (got <= 0)
            break;
        row_view v = {r->name, r->buf, r->off, r->n_fields, r->row_line};
        if ((rc = grade_match_one(g, &v, id_at, ncols)) != 0)
            break;
    }
    free(role);
    free(pos);
    sb_free(&id);
    return rc ? rc : grade_all_matched(g, r->name);
}

/* A row at the lane's cursor: 1 taken, 0 at the end of the range, -1 when
 * the single reader must grade the file. Its hundred-odd fields take far
 * longer to read than its id takes to look up: one at a time. */
static int lane_rows(grade_path *p, grade_lane *l, csv_reader *r)
{
    grade_data *g = l->g;
    const char *next, *ids[1];
    long at;
    if (!csv_reader_skip_blank(r))
        return 0;
    if (r->read_errno || inplace_fields(l->vals, r, l->role, l->ncols, l->pos, &l->id, &next))
        return -1;
    ids[0] = l->id.buf;
    grade_lookup_many(g, ids, 1, &at);
    if (at < 0 || !grade_claim_shared(g, (size_t)at) ||
        take_in_place((ll_path *)p, g, (size_t)at, l->vals, l->pos, r->end, &l->bad))
        return -1;
    inplace_skip(r, next);
    l->rows++;
    return 1;
}

static void lanes_begin(grade_path *p, grade_data *g)
{
    ll_path *lp = (ll_path *)p;
    if (!lp->loss)
        lp->loss = big_alloc(g->n * sizeof *lp->loss);
}

static void lanes_end(grade_path *p, grade_data *g, int ok, const grade_fault *fault)
{
    (void)g;
    if (ok) /* else the single reader takes every row again, faults too */
        ((ll_path *)p)->bad_sum = *fault;
}

static int check_rows(grade_path *p, grade_data *g)
{
    const ll_path *lp = (const ll_path *)p;
    if (lp->bad_sum.row == SIZE_MAX)
        return 0;
    return grade_invalid(g, "submission: the probabilities of id '%s' sum to %.9g, not 1 "
                         "(normalise each row)", grade_nth_id(g, lp->bad_sum.row),
                         lp->bad_sum.value);
}

/* The per-row losses summed in answer order (the general path's order). */
static int score(double *out, grade_path *p, grade_data *g)
{
    const ll_path *lp = (const ll_path *)p;
    assert(lp->loss && g->seq_row >= g->n); /* every answer row has its loss */
    double total = 0;
    for (size_t i = 0; i < g->n; i++)
        total += lp->loss[i];
    *out = total / (double)g->n;
    return 0;
}

static void destroy(grade_path *p)
{
    ll_path *lp = (ll_path *)p;
    free(p->row);
    free(lp->nz_end);
    free(lp->nz_col);
    free(lp->nz_val);
    big_free(lp->loss);
    free(lp);
}

static const grade_path_ops ll_ops = {
    .name = "reduced log loss", .answer_row = answer_row, .answer_in_place = answer_in_place,
    .take_row = take_matched, .match_rows = match_rows, .lane_rows = lane_rows,
    .lanes_begin = lanes_begin, .lanes_end = lanes_end, .check_rows = check_rows,
    .score = score, .destroy = destroy,
};

grade_path *ll_path_open(const grade_data *g)
{
    /* rows are folded in as they are matched: the pairing must be known then */
    if (strcmp(g->comp->metric, "logloss") || g->k < 2 || grade_pairs_sorted(g->comp))
        return NULL;
    ll_path *lp = xcalloc(1, sizeof *lp);
    lp->base.ops = &ll_ops;
    lp->base.row = xcalloc(g->k, sizeof *lp->base.row);
    lp->bad_sum.row = SIZE_MAX;
    return &lp->base;
}

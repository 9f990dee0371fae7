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
#include "grade_internal.h"
#include "util.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

void ll_setup(grade_data *g)
{
    /* rows are folded in as they are matched: the pairing must be known then */
    g->reduced = !strcmp(g->comp->metric, "logloss") && g->k >= 2 &&
                 !grade_pairs_sorted(g->comp);
    if (!g->reduced)
        return;
    g->scratch = xcalloc(g->k, sizeof *g->scratch);
    g->bad_sum.row = SIZE_MAX;
}

int ll_answer_row(grade_data *g, const row_view *r)
{
    if (grade_take_values(g, r, 1, g->scratch, NULL, NULL) < 0)
        return -1;
    ll_add_sparse(g);
    return 0;
}

void ll_add_sparse(grade_data *g)
{
    size_t row = g->n - 1; /* load_answers has counted it already */
    if (row % 1024 == 0)
        g->nz_end = xrealloc(g->nz_end, (row + 1024) * sizeof *g->nz_end);
    for (size_t j = 0; j < g->k; j++) {
        if (g->scratch[j] == 0)
            continue;
        if (g->nz_len == g->nz_cap) {
            g->nz_cap = g->nz_cap ? g->nz_cap * 2 : 1024;
            g->nz_col = xrealloc(g->nz_col, g->nz_cap * sizeof *g->nz_col);
            g->nz_val = xrealloc(g->nz_val, g->nz_cap * sizeof *g->nz_val);
        }
        g->nz_col[g->nz_len] = (uint32_t)j;
        g->nz_val[g->nz_len++] = g->scratch[j];
    }
    g->nz_end[row] = g->nz_len;
}

/* The row's loss from its values p (clipped, renormalised by the clipped
 * sum). With near set (the values that only enter the sums were read by
 * num_scan_frac, a few ulp off), a row whose raw sum is anywhere near the
 * row-sum tolerance is left alone (1): the general path reads it exactly,
 * so the check and the sum it reports are those of the exact values. */
static int take_row(grade_data *g, size_t at, const double *p, int near, ll_fault *bad)
{
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
        bad->sum = raw;
    }
    double loss = 0;
    for (size_t c = at ? g->nz_end[at - 1] : 0; c < g->nz_end[at]; c++)
        loss -= g->nz_val[c] * log(fmin(fmax(p[g->nz_col[c]], eps), 1 - eps) / s);
    g->loss[at] = loss;
    return 0;
}

void ll_take_row(grade_data *g, size_t at, const double *p)
{
    take_row(g, at, p, 0, &g->bad_sum);
}

int ll_take_in_place(grade_data *g, size_t at, double *p, const char **pos, const char *end,
                     ll_fault *bad)
{
    /* the cells the loss takes the log of: exact, as the general path has them */
    for (size_t c = at ? g->nz_end[at - 1] : 0; c < g->nz_end[at]; c++) {
        uint32_t j = g->nz_col[c];
        if (inplace_exact(&p[j], pos[j], end) < 0 || !(p[j] <= 1))
            return 1;
    }
    return take_row(g, at, p, 1, bad);
}

/* A submission row in place: 0 when it was matched and scored and the
 * cursor moved past it; 1 when the general path must read it (nothing was
 * changed then). */
static int fast_row(grade_data *g, csv_reader *r, const long *role, size_t ncols, sb *id,
                    int has_id, const char **pos)
{
    const char *next;
    if (g->any_bool || inplace_fields(g->scratch, r, role, ncols, pos, id, &next))
        return 1; /* a True/False column: grade_take_values reads those */
    long at = g->seq_row < g->n ? (long)g->seq_row : -1;
    if (has_id)
        at = grade_find_row(g, id->buf, g->seq_row);
    if (at < 0 || ll_take_in_place(g, (size_t)at, g->scratch, pos, r->end, &g->bad_sum))
        return 1;
    grade_claim(g, at);
    inplace_skip(r, next);
    return 0;
}

int ll_fast_answer(grade_data *g, csv_reader *r, const long *role, size_t ncols, sb *id)
{
    const char *next;
    if (inplace_fields(g->scratch, r, role, ncols, NULL, id, &next))
        return 1;
    if (grade_add_id(g, id->buf, id->len, r->name) < 0)
        return -1;
    ll_add_sparse(g);
    inplace_skip(r, next);
    return 0;
}

int ll_match_rows(grade_data *g, csv_reader *r, long id_at)
{
    size_t ncols = r->n_fields;
    long *role = inplace_roles(g, ncols, id_at);
    if (!g->loss)
        g->loss = big_alloc(g->n * sizeof *g->loss);
    const char **pos = xcalloc(g->k, sizeof *pos);
    sb id = {0};
    int rc = 0;
    while (csv_reader_skip_blank(r)) {
        if (fast_row(g, r, role, ncols, &id, id_at >= 0, pos) == 0)
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

int ll_check_sums(grade_data *g)
{
    if (g->bad_sum.row == SIZE_MAX)
        return 0;
    return grade_invalid(g, "submission: the probabilities of id '%s' sum to %.9g, not 1 "
                         "(normalise each row)", grade_nth_id(g, g->bad_sum.row),
                         g->bad_sum.sum);
}

double ll_mean(const grade_data *g)
{
    double total = 0;
    for (size_t i = 0; i < g->n; i++)
        total += g->loss[i];
    return total / (double)g->n;
}

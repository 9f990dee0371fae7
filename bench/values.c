/*
 * values.c: one row's target cells, parsed and checked the way MLE-bench's
 * grader (pandas, then the metric) would take them.
 *
 * A bad answers cell is an error in the registry or the data (< 0); a bad
 * submission cell makes the submission invalid (1, with the line, the column
 * and the reason in g->why). Which cells are bad is the metric's flags:
 * numbers everywhere, probabilities in [0, 1], values above -1 for log1p,
 * whole numbers, the metric's range, and pandas' True/False columns.
 */
#include "values.h"
#include "grade_data.h"
#include "mask_grade.h"
#include "metrics.h"
#include "numparse.h"
#include "util.h"

#include <assert.h>
#include <math.h>
#include <string.h>

/* A submission cell where a METRIC_BOOL metric may take True/False: the
 * column is bool when its first row is, and then every row must be (the
 * fast readers take numbers only, so they stand aside once a column is
 * bool: any_bool). 0 with *v set, or the reason the cell is bad. */
static const char *bool_cell(grade_data *g, size_t j, const char *cell, double *v)
{
    int b = metric_bool_literal(cell), first = g->seq_row == 1; /* claimed already */
    if (first && b >= 0) {
        g->bool_col[j] = 1;
        g->any_bool = 1;
    }
    if (b >= 0 && g->bool_col[j]) {
        *v = b;
        return NULL;
    }
    if (b >= 0)
        return "is True/False in a column of numbers (pandas reads such a column as text)";
    return "is not True/False, as the column's first row is (pandas reads such a column as "
           "text)";
}

static int out_of_bounds(const grade_data *g, double v)
{
    return !(v >= g->metric->lo && v <= g->metric->hi);
}

int grade_take_values(grade_data *g, const row_view *r, int is_answers, double *dst,
                      sb *strs, size_t *soff)
{
    assert(g->col_idx && g->k > 0);
    if (g->flags & METRIC_MASK) { /* soff is this row's slot of yoff / poff */
        size_t row = (size_t)(soff - (is_answers ? g->yoff : g->poff));
        return mask_take_text(g, r, is_answers, row, strs, soff);
    }
    for (size_t j = 0; j < g->k; j++) {
        if (g->col_idx[j] < 0) { /* a submission-only column, reading the answers */
            if (dst)
                dst[j] = NAN;
            continue;
        }
        const char *cell = r->buf + r->off[g->col_idx[j]];
        if (g->flags & METRIC_STRING) {
            *soff = strs->len;
            sb_append(strs, cell, strlen(cell) + 1);
            continue;
        }
        double v;
        const char *bad = NULL;
        if (!*cell && (is_answers ? g->mark[j] == '?' || g->mark[j] == '-' : g->mark[j] == '+'))
            v = NAN; /* pandas reads it as NaN; the metric decides */
        else if (!is_answers && g->bool_col && (g->bool_col[j] || metric_bool_literal(cell) >= 0))
            bad = bool_cell(g, j, cell, &v);
        else if (num_parse(cell, &v) < 0)
            bad = *cell ? "is not a number" : "is empty (a number is needed)";
        else if (!isfinite(v))
            bad = "is not a finite number";
        else if (!is_answers && (g->flags & METRIC_PROB) && (v < 0 || v > 1))
            bad = "is not a probability in [0, 1]";
        else if (!is_answers && (g->flags & METRIC_NONNEG) && v <= -1)
            bad = "is <= -1 (the log-error metric takes log(1 + value))";
        else if (!is_answers && (g->flags & METRIC_INTEGER) && v != trunc(v))
            bad = "is not a whole number (a class label is needed)";
        else if (!is_answers && (g->flags & METRIC_BOUNDED) && out_of_bounds(g, v))
            bad = "is outside the range the competition allows";
        if (bad && is_answers)
            return err_set("%s: line %zu, column '%s': '%s' %s", r->name, r->line,
                           g->cols[j], cell, bad);
        if (bad)
            return grade_invalid(g, "%s: line %zu, column '%s': '%s' %s", r->name, r->line,
                                 g->cols[j], cell, bad);
        dst[j] = v;
    }
    return 0;
}

/*
 * mask_grade.c: the grading side of the run-length encoded mask metrics
 * (metrics_mask.c scores them): which answers columns hold the mask, the
 * image size and the id, read as pass 1 goes so each submission mask is
 * checked against its image as it is read, with the competition's rules
 * (mask_kind) for empty cells and row order.
 */
#include "mask_grade.h"
#include "csv_reader.h"
#include "grade_data.h"
#include "metrics.h"
#include "numparse.h"
#include "util.h"

#include <assert.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAX_PIXELS (1ULL << 50) /* an image this large is no image */

/* The answers' image sizes, read in pass 1. */
struct mask_state {
    double *dims;      /* n x 2: height, width (NULL: fixed by the metric) */
    size_t cap;        /* rows dims has room for */
    long col[4];       /* answers' mask, height, width, id columns (-1: none) */
    sb ids;            /* the answers' ids, for metrics that group rows */
    size_t *id_off;    /* row i's id is ids.buf + id_off[i] */
};

/* The metric's kind: its row of the metric table carries it. */
static const mask_kind *kind_of(const grade_data *g)
{
    assert(g->metric->spec && (g->flags & METRIC_MASK));
    return g->metric->spec;
}

int mask_check_columns(const grade_data *g)
{
    if (g->k != 1)
        return err_set("%s: metric %s takes one target column (the submission's mask), the "
                       "registry gives %zu", g->comp->id, g->comp->metric, g->k);
    return 0;
}

int mask_map_answers(grade_data *g, const csv_reader *r, long id_at)
{
    if (!g->mask)
        g->mask = xcalloc(1, sizeof *g->mask);
    mask_state *m = g->mask;
    const mask_kind *kind = kind_of(g);
    const char *want[3] = {kind->ans_mask ? kind->ans_mask : g->cols[0], kind->height,
                           kind->width};
    m->col[3] = id_at;
    for (int j = 0; j < 3; j++) {
        m->col[j] = -1;
        for (size_t i = 0; want[j] && i < r->n_fields && m->col[j] < 0; i++)
            if (!strcmp(csv_reader_field(r, i), want[j]))
                m->col[j] = (long)i;
        if (want[j] && m->col[j] < 0)
            return err_set("%s: answers %s lack the column '%s'", g->comp->id, r->name,
                           want[j]);
    }
    if (g->comp->id_col && id_at < 0)
        return err_set("%s: answers %s lack the column '%s'", g->comp->id, r->name,
                       g->comp->id_col);
    return 0;
}

int mask_check_header(grade_data *g, const csv_reader *r)
{
    const mask_kind *kind = kind_of(g);
    if (!kind->sub_col)
        return 0;
    for (size_t i = 0; i < r->n_fields; i++)
        if (!strcmp(csv_reader_field(r, i), kind->sub_col))
            return 0;
    return grade_invalid(g, "%s: line 1: missing required column '%s' (the submission needs "
                         "'%s', '%s' and '%s')", r->name, kind->sub_col, g->comp->id_col,
                         kind->sub_col, g->cols[0]);
}

/* The name of the answers' column mask_col[j], for messages. */
static const char *csv_name(const grade_data *g, int j)
{
    const mask_kind *kind = kind_of(g);
    const char *names[3] = {kind->ans_mask ? kind->ans_mask : g->cols[0], kind->height,
                            kind->width};
    return names[j];
}

/* A positive whole number of pixels (an image side) from an answers cell. */
static int image_side(double *out, const row_view *r, const grade_data *g, int j)
{
    const mask_state *m = g->mask;
    const char *cell = r->buf + r->off[m->col[j]];
    double v;
    if (num_parse(cell, &v) < 0 || !(v >= 1 && v <= 1e9) || v != floor(v))
        return err_set("%s: line %zu, column '%s': '%s' is not an image size (a positive "
                       "integer)", r->name, r->line, csv_name(g, j), cell);
    *out = v;
    return 0;
}

int mask_answer_row(grade_data *g, const row_view *r)
{
    mask_state *m = g->mask;
    assert(m); /* mask_map_answers read the header */
    if (m->col[1] < 0)
        return 0;
    if (g->n > m->cap) {
        m->cap = g->n * 2;
        m->dims = xrealloc(m->dims, m->cap * 2 * sizeof *m->dims);
        m->id_off = xrealloc(m->id_off, m->cap * sizeof *m->id_off);
    }
    if (kind_of(g)->score == MASK_DICE_HD) { /* it groups rows by id */
        const char *id = m->col[3] >= 0 ? r->buf + r->off[m->col[3]] : "";
        m->id_off[g->n - 1] = m->ids.len;
        sb_append(&m->ids, id, strlen(id) + 1);
    }
    double *d = m->dims + 2 * (g->n - 1);
    if (image_side(&d[0], r, g, 1) < 0 || image_side(&d[1], r, g, 2) < 0)
        return -1;
    if ((uint64_t)d[0] * (uint64_t)d[1] > MAX_PIXELS)
        return err_set("%s: line %zu: a %gx%g image is too large to grade", r->name, r->line,
                       d[0], d[1]);
    return 0;
}

const char **mask_row_ids(const grade_data *g)
{
    const mask_state *m = g->mask;
    if (!m->ids.len)
        return NULL;
    const char **ids = xmalloc(g->n * sizeof *ids);
    for (size_t i = 0; i < g->n; i++)
        ids[i] = m->ids.buf + m->id_off[i];
    return ids;
}

int mask_take_text(grade_data *g, const row_view *r, int is_answers, size_t row, sb *strs,
                   size_t *soff)
{
    const mask_kind *kind = kind_of(g);
    const mask_state *m = g->mask;
    assert(row < g->n);
    long at = is_answers ? m->col[0] : g->col_idx[0];
    const char *cell = r->buf + r->off[at], *col = is_answers ? csv_name(g, 0) : g->cols[0];
    if (!is_answers && kind->in_order && row != g->seq_row - 1)
        return grade_invalid(g, "%s: line %zu: rows must come in the answers' order (this "
                             "id is answer row %zu, the row is number %zu)", r->name,
                             r->line, row + 1, g->seq_row);
    int empty_ok = is_answers || kind->sub_empty_ok;
    const char *text = cell;
    char *why = NULL;
    if (kind->dash_empty && !strcmp(cell, "-"))
        text = "";
    else if (metric_is_na(cell) && !empty_ok)
        why = xasprintf("the cell is empty or missing (%s)", kind->dash_empty ? "write '-' "
                        "for an empty mask" : "MLE-bench reads it as a missing value, not "
                        "as a mask: predict at least one pixel");
    else if (metric_is_na(cell))
        text = "";
    uint64_t n = kind->fixed_side ? (uint64_t)kind->fixed_side * kind->fixed_side
                                  : (uint64_t)m->dims[2 * row] *
                                        (uint64_t)m->dims[2 * row + 1];
    if (!why)
        rle_check(text, n, &why);
    if (why) {
        int rc = is_answers ? err_set("%s: line %zu, column '%s': run-length encoding: %s",
                                      r->name, r->line, col, why)
                            : grade_invalid(g, "%s: line %zu, column '%s': run-length "
                                            "encoding: %s", r->name, r->line, col, why);
        free(why);
        return rc;
    }
    *soff = strs->len;
    sb_append(strs, text, strlen(text) + 1);
    return 0;
}

const double *mask_dims(const grade_data *g)
{
    return g->mask ? g->mask->dims : NULL;
}

void mask_free(mask_state *m)
{
    if (!m)
        return;
    free(m->dims);
    sb_free(&m->ids);
    free(m->id_off);
    free(m);
}

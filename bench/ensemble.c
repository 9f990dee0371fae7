/*
 * ensemble.c: blending several submissions of one competition into one.
 *
 * The first member (the best node's submission) is the reference: the blend
 * has its header, its row order and its ids. Every other member is read with
 * the grader's CSV reader and aligned on it, rows by the competition's id
 * column (a sorted index of the reference's ids, one binary search per row),
 * columns by name. A member that cannot be aligned (another row count, an id
 * the reference lacks or repeats, a missing or extra column) is refused with
 * the reason, not blended wrongly: a blend of misaligned rows would be graded
 * as if it were right.
 *
 * Two methods, chosen from the metric (bench_blend_method_for): a weighted
 * mean of each target cell, which serves probabilities (binary or one column
 * per class: rows that sum to 1 still do) and regression alike, and a
 * weighted vote of each cell's label for metrics that compare labels. A
 * vote's tie goes to the tied label seen first in member order, the best
 * member's; weights are compared with a tolerance of 1e-12 so that weights
 * such as 0.1 + 0.2 and 0.3 tie as they do on paper.
 */
#include "bench.h"
#include "metrics.h"
#include "numparse.h"
#include "util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct bench_blend {
    bench_blend_method method;
    size_t n;          /* members */
    bench_csv **csv;   /* per member; NULL when refused */
    size_t **row;      /* row[i][r]: member i's row for reference row r */
    size_t **col;      /* col[i][c]: member i's column for reference column c */
    int id_col;        /* reference column of the ids (copied, never blended); -1 none */
    int by_id;         /* rows align by id_col; 0: by position */
};

static const char *const method_names[] = {"mean", "vote"};

const char *bench_blend_method_name(bench_blend_method m)
{
    return (unsigned)m < 2 ? method_names[m] : "unknown";
}

int bench_blend_method_parse(const char *name, bench_blend_method *out)
{
    for (int i = 0; name && i < 2; i++) {
        if (!strcmp(name, method_names[i])) {
            *out = (bench_blend_method)i;
            return 0;
        }
    }
    return err_set("unknown blend method '%s' (expected mean or vote)", name ? name : "");
}

/* The tables whose metrics read one number or label per target cell; the
 * others score free text, masks, points or detections. */
static int cell_metric(const char *name)
{
    static const metric_def *const tables[] = {metrics_base, metrics_extra, metrics_numeric,
                                               metrics_jigsaw};
    for (size_t t = 0; t < sizeof tables / sizeof *tables; t++)
        for (const metric_def *d = tables[t]; d->name; d++)
            if (!strcmp(d->name, name))
                return 1;
    return 0;
}

int bench_blend_method_for(const bench_competition *comp, bench_blend_method *out)
{
    int f = metric_flags(comp->metric);
    if (!(f & METRIC_KNOWN))
        return err_set("%s: metric '%s' is unknown to grove: no blend", comp->id, comp->metric);
    if ((f & (METRIC_TEXT | METRIC_MASK)) || !cell_metric(comp->metric))
        return err_set("%s: metric '%s' scores free text, masks, points or detections, which "
                       "do not blend cell by cell", comp->id, comp->metric);
    *out = f & (METRIC_STRING | METRIC_INTEGER) ? BENCH_BLEND_VOTE : BENCH_BLEND_MEAN;
    return 0;
}

/* ---- alignment ---- */

/* The reference's ids, sorted, each with its row. */
typedef struct id_row {
    const char *id;
    size_t row;
} id_row;

typedef struct id_index {
    id_row *v;
    size_t n;
} id_index;

static int cmp_ids(const void *a, const void *b)
{
    return strcmp(((const id_row *)a)->id, ((const id_row *)b)->id);
}

/* The reference's rows sorted by id; < 0 when an id repeats (rows could
 * not be told apart). */
static int index_build(id_index *ix, const bench_csv *ref, size_t col)
{
    ix->n = ref->n_rows;
    ix->v = xmalloc((ix->n ? ix->n : 1) * sizeof *ix->v);
    for (size_t r = 0; r < ix->n; r++)
        ix->v[r] = (id_row){bench_csv_cell(ref, r, col), r};
    xqsort(ix->v, ix->n, sizeof *ix->v, cmp_ids);
    for (size_t r = 1; r < ix->n; r++) {
        if (!strcmp(ix->v[r - 1].id, ix->v[r].id))
            return err_set("the best member's submission repeats id '%s' (lines %zu and %zu): "
                           "its rows cannot be aligned by id", ix->v[r].id,
                           ref->row_line[ix->v[r - 1].row], ref->row_line[ix->v[r].row]);
    }
    return 0;
}

static long index_find(const id_index *ix, const char *id)
{
    id_row key = {id, 0};
    const id_row *hit = ix->n ? bsearch(&key, ix->v, ix->n, sizeof *ix->v, cmp_ids) : NULL;
    return hit ? (long)hit->row : -1;
}

/* Member m's columns mapped on the reference's; NULL with *why when they
 * differ. */
static size_t *map_cols(const bench_csv *ref, const bench_csv *m, char **why)
{
    if (m->n_cols != ref->n_cols) {
        *why = xasprintf("it has %zu columns, the best member's %zu", m->n_cols, ref->n_cols);
        return NULL;
    }
    size_t *col = xmalloc(ref->n_cols * sizeof *col);
    for (size_t c = 0; c < ref->n_cols; c++) {
        int at = bench_csv_col(m, ref->header[c]);
        if (at < 0) {
            *why = xasprintf("it has no column '%s'", ref->header[c]);
            free(col);
            return NULL;
        }
        col[c] = (size_t)at;
    }
    return col;
}

/* Member m's rows mapped on the reference's; NULL with *why when they
 * differ. */
static size_t *map_rows(const bench_blend *b, const id_index *ix, const bench_csv *m,
                        const size_t *col, char **why)
{
    const bench_csv *ref = b->csv[0];
    if (m->n_rows != ref->n_rows) {
        *why = xasprintf("it has %zu rows, the best member's %zu", m->n_rows, ref->n_rows);
        return NULL;
    }
    size_t *row = xmalloc((ref->n_rows ? ref->n_rows : 1) * sizeof *row);
    unsigned char *seen = xcalloc(ref->n_rows ? ref->n_rows : 1, 1);
    for (size_t r = 0; r < m->n_rows && !*why; r++) {
        long at = (long)r;
        if (b->by_id) {
            const char *id = bench_csv_cell(m, r, col[b->id_col]);
            at = index_find(ix, id);
            if (at < 0)
                *why = xasprintf("line %zu: id '%s' is not in the best member's submission",
                                 m->row_line[r], id);
            else if (seen[at])
                *why = xasprintf("line %zu: id '%s' repeats", m->row_line[r], id);
        }
        if (!*why) {
            seen[at] = 1;
            row[at] = r;
        }
    }
    free(seen);
    if (*why) {
        free(row);
        return NULL;
    }
    return row;
}

/* For a mean, every target cell must be a finite number. */
static char *check_numbers(const bench_blend *b, const bench_csv *m, const size_t *col)
{
    if (b->method != BENCH_BLEND_MEAN)
        return NULL;
    for (size_t r = 0; r < m->n_rows; r++) {
        for (size_t c = 0; c < b->csv[0]->n_cols; c++) {
            double x;
            const char *s = bench_csv_cell(m, r, col[c]);
            if ((int)c != b->id_col && (num_parse(s, &x) < 0 || !isfinite(x)))
                return xasprintf("line %zu, column '%s': '%s' is not a finite number, and a "
                                 "mean needs one", m->row_line[r], b->csv[0]->header[c], s);
        }
    }
    return NULL;
}

/* Align member i (already read into b->csv[i]); NULL, or why it is refused. */
static char *take(bench_blend *b, const id_index *ix, size_t i)
{
    char *why = NULL;
    size_t *col = map_cols(b->csv[0], b->csv[i], &why);
    size_t *row = col ? map_rows(b, ix, b->csv[i], col, &why) : NULL;
    if (row && !(why = check_numbers(b, b->csv[i], col))) {
        b->col[i] = col;
        b->row[i] = row;
        return NULL;
    }
    free(col);
    free(row);
    return why;
}

void bench_blend_free(bench_blend *b)
{
    if (!b)
        return;
    for (size_t i = 0; i < b->n; i++) {
        bench_csv_free(b->csv[i]);
        free(b->row[i]);
        free(b->col[i]);
    }
    free(b->csv);
    free(b->row);
    free(b->col);
    free(b);
}

int bench_blend_open(bench_blend **out, const bench_competition *comp, bench_blend_method m,
                     const char *const *paths, size_t n, char **why)
{
    *out = NULL;
    for (size_t i = 0; i < n; i++)
        why[i] = NULL;
    if (n == 0)
        return err_set("blend: no members");
    bench_blend *b = xcalloc(1, sizeof *b);
    b->method = m;
    b->n = n;
    b->csv = xcalloc(n, sizeof *b->csv);
    b->row = xcalloc(n, sizeof *b->row);
    b->col = xcalloc(n, sizeof *b->col);
    id_index ix = {0};
    if (bench_csv_read(&b->csv[0], paths[0]) < 0)
        goto fail;
    /* rows that pair by position may still carry the id column: it is
     * copied from the best member, not blended */
    b->id_col = comp->id_col ? bench_csv_col(b->csv[0], comp->id_col) : -1;
    b->by_id = comp->id_col && comp->pairing != PAIR_BY_POSITION;
    if (b->by_id && b->id_col < 0) {
        err_set("%s has no id column '%s'", paths[0], comp->id_col);
        goto fail;
    }
    if (b->by_id && index_build(&ix, b->csv[0], (size_t)b->id_col) < 0)
        goto fail;
    if ((why[0] = take(b, &ix, 0)) != NULL) {
        err_set("%s: %s", paths[0], why[0]);
        goto fail;
    }
    for (size_t i = 1; i < n; i++) {
        if (bench_csv_read(&b->csv[i], paths[i]) < 0)
            why[i] = xstrdup(err_last());
        else
            why[i] = take(b, &ix, i);
        if (why[i]) {
            bench_csv_free(b->csv[i]);
            b->csv[i] = NULL;
        }
    }
    free(ix.v);
    *out = b;
    return 0;
fail:
    free(ix.v);
    for (size_t i = 0; i < n; i++) {
        free(why[i]);
        why[i] = NULL;
    }
    bench_blend_free(b);
    return -1;
}

size_t bench_blend_count(const bench_blend *b) { return b->n; }

int bench_blend_taken(const bench_blend *b, size_t i) { return i < b->n && b->csv[i]; }

static const char *cell(const bench_blend *b, size_t i, size_t r, size_t c)
{
    return bench_csv_cell(b->csv[i], b->row[i][r], b->col[i][c]);
}

/* One target cell of the blend, appended to text. */
static void blend_cell(const bench_blend *b, const double *w, double sum, size_t r, size_t c,
                       sb *text)
{
    if (b->method == BENCH_BLEND_MEAN) {
        double acc = 0;
        for (size_t i = 0; i < b->n; i++) {
            double x = 0;
            if (b->csv[i] && w[i] > 0 && num_parse(cell(b, i, r, c), &x) == 0)
                acc += w[i] * x;
        }
        sb_printf(text, "%.17g", acc / sum);
        return;
    }
    const char *pick = NULL;
    double pick_w = 0;
    for (size_t i = 0; i < b->n; i++) {
        if (!b->csv[i] || !(w[i] > 0))
            continue;
        const char *label = cell(b, i, r, c);
        int seen = 0;
        for (size_t k = 0; k < i && !seen; k++)
            seen = b->csv[k] && w[k] > 0 && !strcmp(cell(b, k, r, c), label);
        if (seen)
            continue; /* counted with its first member */
        double lw = 0;
        for (size_t k = i; k < b->n; k++)
            if (b->csv[k] && w[k] > 0 && !strcmp(cell(b, k, r, c), label))
                lw += w[k];
        if (!pick || lw > pick_w + 1e-12) {
            pick = label;
            pick_w = lw;
        }
    }
    sb_puts(text, pick ? pick : "");
}

int bench_blend_write(const bench_blend *b, const double *w, const char *path)
{
    double sum = 0;
    for (size_t i = 0; i < b->n; i++) {
        if (!(w[i] >= 0) || (w[i] > 0 && !b->csv[i]))
            return err_set("blend: weight %zu is %g (weights are >= 0, and 0 for a refused "
                           "member)", i, w[i]);
        sum += w[i];
    }
    if (!(sum > 0))
        return err_set("blend: the weights sum to %g; at least one must be positive", sum);
    const bench_csv *ref = b->csv[0];
    size_t cells = ref->n_rows * ref->n_cols;
    char **ptr = xcalloc(cells ? cells : 1, sizeof *ptr);
    size_t *at = xcalloc(cells ? cells : 1, sizeof *at);
    sb text = {0};
    for (size_t r = 0; r < ref->n_rows; r++) {
        for (size_t c = 0; c < ref->n_cols; c++) {
            at[r * ref->n_cols + c] = text.len;
            if ((int)c == b->id_col)
                sb_puts(&text, bench_csv_cell(ref, r, c));
            else
                blend_cell(b, w, sum, r, c, &text);
            sb_putc(&text, 0);
        }
    }
    /* cells point into text only once it has stopped growing */
    for (size_t k = 0; k < cells; k++)
        ptr[k] = text.buf + at[k];
    bench_csv out = {.n_cols = ref->n_cols, .n_rows = ref->n_rows, .header = ref->header,
                     .cells = ptr};
    int rc = bench_csv_write(path, &out, NULL, 0);
    sb_free(&text);
    free(ptr);
    free(at);
    return rc;
}

/*
 * grade.c: grading one submission against the answers.
 *
 * Both files are streamed (csv_reader over an mmap) straight into compact
 * typed columns: the answers' ids and target values, then each submission
 * row is matched to its answer row and its values are parsed into the same
 * layout. No table of cells is ever built, so grading a 200 MB submission
 * holds little more than one double per graded cell.
 *
 * Matching the submission's rows to the answers' by id is match.c's part.
 *
 * A problem with the submission is not an error: it makes the report invalid
 * with a message naming the row and column (g->why). A problem with the
 * answers or the registry entry is an error (< 0).
 */
#include "grade.h"
#include "answers_rows.h"
#include "bench.h"
#include "bigmem.h"
#include "csv_reader.h"
#include "grade_data.h"
#include "grade_paths.h"
#include "halves.h"
#include "inplace.h"
#include "mask_grade.h"
#include "match.h"
#include "metrics.h"
#include "pairsort.h"
#include "util.h"
#include "values.h"

#include <assert.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

void grade_free(grade_data *g)
{
    if (g->path)
        g->path->ops->destroy(g->path);
    mask_free(g->mask);
    for (size_t i = 0; i < g->k; i++)
        free(g->cols[i]);
    free(g->cols);
    free(g->mark);
    free(g->group_col);
    sb_free(&g->gstr);
    free(g->goff);
    free(g->col_idx);
    big_free(g->ids);
    big_free(g->y);
    big_free(g->p);
    sb_free(&g->ystr);
    sb_free(&g->pstr);
    free(g->yoff);
    free(g->poff);
    free(g->pline);
    free(g->used);
    big_free(g->slots);
    big_free(g->slots32);
    sb_free(&g->skeys);
    free(g->skey_off);
    free(g->pair_ans);
    free(g->pair_sub);
    free(g->sub_ans);
    free(g->bool_col);
    free(g->why);
    sb_free(&g->conv);
    memset(g, 0, sizeof *g);
}

/* Target columns: the registry's list, or "*" = every column of the answers
 * but the id. In a list, "+name" is a column only the submission has, "-name"
 * one only the answers have (the other side's values are NaN), "?name" one
 * whose empty answers cells are NaN (rows the metric leaves out) and "=name"
 * an answers-only text column that the metric gets as each row's group (at
 * most one; not a target). */
static int pick_columns(grade_data *g, const csv_reader *r, const char *file)
{
    const char *spec = g->comp->target_cols;
    if (!spec)
        return err_set("%s: the registry gives no target columns", g->comp->id);
    g->cols = xcalloc(r->n_fields + 1, sizeof *g->cols);
    g->mark = xcalloc(r->n_fields + 1, 1);
    if (!strcmp(spec, "*")) {
        for (size_t i = 0; i < r->n_fields; i++)
            if (!g->comp->id_col || strcmp(csv_reader_field(r, i), g->comp->id_col))
                g->cols[g->k++] = xstrdup(csv_reader_field(r, i));
    } else {
        for (const char *p = spec; *p;) {
            size_t n = strcspn(p, ",");
            if (*p == '=' && !g->group_col) {
                g->group_col = xstrndup(p + 1, n - 1);
                p += n + (p[n] == ',');
                continue;
            }
            if (g->k == r->n_fields)
                return err_set("%s: more target columns than %s has", g->comp->id, file);
            int marked = *p && strchr("+-?", *p);
            g->mark[g->k] = marked ? *p : 0;
            g->cols[g->k++] = xstrndup(p + marked, n - marked);
            p += n + (p[n] == ',');
        }
    }
    if (!g->k)
        return err_set("%s: no target columns in %s", g->comp->id, file);
    if (g->flags & METRIC_MASK)
        return mask_check_columns(g);
    if ((g->flags & METRIC_STRING) && g->k != 1)
        return err_set("%s: metric %s compares one column, the registry gives %zu",
                       g->comp->id, g->comp->metric, g->k);
    return 0;
}

/* Is target j a column only the other file has? */
static int other_side(const grade_data *g, size_t j, int is_answers)
{
    return g->mark[j] == (is_answers ? '+' : '-');
}

/* cols_rule '#': the grader takes every non-id column of each file
 * (DataFrame.to_numpy() after set_index(id)) and pairs them by position. The
 * answers' must be the targets in order; the submission's, found by name
 * already, are the targets and no others, and its j-th meets target j. */
static int map_by_position(grade_data *g, const csv_reader *r, int is_answers, long id_at)
{
    size_t j = 0;
    for (size_t i = 0; i < r->n_fields; i++) {
        if ((long)i == id_at)
            continue;
        if (is_answers && (j == g->k || (long)i != g->col_idx[j]))
            return err_set("%s: answers %s: column '%s' is not target %zu of %zu (the "
                           "grader takes the answers' columns in order)", g->comp->id,
                           r->name, csv_reader_field(r, i), j + 1, g->k);
        if (!is_answers && j == g->k)
            return grade_invalid(g, "%s: line 1: unexpected column '%s' (the grader takes "
                                 "every column but '%s' as a target: the submission has "
                                 "exactly the %zu target columns)", r->name,
                                 csv_reader_field(r, i), g->comp->id_col, g->k);
        if (!is_answers)
            g->col_idx[j] = (long)i; /* was the column of that name */
        j++;
    }
    return 0;
}

/* Column positions of the id and the targets in a header; 1 (submission) or
 * < 0 (answers) when one is missing. */
static int map_header(grade_data *g, const csv_reader *r, int is_answers, long *id_at)
{
    const char *file = is_answers ? "answers" : "submission";
    *id_at = -1;
    free(g->col_idx);
    g->col_idx = xmalloc(g->k * sizeof *g->col_idx);
    for (size_t j = 0; j < g->k; j++)
        g->col_idx[j] = -1;
    g->group_at = -1;
    int mask = g->flags & METRIC_MASK; /* the answers' columns are the metric's */
    for (size_t i = 0; i < r->n_fields; i++) {
        const char *name = csv_reader_field(r, i);
        if (g->comp->id_col && !strcmp(name, g->comp->id_col))
            *id_at = (long)i;
        if (is_answers && g->group_col && g->group_at < 0 && !strcmp(name, g->group_col))
            g->group_at = (long)i;
        for (size_t j = 0; j < g->k; j++)
            if (g->col_idx[j] < 0 && !other_side(g, j, is_answers) &&
                !strcmp(name, g->cols[j]))
                g->col_idx[j] = (long)i;
    }
    if (mask && is_answers)
        return mask_map_answers(g, r, *id_at);
    if (mask && mask_check_header(g, r))
        return 1;
    if (g->comp->pairing == PAIR_BY_POSITION)
        *id_at = -1; /* the grader never reads the ids */
    const char *missing = g->comp->id_col && *id_at < 0 && g->comp->pairing != PAIR_BY_POSITION
                              ? g->comp->id_col : NULL;
    size_t needed = 0;
    for (size_t j = 0; j < g->k; j++) {
        needed += !other_side(g, j, is_answers);
        if (!missing && g->col_idx[j] < 0 && !other_side(g, j, is_answers))
            missing = g->cols[j];
    }
    if (!missing && is_answers && g->group_col && g->group_at < 0)
        missing = g->group_col;
    char rule = g->comp->cols_rule;
    if (!missing && !is_answers && ((g->flags & METRIC_ONLY_COLS) || rule == '!' || rule == '^'))
        for (size_t i = 0; i < r->n_fields; i++) {
            int known = (long)i == *id_at;
            for (size_t j = 0; j < g->k && !known; j++)
                known = g->col_idx[j] == (long)i;
            if (!known && g->k == 1)
                return grade_invalid(g, "%s: line 1: unexpected column '%s' (the submission "
                                     "has exactly the columns '%s' and '%s')", r->name,
                                     csv_reader_field(r, i), g->comp->id_col, g->cols[0]);
            if (!known)
                return grade_invalid(g, "%s: line 1: unexpected column '%s' (the submission "
                                     "has exactly the column '%s' and the %zu target "
                                     "columns)", r->name, csv_reader_field(r, i),
                                     g->comp->id_col, g->k);
        }
    if (!missing && !is_answers && rule == '^' && *id_at != 0)
        return grade_invalid(g, "%s: line 1: the first column is '%s', not '%s' (the grader "
                             "takes every column after the first as a probability)", r->name,
                             csv_reader_field(r, 0), g->comp->id_col);
    if (!missing)
        return g->comp->cols_rule == '#' ? map_by_position(g, r, is_answers, *id_at) : 0;
    if (is_answers)
        return err_set("%s: answers %s lack the column '%s'", g->comp->id, r->name, missing);
    return grade_invalid(g, "%s: line 1: missing required column '%s' (%s needs '%s' and %zu "
                   "target column%s)", r->name, missing, file,
                   g->comp->id_col ? g->comp->id_col : "(none)", needed, needed == 1 ? "" : "s");
}

static const grade_path_ops tables_ops;

/* The path this grading takes, chosen once from the metric and the
 * answers' columns: the first fast path that takes it, else the tables. */
static void choose_path(grade_data *g)
{
    grade_path *(*const fast[])(const grade_data *) = {ll_path_open, auc_path_open};
    assert(!g->path && g->k > 0);
    for (size_t i = 0; i < sizeof fast / sizeof fast[0] && !g->path; i++)
        g->path = fast[i](g);
    if (!g->path) {
        g->path = xcalloc(1, sizeof *g->path);
        g->path->ops = &tables_ops;
    }
    log_debug("%s: grading path: %s", g->comp->id, g->path->ops->name);
}

/* One pass over the answers: pass 1 takes the ids, pass 2 (after the
 * submission is matched and the ids are freed) the target values, so ids and
 * values are never held together with the hash. */
static int load_answers(grade_data *g, const char *path, int pass)
{
    assert(pass == 1 || (!g->ids && !g->slots && !g->slots32)); /* see above */
    csv_reader r;
    if (g->conv.len)
        csv_reader_init(&r, g->conv.buf, g->conv.len, path);
    else if (csv_reader_stream(&r, path) < 0)
        return err_prefix("%s: answers", g->comp->id);
    int rc = csv_reader_next(&r);
    long id_at;
    if (rc == 0)
        rc = err_set("%s: empty answers file", path);
    if (rc < 0 || (pass == 1 && pick_columns(g, &r, path) < 0) ||
        map_header(g, &r, 1, &id_at) < 0) {
        csv_reader_close(&r);
        return -1;
    }
    if (pass == 1)
        choose_path(g);
    size_t ncols = r.n_fields, row = 0;
    if (pass == 1) /* ids and their NULs fit in the file (see csv.c's arena) */
        g->ids = big_alloc(r.file_size + 1);
    if (pass == 2 && (g->flags & (METRIC_STRING | METRIC_MASK)))
        g->yoff = xmalloc(g->n * sizeof *g->yoff);
    else if (pass == 2)
        g->y = big_alloc(g->n * g->k * sizeof *g->y);
    if (pass == 2 && g->group_col)
        g->goff = xmalloc(g->n * sizeof *g->goff);
    grade_path *gp = g->path;
    long *role = pass == 1 && gp->ops->answer_in_place ? inplace_roles(g, ncols, id_at) : NULL;
    sb idbuf = {0};
    for (;;) {
        if (role && (rc = csv_reader_skip_blank(&r)) > 0 &&
            (rc = gp->ops->answer_in_place(gp, g, &r, role, ncols, &idbuf)) == 0)
            continue; /* a simple row, read in place */
        if (rc < 0 || (rc = csv_reader_next(&r)) <= 0)
            break;
        if (r.n_fields != ncols) {
            rc = err_set("%s: line %zu: %zu fields, header has %zu", path, r.row_line,
                         r.n_fields, ncols);
            break;
        }
        if (pass == 2) {
            if (row == g->n)
                break; /* changed under us; caught below */
            row_view v = {path, r.buf, r.off, r.n_fields, r.row_line};
            rc = grade_take_values(g, &v, 1, g->y ? g->y + row * g->k : NULL, &g->ystr,
                                   g->yoff ? g->yoff + row : NULL);
            if (rc < 0)
                break;
            if (g->goff) {
                const char *cell = csv_reader_field(&r, (size_t)g->group_at);
                g->goff[row] = g->gstr.len;
                sb_append(&g->gstr, cell, strlen(cell) + 1);
            }
            row++;
            continue;
        }
        const char *id = id_at >= 0 ? csv_reader_field(&r, (size_t)id_at) : "";
        if ((rc = grade_add_id(g, id, strlen(id), path)) < 0)
            break;
        row_view v = {path, r.buf, r.off, r.n_fields, r.row_line};
        if (gp->ops->answer_row && (rc = gp->ops->answer_row(gp, g, &v)) < 0)
            break;
        if ((g->flags & METRIC_MASK) && (rc = mask_answer_row(g, &v)) < 0)
            break;
    }
    free(role);
    sb_free(&idbuf);
    if (rc >= 0 && pass == 2 && row != g->n)
        rc = err_set("%s changed while grading", path);
    csv_reader_close(&r);
    return rc < 0 ? -1 : 0;
}

static int check_row_sums(grade_path *p, grade_data *g)
{
    (void)p;
    if (!g->comp->prob_rows_sum_to_one || !g->p)
        return 0;
    for (size_t i = 0; i < g->n; i++) {
        double s = 0;
        for (size_t j = 0; j < g->k; j++)
            s += g->p[i * g->k + j];
        /* numpy.isclose(s, 1, atol=1e-6) as MLE-bench checks it (rtol 1e-5);
         * or pandas' s.round(6).eq(1): rint(s * 1e6) / 1e6 == 1; or (registry
         * prob_rows_sum_to_one 2) Python's round(s, 5) == 1, i.e. s within
         * [0.999995, 1.000005] exactly, which these double comparisons decide
         * (the literals round below and above the decimal bounds) */
        int ok = (g->flags & METRIC_ROUND6)              ? rint(s * 1e6) == 1e6
                 : g->comp->prob_rows_sum_to_one == 2 ? s > 0.999995 && s < 1.000005
                                                      : fabs(s - 1) <= 1e-6 + 1e-5;
        if (!ok)
            return grade_invalid(g, "submission: the probabilities of id '%s' sum to %.9g, "
                           "not 1 (normalise each row)", grade_nth_id(g, i), s);
    }
    return 0;
}

/* The matching state is only needed until every submission row has found
 * its answer row; dropping it before the values are read keeps the peak low. */
static void drop_ids(grade_data *g)
{
    big_free(g->ids);
    g->ids = NULL;
    free(g->used);
    big_free(g->slots);
    big_free(g->slots32);
    g->used = NULL;
    g->slots = NULL;
    g->slots32 = NULL;
}

int grade_load(grade_data *g, const bench_competition *comp, const char *sub_path,
               const char *answers_path)
{
    memset(g, 0, sizeof *g);
    g->comp = comp;
    g->metric = metric_find(comp->metric);
    if (!g->metric) {
        char *names = metric_names();
        err_set("%s: unknown metric '%s' (grove implements: %s)", comp->id, comp->metric,
                names);
        free(names);
        return -1;
    }
    g->flags = METRIC_KNOWN | g->metric->flags;
    if (answers_rows(&g->conv, comp, answers_path) < 0 ||
        load_answers(g, answers_path, 1) < 0)
        return -1;
    grade_numeric_ids(g);
    if (g->n == 0)
        return err_set("%s: answers %s have no rows", comp->id, answers_path);
    if (g->n >= UINT32_MAX)
        return err_set("%s: answers %s have too many rows", comp->id, answers_path);
    g->used = xcalloc(g->n / 8 + 1, 1);
    if (g->flags & METRIC_BOOL)
        g->bool_col = xcalloc(g->k, 1);
    if (g->flags & (METRIC_STRING | METRIC_MASK)) {
        g->poff = xcalloc(g->n, sizeof *g->poff);
        g->pline = xcalloc(g->n, sizeof *g->pline);
    }
    else if (g->path->ops->two_pass)
        g->p = big_alloc(g->n * g->k * sizeof *g->p);
    csv_reader r;
    if (csv_reader_stream(&r, sub_path) < 0)
        return grade_invalid(g, "%s", err_last());
    long id_at;
    int rc = csv_reader_next(&r);
    if (rc <= 0)
        rc = grade_invalid(g, "%s", rc == 0 ? "submission: empty file (no header)" : err_last());
    else
        rc = map_header(g, &r, 0, &id_at);
    if (rc == 0 && !grade_match_lanes(g, sub_path, &r, id_at))
        rc = g->path->ops->match_rows(g->path, g, &r, id_at);
    csv_reader_close(&r);
    if (rc == 0 && grade_pairs_sorted(comp))
        rc = grade_pair_sorted(g);
    if (rc == 0)
        rc = g->path->ops->check_rows(g->path, g);
    drop_ids(g);
    if (rc == 0 && g->path->ops->two_pass)
        rc = load_answers(g, answers_path, 2);
    if (rc == 0 && g->sub_ans)
        rc = grade_pair_kept(g);
    return rc < 0 ? -1 : 0;
}

/* The general path's score: the tables handed to the metric. */
static int tables_score(double *out, grade_path *p, grade_data *g)
{
    (void)p;
    size_t n = g->n;
    const char **ys = NULL, **ps = NULL, **group = NULL;
    if (g->goff) {
        group = xmalloc(n * sizeof *group);
        for (size_t i = 0; i < n; i++)
            group[i] = g->gstr.buf + g->goff[i];
    }
    if (g->flags & METRIC_MASK) /* the answers' ids: rows group by them */
        group = mask_row_ids(g);
    if (g->flags & (METRIC_STRING | METRIC_MASK)) {
        ys = xmalloc(n * sizeof *ys);
        ps = xmalloc(n * sizeof *ps);
        for (size_t i = 0; i < n; i++) {
            ys[i] = g->ystr.buf + g->yoff[i];
            ps[i] = g->pstr.buf + g->poff[i];
        }
    }
    const double *y = g->flags & METRIC_MASK ? mask_dims(g) : g->y;
    metric_input in = {n, g->k, y, g->p, ys, ps, (const char *const *)g->cols, g->pline, group};
    int rc = metric_compute(out, g->metric->name, &in);
    free(ys);
    free(ps);
    free(group);
    if (rc > 0) /* the metric found the submission invalid */
        return grade_invalid(g, "%s", err_last()), 0;
    if (rc < 0)
        err_prefix("%s", g->comp->id);
    return rc;
}

static int tables_match_rows(grade_path *p, grade_data *g, csv_reader *r, long id_at)
{
    (void)p;
    return grade_match_rows(g, r, id_at);
}

static void tables_destroy(grade_path *p)
{
    free(p);
}

/* The general path: n x k tables of both sides (or the cells' text), the
 * answers' values read in a second pass once the ids are dropped. */
static const grade_path_ops tables_ops = {
    .name = "tables", .two_pass = 1, .match_rows = tables_match_rows,
    .check_rows = check_row_sums, .score = tables_score, .destroy = tables_destroy,
};

int grade_score(double *out, grade_data *g)
{
    assert(g->path && !g->why); /* grade_load succeeded, the submission is valid */
    return g->path->ops->score(out, g->path, g);
}

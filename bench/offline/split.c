/*
 * split.c: cut a labelled table into what a script sees (train.csv, test.csv
 * without the label, sample_submission.csv) and what only the grader sees
 * (answers). Shared by `grove prepare` and grove's holdout split.
 *
 * Test rows are chosen per class for classification (stratified: each
 * class gives round(frac * its count) rows, shuffled with the seed), or from
 * one shuffled list for regression. Files keep the table's row order, so the
 * same table and seed give byte-identical files.
 */
#include "offline.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

static int cmp_label(const void *a, const void *b, void *ctx)
{
    const bench_csv *t = ((const void **)ctx)[0];
    size_t col = *(const size_t *)((const void **)ctx)[1];
    size_t ra = *(const size_t *)a, rb = *(const size_t *)b;
    int c = strcmp(bench_csv_cell(t, ra, col), bench_csv_cell(t, rb, col));
    return c ? c : (ra > rb) - (ra < rb);
}

/* Pick round(frac * n) of idx[0..n) after shuffling them. */
static void pick_group(unsigned char *flag, size_t *idx, size_t n, double frac, orng *r)
{
    orng_shuffle(r, idx, n);
    size_t k = (size_t)(frac * (double)n + 0.5);
    if (k >= n && n > 1)
        k = n - 1; /* a class must keep at least one training row */
    for (size_t i = 0; i < k; i++)
        flag[idx[i]] = 1;
}

/* Caller frees the returned flags. */
unsigned char *offline_pick_test(const bench_csv *full, size_t label_col,
                                 bench_task task, double frac, unsigned long seed)
{
    size_t n = full->n_rows;
    unsigned char *flag = xcalloc(n ? n : 1, 1);
    size_t *idx = xmalloc((n ? n : 1) * sizeof *idx);
    for (size_t i = 0; i < n; i++)
        idx[i] = i;
    orng r;
    orng_seed(&r, seed, "test-rows");
    if (task != TASK_BINARY && task != TASK_MULTICLASS) {
        pick_group(flag, idx, n, frac, &r);
        free(idx);
        return flag;
    }
    /* group rows by label (sorted by label, then row, so it is deterministic) */
    const void *ctx[2] = {full, &label_col};
    qsort_r(idx, n, sizeof *idx, cmp_label, ctx);
    for (size_t start = 0; start < n;) {
        size_t end = start + 1;
        const char *lab = bench_csv_cell(full, idx[start], label_col);
        while (end < n && !strcmp(bench_csv_cell(full, idx[end], label_col), lab))
            end++;
        pick_group(flag, idx + start, end - start, frac, &r);
        start = end;
    }
    free(idx);
    return flag;
}

/* The answers row of one test row: the target value, or one-hot per class. */
static int answer_row(char **cells, const split_spec *s, size_t row, size_t id_col,
                      size_t label_col)
{
    const char *lab = bench_csv_cell(s->full, row, label_col);
    cells[0] = xstrdup(bench_csv_cell(s->full, row, id_col));
    if (s->comp->task != TASK_MULTICLASS) {
        cells[1] = xstrdup(lab);
        return 0;
    }
    int hit = 0;
    for (size_t k = 0; k < s->n_targets; k++) {
        int on = !strcmp(lab, s->targets[k]);
        hit |= on;
        cells[1 + k] = xstrdup(on ? "1" : "0");
    }
    if (!hit) {
        for (size_t k = 0; k <= s->n_targets; k++)
            free(cells[k]);
        return err_set("label '%s' of id %s is none of the %zu classes in the sample "
                       "submission's columns", lab,
                       bench_csv_cell(s->full, row, id_col), s->n_targets);
    }
    return 0;
}

/* Build test, sample and answers tables for the flagged rows. */
static int build_outputs(bench_csv *test, bench_csv *sample, bench_csv *ans,
                         const split_spec *s, const unsigned char *flag,
                         size_t id_col, size_t label_col)
{
    size_t nt = s->n_targets + 1;
    char **cells = xmalloc((s->n_test_cols > nt ? s->n_test_cols : nt) * sizeof *cells);
    int rc = 0;
    for (size_t r = 0; r < s->full->n_rows && rc == 0; r++) {
        if (!flag[r])
            continue;
        for (size_t c = 0; c < s->n_test_cols; c++)
            cells[c] = xstrdup(bench_csv_cell(s->full, r, s->test_cols[c]));
        otab_add_row(test, cells);
        cells[0] = xstrdup(bench_csv_cell(s->full, r, id_col));
        for (size_t k = 0; k < s->n_targets; k++)
            cells[1 + k] = xstrdup(s->sample_vals[k]);
        otab_add_row(sample, cells);
        rc = answer_row(cells, s, r, id_col, label_col);
        if (rc == 0)
            otab_add_row(ans, cells);
    }
    free(cells);
    return rc;
}

int offline_split_write(size_t *n_train, size_t *n_test, const split_spec *s)
{
    const bench_competition *comp = s->comp;
    int id_col = offline_need_col(s->full, comp->id_col, comp->train_file);
    int label_col = id_col < 0 ? -1 : offline_need_col(s->full, comp->label_col, comp->train_file);
    if (id_col < 0 || label_col < 0)
        return -1;
    unsigned char *flag = offline_pick_test(s->full, (size_t)label_col, comp->task,
                                            s->frac, s->seed);
    const char **hdr = xmalloc((s->n_test_cols + s->n_targets + 1) * sizeof *hdr);
    for (size_t c = 0; c < s->n_test_cols; c++)
        hdr[c] = s->full->header[s->test_cols[c]];
    bench_csv *test = otab_new(s->n_test_cols, hdr);
    hdr[0] = comp->id_col;
    for (size_t k = 0; k < s->n_targets; k++)
        hdr[1 + k] = s->targets[k];
    bench_csv *sample = otab_new(s->n_targets + 1, hdr);
    bench_csv *ans = otab_new(s->n_targets + 1, hdr);
    free(hdr);
    size_t *train_rows = xmalloc((s->full->n_rows ? s->full->n_rows : 1) * sizeof(size_t));
    size_t nt = 0;
    for (size_t r = 0; r < s->full->n_rows; r++)
        if (!flag[r])
            train_rows[nt++] = r;
    int rc = build_outputs(test, sample, ans, s, flag, (size_t)id_col, (size_t)label_col);
    if (rc == 0 && (nt == 0 || test->n_rows == 0))
        rc = err_set("%s: %zu rows are too few to split (train %zu, test %zu)",
                     comp->train_file, s->full->n_rows, nt, test->n_rows);
    if (rc == 0)
        rc = bench_csv_write(s->train_path, s->full, train_rows, nt);
    if (rc == 0)
        rc = bench_csv_write(s->test_path, test, NULL, test->n_rows);
    if (rc == 0)
        rc = bench_csv_write(s->sample_path, sample, NULL, sample->n_rows);
    if (rc == 0)
        rc = bench_csv_write(s->answers_path, ans, NULL, ans->n_rows);
    if (rc == 0) {
        *n_train = nt;
        *n_test = test->n_rows;
    }
    free(train_rows);
    free(flag);
    otab_free(test);
    otab_free(sample);
    otab_free(ans);
    return rc;
}

/*
 * metrics_points.c: the Kuzushiji F1 of predicted points inside answer boxes,
 * as MLE-bench grades kuzushiji-recognition.
 *
 * An answer cell lists characters as "label X Y Width Height ...", a
 * prediction cell "label X Y ...", fields separated by single spaces (Python's
 * split(" "): two spaces make an empty field). A missing cell (pandas' NA) is
 * a page with nothing on it. On each page the answer boxes are taken in
 * order; a box is found (a true positive) by the first prediction, in the
 * cell's order, not used yet, with the box's label and its point strictly
 * inside the box (X < x < X + Width, Y < y < Y + Height); a box nobody finds is
 * a false negative, a prediction left unused a false positive. The score is
 * the F1 of the counts summed over all pages (0 where precision or recall is
 * 0 or undefined).
 *
 * Predictions are grouped by label (sorted by label, then position), so a
 * box looks only at the predictions of its own label: O(P log P + sum over
 * boxes of the predictions sharing its label) per page.
 */
#include "metrics.h"
#include "numparse.h"
#include "util.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* A cell split at single spaces: field i is s[at[i] .. at[i] + len[i]). */
typedef struct fields {
    const char *s;
    size_t *at, *len;
    size_t n, cap;
} fields;

static void split(fields *f, const char *s)
{
    f->s = s;
    f->n = 0;
    for (const char *p = s;; p++) {
        const char *e = strchr(p, ' ');
        if (f->n == f->cap) {
            f->cap = f->cap ? f->cap * 2 : 64;
            f->at = xrealloc(f->at, f->cap * sizeof *f->at);
            f->len = xrealloc(f->len, f->cap * sizeof *f->len);
        }
        f->at[f->n] = (size_t)(p - s);
        f->len[f->n++] = e ? (size_t)(e - p) : strlen(p);
        if (!e)
            return;
        p = e;
    }
}

/* Field i as Python's float() reads it (hex is not Python's): 0 or -1. */
static int field_num(const fields *f, size_t i, double *out)
{
    const char *p = f->s + f->at[i];
    size_t n = f->len[i];
    if (memchr(p, 'x', n) || memchr(p, 'X', n))
        return -1;
    return num_parse_n(p, n, out);
}

int points_check_cell(const char *cell, int is_answers, char **why)
{
    *why = NULL;
    if (metric_is_na(cell))
        return 0;
    fields f = {0};
    split(&f, cell);
    size_t per = is_answers ? 5 : 3;
    if (f.n % per)
        *why = xasprintf("%zu space-separated fields, not a multiple of %zu ('label X Y%s' "
                         "per character, single spaces)", f.n, per,
                         is_answers ? " Width Height" : "");
    for (size_t i = 0; !*why && i < f.n; i++) {
        double v;
        if (i % per && field_num(&f, i, &v) < 0)
            *why = xasprintf("field %zu ('%.*s') of character %zu is not a number",
                             i % per + 1, f.len[i] > 40 ? 40 : (int)f.len[i], cell + f.at[i],
                             i / per + 1);
    }
    free(f.at);
    free(f.len);
    return *why != NULL;
}

typedef struct page {
    fields truth, pred;
    double *xy;             /* the predictions' points: x, y */
    size_t *order;          /* prediction indices by (label, index) */
    unsigned char *used;
    size_t cap;
} page;

static int cmp_label(const fields *f, size_t a, size_t b)
{
    size_t la = f->len[3 * a], lb = f->len[3 * b];
    int c = memcmp(f->s + f->at[3 * a], f->s + f->at[3 * b], la < lb ? la : lb);
    if (c)
        return c;
    return la != lb ? (la < lb ? -1 : 1) : (a > b) - (a < b);
}

/* Insertion sort would be quadratic on a busy page: merge sort by label. */
static void sort_preds(const fields *f, size_t *a, size_t *tmp, size_t n)
{
    if (n < 2)
        return;
    size_t h = n / 2;
    sort_preds(f, a, tmp, h);
    sort_preds(f, a + h, tmp, n - h);
    size_t i = 0, j = h, k = 0;
    while (i < h && j < n)
        tmp[k++] = cmp_label(f, a[i], a[j]) <= 0 ? a[i++] : a[j++];
    while (i < h)
        tmp[k++] = a[i++];
    while (j < n)
        tmp[k++] = a[j++];
    memcpy(a, tmp, n * sizeof *a);
}

static double num(const fields *f, size_t i)
{
    double v = NAN;
    field_num(f, i, &v);
    return v;
}

/* One page's counts; both cells checked by points_check_cell. */
static void score_page(page *pg, const char *truth, const char *pred, uint64_t c[3])
{
    int no_truth = metric_is_na(truth), no_pred = metric_is_na(pred);
    if (no_truth && no_pred)
        return;
    if (!no_pred)
        split(&pg->pred, pred);
    if (!no_truth)
        split(&pg->truth, truth);
    if (no_truth || no_pred) {
        c[1] += no_truth ? pg->pred.n / 3 : 0;
        c[2] += no_pred ? pg->truth.n / 5 : 0;
        return;
    }
    size_t np = pg->pred.n / 3, nt = pg->truth.n / 5;
    if (np > pg->cap) {
        pg->cap = np;
        pg->order = xrealloc(pg->order, 2 * np * sizeof *pg->order);
        pg->used = xrealloc(pg->used, np);
        pg->xy = xrealloc(pg->xy, 2 * np * sizeof *pg->xy);
    }
    for (size_t i = 0; i < np; i++) {
        pg->order[i] = i;
        pg->xy[2 * i] = num(&pg->pred, 3 * i + 1);
        pg->xy[2 * i + 1] = num(&pg->pred, 3 * i + 2);
    }
    memset(pg->used, 0, np);
    sort_preds(&pg->pred, pg->order, pg->order + np, np);
    const fields *t = &pg->truth, *p = &pg->pred;
    uint64_t tp = 0;
    for (size_t b = 0; b < nt; b++) {
        const char *label = t->s + t->at[5 * b];
        size_t ll = t->len[5 * b];
        double x0 = num(t, 5 * b + 1), y0 = num(t, 5 * b + 2);
        double x1 = x0 + num(t, 5 * b + 3), y1 = y0 + num(t, 5 * b + 4);
        /* first prediction of this label in the sorted order */
        size_t lo = 0, hi = np;
        while (lo < hi) {
            size_t mid = (lo + hi) / 2, q = pg->order[mid];
            size_t lq = p->len[3 * q];
            int cmp = memcmp(p->s + p->at[3 * q], label, lq < ll ? lq : ll);
            if (!cmp)
                cmp = lq < ll ? -1 : lq > ll;
            if (cmp < 0)
                lo = mid + 1;
            else
                hi = mid;
        }
        for (size_t k = lo; k < np; k++) {
            size_t q = pg->order[k];
            if (p->len[3 * q] != ll || memcmp(p->s + p->at[3 * q], label, ll))
                break;
            double x = pg->xy[2 * q], y = pg->xy[2 * q + 1];
            if (!pg->used[q] && x0 < x && x1 > x && y0 < y && y1 > y) {
                pg->used[q] = 1;
                tp++;
                break;
            }
        }
    }
    c[0] += tp;
    c[1] += np - tp;
    c[2] += nt - tp;
}

/* Every cell well-formed: 0, 1 (a submission cell, with err_last()) or < 0
 * (an answers cell). */
static int check_cells(const metric_input *in)
{
    for (size_t r = 0; r < in->n; r++) {
        char *why = NULL;
        if (points_check_cell(in->ys[r], 1, &why)) {
            err_set("answers row %zu, column '%s': %s", r + 1, in->cols[0], why);
            free(why);
            return -1;
        }
        if (points_check_cell(in->ps[r], 0, &why)) {
            err_set("submission line %zu, column '%s': %s", metric_line_of(in, r),
                    in->cols[0], why);
            free(why);
            return 1;
        }
    }
    return 0;
}

static int points_f1(double *out, const metric_input *in)
{
    *out = NAN;
    if (!in->ys || !in->ps)
        return err_set("the Kuzushiji F1 reads text cells");
    int rc = check_cells(in);
    if (rc)
        return rc;
    page pg = {0};
    uint64_t c[3] = {0, 0, 0}; /* tp, fp, fn */
    for (size_t r = 0; r < in->n; r++)
        score_page(&pg, in->ys[r], in->ps[r], c);
    free(pg.truth.at);
    free(pg.truth.len);
    free(pg.pred.at);
    free(pg.pred.len);
    free(pg.order);
    free(pg.used);
    free(pg.xy);
    double tp = (double)c[0];
    *out = 0;
    if (c[0] + c[1] == 0 || c[0] + c[2] == 0)
        return 0;
    double prec = tp / (tp + (double)c[1]), rec = tp / (tp + (double)c[2]);
    if (prec > 0 && rec > 0)
        *out = 2 * prec * rec / (prec + rec);
    return 0;
}

const metric_def metrics_points[] = {
    {"points_f1", METRIC_STRING, points_f1, 0, 0, NULL},
    {NULL, 0, NULL, 0, 0, NULL},
};

/*
 * metrics.c: grading metrics, matching scikit-learn 1.2's definitions as
 * MLE-bench calls them.
 *
 * - ROC AUC is the Mann-Whitney statistic of metrics_common.c's
 *   metric_auc_keys.
 * - Log loss clips to [eps, 1 - eps] with eps = DBL_EPSILON (sklearn 1.2's
 *   eps="auto" for float64), then renormalises each row, as sklearn does; a
 *   single column is binary: [1 - p, p].
 * - Quadratic weighted kappa weights by label *index* in the sorted union of
 *   labels (cohen_kappa_score), not by label value.
 * - RMSLE is sqrt(mean((log1p(y) - log1p(p))^2)); "_cols" variants average
 *   the per-column metric.
 */
#include "metrics.h"
#include "util.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ---- ROC AUC ------------------------------------------------------------- */

/* AUC of column `col`; rows whose label is negative are skipped when
 * skip_negative (jigsaw marks unscored rows with -1). */
static int auc_column(double *out, const metric_input *in, size_t col, int skip_negative)
{
    /* the positive class is the larger of the two labels, as in sklearn */
    double a = NAN, b = NAN;
    size_t n_pos = 0, n_neg = 0;
    for (size_t i = 0; i < in->n; i++) {
        double y = in->y[i * in->k + col];
        if ((skip_negative && y < 0) || y == a || y == b)
            continue;
        if (isnan(a))
            a = y;
        else if (isnan(b))
            b = y;
        else
            return err_set("column '%s': more than two classes in the answers (%g, %g, "
                           "%g); ROC AUC needs binary labels", in->cols[col], a, b, y);
    }
    if (isnan(b))
        return err_set("column '%s': only one class present in the answers; ROC AUC is "
                       "not defined", in->cols[col]);
    double lo = fmin(a, b), hi = fmax(a, b);
    uint64_t *keys = xmalloc(in->n * sizeof *keys);
    for (size_t i = 0; i < in->n; i++) {
        double y = in->y[i * in->k + col];
        if (skip_negative && y < 0)
            continue;
        if (y == hi)
            keys[n_pos++] = metric_sort_key(in->p[i * in->k + col]);
    }
    uint64_t *neg = keys + n_pos;
    for (size_t i = 0; i < in->n; i++) {
        double y = in->y[i * in->k + col];
        if (!(skip_negative && y < 0) && y == lo)
            neg[n_neg++] = metric_sort_key(in->p[i * in->k + col]);
    }
    *out = metric_auc_keys(keys, n_pos, n_neg);
    free(keys);
    return 0;
}

static int auc_mean(double *out, const metric_input *in, int skip_negative)
{
    double sum = 0;
    for (size_t c = 0; c < in->k; c++) {
        double a = NAN;
        if (auc_column(&a, in, c, skip_negative) < 0)
            return -1;
        sum += a;
    }
    *out = sum / (double)in->k;
    return 0;
}

/* ---- log loss ------------------------------------------------------------ */

int metric_log_loss(double *out, const metric_input *in)
{
    const double eps = DBL_EPSILON;
    size_t k = in->k;
    int seen_lo = 0, seen_hi = 0;
    double total = 0;
    for (size_t i = 0; i < in->n; i++) {
        const double *y = in->y + i * k, *p = in->p + i * k;
        if (k == 1) {
            double q = fmin(fmax(p[0], eps), 1 - eps);
            double s = (1 - q) + q;
            if (y[0] != 0 && y[0] != 1)
                return err_set("column '%s': binary log loss needs 0/1 answers, got %g",
                               in->cols[0], y[0]);
            seen_lo |= y[0] == 0;
            seen_hi |= y[0] == 1;
            total -= log((y[0] == 1 ? q : 1 - q) / s);
            continue;
        }
        double s = 0;
        for (size_t j = 0; j < k; j++)
            s += fmin(fmax(p[j], eps), 1 - eps);
        for (size_t j = 0; j < k; j++)
            if (y[j] != 0)
                total -= y[j] * log(fmin(fmax(p[j], eps), 1 - eps) / s);
    }
    if (k == 1 && !(seen_lo && seen_hi))
        return err_set("column '%s': the answers hold one label only; log loss needs "
                       "both classes", in->cols[0]);
    *out = total / (double)in->n;
    return 0;
}

/* ---- regression -------------------------------------------------------- */

static int rmse_like(double *out, const metric_input *in, int use_log, int root)
{
    double sum_cols = 0;
    for (size_t c = 0; c < in->k; c++) {
        double s = 0;
        for (size_t i = 0; i < in->n; i++) {
            double y = in->y[i * in->k + c], p = in->p[i * in->k + c];
            double d = use_log ? log1p(y) - log1p(p) : y - p;
            s += root ? d * d : fabs(d);
        }
        s /= (double)in->n;
        sum_cols += root ? sqrt(s) : s;
    }
    *out = sum_cols / (double)in->k;
    return 0;
}

static int pearson(double *out, const metric_input *in)
{
    double my = 0, mp = 0;
    for (size_t i = 0; i < in->n; i++) {
        my += in->y[i];
        mp += in->p[i];
    }
    my /= (double)in->n;
    mp /= (double)in->n;
    double sxy = 0, sxx = 0, syy = 0;
    for (size_t i = 0; i < in->n; i++) {
        double a = in->y[i] - my, b = in->p[i] - mp;
        sxy += a * b;
        sxx += a * a;
        syy += b * b;
    }
    if (sxx == 0 || syy == 0)
        return err_set("Pearson correlation is not defined for a constant column");
    *out = sxy / sqrt(sxx * syy);
    return 0;
}

/* ---- classification ---------------------------------------------------- */

static int same_label(const char *a, const char *b)
{
    if (!strcmp(a, b))
        return 1;
    /* "2" and "2.0" are the same class, as pandas compares them */
    char *ea, *eb;
    double x = strtod(a, &ea), y = strtod(b, &eb);
    return *a && *b && !*ea && !*eb && x == y;
}

static int accuracy(double *out, const metric_input *in, int exact)
{
    size_t hits = 0;
    for (size_t i = 0; i < in->n; i++)
        hits += exact ? !strcmp(in->ys[i], in->ps[i]) : same_label(in->ys[i], in->ps[i]);
    *out = (double)hits / (double)in->n;
    return 0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static size_t label_index(const double *labels, size_t n, double v)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (labels[mid] < v)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Sorted distinct labels of y and p (n each) into *out; returns the count.
 * Caller frees *out. */
static size_t label_union(double **out, const double *y, const double *p, size_t n)
{
    double *labels = xmalloc(2 * n * sizeof *labels);
    memcpy(labels, y, n * sizeof *labels);
    memcpy(labels + n, p, n * sizeof *labels);
    xqsort(labels, 2 * n, sizeof *labels, cmp_double);
    size_t m = 0;
    for (size_t i = 0; i < 2 * n; i++)
        if (!m || labels[m - 1] != labels[i])
            labels[m++] = labels[i];
    *out = labels;
    return m;
}

/* cohen_kappa_score(pred, true, weights="quadratic") */
int metric_qwk(double *out, const metric_input *in)
{
    size_t n = in->n;
    double *labels;
    size_t m = label_union(&labels, in->y, in->p, n);
    double *conf = xcalloc(m * m, sizeof *conf), *rows = xcalloc(m, sizeof *rows),
           *cols = xcalloc(m, sizeof *cols);
    for (size_t i = 0; i < n; i++) {
        size_t a = label_index(labels, m, in->p[i]), b = label_index(labels, m, in->y[i]);
        conf[a * m + b] += 1;
        rows[a] += 1;
        cols[b] += 1;
    }
    double num = 0, den = 0;
    for (size_t a = 0; a < m; a++)
        for (size_t b = 0; b < m; b++) {
            double w = ((double)a - (double)b) * ((double)a - (double)b);
            num += w * conf[a * m + b];
            den += w * rows[a] * cols[b] / (double)n;
        }
    free(labels);
    free(conf);
    free(rows);
    free(cols);
    if (den == 0)
        return err_set("quadratic weighted kappa is not defined: one label only");
    *out = 1 - num / den;
    return 0;
}

/* Per label counts: true (t), predicted (pr), both (tp). Caller frees *out
 * (3 * m doubles). */
static size_t label_counts(double **out, const metric_input *in)
{
    double *labels;
    size_t m = label_union(&labels, in->y, in->p, in->n);
    double *c = xcalloc(3 * m, sizeof *c);
    for (size_t i = 0; i < in->n; i++) {
        size_t a = label_index(labels, m, in->y[i]), b = label_index(labels, m, in->p[i]);
        c[a] += 1;
        c[m + b] += 1;
        c[2 * m + a] += a == b;
    }
    free(labels);
    *out = c;
    return m;
}

/* f1_score(average="macro" / "micro") over the union of labels. For
 * single-label data micro F1 equals accuracy; macro averages 2 tp / (t + pr)
 * per label (never 0 / 0: every label of the union occurs somewhere). */
static int f1_score(double *out, const metric_input *in, int macro)
{
    double *c;
    size_t m = label_counts(&c, in);
    double sum = 0, tp = 0;
    for (size_t j = 0; j < m; j++) {
        sum += 2 * c[2 * m + j] / (c[j] + c[m + j]);
        tp += c[2 * m + j];
    }
    free(c);
    *out = macro ? sum / (double)m : tp / (double)in->n;
    return 0;
}

/* matthews_corrcoef, the multi-class form sklearn uses; 0 when undefined. */
static int mcc(double *out, const metric_input *in)
{
    double *c;
    size_t m = label_counts(&c, in);
    double s = (double)in->n, correct = 0, pt = 0, pp = 0, tt = 0;
    for (size_t j = 0; j < m; j++) {
        correct += c[2 * m + j];
        pt += c[m + j] * c[j];
        pp += c[m + j] * c[m + j];
        tt += c[j] * c[j];
    }
    free(c);
    double cov_yp = correct * s - pt, cov_pp = s * s - pp, cov_yy = s * s - tt;
    *out = cov_pp * cov_yy == 0 ? 0 : cov_yp / sqrt(cov_yy * cov_pp);
    return 0;
}

/* ---- rank correlation ------------------------------------------------- */

typedef struct ranked {
    double v;
    size_t i;
} ranked;

static int cmp_ranked(const void *a, const void *b)
{
    double x = ((const ranked *)a)->v, y = ((const ranked *)b)->v;
    return (x > y) - (x < y);
}

/* Average ranks (1-based, ties share their mean rank) of column col, as
 * scipy.stats.rankdata. Caller frees. */
static double *ranks(const double *v, size_t n, size_t stride, size_t col)
{
    ranked *x = xmalloc(n * sizeof *x);
    double *r = xmalloc(n * sizeof *r);
    for (size_t i = 0; i < n; i++)
        x[i] = (ranked){v[i * stride + col], i};
    xqsort(x, n, sizeof *x, cmp_ranked);
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j + 1 < n && x[j + 1].v == x[i].v)
            j++;
        for (size_t t = i; t <= j; t++)
            r[x[t].i] = (double)(i + j) / 2 + 1;
        i = j + 1;
    }
    free(x);
    return r;
}

/* Mean over columns of scipy.stats.spearmanr: Pearson on average ranks. */
static int spearman_cols(double *out, const metric_input *in)
{
    double sum = 0;
    for (size_t c = 0; c < in->k; c++) {
        double *ry = ranks(in->y, in->n, in->k, c), *rp = ranks(in->p, in->n, in->k, c);
        metric_input one = {in->n, 1, ry, rp, NULL, NULL, in->cols + c, NULL, NULL};
        double r = NAN;
        int rc = pearson(&r, &one);
        free(ry);
        free(rp);
        if (rc < 0)
            return err_prefix("column '%s': Spearman", in->cols[c]);
        sum += r;
    }
    *out = sum / (double)in->k;
    return 0;
}

/* ---- the table ---------------------------------------------------------- */

static int auc(double *out, const metric_input *in)
{
    return auc_mean(out, in, 0);
}

/* jigsaw marks unscored rows with -1: the column forms skip them */
static int auc_cols(double *out, const metric_input *in)
{
    return auc_mean(out, in, 1);
}

static int accuracy_num(double *out, const metric_input *in)
{
    return accuracy(out, in, 0);
}

static int accuracy_str(double *out, const metric_input *in)
{
    return accuracy(out, in, 1);
}

int metric_rmse(double *out, const metric_input *in)
{
    return rmse_like(out, in, 0, 1);
}

static int rmsle(double *out, const metric_input *in)
{
    return rmse_like(out, in, 1, 1);
}

static int mae(double *out, const metric_input *in)
{
    return rmse_like(out, in, 0, 0);
}

/* int(round(mae)): Python rounds half to even */
static int mae_int(double *out, const metric_input *in)
{
    rmse_like(out, in, 0, 0);
    *out = nearbyint(*out);
    return 0;
}

int metric_f1_macro(double *out, const metric_input *in)
{
    return f1_score(out, in, 1);
}

static int f1_micro(double *out, const metric_input *in)
{
    return f1_score(out, in, 0);
}

const metric_def metrics_base[] = {
    {"auc", METRIC_PROB | METRIC_BOOL, auc, 0, 0, NULL},
    {"auc_cols", METRIC_PROB | METRIC_BOOL, auc_cols, 0, 0, NULL},
    {"logloss", METRIC_PROB | METRIC_BOOL, metric_log_loss, 0, 0, NULL},
    /* auc_cols without the [0, 1] check: graders that call roc_auc_score on
     * the raw columns (jigsaw-toxic, plant-pathology-2020) */
    {"auc_cols_any", METRIC_BOOL, auc_cols, 0, 0, NULL},
    {"accuracy", METRIC_STRING, accuracy_num, 0, 0, NULL},
    {"accuracy_str", METRIC_STRING, accuracy_str, 0, 0, NULL},
    {"qwk", METRIC_ONE_COL, metric_qwk, 0, 0, NULL},
    {"rmse", METRIC_BOOL | METRIC_ONE_COL, metric_rmse, 0, 0, NULL},
    {"rmsle", METRIC_NONNEG | METRIC_ONE_COL, rmsle, 0, 0, NULL},
    {"rmsle_cols", METRIC_NONNEG | METRIC_BOOL, rmsle, 0, 0, NULL},
    /* sklearn's regression metrics and scipy's pearsonr take a bool column
     * as 0/1; matthews_corrcoef refuses a "continuous" column (type_of_target)
     * and takes a bool one as 0/1 */
    {"mae", METRIC_ONE_COL, mae, 0, 0, NULL},
    {"mae_int", METRIC_BOOL | METRIC_ONE_COL, mae_int, 0, 0, NULL},
    {"pearson", METRIC_BOOL | METRIC_ONE_COL, pearson, 0, 0, NULL},
    {"f1_macro", METRIC_ONE_COL, metric_f1_macro, 0, 0, NULL},
    {"f1_micro", METRIC_ONE_COL, f1_micro, 0, 0, NULL},
    {"mcc", METRIC_INTEGER | METRIC_BOOL | METRIC_ONE_COL, mcc, 0, 0, NULL},
    {"spearman_cols", 0, spearman_cols, 0, 0, NULL},
    {NULL, 0, NULL, 0, 0, NULL},
};

/*
 * metrics.h (private to bench/): the metrics over rows already matched by id.
 */
#ifndef GROVE_BENCH_METRICS_H
#define GROVE_BENCH_METRICS_H

#include <stddef.h>
#include <stdint.h>

/* Answers and submission, row i of one matching row i of the other.
 * Numeric metrics read y/p (row-major n x k); string metrics read ys/ps. */
typedef struct metric_input {
    size_t n, k;
    const double *y, *p;
    const char *const *ys, *const *ps;
    const char *const *cols; /* k target column names, for messages */
    const char *const *group; /* n answers-side group keys ("=name" in the
                                 registry's target columns), or NULL */
} metric_input;

/* Kind of a metric: 0 unknown, else a set of METRIC_* flags. */
enum {
    METRIC_KNOWN = 1,
    METRIC_STRING = 2,      /* compares cells as text (accuracy) */
    METRIC_PROB = 4,        /* submission values must lie in [0, 1] */
    METRIC_NONNEG = 8,      /* values must be > -1 (log1p) */
};
int metric_flags(const char *metric);

/* Computes the metric; < 0 with err_last() when it is undefined for this data
 * (AUC with one class present, log loss with one label, ...). */
int metric_compute(double *out, const char *metric, const metric_input *in);

/* metrics_numeric.c: the competition-specific numeric metrics (log_mae_groups,
 * auc_multilabel, weighted_auc, kl_votes, lwlrap, angular_error, ...); flags
 * as metric_flags (0: not one of them), compute as metric_compute. */
int metric_numeric_flags(const char *metric);
int metric_numeric_compute(double *out, const char *metric, const metric_input *in);

/* A key whose unsigned order is the double's numeric order (-0.0 and 0.0
 * tie). */
uint64_t metric_sort_key(double x);
/* ROC AUC from sort keys: keys[0 .. n_pos) of the positives, then n_neg of
 * the negatives, both non-empty; sorts each part in place. Ties count half,
 * exactly (the Mann-Whitney statistic). */
double metric_auc_keys(uint64_t *keys, size_t n_pos, size_t n_neg);

#endif

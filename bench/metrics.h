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
    const char *const *row_ids; /* the answers' ids (metrics that group rows:
                                   rle_dice_hausdorff), else NULL */
} metric_input;

/* Kind of a metric: 0 unknown, else a set of METRIC_* flags. */
enum {
    METRIC_KNOWN = 1,
    METRIC_STRING = 2,      /* compares cells as text (accuracy) */
    METRIC_PROB = 4,        /* submission values must lie in [0, 1] */
    METRIC_NONNEG = 8,      /* values must be > -1 (log1p) */
    METRIC_MASK = 16,       /* run-length encoded masks (metrics_mask.c) */
    METRIC_CHECKED = 32,    /* string cells checked as read (metric_check_cell) */
};
int metric_flags(const char *metric);

/* Computes the metric; < 0 with err_last() when it is undefined for this data
 * (AUC with one class present, log loss with one label, ...). */
int metric_compute(double *out, const char *metric, const metric_input *in);

/* A key whose unsigned order is the double's numeric order (-0.0 and 0.0
 * tie). */
uint64_t metric_sort_key(double x);
/* ROC AUC from sort keys: keys[0 .. n_pos) of the positives, then n_neg of
 * the negatives, both non-empty; sorts each part in place. Ties count half,
 * exactly (the Mann-Whitney statistic). */
double metric_auc_keys(uint64_t *keys, size_t n_pos, size_t n_neg);

/* metrics_mask.c: whether metric is one over run-length encoded masks, and
 * the metric itself: ys/ps the answers' and the submission's encodings
 * (each accepted by rle_check), y the answers' image sizes (n x 2: height,
 * width; NULL when the metric fixes them) with k the registry's target
 * column count. */
int mask_is_metric(const char *metric);
int mask_compute(double *out, const char *metric, const metric_input *in);
/* Check one encoding against an image of n_pixels pixels as MLE-bench's
 * decoder does: 0, or 1 with *why (the caller frees) saying what is wrong. */
int rle_check(const char *s, uint64_t n_pixels, char **why);
/* For encodings rle_check accepted: set the pixels of s in an h x w image
 * stored by rows (pixel p of the encoding is row p % h, column p / h);
 * count the pixels of truth (c[0]), pred (c[1]) and of both (c[2]). */
void rle_paint(unsigned char *img, const char *s, uint64_t h, uint64_t w);
void rle_counts(uint64_t c[3], const char *truth, const char *pred, uint64_t n_pixels);
/* metrics_volume.c: UW-Madison's 0.4 Dice + 0.6 (1 - Hausdorff) over
 * case-day volumes (row_ids and y required). */
int mask_dice_hausdorff(double *out, const metric_input *in);
/* Whether pandas reads the cell as missing (read_csv's default na_values). */
int metric_is_na(const char *s);

/* For a METRIC_CHECKED string metric: 0 when the cell is well-formed, else 1
 * with *why (the caller frees). */
int metric_check_cell(const char *metric, const char *cell, int is_answers, char **why);
/* metrics_points.c: the Kuzushiji F1 of predicted points inside answer
 * boxes over ys/ps (each accepted by points_check_cell). */
int points_f1(double *out, const metric_input *in);
int points_check_cell(const char *cell, int is_answers, char **why);

#endif

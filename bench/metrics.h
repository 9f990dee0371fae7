/*
 * metrics.h (private to bench/): the metrics over rows already matched by id.
 */
#ifndef GROVE_BENCH_METRICS_H
#define GROVE_BENCH_METRICS_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Two names held in place (pointer and length, no NUL), ordered as strcmp
 * orders them NUL-terminated: a prefix sorts first. Class names of the
 * detection metrics. */
static inline int metric_name_cmp(const char *a, size_t an, const char *b, size_t bn)
{
    int c = memcmp(a, b, an < bn ? an : bn);
    return c ? c : (an > bn) - (an < bn);
}

/* Answers and submission, row i of one matching row i of the other.
 * Numeric metrics read y/p (row-major n x k); string metrics read ys/ps. */
typedef struct metric_input {
    size_t n, k;
    const double *y, *p;
    const char *const *ys, *const *ps;
    const char *const *cols; /* k target column names, for messages */
    const size_t *lines;     /* submission line of row i, for messages (NULL:
                                unknown; text metrics then say i + 2) */
    const char *const *group; /* n answers-side group keys ("=name" in the
                                 registry's target columns), or NULL */
} metric_input;

/* Kind of a metric: 0 unknown, else a set of METRIC_* flags. */
enum {
    METRIC_KNOWN = 1,
    METRIC_STRING = 2,      /* compares cells as text (accuracy) */
    METRIC_PROB = 4,        /* submission values must lie in [0, 1] */
    METRIC_NONNEG = 8,      /* values must be > -1 (log1p) */
    METRIC_INTEGER = 16,    /* submission values must be whole numbers */
    METRIC_BOUNDED = 32,    /* submission values in the def's [lo, hi] */
    METRIC_ROUND6 = 64,     /* rows must sum to 1 once rounded to 6 decimals */
    METRIC_TEXT = 128,      /* string metric of metrics_text.c */
    METRIC_EXTRA_IDS = 256, /* submission rows whose id is not in the answers
                               are ignored, not invalid */
    METRIC_ONLY_COLS = 512, /* the submission has the id and target columns
                               and no other */
    METRIC_MASK = 1024,     /* run-length encoded masks (metrics_mask.c) */
    METRIC_BOOL = 2048,     /* a submission column all True/False (pandas:
                               bool) is 0/1, as sklearn takes it */
    METRIC_ONE_COL = 4096,  /* scores one target column: metric_compute
                               refuses k != 1 before calling it */
};

/* ---- the metric table (metrics_table.c) ----------------------------------
 * Every metric is one row of one table: each metrics_*.c file exports its
 * rows as a const array ending in {NULL}, and metrics_table.c lists those
 * arrays. To add a metric, add its row to the array of the file that
 * computes it. */

/* The score into *out; < 0 with err_last() when the metric is undefined for
 * this data (AUC with one class present, log loss with one label, ...); 1
 * with err_last() when the submission is invalid for it (values MLE-bench's
 * grader rejects or fails on), naming the line and column where it can.
 * in->n > 0, and in->k == 1 for METRIC_ONE_COL (metric_compute checks). */
typedef int (*metric_fn)(double *out, const metric_input *in);

typedef struct metric_def {
    const char *name;  /* the registry's metric column */
    int flags;         /* METRIC_* but METRIC_KNOWN */
    metric_fn compute;
    double lo, hi;     /* METRIC_BOUNDED: the inclusive range of a value */
    const void *spec;  /* what the grading side reads besides the flags (a
                          mask_kind for METRIC_MASK), or NULL */
} metric_def;

extern const metric_def metrics_base[];    /* metrics.c */
extern const metric_def metrics_extra[];   /* metrics_extra.c */
extern const metric_def metrics_text[];    /* metrics_text.c */
extern const metric_def metrics_numeric[]; /* metrics_numeric.c */
extern const metric_def metrics_jigsaw[];  /* metrics_jigsaw.c */
extern const metric_def metrics_detect[];  /* metrics_detect.c */
extern const metric_def metrics_tf2qa[];   /* metrics_tf2qa.c */
extern const metric_def metrics_lyft[];    /* metrics_lyft.c */
extern const metric_def metrics_mask[];    /* metrics_mask.c */
extern const metric_def metrics_volume[];  /* metrics_volume.c */
extern const metric_def metrics_points[];  /* metrics_points.c */

/* metrics.c's metrics that metrics_extra.c's rest on (metric_fn). */
int metric_qwk(double *out, const metric_input *in);
int metric_rmse(double *out, const metric_input *in);
int metric_log_loss(double *out, const metric_input *in);
int metric_f1_macro(double *out, const metric_input *in);

/* The row of metric, or NULL when no table has it. */
const metric_def *metric_find(const char *metric);
/* METRIC_KNOWN | the row's flags, or 0 for an unknown metric. */
int metric_flags(const char *metric);
/* Computes the metric (contract of metric_fn); an unknown metric is an
 * error that lists every metric of the table. */
int metric_compute(double *out, const char *metric, const metric_input *in);
/* Every metric name, ", "-separated, in table order (caller frees). */
char *metric_names(void);

/* ---- helpers every metrics_*.c shares (metrics_common.c) ---------------- */

/* Whether pandas reads the cell as missing (read_csv's default na_values,
 * pandas 2: "", "NA", "nan", "None", ...). */
int metric_is_na(const char *s);
/* pandas' default true_values / false_values: 1 true, 0 false, -1 neither. */
int metric_bool_literal(const char *s);
/* Whether every cell is True/False or missing: pandas reads such a column
 * as bools (or floats, when every cell is missing), not text. */
int metric_bool_column(const char *const *cells, size_t n);
/* Row i's line in the submission, for messages (i + 2 when in->lines is
 * NULL: the header is line 1). */
size_t metric_line_of(const metric_input *in, size_t i);
/* The index of the target column name, or < 0 with err_last(). */
long metric_target_col(const metric_input *in, const char *name);

/* A key whose unsigned order is the double's numeric order (-0.0 and 0.0
 * tie). */
uint64_t metric_sort_key(double x);
/* ROC AUC from sort keys: keys[0 .. n_pos) of the positives, then n_neg of
 * the negatives, both non-empty; sorts each part in place. Ties count half,
 * exactly (the Mann-Whitney statistic). */
double metric_auc_keys(uint64_t *keys, size_t n_pos, size_t n_neg);

/* metrics_pystr.c: the pieces of Python's str and pandas the METRIC_TEXT
 * metrics (metrics_text.c) rest on, exposed for it and the fuzz test. */
typedef struct text_tok {
    const char *s;
    size_t len;
} text_tok;
/* Byte offset of the first invalid UTF-8 sequence (Python's strict codec),
 * or -1 when s[0 .. len) is valid. */
long text_utf8_check(const char *s, size_t len);
/* Split s as Python's str.split() (sep 0: runs of Unicode whitespace) or
 * str.split(chr(sep)) (every piece, empty ones too) into *v (grown as
 * needed, *cap its capacity; caller frees); returns the count. Tokens point
 * into s. */
size_t text_split(text_tok **v, size_t *cap, const char *s, int sep);
/* Python's str.lower() of UTF-8 text (final sigma and U+0130 included);
 * caller frees. */
char *text_lower(const char *s);
/* python-Levenshtein's distance() of two UTF-8 texts, over code points. */
size_t text_levenshtein(const char *a, const char *b);
/* Unit-cost edit distance of a[0..n) and b[0..m). */
size_t text_edit_distance(const uint32_t *a, size_t n, const uint32_t *b, size_t m);
/* A column's cells as the grader's str sees them: .fillna(na).astype(str)
 * (na "nan" is a plain .astype(str)). *arena holds the converted texts;
 * returns n pointers (caller frees it and sb_free()s the arena). */
struct sb;
const char **text_pandas(struct sb *arena, const char *const *cells, size_t n, const char *na);
/* Does pandas read this column as numbers (so that .str or str methods on
 * its cells fail)? At least one non-NA cell, all of them numbers. */
int text_numeric_column(const char *const *cells, size_t n);
/* metrics_detect.c: Python's float() of text (0, or -1 where Python
 * raises), for the fuzz test. */
int detect_py_float(const char *s, size_t len, double *out);
/* metrics_lyft.c: the 3-D box mAP of the Lyft competition (metric_fn;
 * metrics_lyft[]'s map_lyft3d row), exposed for the fuzz test. */
int map_lyft3d(double *out, const metric_input *in);

/* metrics_mask.c: what a mask metric's grade.py does around the metric (the
 * grading side, mask_grade.c, reads the answers' columns by it: the
 * metric_def's spec). */
enum { MASK_DICE_MEAN, MASK_DICE_GLOBAL, MASK_IOU_PREC, MASK_F05, MASK_DICE_HD };
typedef struct mask_kind {
    const char *metric;
    int score;            /* MASK_DICE_MEAN ... */
    const char *ans_mask; /* the answers' mask column (NULL: the target's name) */
    const char *height, *width; /* the answers' size columns (NULL: fixed_side) */
    int sub_empty_ok;     /* an empty (NA) submission cell is the empty mask;
                             else it makes the submission invalid (in the
                             answers it is always the empty mask) */
    int dash_empty;       /* a cell "-" is the empty mask */
    unsigned fixed_side;  /* square images of this side, or 0 */
    int in_order;         /* submission rows in the answers' order */
    const char *sub_col;  /* another column the submission must have */
} mask_kind;
/* Indexed by score; a METRIC_MASK row's spec points at its kind. */
extern const mask_kind mask_kinds[];
/* The metrics over run-length encoded masks (metrics_mask[])
 * read ys/ps, the answers' and the submission's encodings (each accepted by
 * rle_check), y the answers' image sizes (n x 2: height, width; NULL when
 * the metric fixes them), group the answers' ids (for rle_dice_hausdorff). */
/* Check one encoding against an image of n_pixels pixels as MLE-bench's
 * decoder does: 0, or 1 with *why (the caller frees) saying what is wrong. */
int rle_check(const char *s, uint64_t n_pixels, char **why);
/* For encodings rle_check accepted: set the pixels of s in an h x w image
 * stored by rows (pixel p of the encoding is row p % h, column p / h);
 * count the pixels of truth (c[0]), pred (c[1]) and of both (c[2]). */
void rle_paint(unsigned char *img, const char *s, uint64_t h, uint64_t w);
void rle_counts(uint64_t c[3], const char *truth, const char *pred, uint64_t n_pixels);

/* metrics_points.c: the check of one Kuzushiji cell (0, or 1 with *why,
 * which the caller frees); the metric is metrics_points[]'s points_f1. */
int points_check_cell(const char *cell, int is_answers, char **why);

#endif

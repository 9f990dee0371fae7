/*
 * bench.h: the bundled grader, compatible with MLE-bench.
 *
 * Reads competitions in MLE-bench's layout (<data>/<id>/prepared/public and
 * .../private), validates submissions, computes metrics in C, and reports with
 * MLE-bench's field names. Also splits training data for grove's own holdout
 * scoring, and prepares the bundled offline competitions.
 */
#ifndef GROVE_BENCH_H
#define GROVE_BENCH_H

#include <cjson/cJSON.h>
#include <stddef.h>

/* ---- CSV ------------------------------------------------------------------ */

/* A parsed CSV file: RFC 4180 quoting, embedded newlines and commas, CRLF,
 * UTF-8 BOM, empty fields. Every cell is a NUL-terminated string. */
typedef struct bench_csv {
    size_t n_cols;
    size_t n_rows;          /* data rows, header excluded */
    char **header;          /* n_cols names */
    char **cells;           /* row-major n_rows * n_cols */
    size_t *row_line;       /* 1-based line where each data row starts */
    char *arena;            /* every cell's text, one allocation (internal) */
} bench_csv;

/* Parse a file / a buffer. A row with the wrong number of fields, an
 * unterminated quote, or no header is an error naming the file and line. */
int bench_csv_read(bench_csv **out, const char *path);
int bench_csv_parse(bench_csv **out, const char *data, size_t len, const char *name);
void bench_csv_free(bench_csv *csv);
/* Column index by name, or -1. */
int bench_csv_col(const bench_csv *csv, const char *name);
static inline const char *bench_csv_cell(const bench_csv *c, size_t row, size_t col)
{
    return c->cells[row * c->n_cols + col];
}
/* Write a CSV (quoting where needed); rows selected by `rows` (NULL = all). */
int bench_csv_write(const char *path, const bench_csv *csv, const size_t *rows,
                    size_t n_rows);

/* ---- registry -------------------------------------------------------------- */

typedef enum bench_task {
    TASK_UNKNOWN = 0,
    TASK_BINARY,       /* binary classification (probability or label) */
    TASK_MULTICLASS,   /* one of K classes (probabilities per class or a label) */
    TASK_REGRESSION,
    TASK_OTHER,
} bench_task;

/* How a grader pairs the submission's rows with the answers' (registry id_col
 * written "name", "@name", "<name" or "~name"). Beyond by id, id_col still names the
 * column for the agent's holdout and prompt. */
typedef enum bench_pairing {
    PAIR_BY_ID = 0,      /* "name": each row meets the answer row of its id */
    PAIR_BY_POSITION,    /* "@name": row i meets row i, the ids are never read
                            (the submission needs no id column) */
    PAIR_BY_SORTED_ID,   /* "<name": both files sorted by the id column (as
                            pandas types and sorts it, missing ids last), then
                            row i meets row i; the ids are never compared, so
                            unknown or repeated ids pair all the same */
    PAIR_BY_ALIGNED_ID,  /* "~name": sorted as "<name", but every submission
                            id must be an answers id, though it may repeat
                            (pandas aligns the answers' row mask on the ids);
                            the rows the metric drops (answers rows whose
                            targets sum below 0) leave both sides, each
                            submission row by its id, then row i meets row i */
} bench_pairing;

typedef struct bench_competition {
    const char *id;
    const char *name;
    const char *metric;          /* "auc", "logloss", "rmse", ... (bench_metric_*) */
    int lower_is_better;
    int graded;                  /* 0: "not yet": grading is an error */
    const char *not_yet_reason;  /* why not, when !graded */
    const char *answers;         /* file in private/, e.g. "test.csv" */
    const char *sample_submission; /* file in public/ */
    const char *id_col;          /* NULL when rows are matched by position */
    bench_pairing pairing;       /* how submission rows meet answer rows */
    char cols_rule;              /* which columns the submission may have
                                    (registry target_cols prefixed with it):
                                    0 any beyond the id and targets; '!'
                                    exactly those, in any order; '^' exactly
                                    those with the id first (the grader takes
                                    every column but the first as targets);
                                    '#' exactly those, each file's non-id
                                    columns taken by position: the
                                    submission's j-th meets the answers' j-th
                                    (the targets, in this order) */
    const char *target_cols;     /* comma-separated; "*" = every non-id column of
                                    the sample submission. In a list, a name
                                    may carry a marker: "+name" a column only
                                    the submission has, "-name" one only the
                                    answers have (the other side's values are
                                    NaN, and so are its empty cells); "?name"
                                    a target whose empty answers cells are NaN
                                    (rows the metric drops); "=name" an
                                    answers-only text column handed to the
                                    metric as each row's group (not a target;
                                    at most one) */
    int prob_rows_sum_to_one;    /* multi-class probabilities must sum to 1:
                                    1 within numpy.isclose (atol 1e-6), 2 to
                                    5 decimals (Python's round(s, 5) == 1) */
    /* thresholds; NaN where unknown */
    double gold, silver, bronze, median;
    int n_teams;
    const char *thresholds_kind; /* "leaderboard", "reference" (bundled) or "none"
                                    (graded, but MLE-bench has no leaderboard) */
    /* holdout mode (NULL train: grove cannot split this one) */
    const char *train_file;      /* in public/ */
    const char *label_col;       /* the target column in train_file (for a
                                    multi-class task, one column of labels,
                                    while answers/submission have one
                                    probability column per class) */
    const char *test_file;       /* in public/ */
    bench_task task;
    const char *split;           /* "lite", "medium", "hard", "bundled", ... */
} bench_competition;

/* Look up by id. NULL (and err_last()) when unknown. */
const bench_competition *bench_registry_find(const char *id);
/* Every entry, for listing: *n is set. */
const bench_competition *bench_registry_all(size_t *n);
/* The name a user knows a metric by: "accuracy" for grove's accuracy_pd
 * (accuracy as pandas types the cells), "qwk" for qwk_int; a metric without
 * a grove-internal variant name is its own label. Static string. */
const char *bench_metric_label(const char *metric);

/* ---- grading ----------------------------------------------------------------- */

typedef struct bench_report {
    char *competition_id;
    double score;              /* NaN when invalid */
    double gold_threshold, silver_threshold, bronze_threshold, median_threshold;
    int any_medal, gold_medal, silver_medal, bronze_medal, above_median;
    int submission_exists, valid_submission, is_lower_better;
    char *created_at;          /* ISO 8601 */
    char *submission_path;
    char *error;               /* why invalid (row and column), or NULL */
    double score_raw;          /* the metric before rounding (grove extension,
                                  not in the JSON); NaN when invalid */
} bench_report;

/* Grade a submission against an answers file. Invalid submissions are not
 * errors: the report says valid_submission = 0 and why. < 0 only when the
 * competition cannot be graded (not yet, answers missing, unknown metric). */
int bench_grade(bench_report *out, const bench_competition *comp,
                const char *submission_path, const char *answers_path);
/* The report as MLE-bench's JSON (plus "error"); caller frees. */
cJSON *bench_report_json(const bench_report *r);
void bench_report_free(bench_report *r);

/* Compute a metric by name over answers and submission tables already matched
 * by row. < 0 with err_last() when the metric is unknown or undefined here
 * (e.g. AUC with one class present); 1 with err_last() when a text metric
 * finds the submission invalid. */
int bench_metric(double *out, const char *metric, const bench_competition *comp,
                 const bench_csv *answers, const bench_csv *submission);

/* ---- ensembles of submissions (bench/ensemble.c, bench/ensemble_fit.c) ------- */

/* How members' predictions combine: a weighted mean of every target cell
 * (probabilities, regression), or a weighted vote per cell (labels). */
typedef enum bench_blend_method { BENCH_BLEND_MEAN = 0, BENCH_BLEND_VOTE } bench_blend_method;

const char *bench_blend_method_name(bench_blend_method m); /* "mean", "vote" */
int bench_blend_method_parse(const char *name, bench_blend_method *out); /* 0 or < 0 */
/* The method comp's metric calls for: vote when it compares labels (text
 * cells, whole numbers), mean when it reads numbers; < 0 with err_last() for
 * a metric whose submissions cannot be blended cell by cell (free text,
 * masks, detections) or an unknown one. */
int bench_blend_method_for(const bench_competition *comp, bench_blend_method *out);

/* Members' submissions read and aligned on the first member's: its rows (by
 * comp's id column, or by position when comp pairs rows so) and its columns
 * (by name, in any order). */
typedef struct bench_blend bench_blend;

/* Read the n submissions at paths; paths[0] (the best member) is the
 * reference. A member whose ids or columns do not match the reference's,
 * or (for a mean) with a target cell that is not a finite number, is
 * refused: why[i] says why (caller frees; NULL for a member taken). < 0
 * with err_last() only when the reference itself cannot be used. */
int bench_blend_open(bench_blend **out, const bench_competition *comp, bench_blend_method m,
                     const char *const *paths, size_t n, char **why);
void bench_blend_free(bench_blend *b);
size_t bench_blend_count(const bench_blend *b);
int bench_blend_taken(const bench_blend *b, size_t i); /* 1: member i was not refused */
/* Write the blend with weights w[0..n) (>= 0, a positive sum, 0 for every
 * refused member) as a CSV at path: the reference's header, row order and
 * ids; a mean is written with 17 significant digits. A vote's tie goes to
 * the label of the earliest member among the tied (the best). */
int bench_blend_write(const bench_blend *b, const double *w, const char *path);

/* Score one blend written at path: 0 and *score, or < 0 (the candidate is
 * skipped). The caller grades it (the agent through its audit log). */
typedef int (*bench_blend_score_fn)(double *score, const char *path, void *data);

/* Weights by Caruana et al.'s greedy forward selection with replacement:
 * `rounds` times, add the member whose extra vote most improves the blend's
 * score (ties to the member less often in the bag, then the earlier), each
 * candidate written to scratch and scored by fn; the weights are the
 * counts of the best round's bag over its size (the earliest best round:
 * the smallest bag). Round 1 tries each member alone, so *single is the
 * best single member's score. w has n entries; *score is the chosen blend's. < 0 with err_last() when no
 * candidate could be scored. */
int bench_blend_fit(const bench_blend *b, int lower_is_better, int rounds,
                    bench_blend_score_fn fn, void *data, const char *scratch, double *w,
                    double *score, double *single);

/* Medal rates over seeds, as MLE-bench aggregates them: reports (single
 * reports or batch reports) grouped by competition, the k-th report of a
 * competition being seed k; per split (lite, medium, hard, all) the any-medal
 * percentage per seed, mean, SEM (ddof 1) and mean +/- 1.96 SEM. *out is a
 * new object the caller cJSON_Delete()s. */
int bench_aggregate(cJSON **out, cJSON *const *reports, size_t n_reports, int seeds);

/* ---- data folders ---------------------------------------------------------- */

/* The data folder: --data-dir, else $GROVE_DATA, else ~/.cache/grove/data.
 * Caller frees. */
char *bench_data_dir(const char *flag);

/* ---- bundled offline competitions (bench/offline) ------------------------------ */

/* The error code for "this bundled competition's Debian source data is not
 * installed"; err_last() names the package and `scripts/setup --data`. */
#define BENCH_ENOSRC (-2)
/* The seed `grove prepare` uses unless told otherwise; the reference
 * thresholds of the bundled competitions were measured on its split. */
#define BENCH_PREPARE_SEED 42UL

/* Build <data_dir>/<id>/prepared/{public,private} for a bundled competition
 * (split "bundled") from its Debian source, deterministically from seed
 * (same seed: byte-identical files). data_dir as for bench_data_dir. When it
 * is already prepared and !force, does nothing and sets *already = 1. */
int bench_prepare(int *already, const char *id, const char *data_dir, unsigned long seed,
                  int force);
/* 0 when id's source data is present; BENCH_ENOSRC (message set) when not. */
int bench_prepare_check(const char *id);

/* ---- holdout split (grove's own validation) ---------------------------------- */

typedef struct bench_holdout {
    char *public_dir;   /* a public/ folder whose train has the validation rows
                           removed and whose test file is the validation features */
    char *answers_path; /* validation answers, in the competition's answers format */
    size_t n_train, n_valid;
} bench_holdout;

/* Split comp's train file from public_dir into out_dir/public (what scripts
 * see) and out_dir/answers.csv (never visible to scripts): seeded,
 * stratified for classification, valid_frac of the rows (0: 0.2). */
int bench_holdout_split(bench_holdout *out, const bench_competition *comp,
                        const char *public_dir, const char *out_dir,
                        unsigned long seed, double valid_frac);
void bench_holdout_free(bench_holdout *h);

#endif

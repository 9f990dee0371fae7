/*
 * offline.h (private to bench/): the bundled offline competitions, built from
 * datasets that ship inside Debian packages, their registry entries, and the
 * pieces shared by `grove prepare` and grove's holdout split.
 *
 * Both prepare and the holdout split end the same way: a labelled table with
 * an id column is cut (seeded, stratified for classification) into a train
 * file the script sees, a test file without the label, a sample submission
 * and an answers file in the competition's format. offline_split_write does
 * that once for both.
 */
#ifndef GROVE_BENCH_OFFLINE_H
#define GROVE_BENCH_OFFLINE_H

#include "bench.h"

#include <stdint.h>

/* Registry entries of the bundled competitions (split "bundled"). The
 * reference thresholds come from the embedded reference.tsv, parsed on the
 * first call (a documented cache; see registry.c). */
const bench_competition *bench_offline_registry(size_t *n);

/* ---- tables built in memory ------------------------------------------------ */

/* Tables that prepare assembles are bench_csv values whose every cell and
 * header name is its own malloc'd string; free them with otab_free, never
 * bench_csv_free (whose allocation scheme is the CSV reader's business). */
bench_csv *otab_new(size_t n_cols, const char *const *header);
/* Append a row; takes ownership of the n_cols strings in cells (the array
 * itself stays the caller's). */
void otab_add_row(bench_csv *t, char **cells);
/* Replace one cell, taking ownership of value. */
void otab_set(bench_csv *t, size_t row, size_t col, char *value);
void otab_free(bench_csv *t);
/* Index of column name in t, or -1 with a message naming file, the column
 * and the columns present. */
int offline_need_col(const bench_csv *t, const char *name, const char *file);

/* ---- seeded randomness ----------------------------------------------------- */

/* splitmix64: tiny, fast and identical on every platform, so a seed means
 * the same split everywhere (rand() does not promise that). */
typedef struct orng { uint64_t s; } orng;
void orng_seed(orng *r, unsigned long seed, const char *salt);
uint64_t orng_next(orng *r);
/* Fisher-Yates shuffle of idx[0..n). */
void orng_shuffle(orng *r, size_t *idx, size_t n);

/* ---- external tools ---------------------------------------------------------- */

/* Run argv (argv[0] looked up on PATH) and collect its stdout into *out
 * (NUL-terminated, caller frees); stderr passes through so R's messages
 * reach the user. < 0 naming the command when it cannot start or fails. */
int offline_run(const char *const *argv, char **out, size_t *len);

/* ---- the split shared by prepare and holdout ------------------------------------- */

typedef struct split_spec {
    const bench_competition *comp;
    const bench_csv *full;      /* labelled rows: id_col and label_col present */
    const size_t *test_cols;    /* columns of full that make test.csv, in order */
    size_t n_test_cols;
    char *const *targets;       /* answers/sample columns after the id: the class
                                   names (multi-class) or the one target name */
    size_t n_targets;
    char *const *sample_vals;   /* the sample submission's value per target */
    double frac;                /* share of rows that become the test rows */
    unsigned long seed;
    const char *train_path, *test_path, *sample_path, *answers_path;
} split_spec;

/* Write the four files of spec. Rows keep full's order in each file. */
int offline_split_write(size_t *n_train, size_t *n_test, const split_spec *spec);

/* Choose the test rows: a 0/1 flag per row of full, seeded, and stratified
 * by label for classification tasks. Caller frees. */
unsigned char *offline_pick_test(const bench_csv *full, size_t label_col,
                                 bench_task task, double frac, unsigned long seed);

/* ---- source parsers (fuzzed) ------------------------------------------------------- */

/* Parse an ARFF file's text into a table named after its attributes; '?'
 * becomes an empty cell. name is used in messages. */
int offline_arff_parse(bench_csv **out, const char *text, size_t len, const char *name);

/* IDX (the MNIST container): check the header of an unsigned-byte array with
 * `dims` dimensions and return the sizes and the payload (pointing into data). */
int offline_idx_parse(const unsigned char **payload, uint32_t sizes[3], int dims,
                      const unsigned char *data, size_t len, const char *name);

/* A grayscale 8-bit PNG of w*h pixels, with stored (uncompressed) deflate
 * blocks so no zlib is needed. *out is the caller's to free. */
void offline_png_gray(unsigned char **out, size_t *len, const unsigned char *pix,
                      uint32_t w, uint32_t h);

#endif

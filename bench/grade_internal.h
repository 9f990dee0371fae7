/*
 * grade_internal.h (private to bench/): answers and submission loaded into
 * matched, typed columns (grade.c), scored by metrics.c, reported by report.c.
 */
#ifndef GROVE_BENCH_GRADE_INTERNAL_H
#define GROVE_BENCH_GRADE_INTERNAL_H

#include "bench.h"
#include "util.h"

#include <stdint.h>

typedef struct grade_data {
    const bench_competition *comp;
    int flags;              /* metric_flags() of comp->metric */
    size_t n, k;            /* answer rows, target columns */
    char **cols;            /* k target column names */
    long *col_idx;          /* positions of the targets in the current header */
    char *ids;              /* answer ids in order, NUL-separated (big_alloc
                               of the answers' size: they cannot take more;
                               freed once matched) */
    size_t ids_len;
    size_t seq_off;         /* offset in ids of the answer row at the
                               submission's current position */
    size_t seq_row;         /* that position */
    double *y, *p;          /* numeric metrics: n x k answers, submission
                               (big_alloc) */
    sb ystr, pstr;          /* string metrics: the cells' text */
    size_t *yoff, *poff;    /* n offsets into ystr / pstr */
    unsigned char *used;    /* bitmap: answer row already matched */
    uint64_t *slots;        /* id hash (built on the first out-of-order id;
                               big_alloc); layout in grade.c */
    size_t n_slots;
    unsigned row_bits, off_bits; /* slot fields: row, offset of the id */
    char *why;              /* set when the submission is invalid */
} grade_data;

/* One CSV row's unescaped fields: field i is buf + off[i]. */
typedef struct row_view {
    const char *name;       /* file, for messages */
    const char *buf;
    const size_t *off;
    size_t n_fields, line;  /* line: 1-based line where the row starts */
} row_view;

/* Mark the submission invalid with a message (row and column); returns 1. */
int grade_invalid(grade_data *g, const char *fmt, ...) UTIL_PRINTF(2, 3);
/* Parse and check one row's target cells into dst (k doubles) or, for a
 * string metric, append the text to strs and store its offset in *soff. A
 * bad answers cell is an error (< 0), a bad submission cell makes the
 * submission invalid (1). */
int grade_take_values(grade_data *g, const row_view *r, int is_answers, double *dst,
                      sb *strs, size_t *soff);
/* match.c: read every submission row after the header (id column id_at, or
 * -1 to match by position), find its answer row and take its values. 0,
 * 1 (invalid: g->why) or < 0. */
struct csv_reader;
int grade_match_rows(grade_data *g, struct csv_reader *r, long id_at);
/* The i-th answer id (walks the ids: for messages only). */
const char *grade_nth_id(const grade_data *g, size_t i);

/* Load answers then the submission. < 0: cannot grade (err_last()); 0 with
 * g->why set: the submission is invalid; 0 otherwise. grade_free() always. */
int grade_load(grade_data *g, const bench_competition *comp, const char *sub_path,
               const char *answers_path);
int grade_score(double *out, grade_data *g);
void grade_free(grade_data *g);

#endif

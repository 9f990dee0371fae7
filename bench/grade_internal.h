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
    sb ids;                 /* answer ids in order, NUL-separated (freed once
                               matched) */
    size_t seq_off;         /* offset in ids of the answer row at the
                               submission's current position */
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

/* Load answers then the submission. < 0: cannot grade (err_last()); 0 with
 * g->why set: the submission is invalid; 0 otherwise. grade_free() always. */
int grade_load(grade_data *g, const bench_competition *comp, const char *sub_path,
               const char *answers_path);
int grade_score(double *out, grade_data *g);
void grade_free(grade_data *g);

#endif

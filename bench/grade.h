/*
 * grade.h (private to bench/): grading one submission (grade.c), for
 * report.c.
 */
#ifndef GROVE_BENCH_GRADE_H
#define GROVE_BENCH_GRADE_H

#include "bench.h"
#include "grade_data.h"

/* Load answers then the submission. < 0: cannot grade (err_last()); 0 with
 * g->why set: the submission is invalid; 0 otherwise. grade_free() always. */
int grade_load(grade_data *g, const bench_competition *comp, const char *sub_path,
               const char *answers_path);
/* The score (g->path's): 0, or < 0 (err_last()); 0 with g->why set when the
 * metric finds the submission invalid. */
int grade_score(double *out, grade_data *g);
/* Frees everything g holds, its path and mask state included; g is zeroed. */
void grade_free(grade_data *g);

#endif

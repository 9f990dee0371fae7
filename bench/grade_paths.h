/*
 * grade_paths.h (private to bench/): the fast grading paths, each chosen by
 * its constructor when the answers' header is read (grade.c asks each in
 * turn, then takes the general path).
 *
 * A constructor returns the path (owned by the caller: ops->destroy frees
 * it) when comp and g->k qualify, else NULL.
 */
#ifndef GROVE_BENCH_GRADE_PATHS_H
#define GROVE_BENCH_GRADE_PATHS_H

#include "grade_data.h"

/* fastrows.c: multi-class log loss folded row by row, no n x k table. */
grade_path *ll_path_open(const grade_data *g);
/* fastauc.c: binary ROC AUC of one column from label bits and sort keys. */
grade_path *auc_path_open(const grade_data *g);

#endif

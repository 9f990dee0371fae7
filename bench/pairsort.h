/*
 * pairsort.h (private to bench/): PAIR_BY_SORTED_ID and PAIR_BY_ALIGNED_ID
 * (pairsort.c).
 */
#ifndef GROVE_BENCH_PAIRSORT_H
#define GROVE_BENCH_PAIRSORT_H

#include "grade_data.h"

/* Keep the id of the submission row just claimed; once every row is in
 * (row r at answer row r), pair them as the grader does: both sides sorted
 * by id, row i with row i (0, or 1: invalid); for PAIR_BY_ALIGNED_ID, that
 * last step waits for the answers' values (grade_pair_kept, after
 * load_answers' pass 2). */
void grade_keep_key(grade_data *g, const char *id);
int grade_pair_sorted(grade_data *g);
int grade_pair_kept(grade_data *g);

#endif

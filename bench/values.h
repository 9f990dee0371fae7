/*
 * values.h (private to bench/): a row's target cells into values (values.c).
 */
#ifndef GROVE_BENCH_VALUES_H
#define GROVE_BENCH_VALUES_H

#include "grade_data.h"

/* Parse and check one row's target cells into dst (k doubles) or, for a
 * string metric, append the text to strs and store its offset in *soff. A
 * bad answers cell is an error (< 0), a bad submission cell makes the
 * submission invalid (1). */
int grade_take_values(grade_data *g, const row_view *r, int is_answers, double *dst,
                      sb *strs, size_t *soff);

#endif

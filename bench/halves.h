/*
 * halves.h (private to bench/): a submission matched by several threads,
 * each over its own byte range of the file (halves.c), for the paths with
 * a lane_rows hook.
 */
#ifndef GROVE_BENCH_HALVES_H
#define GROVE_BENCH_HALVES_H

#include "grade_data.h"
#include "util.h"

#include <stdint.h>

/* One thread's range and its scratch; the path's lane_rows reads rows at
 * its reader's cursor into these. */
typedef struct grade_lane {
    grade_data *g;
    const char *path;
    size_t from, to;     /* byte range of the file */
    const long *role;    /* inplace_roles of the submission's header */
    size_t ncols;
    int *stop;           /* shared: some lane gave up */
    size_t rows;         /* rows taken */
    grade_fault bad;     /* the first row-sum fault in answer order */
    int ok;
    double *vals;        /* k values of the row being read */
    const char **pos;    /* k field starts (inplace_fields) */
    sb id, text;         /* the row's id; a batch of ids */
} grade_lane;

/* Match the submission's rows after the header (r is at the first). 1 when
 * every row was taken and every answer row matched once (g is then as
 * the path's match_rows leaves it); 0 when the single reader must grade the
 * file (g as it was, r untouched). */
int grade_match_lanes(grade_data *g, const char *path, struct csv_reader *r, long id_at);

#endif

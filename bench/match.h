/*
 * match.h (private to bench/): matching submission rows to answer rows by
 * id (match.c).
 */
#ifndef GROVE_BENCH_MATCH_H
#define GROVE_BENCH_MATCH_H

#include "grade_data.h"

struct csv_reader;

/* Read every submission row after the header (id column id_at, or -1 to
 * match by position), find its answer row and take its values (into the
 * path's row, then its take_row hook, or into g->p). 0, 1 (invalid: g->why)
 * or < 0. */
int grade_match_rows(grade_data *g, struct csv_reader *r, long id_at);
/* For the fast paths: one row, with every check and message (0, or 1 with
 * g->why); the answer row of id (-1 unknown, -2 used up); take answer row
 * at for the submission's current position; and after the last row, the
 * check that no answer row is left unmatched. */
int grade_match_one(grade_data *g, const row_view *r, long id_at, size_t ncols);
long grade_find_row(grade_data *g, const char *id, size_t row);
void grade_claim(grade_data *g, long at);
int grade_all_matched(grade_data *g, const char *name);
/* For readers on several threads: build the id hash now (then
 * grade_lookup_many only reads g); the answer rows of n ids whether used or
 * not (when the answers repeat no id: !g->dup_ids), or -1 each; and take
 * answer row at atomically: 1, or 0 when it was taken already. */
void grade_build_index(grade_data *g);
void grade_lookup_many(const grade_data *g, const char *const *ids, size_t n, long *rows);
int grade_claim_shared(grade_data *g, size_t at);
/* After the answers' ids are in, when every one is an integer as pandas
 * reads it, rewrite them in one canonical spelling and set num_ids, so that
 * grade_find_row matches "007", " 7" or "7.0" to the answer 7. */
void grade_numeric_ids(grade_data *g);

#endif

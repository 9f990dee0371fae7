/*
 * mask_grade.h (private to bench/): grade.c's hooks for the METRIC_MASK
 * metrics (mask_grade.c).
 */
#ifndef GROVE_BENCH_MASK_GRADE_H
#define GROVE_BENCH_MASK_GRADE_H

#include "grade_data.h"

struct csv_reader;
typedef struct mask_state mask_state;

/* The target column of a mask metric (< 0 unless one); the answers' header
 * (their mask and image size columns, and the id: < 0 when one is missing;
 * creates g->mask); the submission header's column set (1: invalid); an
 * answers row's image size (pass 1); a mask cell into strs, checked (row:
 * the answer row it belongs to; 1 invalid, < 0 error). */
int mask_check_columns(const grade_data *g);
int mask_map_answers(grade_data *g, const struct csv_reader *r, long id_at);
int mask_check_header(grade_data *g, const struct csv_reader *r);
int mask_answer_row(grade_data *g, const row_view *r);
int mask_take_text(grade_data *g, const row_view *r, int is_answers, size_t row, sb *strs,
                   size_t *soff);
/* The answer ids mask_answer_row kept (n pointers into g; the caller frees
 * the array), or NULL when the metric keeps none. */
const char **mask_row_ids(const grade_data *g);
/* The answers' image sizes (n x 2: height, width), or NULL when the metric
 * fixes them. */
const double *mask_dims(const grade_data *g);
void mask_free(mask_state *m);

#endif

/*
 * inplace.h (private to bench/): a row of plain fields read where it lies
 * in the reader's window, no copy (inplace.c).
 */
#ifndef GROVE_BENCH_INPLACE_H
#define GROVE_BENCH_INPLACE_H

#include "grade_data.h"
#include "util.h"

struct csv_reader;

/* role[i] says where field i goes (a target index, INPLACE_ID, or
 * INPLACE_SKIP; inplace_roles builds it, the caller frees it). Targets go
 * into vals, finite; with pos set (a submission's probabilities) each
 * target's field start goes to pos[j], the value must lie in [0, 1] and
 * may be num_scan_frac's reading (inplace_exact reads it again exactly).
 * The id's text goes into id, *next to the row's last delimiter. 0, or 1
 * when the general reader must take the row (quotes, a lone CR, a row the
 * window cuts, a field count or value out of line). inplace_skip moves the
 * cursor past the row. */
enum { INPLACE_SKIP = -1, INPLACE_ID = -2 };
long *inplace_roles(const grade_data *g, size_t ncols, long id_at);
int inplace_fields(double *vals, const struct csv_reader *r, const long *role, size_t ncols,
                   const char **pos, sb *id, const char **next);
int inplace_exact(double *v, const char *field, const char *end);
void inplace_skip(struct csv_reader *r, const char *next);

#endif

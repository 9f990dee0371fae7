/*
 * answers_rows.h (private to bench/): answers kept in another shape
 * (answers_rows.c).
 */
#ifndef GROVE_BENCH_ANSWERS_ROWS_H
#define GROVE_BENCH_ANSWERS_ROWS_H

#include "bench.h"
#include "util.h"

/* Answers kept in another shape (one row per box, JSON lines), as CSV text
 * of (id, target) rows into out: 1, or 0 when comp's answers are read as
 * they are, < 0 (err_last() names file and line). */
int answers_rows(sb *out, const bench_competition *comp, const char *path);

#endif

/*
 * offline.h (private to bench/): the bundled offline competitions, built from
 * datasets that ship inside Debian packages, and their registry entries.
 */
#ifndef GROVE_BENCH_OFFLINE_H
#define GROVE_BENCH_OFFLINE_H

#include "bench.h"

/* Registry entries of the bundled competitions (split "bundled"). */
const bench_competition *bench_offline_registry(size_t *n);

#endif

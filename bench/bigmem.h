/*
 * bigmem.h (private to bench/): zeroed allocations for the grader's large
 * arrays, backed by transparent huge pages where the kernel offers them.
 */
#ifndef GROVE_BENCH_BIGMEM_H
#define GROVE_BENCH_BIGMEM_H

#include <stddef.h>

/* n zeroed bytes (n may be 0); aborts when out of memory, like xmalloc.
 * Free with big_free (not free()). */
void *big_alloc(size_t n);
void big_free(void *p);

#endif

/*
 * fuzz_cells.h: the fuzz targets' way of reading their input as table cells:
 * a NUL-terminated copy of the bytes, cut at each NUL.
 */
#ifndef GROVE_TESTS_FUZZ_CELLS_H
#define GROVE_TESTS_FUZZ_CELLS_H

#include "util.h"

#include <stdint.h>
#include <string.h>

/* Up to max cells of data into cells[], pointing into *text (a copy the
 * caller frees); returns how many. */
static inline size_t fuzz_cells(char **text, const char **cells, size_t max,
                                const uint8_t *data, size_t size)
{
    *text = xmalloc(size + 1);
    memcpy(*text, data, size);
    (*text)[size] = 0;
    size_t n = 0;
    for (size_t at = 0; at <= size && n < max; at += strlen(*text + at) + 1)
        cells[n++] = *text + at;
    return n;
}

#endif

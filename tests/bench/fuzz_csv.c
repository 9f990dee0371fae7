/*
 * fuzz_csv.c: fuzz target for the CSV table parser. Any input must either
 * parse into a consistent table (every cell inside the arena, NUL-terminated,
 * lines increasing) or fail with a message; never crash or overrun.
 */
#include "bench.h"
#include "util.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    bench_csv *t = NULL;
    if (bench_csv_parse(&t, (const char *)data, size, "fuzz.csv") < 0) {
        if (!err_last()[0])
            abort(); /* a failure must say why */
        return 0;
    }
    size_t prev = 0;
    for (size_t i = 0; i < t->n_rows; i++) {
        if (t->row_line[i] <= prev)
            abort();
        prev = t->row_line[i];
        for (size_t j = 0; j < t->n_cols; j++) {
            const char *c = bench_csv_cell(t, i, j);
            if (c < t->arena || c + strlen(c) > t->arena + size)
                abort();
        }
    }
    bench_csv_free(t);
    return 0;
}

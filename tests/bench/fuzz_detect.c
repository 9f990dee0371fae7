/*
 * fuzz_detect.c: fuzz target for the PredictionString parsing of
 * metrics_detect.c.
 *
 * The input is cut at NUL bytes into cells, paired as answer/submission
 * rows. For any bytes: Python's float() reader never reads past its token
 * and, for ASCII text, agrees with strtod on what it accepts; then every detection metric
 * runs over the rows (any result but a crash).
 */
#include "fuzz_cells.h"
#include "metrics.h"
#include "util.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text;
    const char *cells[64];
    size_t n = fuzz_cells(&text, cells, 64, data, size);
    for (size_t i = 0; i < n; i++) {
        double v;
        size_t len = strlen(cells[i]);
        /* strtod is the oracle for ASCII only: float() also strips Unicode
         * spaces (U+3000 ...), which strtod does not skip */
        int ascii = 1;
        for (size_t k = 0; k < len; k++)
            ascii &= (unsigned char)cells[i][k] < 0x80;
        if (detect_py_float(cells[i], len, &v) == 0 && !isnan(v) && len < 64 &&
            !memchr(cells[i], '_', len) && ascii) {
            char *end;
            double w = strtod(cells[i], &end);
            if (w != v && !(isinf(v) && isinf(w))) {
                fprintf(stderr, "fuzz_detect: float(%s) read as %.17g, strtod says %.17g\n",
                        cells[i], v, w);
                abort();
            }
        }
    }
    size_t rows = n / 2;
    if (rows) {
        const char *cols[] = {"PredictionString"};
        metric_input in = {rows, 1, NULL, NULL, cells, cells + rows, cols, NULL, NULL};
        static const char *const m[] = {"map_siim", "coco_map40", "f1_tf2qa"};
        for (size_t k = 0; k < 3; k++) {
            double out;
            metric_compute(&out, m[k], &in);
        }
    }
    free(text);
    return 0;
}

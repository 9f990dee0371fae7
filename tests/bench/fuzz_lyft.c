/*
 * fuzz_lyft.c: fuzz target for map_lyft3d's PredictionString parsing and
 * its box geometry (bench/metrics_lyft.c, bench/box3d.c).
 *
 * The input is cut at NUL bytes into cells, the first half the answers'
 * rows and the second the submission's. For any bytes the metric returns
 * a score in [0, 1] or NaN, or says why not, without a crash or a sanitizer
 * report. The first 64 bytes, read as eight doubles, are also two
 * footprints (center, size, yaw each): when Box3D accepts both, their
 * overlap lies in [0, the smaller area] up to rounding and the IoU in
 * [0, 1] or NaN.
 *
 * "The smaller area" is that of the corners as doubles, which is what
 * shapely measures too: far from the origin the corners round to the
 * coordinates' spacing (2 m at 1e16), and a 1.5 x 2.5 footprint there is a
 * 1.5 x 4 polygon (found by libFuzzer in .ci/run). The bound widens each
 * side by four times that spacing, so it still fails an overlap larger
 * than the footprints wherever their corners are exact.
 */
#include "box3d.h"
#include "fuzz_cells.h"
#include "metrics.h"
#include "util.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The most a footprint's corners, as doubles, can cover: each side
 * widened by four times the spacing of doubles at its largest corner
 * coordinate (each corner is a sum of three terms, rounded twice). */
static double footprint_bound(const box3d *b)
{
    double m = 0;
    for (int i = 0; i < 4; i++)
        m = fmax(m, fmax(fabs(b->xy[i][0]), fabs(b->xy[i][1])));
    double slack = 4 * 2 * m * DBL_EPSILON;
    return (b->size[0] + slack) * (b->size[1] + slack);
}

static void check_geometry(const uint8_t *data, size_t size)
{
    double v[8];
    if (size < sizeof v)
        return;
    memcpy(v, data, sizeof v);
    box3d a = {.c = {v[0], v[1], 0}, .size = {v[2], v[3], 1}, .yaw = v[4]};
    box3d b = {.c = {v[5], v[6], 0.5}, .size = {1.5, 2.5, 1}, .yaw = v[7]};
    const char *why;
    if (box3d_ready(&a, &why) < 0 || box3d_ready(&b, &why) < 0)
        return;
    double area = box3d_overlap_area((const double(*)[2])a.xy, (const double(*)[2])b.xy);
    double small = fmin(footprint_bound(&a), footprint_bound(&b));
    double iou = box3d_iou(&a, &b);
    if (!(area >= 0) && isfinite(small)) {
        fprintf(stderr, "fuzz_lyft: overlap %.17g of footprints of area %.17g\n", area, small);
        abort();
    }
    if (isfinite(area) && isfinite(small) && small > 1e-300 && area > small * (1 + 1e-6) + 1e-9) {
        fprintf(stderr, "fuzz_lyft: overlap %.17g exceeds the smaller area %.17g\n", area, small);
        abort();
    }
    if (!isnan(iou) && !(iou >= 0 && iou <= 1)) {
        fprintf(stderr, "fuzz_lyft: IoU %.17g\n", iou);
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    check_geometry(data, size);
    char *text;
    const char *cells[64];
    size_t n = fuzz_cells(&text, cells, 64, data, size);
    size_t rows = n / 2;
    if (rows) {
        const char *cols[] = {"PredictionString"};
        metric_input in = {rows, 1, NULL, NULL, cells, cells + rows, cols, NULL, NULL};
        double out = 0;
        int rc = map_lyft3d(&out, &in);
        if (rc == 0 && !isnan(out) && !(out >= 0 && out <= 1)) {
            fprintf(stderr, "fuzz_lyft: score %.17g\n", out);
            abort();
        }
    }
    free(text);
    return 0;
}

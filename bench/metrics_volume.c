/*
 * metrics_volume.c: UW-Madison GI tract's score, 0.4 Dice + 0.6 (1 -
 * Hausdorff), as MLE-bench grades it.
 *
 * - Dice: per row (one class of one slice), 2i / (t + p); rows where both
 *   masks are empty do not count (numpy.nanmean).
 * - Hausdorff: the rows are grouped into 3-D volumes, one per case-day (the id
 *   up to "_slice_"): the rows of one slice id are OR-ed into one 2-D mask
 *   (every class together), the slices stacked in the order of their ids.
 *   Each voxel (slice, row, column) sits at (slice / D, row / H, column / W)
 *   for a D x H x W volume, so the volume is the unit cube; the distance is
 *   the symmetric Hausdorff distance of the two voxel sets over sqrt(3):
 *   nothing when both are empty (those days do not count), 0 when the
 *   volumes are equal, 1 when one is empty or the prediction has more than
 *   ten times the answer's voxels.
 *
 * The Hausdorff distance is exact: the larger of the greatest distance from
 * a predicted voxel to the nearest answer voxel and the reverse, each read
 * off an exact Euclidean distance transform (Felzenszwalb and Huttenlocher's
 * lower envelope of parabolas, one axis at a time, with the axes' spacings
 * 1/D, 1/H, 1/W). The transform is taken over the bounding box of both sets
 * only: every feature voxel lies inside it, so the distances inside are
 * those of the whole volume. Masks are decoded one case-day at a time, so
 * memory is two volumes of bytes plus one box of doubles.
 */
#include "metrics.h"
#include "util.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The case-day of an id: its text before the first "_slice_". */
static size_t day_len(const char *id)
{
    const char *s = strstr(id, "_slice_");
    return s ? (size_t)(s - id) : strlen(id);
}

/* Rows by case-day, then id (the slice order), then position (qsort_r). */
static int cmp_rows(const void *a, const void *b, void *ids)
{
    size_t i = *(const size_t *)a, j = *(const size_t *)b;
    const char *x = ((const char *const *)ids)[i], *y = ((const char *const *)ids)[j];
    size_t lx = day_len(x), ly = day_len(y);
    int c = memcmp(x, y, lx < ly ? lx : ly);
    if (!c && lx != ly)
        c = lx < ly ? -1 : 1;
    if (!c)
        c = strcmp(x, y);
    return c ? c : (i > j) - (i < j);
}

/* Squared distance to the nearest feature along one line of n samples,
 * spacing^2 w2: f in, d out (f[i] = INFINITY: no feature). */
static void edt_line(const double *f, double *d, size_t n, double w2, size_t *v, double *z)
{
    long k = -1;
    for (size_t q = 0; q < n; q++) {
        if (isinf(f[q]))
            continue;
        double s = -INFINITY;
        while (k >= 0) {
            size_t p = v[k];
            s = ((f[q] + w2 * (double)q * (double)q) - (f[p] + w2 * (double)p * (double)p)) /
                (2 * w2 * ((double)q - (double)p));
            if (s > z[k])
                break;
            k--;
        }
        if (k < 0)
            s = -INFINITY;
        k++;
        v[k] = q;
        z[k] = s;
        z[k + 1] = INFINITY;
    }
    if (k < 0) {
        for (size_t q = 0; q < n; q++)
            d[q] = INFINITY;
        return;
    }
    long j = 0;
    for (size_t q = 0; q < n; q++) {
        while (j < k && z[j + 1] < (double)q)
            j++;
        double dq = (double)q - (double)v[j];
        d[q] = w2 * dq * dq + f[v[j]];
    }
}

/* In place over a box of dims[0] x dims[1] x dims[2] doubles, one axis at a
 * time, with squared spacings w2. */
static void edt_box(double *g, const size_t dims[3], const double w2[3])
{
    size_t m = dims[0] > dims[1] ? dims[0] : dims[1];
    m = m > dims[2] ? m : dims[2];
    double *f = xmalloc(m * sizeof *f), *d = xmalloc(m * sizeof *d);
    double *z = xmalloc((m + 1) * sizeof *z);
    size_t *v = xmalloc(m * sizeof *v);
    size_t stride[3] = {dims[1] * dims[2], dims[2], 1};
    for (int ax = 2; ax >= 0; ax--) {
        size_t n = dims[ax], s = stride[ax];
        /* the lines along ax start where its coordinate is 0: blocks of
         * s starts, one block every n * s elements */
        for (size_t block = 0; block < dims[0] * dims[1] * dims[2]; block += n * s)
            for (size_t a = block; a < block + s; a++) {
                for (size_t q = 0; q < n; q++)
                    f[q] = g[a + q * s];
                edt_line(f, d, n, w2[ax], v, z);
                for (size_t q = 0; q < n; q++)
                    g[a + q * s] = d[q];
            }
    }
    free(f);
    free(d);
    free(z);
    free(v);
}

/* Greatest squared distance from a voxel of `from` to the nearest of `to`,
 * both over the box lo[] + dims[]. */
static double directed_sq(const unsigned char *from, const unsigned char *to,
                          const size_t vol[3], const size_t lo[3], const size_t dims[3],
                          double *g)
{
    double w2[3] = {1.0 / ((double)vol[0] * (double)vol[0]),
                    1.0 / ((double)vol[1] * (double)vol[1]),
                    1.0 / ((double)vol[2] * (double)vol[2])};
    size_t at = 0;
    for (size_t a = 0; a < dims[0]; a++)
        for (size_t b = 0; b < dims[1]; b++)
            for (size_t c = 0; c < dims[2]; c++) {
                size_t i = ((lo[0] + a) * vol[1] + lo[1] + b) * vol[2] + lo[2] + c;
                g[at++] = to[i] ? 0 : INFINITY;
            }
    edt_box(g, dims, w2);
    double worst = 0;
    at = 0;
    for (size_t a = 0; a < dims[0]; a++)
        for (size_t b = 0; b < dims[1]; b++)
            for (size_t c = 0; c < dims[2]; c++, at++) {
                size_t i = ((lo[0] + a) * vol[1] + lo[1] + b) * vol[2] + lo[2] + c;
                if (from[i] && g[at] > worst)
                    worst = g[at];
            }
    return worst;
}

/* The normalised Hausdorff distance of two D x H x W volumes (NaN: both
 * empty). */
static double hausdorff(const unsigned char *pred, const unsigned char *truth,
                        const size_t vol[3])
{
    size_t n = vol[0] * vol[1] * vol[2], np = 0, nt = 0;
    size_t lo[3] = {SIZE_MAX, SIZE_MAX, SIZE_MAX}, hi[3] = {0, 0, 0};
    for (size_t i = 0; i < n; i++) {
        np += pred[i];
        nt += truth[i];
        if (!pred[i] && !truth[i])
            continue;
        size_t at[3] = {i / (vol[1] * vol[2]), i / vol[2] % vol[1], i % vol[2]};
        for (int ax = 0; ax < 3; ax++) {
            lo[ax] = at[ax] < lo[ax] ? at[ax] : lo[ax];
            hi[ax] = at[ax] > hi[ax] ? at[ax] : hi[ax];
        }
    }
    if (!np && !nt)
        return NAN;
    if (!memcmp(pred, truth, n))
        return 0;
    if (!np || !nt || np > 10 * nt)
        return 1;
    size_t dims[3] = {hi[0] - lo[0] + 1, hi[1] - lo[1] + 1, hi[2] - lo[2] + 1};
    double *g = xmalloc(dims[0] * dims[1] * dims[2] * sizeof *g);
    double a = directed_sq(truth, pred, vol, lo, dims, g);
    double b = directed_sq(pred, truth, vol, lo, dims, g);
    free(g);
    return sqrt(a > b ? a : b) / sqrt(3.0);
}

#define MAX_VOXELS (1ULL << 32) /* a case-day volume past this is no scan */

/* Rows order[from .. to) are one case-day: decode its volumes and score it.
 * NaN when both are empty; -2 when the slices differ in size, -3 when the
 * volume is too large. */
static double score_day(const metric_input *in, const size_t *order, size_t from, size_t to,
                        unsigned char **buf, size_t *cap)
{
    size_t h = (size_t)in->y[2 * order[from]], w = (size_t)in->y[2 * order[from] + 1];
    size_t slices = 0;
    for (size_t r = from; r < to; r++)
        slices += r == from || strcmp(in->group[order[r]], in->group[order[r - 1]]);
    size_t vol[3] = {slices, h, w}, n = slices * h * w;
    if ((uint64_t)h * w > MAX_VOXELS / slices)
        return -3;
    if (2 * n > *cap) {
        *cap = 2 * n;
        free(*buf);
        *buf = xmalloc(*cap);
    }
    unsigned char *pred = *buf, *truth = *buf + n;
    memset(*buf, 0, 2 * n);
    size_t s = 0;
    for (size_t r = from; r < to; r++) {
        size_t i = order[r];
        if (r > from && strcmp(in->group[i], in->group[order[r - 1]]))
            s++;
        if ((size_t)in->y[2 * i] != h || (size_t)in->y[2 * i + 1] != w)
            return -2;
        /* rle_paint's pixel p is (p % h, p / h): column-major, as encoded */
        rle_paint(truth + s * h * w, in->ys[i], h, w);
        rle_paint(pred + s * h * w, in->ps[i], h, w);
    }
    return hausdorff(pred, truth, vol);
}

static int rle_dice_hausdorff(double *out, const metric_input *in)
{
    *out = NAN;
    if (!in->ys || !in->ps)
        return err_set("metric rle_dice_hausdorff scores run-length encoded masks (text "
                       "cells)");
    if (!in->group || !in->y)
        return err_set("the dice-Hausdorff score needs the answers' ids and image sizes");
    double dice = 0, hd = 0;
    size_t n_dice = 0, n_hd = 0;
    for (size_t r = 0; r < in->n; r++) {
        uint64_t c[3];
        uint64_t pixels = (uint64_t)in->y[2 * r] * (uint64_t)in->y[2 * r + 1];
        rle_counts(c, in->ys[r], in->ps[r], pixels);
        if (c[0] + c[1]) {
            dice += 2.0 * (double)c[2] / (double)(c[0] + c[1]);
            n_dice++;
        }
    }
    size_t *order = xmalloc(in->n * sizeof *order);
    for (size_t r = 0; r < in->n; r++)
        order[r] = r;
    qsort_r(order, in->n, sizeof *order, cmp_rows, (void *)in->group);
    unsigned char *buf = NULL;
    size_t cap = 0;
    int rc = 0;
    for (size_t from = 0; from < in->n && rc == 0;) {
        const char *day = in->group[order[from]];
        size_t len = day_len(day), to = from + 1;
        while (to < in->n && day_len(in->group[order[to]]) == len &&
               !memcmp(in->group[order[to]], day, len))
            to++;
        double v = score_day(in, order, from, to, &buf, &cap);
        if (v == -2)
            rc = err_set("case-day '%.*s': its slices differ in image size", (int)len, day);
        else if (v == -3)
            rc = err_set("case-day '%.*s': a volume of more than 2^32 voxels", (int)len, day);
        else if (!isnan(v)) {
            hd += v;
            n_hd++;
        }
        from = to;
    }
    free(order);
    free(buf);
    if (rc < 0)
        return rc;
    if (!n_dice || !n_hd)
        return err_set("the dice-Hausdorff score is not defined: every %s has both masks "
                       "empty", n_dice ? "case-day" : "row");
    *out = 0.4 * (dice / (double)n_dice) + 0.6 * (1 - hd / (double)n_hd);
    return 0;
}

const metric_def metrics_volume[] = {
    {"rle_dice_hausdorff", METRIC_MASK, rle_dice_hausdorff, 0, 0,
     &mask_kinds[MASK_DICE_HD]},
    {NULL, 0, NULL, 0, 0, NULL},
};

/*
 * fuzz_rle.c: differential fuzz target for the run-length encoding reader
 * (bench/metrics_mask.c). Input: two bytes giving an image's height and
 * width (1..64 each), then the encoding's text.
 *
 * Whatever the text, rle_check and the metric must not crash or allocate by
 * the input's values. When rle_check accepts, a plain reference decoder
 * (a bitmap of the image, runs cut at its end as numpy slicing cuts them)
 * must find the starts sorted and positive and no run overlapping an earlier
 * one, and the metric must agree with the bitmap: the Dice of the mask with
 * itself is 1, and with the full image 2t / (t + n) for t pixels set.
 */
#include "metrics.h"
#include "util.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Tokens of an accepted encoding: a sign, digits and underscores. */
static uint64_t token_value(const char **p)
{
    const char *s = *p;
    while (*s == ' ' || (*s >= '\t' && *s <= '\r'))
        s++;
    if (*s == '+')
        s++;
    uint64_t v = 0;
    for (; (*s >= '0' && *s <= '9') || *s == '_'; s++)
        if (*s != '_')
            v = v * 10 + (uint64_t)(*s - '0');
    *p = s;
    return v;
}

static double dice(const char *truth, const char *pred, const double *dims)
{
    const char *ys[1] = {truth}, *ps[1] = {pred}, *cols[1] = {"predicted"};
    metric_input in = {.n = 1, .k = 1, .y = dims, .ys = ys, .ps = ps, .cols = cols};
    double out = 0;
    if (metric_compute(&out, "rle_dice", &in) < 0)
        abort();
    return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    double dims[2] = {1 + data[0] % 64, 1 + data[1] % 64};
    uint64_t n = (uint64_t)dims[0] * (uint64_t)dims[1];
    char *s = xstrndup((const char *)data + 2, size - 2);
    char *why = NULL;
    int bad = rle_check(s, n, &why);
    if (bad != (why != NULL))
        abort();
    free(why);
    /* the metric reads unchecked text without harm too */
    dice(s, s, dims);
    if (bad) {
        free(s);
        return 0;
    }
    unsigned char img[64 * 64] = {0};
    uint64_t t = 0, prev = 0;
    for (const char *p = s;;) {
        while (*p == ' ' || (*p >= '\t' && *p <= '\r'))
            p++;
        if (!*p)
            break;
        uint64_t start = token_value(&p), len = token_value(&p);
        if (start == 0 || len == 0 || start < prev)
            abort();
        prev = start;
        for (uint64_t i = start - 1; i < n && i < start - 1 + len; i++) {
            if (img[i])
                abort(); /* overlap rle_check let through */
            img[i] = 1;
            t++;
        }
    }
    /* painted by rows, pixel p of the encoding at row p % h, column p / h */
    unsigned char painted[64 * 64] = {0};
    uint64_t h = (uint64_t)dims[0], w = (uint64_t)dims[1];
    rle_paint(painted, s, h, w);
    for (uint64_t p = 0; p < n; p++)
        if (painted[(p % h) * w + p / h] != img[p])
            abort();
    char full[32];
    snprintf(full, sizeof full, "1 %llu", (unsigned long long)n);
    if (dice(s, s, dims) != 1.0 || dice(s, full, dims) != 2.0 * (double)t / (double)(t + n))
        abort();
    free(s);
    return 0;
}

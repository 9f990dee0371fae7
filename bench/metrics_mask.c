/*
 * metrics_mask.c: segmentation metrics over run-length encoded masks, as
 * MLE-bench grades them.
 *
 * A mask cell holds "start length start length ...": 1-based starts into the
 * image's pixels in one fixed order (column-major for most competitions,
 * row-major for Vesuvius; for pixel counts the order does not matter, only
 * the image's pixel count does). MLE-bench's decoder rejects a string whose
 * starts are unsorted, whose values are not positive, or whose runs overlap,
 * and silently cuts a run at the image's end (a run starting past it sets
 * nothing); grove does the same. A value that is not an integer, an odd
 * count of values, or a value beyond 10^18 is rejected as well (MLE-bench
 * crashes or guesses on those).
 *
 * No mask is ever materialised: a string is read pair by pair, each run
 * clipped to the image, and the intersection of two masks is a merge of
 * their sorted, disjoint runs: O(pairs) time and no memory, whatever the
 * image size. The metrics need only three counts per image: pixels in the
 * answer (t), in the prediction (p), in both (i).
 *
 * The registry's target column is the submission's mask column. Where the
 * answers name their mask column differently, and which answers columns
 * give each image's height and width (or that the metric fixes the size), is
 * part of the metric, as in the competition's grade.py.
 *
 * Metrics (grove name: competition):
 * - rle_dice: mean over images of 2i / (t + p), 1 when both are empty
 *   (hubmap-kidney-segmentation).
 * - rle_dice_global: 2 sum(i) / (sum(t) + sum(p)) over all images; "-" is
 *   the empty mask (google-research-identify-contrails-...).
 * - rle_iou_prec_101: 101 x 101 images; per image the share of the IoU
 *   thresholds 0.5, 0.55, ..., 0.95 that the IoU exceeds, averaged
 *   (tgs-salt-identification-challenge). As MLE-bench computes it with
 *   numpy.histogram2d, an empty prediction against a non-empty answer bins
 *   its background as the "object": its IoU is t / (height * width).
 * - rle_f05: mean over images of sklearn's fbeta_score(beta=0.5) on the
 *   pixels (vesuvius-challenge-ink-detection); rows in the answers' order.
 * - rle_dice_hausdorff: UW-Madison's Dice and 3-D Hausdorff combination
 *   (metrics_volume.c); rows in the answers' order, a 'class' column.
 */
#include "metrics.h"
#include "util.h"

#include <assert.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define RLE_MAX 1000000000000000000ULL /* larger values are not pixel offsets */

const mask_kind mask_kinds[] = { /* indexed by score */
    [MASK_DICE_MEAN] = {"rle_dice", MASK_DICE_MEAN, "encoding", "height_pixels",
                        "width_pixels", 1, 0, 0, 0, NULL},
    [MASK_DICE_GLOBAL] = {"rle_dice_global", MASK_DICE_GLOBAL, NULL, "height", "width", 0, 1,
                          0, 0, NULL},
    [MASK_IOU_PREC] = {"rle_iou_prec_101", MASK_IOU_PREC, NULL, NULL, NULL, 1, 0, 101, 0, NULL},
    [MASK_F05] = {"rle_f05", MASK_F05, NULL, "height", "width", 0, 0, 0, 1, NULL},
    [MASK_DICE_HD] = {"rle_dice_hausdorff", MASK_DICE_HD, NULL, "image_height", "image_width",
                      1, 0, 0, 1, "class"},
};

/* ---- reading an encoding ------------------------------------------------- */

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* The next whitespace-separated token as Python's int() reads it: a sign,
 * digits, single underscores between digits. 1 with *v (magnitude) and *neg,
 * 0 at the end of the text, -1 when the token is no integer or exceeds
 * RLE_MAX; *tok, *len give the token either way. */
static int next_int(const char **p, uint64_t *v, int *neg, const char **tok, size_t *len)
{
    const char *s = *p;
    while (is_space(*s))
        s++;
    *tok = s;
    while (*s && !is_space(*s))
        s++;
    *len = (size_t)(s - *tok);
    *p = s;
    if (!*len)
        return 0;
    const char *c = *tok, *end = s;
    *neg = *c == '-';
    if (*c == '-' || *c == '+')
        c++;
    uint64_t x = 0;
    int digits = 0;
    for (; c < end; c++) {
        if (*c == '_' && digits && c + 1 < end && c[1] >= '0' && c[1] <= '9')
            continue;
        if (*c < '0' || *c > '9')
            return -1;
        x = x * 10 + (uint64_t)(*c - '0');
        if (x > RLE_MAX)
            return -1;
        digits = 1;
    }
    *v = x;
    return digits ? 1 : -1;
}

int rle_check(const char *s, uint64_t n_pixels, char **why)
{
    *why = NULL;
    uint64_t prev_start = 0, covered = 0; /* pixels [0, covered) may be set */
    for (size_t pair = 1;; pair++) {
        uint64_t v[2];
        int neg[2] = {0, 0};
        const char *tok[2];
        size_t len[2];
        for (int j = 0; j < 2; j++) {
            int rc = next_int(&s, &v[j], &neg[j], &tok[j], &len[j]);
            if (rc == 0 && j == 0)
                return 0;
            if (rc == 0) {
                *why = xasprintf("pair %zu has a start (%.*s) but no length: an encoding "
                                 "is pairs of 'start length'", pair, (int)len[0], tok[0]);
                return 1;
            }
            if (rc < 0) {
                *why = xasprintf("pair %zu: '%.*s' is not an integer (or above 10^18); an "
                                 "encoding is whitespace-separated integers", pair,
                                 len[j] > 40 ? 40 : (int)len[j], tok[j]);
                return 1;
            }
        }
        const char *bad = NULL;
        if (neg[0] || v[0] == 0)
            bad = "the start must be a positive (1-based) pixel number";
        else if (neg[1] || v[1] == 0)
            bad = "the length must be positive";
        else if (v[0] < prev_start)
            bad = "starts must be in increasing order";
        else if (v[0] - 1 < (covered < n_pixels ? covered : n_pixels))
            bad = "the run overlaps the run before it";
        if (bad) {
            *why = xasprintf("pair %zu ('%.*s %.*s'): %s", pair, (int)len[0], tok[0],
                             (int)len[1], tok[1], bad);
            return 1;
        }
        prev_start = v[0];
        if (v[0] - 1 + v[1] > covered)
            covered = v[0] - 1 + v[1];
    }
}

/* The next run of an encoding rle_check accepted, clipped to [0, n): 1 with
 * [*lo, *hi), 0 when no run is left inside the image. */
static int next_run(const char **s, uint64_t n, uint64_t *lo, uint64_t *hi)
{
    uint64_t start, len;
    int neg;
    const char *tok;
    size_t tl;
    if (next_int(s, &start, &neg, &tok, &tl) != 1 || next_int(s, &len, &neg, &tok, &tl) != 1 ||
        start - 1 >= n)
        return 0; /* starts are sorted: no later run is inside either */
    *lo = start - 1;
    *hi = len > n - *lo ? n : *lo + len;
    return 1;
}

typedef struct mask_counts {
    uint64_t t, p, i; /* pixels in the answer, the prediction, both */
} mask_counts;

/* Merge the two run lists: each step drops the run that ends first. */
static mask_counts overlap(const char *truth, const char *pred, uint64_t n)
{
    mask_counts c = {0, 0, 0};
    uint64_t a0 = 0, a1 = 0, b0 = 0, b1 = 0;
    int more_a = next_run(&truth, n, &a0, &a1), more_b = next_run(&pred, n, &b0, &b1);
    if (more_a)
        c.t += a1 - a0;
    if (more_b)
        c.p += b1 - b0;
    while (more_a && more_b) {
        uint64_t lo = a0 > b0 ? a0 : b0, hi = a1 < b1 ? a1 : b1;
        if (lo < hi)
            c.i += hi - lo;
        if (a1 <= b1) {
            if ((more_a = next_run(&truth, n, &a0, &a1)))
                c.t += a1 - a0;
        } else if ((more_b = next_run(&pred, n, &b0, &b1))) {
            c.p += b1 - b0;
        }
    }
    while (more_a && (more_a = next_run(&truth, n, &a0, &a1)))
        c.t += a1 - a0;
    while (more_b && (more_b = next_run(&pred, n, &b0, &b1)))
        c.p += b1 - b0;
    return c;
}

void rle_counts(uint64_t c[3], const char *truth, const char *pred, uint64_t n_pixels)
{
    mask_counts m = overlap(truth, pred, n_pixels);
    c[0] = m.t;
    c[1] = m.p;
    c[2] = m.i;
}

void rle_paint(unsigned char *img, const char *s, uint64_t h, uint64_t w)
{
    uint64_t lo, hi;
    while (next_run(&s, h * w, &lo, &hi))
        for (uint64_t p = lo; p < hi; p++)
            img[(p % h) * w + p / h] = 1;
}

/* ---- the metrics ---------------------------------------------------------- */

/* The IoU thresholds as numpy.arange(0.5, 1.0, 0.05) makes them: start plus
 * i times the step it derives, (start + step) - start. */
static double iou_precision(mask_counts c, uint64_t n)
{
    if (c.t == 0)
        return c.p == 0 ? 1.0 : 0.0;
    double iou = c.p == 0 ? (double)c.t / (double)n
                          : (double)c.i / (double)(c.t + c.p - c.i);
    double step = (0.5 + 0.05) - 0.5;
    int hits = 0;
    for (int k = 0; k < 10; k++)
        hits += iou > 0.5 + k * step;
    return hits / 10.0;
}

/* sklearn 1.2's fbeta_score(beta=0.5) on one image's pixels: precision and
 * recall 0 where undefined, F 0 where both are. */
static double f05(mask_counts c)
{
    double prec = c.p ? (double)c.i / (double)c.p : 0;
    double rec = c.t ? (double)c.i / (double)c.t : 0;
    double beta2 = 0.25, den = beta2 * prec + rec;
    return (1 + beta2) * prec * rec / (den == 0 ? 1 : den);
}

static int image_pixels(uint64_t *out, const mask_kind *kind, const metric_input *in, size_t i)
{
    if (kind->fixed_side) {
        *out = (uint64_t)kind->fixed_side * kind->fixed_side;
        return 0;
    }
    if (!in->y)
        return err_set("metric %s needs the answers' image height and width", kind->metric);
    *out = (uint64_t)in->y[2 * i] * (uint64_t)in->y[2 * i + 1];
    return 0;
}

static int mask_score(double *out, const mask_kind *kind, const metric_input *in)
{
    assert(kind->score >= MASK_DICE_MEAN && kind->score < MASK_DICE_HD); /* volume.c's */
    *out = NAN;
    if (!in->ys || !in->ps)
        return err_set("metric %s scores run-length encoded masks (text cells)", kind->metric);
    double sum = 0;
    uint64_t gi = 0, gt = 0, gp = 0;
    for (size_t r = 0; r < in->n; r++) {
        uint64_t n = 0;
        if (image_pixels(&n, kind, in, r) < 0)
            return -1;
        mask_counts c = overlap(in->ys[r], in->ps[r], n);
        gi += c.i;
        gt += c.t;
        gp += c.p;
        if (kind->score == MASK_DICE_MEAN)
            sum += c.t + c.p ? 2.0 * (double)c.i / (double)(c.t + c.p) : 1.0;
        else if (kind->score == MASK_IOU_PREC)
            sum += iou_precision(c, n);
        else if (kind->score == MASK_F05)
            sum += f05(c);
    }
    if (kind->score != MASK_DICE_GLOBAL) {
        *out = sum / (double)in->n;
        return 0;
    }
    if (gt + gp == 0)
        return err_set("global Dice is not defined: neither the answers nor the submission "
                       "mark any pixel");
    *out = 2.0 * (double)gi / (double)(gt + gp);
    return 0;
}

/* ---- the table ----------------------------------------------------------- */

#define MASK_METRIC(name, score)                                                            \
    static int name(double *out, const metric_input *in)                                    \
    {                                                                                       \
        return mask_score(out, &mask_kinds[score], in);                                     \
    }
MASK_METRIC(rle_dice, MASK_DICE_MEAN)
MASK_METRIC(rle_dice_global, MASK_DICE_GLOBAL)
MASK_METRIC(rle_iou_prec_101, MASK_IOU_PREC)
MASK_METRIC(rle_f05, MASK_F05)

const metric_def metrics_mask[] = {
    {"rle_dice", METRIC_MASK, rle_dice, 0, 0, &mask_kinds[MASK_DICE_MEAN]},
    {"rle_dice_global", METRIC_MASK, rle_dice_global, 0, 0, &mask_kinds[MASK_DICE_GLOBAL]},
    /* TGS and Vesuvius take the id and mask columns and no other */
    {"rle_iou_prec_101", METRIC_MASK | METRIC_ONLY_COLS, rle_iou_prec_101, 0, 0,
     &mask_kinds[MASK_IOU_PREC]},
    {"rle_f05", METRIC_MASK | METRIC_ONLY_COLS, rle_f05, 0, 0, &mask_kinds[MASK_F05]},
    {NULL, 0, NULL, 0, 0, NULL},
};

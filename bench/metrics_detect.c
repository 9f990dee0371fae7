/*
 * metrics_detect.c: detection metrics over PredictionString cells, as
 * MLE-bench's graders compute them.
 *
 * - map_siim (siim-covid19-detection): a cell is "label conf xmin ymin xmax
 *   ymax" repeated (str.split(), Python float()). Per class of the answers,
 *   every image's predictions of that class, by confidence (stable), take
 *   the unmatched ground-truth box of best IoU > 0.5 (strictly; the first
 *   of equal ones): (1, conf) on a match, else (0, conf); each unmatched
 *   box adds (1, 0); an image with neither adds (0, 0). The class's AP is
 *   sklearn's average_precision_score over those pairs; the score is their
 *   mean. IoU follows Python's max/min on floats, NaN included.
 * - coco_map40 (vinbigdata): pycocotools' COCOeval stats[0] at the single
 *   IoU threshold 0.4, as MLE-bench drives it: boxes handed over as
 *   [x_min, y_min, x_max, y_max] where COCO reads [x, y, w, h] (so the IoU
 *   is of the boxes (x_min, y_min) + (x_max, y_max)); areas from the
 *   corners decide which boxes are ignored; at most 100 detections per
 *   image and class; greedy matching by score where a later ground truth of
 *   equal IoU wins; annotation ids count from 0, so the first ground truth
 *   (id 0) never makes its match a true positive and the first detection
 *   (id 0) never uses up its ground truth; 101-point interpolated precision;
 *   classes without unignored ground truth drop out of the mean.
 */
#include "metrics.h"
#include "util.h"

#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- parsing ------------------------------------------------------------------ */

/* One box: v[0] the class (coco_map40; the label is text for map_siim),
 * v[1] the confidence, v[2..5] the corners. */
typedef struct det {
    double v[6];
    const char *label;
    size_t label_len;
    size_t img, seq; /* answers row; place in its cell */
    int first;       /* COCO annotation id 0 */
} det;

typedef struct dets {
    det *v;
    size_t n, cap;
} dets;

static det *dets_add(dets *d)
{
    if (d->n == d->cap) {
        d->cap = d->cap ? 2 * d->cap : 64;
        d->v = xrealloc(d->v, d->cap * sizeof *d->v);
    }
    memset(&d->v[d->n], 0, sizeof d->v[0]);
    return &d->v[d->n++];
}

/* Python's float() of one token (surrounding whitespace allowed): sign,
 * digits with single underscores between them, a point, an exponent, or
 * inf/infinity/nan in any case. 0, or -1 when Python raises ValueError. */
int detect_py_float(const char *s, size_t len, double *out)
{
    text_tok *t = NULL;
    size_t cap = 0;
    char *copy = xstrndup(s, len);
    int rc = -1;
    /* bytes that are not UTF-8 never reach float() (pandas cannot decode
     * them); text_split would read a lone 0xA0 as a no-break space */
    if (strlen(copy) != len || text_utf8_check(copy, len) >= 0 ||
        strpbrk(copy, "\x1c\x1d\x1e\x1f") || text_split(&t, &cap, copy, 0) != 1)
        goto done; /* \x1c-\x1f: str.split() spaces that float() does not strip */
    const char *p = t[0].s, *end = p + t[0].len;
    sb clean = {0};
    if (*p == '+' || *p == '-')
        sb_putc(&clean, *p++);
    size_t rest = (size_t)(end - p);
    static const char *const words[] = {"inf", "infinity", "nan"};
    for (size_t w = 0; w < 3; w++)
        if (rest == strlen(words[w]) && !strncasecmp(p, words[w], rest)) {
            double v = w == 2 ? NAN : INFINITY;
            *out = clean.len && clean.buf[0] == '-' ? -v : v;
            rc = 0;
        }
    int digits = 0, frac = 0, prev = 0; /* prev: 1 digit, 2 underscore */
    for (int part = 0; rc < 0 && p <= end; p++) {
        char c = p < end ? *p : 0;
        if (c >= '0' && c <= '9') {
            sb_putc(&clean, c);
            digits += part == 0, frac += part == 1;
            prev = 1;
        } else if (c == '_' && prev == 1 && p + 1 < end && p[1] >= '0' && p[1] <= '9') {
            prev = 2;
        } else if (c == '.' && part == 0) {
            sb_putc(&clean, c);
            part = 1, prev = 0;
        } else if ((c == 'e' || c == 'E') && part < 2 && (digits || frac)) {
            sb_putc(&clean, c);
            part = 2, prev = 0;
            if (p + 1 < end && (p[1] == '+' || p[1] == '-'))
                sb_putc(&clean, *++p);
            if (!(p + 1 < end && p[1] >= '0' && p[1] <= '9'))
                break;
        } else if (c == 0 && (digits || frac) && prev != 2) { /* "2." is 2.0 */
            *out = strtod(sb_str(&clean), NULL);
            rc = 0;
        } else
            break;
    }
    sb_free(&clean);
done:
    free(t);
    free(copy);
    return rc;
}

/* Parse a cell into boxes of image img. map_siim splits with str.split()
 * and keeps the label as text; coco_map40 splits on single spaces and
 * reads the class as a float too. -1 with *why (static text) and *at (the
 * bad token, 1-based) when the grader would fail. */
static int parse_cell(dets *d, const char *s, size_t img, int siim, text_tok **tok,
                      size_t *cap, const char **why, size_t *at)
{
    size_t n = text_split(tok, cap, s, siim ? 0 : ' ');
    *at = 0;
    if (n % 6) {
        *why = "the values do not come in groups of six (label confidence x_min y_min "
               "x_max y_max)";
        return -1;
    }
    for (size_t i = 0; i < n; i += 6) {
        det *b = dets_add(d);
        b->img = img;
        b->seq = i / 6;
        b->label = (*tok)[i].s;
        b->label_len = (*tok)[i].len;
        for (size_t j = siim ? 1 : 0; j < 6; j++)
            if (detect_py_float((*tok)[i + j].s, (*tok)[i + j].len, &b->v[j]) < 0) {
                *why = "is not a number (Python's float() fails on it)";
                *at = i + j + 1;
                return -1;
            }
        if (!siim && !isfinite(b->v[0])) { /* int(float) of the class */
            *why = "is a class id that Python's int() cannot take (nan or inf)";
            *at = i + 1;
            return -1;
        }
        if (!siim)
            b->v[0] = trunc(b->v[0]);
    }
    return 0;
}

/* Every row's boxes, answers into *y and submission into *p. 0, 1 (the
 * submission is invalid: err_last()) or < 0 (the answers are bad). */
static int parse_all(dets *y, dets *p, const metric_input *in, int siim, int na_invalid)
{
    text_tok *tok = NULL;
    size_t cap = 0, at;
    const char *why;
    int rc = 0;
    for (size_t i = 0; i < in->n && rc == 0; i++) {
        if (parse_cell(y, in->ys[i], i, siim, &tok, &cap, &why, &at) < 0)
            rc = err_set("answers row %zu, column '%s': %s%s", i + 1, in->cols[0],
                         at ? "a value " : "", why);
        else if (na_invalid && metric_is_na(in->ps[i]))
            rc = (err_set("submission line %zu, column '%s': '%s' is read as a missing value "
                          "(NaN), on which the grader fails; give every row a prediction "
                          "string (label confidence x_min y_min x_max y_max ...)",
                          metric_line_of(in, i), in->cols[0], in->ps[i]), 1);
        else if (parse_cell(p, in->ps[i], i, siim, &tok, &cap, &why, &at) < 0) {
            if (at)
                err_set("submission line %zu, column '%s': value %zu %s", metric_line_of(in, i),
                        in->cols[0], at, why);
            else
                err_set("submission line %zu, column '%s': %s", metric_line_of(in, i), in->cols[0],
                        why);
            rc = 1;
        }
    }
    free(tok);
    return rc;
}

/* ---- average precision (sklearn) --------------------------------------------- */

typedef struct pair {
    double score;
    int y;
} pair;

static int cmp_pair_desc(const void *a, const void *b)
{
    double x = ((const pair *)a)->score, z = ((const pair *)b)->score;
    return (x < z) - (x > z);
}

/* average_precision_score(y, score): sum over distinct scores, descending,
 * of (recall step) x precision; 0 when no y is 1 (sklearn 1.2 sets recall
 * to one then). */
static double average_precision(pair *v, size_t n)
{
    xqsort(v, n, sizeof *v, cmp_pair_desc);
    double pos = 0;
    for (size_t i = 0; i < n; i++)
        pos += v[i].y;
    if (pos == 0)
        return 0;
    double tp = 0, fp = 0, ap = 0, prev_recall = 0;
    for (size_t i = 0; i < n; i++) {
        tp += v[i].y, fp += !v[i].y;
        if (i + 1 < n && v[i + 1].score == v[i].score)
            continue;
        ap += (tp / pos - prev_recall) * (tp / (tp + fp));
        prev_recall = tp / pos;
    }
    return ap;
}

/* ---- map_siim ------------------------------------------------------------------- */

static double py_max(double a, double b) { return b > a ? b : a; }
static double py_min(double a, double b) { return b < a ? b : a; }

/* MLE-bench's calculate_iou, in Python's float arithmetic. */
static double siim_iou(const double *a, const double *b)
{
    double w = py_max(0, py_min(a[2], b[2]) - py_max(a[0], b[0]));
    double h = py_max(0, py_min(a[3], b[3]) - py_max(a[1], b[1]));
    double inter = w * h;
    double uni = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter;
    return uni > 0 ? inter / uni : 0.0;
}

static int label_is(const det *d, const det *cls)
{
    return !metric_name_cmp(d->label, d->label_len, cls->label, cls->label_len);
}

static int cmp_label(const void *a, const void *b)
{
    const det *x = *(det *const *)a, *y = *(det *const *)b;
    return metric_name_cmp(x->label, x->label_len, y->label, y->label_len);
}

/* Stable order by confidence, descending (Python's sort(reverse=True)). */
static int cmp_conf_desc(const void *a, const void *b)
{
    const det *x = a, *y = b;
    if (x->v[1] != y->v[1])
        return x->v[1] < y->v[1] ? 1 : -1;
    if (x->img != y->img)
        return x->img > y->img ? 1 : -1;
    return (x->seq > y->seq) - (x->seq < y->seq);
}

static void push(pair **v, size_t *n, size_t *cap, pair x)
{
    if (*n == *cap) {
        *cap = *cap ? 2 * *cap : 256;
        *v = xrealloc(*v, *cap * sizeof **v);
    }
    (*v)[(*n)++] = x;
}

/* The pairs of class cls for one image: its ng ground-truth boxes g and its
 * npr predictions pr (by confidence); used: ng bytes of scratch. */
static void siim_image(pair **pairs, size_t *np, size_t *pcap, const det *cls, const det *g,
                       size_t ng, const det *pr, size_t npr, unsigned char *used)
{
    size_t before = *np;
    for (size_t j = 0; j < ng; j++)
        used[j] = !label_is(&g[j], cls); /* other classes are out of play */
    for (size_t i = 0; i < npr; i++) {
        if (!label_is(&pr[i], cls))
            continue;
        double best = 0;
        long m = -1;
        for (size_t j = 0; j < ng; j++) {
            if (used[j])
                continue;
            double iou = siim_iou(pr[i].v + 2, g[j].v + 2);
            if (iou > best && iou > 0.5)
                best = iou, m = (long)j;
        }
        if (m >= 0)
            used[m] = 1;
        push(pairs, np, pcap, (pair){pr[i].v[1], m >= 0});
    }
    for (size_t j = 0; j < ng; j++)
        if (!used[j])
            push(pairs, np, pcap, (pair){0, 1}); /* a box nobody found */
    if (*np == before)
        push(pairs, np, pcap, (pair){0, 0}); /* neither: a true negative */
}

static int map_siim(double *out, const metric_input *in)
{
    dets y = {0}, p = {0};
    pair *pairs = NULL;
    det **cls = NULL;
    unsigned char *used = NULL;
    size_t np = 0, pcap = 0;
    int rc = parse_all(&y, &p, in, 1, 1);
    for (size_t i = 0; rc == 0 && i < p.n; i++)
        if (isnan(p.v[i].v[1]))
            rc = (err_set("submission line %zu, column '%s': box %zu has the confidence "
                          "nan, which cannot be ranked", metric_line_of(in, p.v[i].img),
                          in->cols[0], p.v[i].seq + 1), 1);
    if (rc)
        goto done;
    /* the classes: the answers' distinct labels */
    cls = xmalloc((y.n ? y.n : 1) * sizeof *cls);
    size_t nc = 0;
    for (size_t i = 0; i < y.n; i++)
        cls[nc++] = &y.v[i];
    xqsort(cls, nc, sizeof *cls, cmp_label);
    size_t m = 0;
    for (size_t i = 0; i < nc; i++)
        if (!m || cmp_label(&cls[m - 1], &cls[i]))
            cls[m++] = cls[i];
    nc = m;
    for (size_t i = 0; i < p.n; i++) /* sklearn rejects infinite scores */
        for (size_t c = 0; c < nc; c++)
            if (isinf(p.v[i].v[1]) && label_is(&p.v[i], cls[c])) {
                rc = (err_set("submission line %zu, column '%s': box %zu has an infinite "
                              "confidence, which the metric rejects",
                              metric_line_of(in, p.v[i].img), in->cols[0], p.v[i].seq + 1), 1);
                goto done;
            }
    xqsort(p.v, p.n, sizeof *p.v, cmp_conf_desc);
    /* group both by image: y is in image order; sort p's groups by image */
    size_t *pstart = xcalloc(in->n + 1, sizeof *pstart);
    for (size_t i = 0; i < p.n; i++)
        pstart[p.v[i].img + 1]++;
    for (size_t i = 0; i < in->n; i++)
        pstart[i + 1] += pstart[i];
    det *byimg = xmalloc((p.n ? p.n : 1) * sizeof *byimg);
    size_t *fill = xmalloc((in->n + 1) * sizeof *fill);
    memcpy(fill, pstart, (in->n + 1) * sizeof *fill);
    for (size_t i = 0; i < p.n; i++)
        byimg[fill[p.v[i].img]++] = p.v[i];
    free(fill);
    used = xmalloc(y.n + 1);
    double sum = 0;
    for (size_t c = 0; c < nc; c++) {
        np = 0;
        for (size_t i = 0, gb = 0; i < in->n; i++) {
            size_t ge = gb;
            while (ge < y.n && y.v[ge].img == i)
                ge++;
            siim_image(&pairs, &np, &pcap, cls[c], y.v + gb, ge - gb, byimg + pstart[i],
                       pstart[i + 1] - pstart[i], used);
            gb = ge;
        }
        int all_pos = 1;
        for (size_t i = 0; i < np; i++)
            all_pos &= pairs[i].y;
        if (all_pos) { /* MLE-bench asserts here: its grader fails */
            rc = (err_set("class '%.*s': every prediction matches and every box is found, "
                          "where MLE-bench's grader fails (its AP is undefined)",
                          (int)cls[c]->label_len, cls[c]->label), 1);
            break;
        }
        sum += average_precision(pairs, np);
    }
    free(pstart);
    free(byimg);
    if (rc == 0)
        *out = nc ? sum / (double)nc : 0.0;
done:
    free(y.v);
    free(p.v);
    free(pairs);
    free(cls);
    free(used);
    return rc;
}

/* ---- coco_map40 ------------------------------------------------------------------ */

/* pycocotools' bbIou of boxes read as [x, y, w, h] (what MLE-bench hands it:
 * the corners), no crowd boxes. */
static double coco_iou(const double *d, const double *g)
{
    double w = fmin(d[2] + d[0], g[2] + g[0]) - fmax(d[0], g[0]);
    if (w <= 0)
        return 0;
    double h = fmin(d[3] + d[1], g[3] + g[1]) - fmax(d[1], g[1]);
    if (h <= 0)
        return 0;
    double i = w * h;
    return i / (d[2] * d[3] + g[2] * g[3] - i);
}

/* The "area" MLE-bench stores: from the corners. Outside COCO's "all" range
 * [0, 1e10] a ground truth is ignored, and so is an unmatched detection. */
static int area_out(const det *b)
{
    double a = (b->v[4] - b->v[2]) * (b->v[5] - b->v[3]);
    return a < 0 || a > 1e10;
}

/* numpy's argsort of -score: descending, NaN last; ties keep their order. */
static int score_order(double a, double b)
{
    if (isnan(a) || isnan(b))
        return isnan(a) - isnan(b);
    return (a < b) - (a > b);
}

/* By class, then image, then score (detections) or file order. */
static int cmp_det_cls(const void *a, const void *b)
{
    const det *x = a, *y = b;
    if (x->v[0] != y->v[0])
        return x->v[0] < y->v[0] ? -1 : 1;
    if (x->img != y->img)
        return x->img < y->img ? -1 : 1;
    return (x->seq > y->seq) - (x->seq < y->seq);
}

static int cmp_det_score(const void *a, const void *b)
{
    const det *x = a, *y = b;
    int c = score_order(x->v[1], y->v[1]);
    return c ? c : cmp_det_cls(a, b);
}

typedef struct scored {
    double score;
    size_t img, rank;
    int tp, fp;
} scored;

static int cmp_scored(const void *a, const void *b)
{
    const scored *x = a, *y = b;
    int c = score_order(x->score, y->score);
    if (c)
        return c;
    if (x->img != y->img)
        return x->img < y->img ? -1 : 1;
    return (x->rank > y->rank) - (x->rank < y->rank);
}

/* One image of one class (evaluateImg at IoU 0.4): ground truths g (ng,
 * file order), detections d (nd, by score, at most 100); appends each
 * detection's outcome to *acc and returns the unignored ground truths. */
static size_t coco_image(scored *acc, size_t *nacc, const det *g, size_t ng, const det *d,
                         size_t nd, unsigned char *scratch)
{
    /* ground truths by ignore flag (stable): gi[] their indices */
    size_t *gi = xmalloc((ng ? ng : 1) * sizeof *gi), k = 0, npig = 0;
    for (int pass = 0; pass < 2; pass++)
        for (size_t j = 0; j < ng; j++)
            if (area_out(&g[j]) == pass)
                gi[k++] = j;
    unsigned char *taken = scratch; /* gtm > 0 */
    memset(taken, 0, ng);
    for (size_t j = 0; j < ng; j++)
        npig += !area_out(&g[j]);
    for (size_t i = 0; i < nd; i++) {
        double best = 0.4;
        long m = -1;
        for (size_t j = 0; j < ng; j++) {
            if (taken[j])
                continue;
            if (m > -1 && !area_out(&g[gi[m]]) && area_out(&g[gi[j]]))
                break;
            double iou = coco_iou(d[i].v + 2, g[gi[j]].v + 2);
            if (iou < best)
                continue;
            best = iou;
            m = (long)j;
        }
        int ig = 0, matched = 0; /* dtIg; dtm != 0 */
        if (m >= 0) {
            ig = area_out(&g[gi[m]]);
            matched = !g[gi[m]].first; /* gt id 0 reads as no match */
            taken[m] = !d[i].first;    /* det id 0 leaves the gt free */
        }
        ig |= !matched && area_out(&d[i]);
        acc[(*nacc)++] = (scored){d[i].v[1], d[i].img, i, matched && !ig, !matched && !ig};
    }
    free(gi);
    return npig;
}

/* The mean over 101 recall points of the interpolated precision. */
static double coco_ap(scored *acc, size_t n, size_t npig)
{
    xqsort(acc, n, sizeof *acc, cmp_scored);
    double *rc = xmalloc((n ? n : 1) * sizeof *rc), *pr = xmalloc((n ? n : 1) * sizeof *pr);
    double tp = 0, fp = 0;
    for (size_t i = 0; i < n; i++) {
        tp += acc[i].tp, fp += acc[i].fp;
        rc[i] = tp / (double)npig;
        pr[i] = tp / (fp + tp + DBL_EPSILON);
    }
    for (size_t i = n; i-- > 1;)
        if (pr[i] > pr[i - 1])
            pr[i - 1] = pr[i];
    double sum = 0;
    size_t at = 0;
    for (int r = 0; r <= 100; r++) {
        double thr = r == 100 ? 1.0 : r * 0.01; /* numpy.linspace(0, 1, 101) */
        while (at < n && rc[at] < thr)
            at++;
        if (at == n)
            break;
        sum += pr[at];
    }
    free(rc);
    free(pr);
    return sum / 101;
}

static int coco_map40(double *out, const metric_input *in)
{
    dets y = {0}, p = {0};
    int rc = parse_all(&y, &p, in, 0, 0);
    if (rc)
        goto done;
    if (y.n)
        y.v[0].first = 1;
    size_t first_row = 0; /* the submission's first line holds detection id 0 */
    for (size_t i = 1; i < in->n; i++)
        if (metric_line_of(in, i) < metric_line_of(in, first_row))
            first_row = i;
    for (size_t i = 0; i < p.n; i++)
        p.v[i].first = p.v[i].img == first_row && p.v[i].seq == 0;
    xqsort(y.v, y.n, sizeof *y.v, cmp_det_cls);
    /* by class and image, then by score within: the 100 best per image */
    xqsort(p.v, p.n, sizeof *p.v, cmp_det_cls);
    for (size_t a = 0, b; a < p.n; a = b) {
        for (b = a; b < p.n && p.v[b].v[0] == p.v[a].v[0] && p.v[b].img == p.v[a].img; b++)
            ;
        xqsort(p.v + a, b - a, sizeof *p.v, cmp_det_score);
    }
    scored *acc = xmalloc((p.n ? p.n : 1) * sizeof *acc);
    unsigned char *scratch = xmalloc(y.n + 1);
    double sum = 0;
    size_t valid = 0, pi = 0;
    for (size_t a = 0, b; a < y.n; a = b) { /* one class of the answers */
        double cls = y.v[a].v[0];
        for (b = a; b < y.n && y.v[b].v[0] == cls; b++)
            ;
        while (pi < p.n && p.v[pi].v[0] < cls)
            pi++;
        size_t pe_cls = pi, nacc = 0, npig = 0;
        while (pe_cls < p.n && p.v[pe_cls].v[0] == cls)
            pe_cls++;
        /* images in answers order: those with boxes of this class on
         * either side (COCOeval skips the others) */
        for (size_t ga = a, pa = pi; ga < b || pa < pe_cls;) {
            size_t img = ga < b ? y.v[ga].img : SIZE_MAX;
            if (pa < pe_cls && p.v[pa].img < img)
                img = p.v[pa].img;
            size_t gb = ga, pb = pa;
            while (gb < b && y.v[gb].img == img)
                gb++;
            while (pb < pe_cls && p.v[pb].img == img)
                pb++;
            npig += coco_image(acc, &nacc, y.v + ga, gb - ga, p.v + pa,
                               pb - pa < 100 ? pb - pa : 100, scratch);
            ga = gb, pa = pb;
        }
        pi = pe_cls;
        if (npig) {
            sum += coco_ap(acc, nacc, npig);
            valid++;
        }
    }
    free(acc);
    free(scratch);
    *out = valid ? sum / (double)valid : -1; /* COCOeval's -1: nothing to score */
done:
    free(y.v);
    free(p.v);
    return rc;
}

/* ---- table ------------------------------------------------------------------ */

const metric_def metrics_detect[] = {
    {"map_siim", METRIC_STRING | METRIC_ONE_COL, map_siim, 0, 0, NULL},
    {"coco_map40", METRIC_STRING | METRIC_ONE_COL, coco_map40, 0, 0, NULL},
    {NULL, 0, NULL, 0, 0, NULL},
};

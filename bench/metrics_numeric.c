/*
 * metrics_numeric.c: the competition-specific numeric metrics, each as
 * MLE-bench's grade.py for that competition computes it (the formulas are
 * the competitions' published definitions; comments name what is peculiar).
 *
 * - log_mae_groups (champs-scalar-coupling): rows grouped by the answers'
 *   group column, log(MAE) per group, averaged over groups. Rows are sorted
 *   by group (O(n log n)); a group predicted exactly gives log(0) = -inf, as
 *   numpy does.
 * - auc_multilabel (playground-series-s3e18): macro ROC AUC over 0/1 label
 *   columns, any finite score (no [0, 1] bound, unlike "auc_cols").
 * - weighted_auc (alaska2-image-steganalysis): the ROC curve (positives are
 *   the label 1) with TPR below 0.4 weighted 2 and above weighted 1:
 *   (2 A_low + A_high) / (2 * 0.4 + 1 * 0.6), where A_low is the area under
 *   min(tpr, 0.4) and A_high that under max(tpr - 0.4, 0), both over FPR in
 *   [0, 1] along the piecewise-linear curve. That is the band-by-band
 *   integration with the 0.4 point interpolated into the curve.
 * - kl_votes (hms-harmful-brain-activity-classification): the answers are
 *   vote counts, normalised to sum 1 per row; the submission is clipped to
 *   [1e-15, 1 - 1e-15]; per row sum of y log(y / p) over y != 0
 *   (scipy.special.rel_entr's convention), averaged over rows.
 * - lwlrap (freesound-audio-tagging-2019): label-ranking average precision
 *   per row (rank = labels scored >= the label's score, ties counting as
 *   above, as sklearn ranks "max"), rows with no positive label skipped, the
 *   others weighted by their number of positive labels. A row where every
 *   label is positive scores 1.
 * - angular_error (icecube-neutrinos-in-deep-ice): columns azimuth, zenith
 *   in radians; mean angle between the two unit vectors, the cosine clipped
 *   to [-1, 1].
 * - haversine_trips (smartphone-decimeter-2022), laplace_ll
 *   (osic-pulmonary-fibrosis-progression), pf1 (rsna-breast-cancer-
 *   detection), cervical_wll (rsna-2022-cervical-spine-fracture-detection),
 *   rmse_kept (stanford-covid-vaccine), mae_where0 (ventilator-pressure-
 *   prediction): see the functions. jigsaw_bias is metrics_jigsaw.c's.
 */
#include "metrics.h"
#include "numparse.h"
#include "util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- grouped log MAE ------------------------------------------------------ */

typedef struct keyed {
    const char *key;
    size_t i;
} keyed;

static int cmp_keyed(const void *a, const void *b)
{
    const keyed *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    return c ? c : (x->i > y->i) - (x->i < y->i);
}

static int log_mae_groups(double *out, const metric_input *in)
{
    if (!in->group || in->k != 1)
        return err_set("log_mae_groups needs one target column and a group column "
                       "(\"=name\" in the registry's target columns)");
    keyed *rows = xmalloc(in->n * sizeof *rows);
    size_t m = 0;
    for (size_t i = 0; i < in->n; i++)
        if (*in->group[i]) /* an empty group is NaN to pandas: groupby drops it */
            rows[m++] = (keyed){in->group[i], i};
    xqsort(rows, m, sizeof *rows, cmp_keyed);
    double sum = 0;
    size_t groups = 0;
    for (size_t a = 0; a < m;) {
        size_t b = a;
        double abs_err = 0;
        for (; b < m && !strcmp(rows[b].key, rows[a].key); b++)
            abs_err += fabs(in->y[rows[b].i] - in->p[rows[b].i]);
        sum += log(abs_err / (double)(b - a));
        groups++;
        a = b;
    }
    free(rows);
    if (!groups)
        return err_set("column '%s': no row has a group", in->cols[0]);
    *out = sum / (double)groups;
    return 0;
}

/* ---- ROC variants --------------------------------------------------------- */

static int auc_multilabel(double *out, const metric_input *in)
{
    uint64_t *keys = xmalloc(in->n * sizeof *keys);
    double sum = 0;
    int rc = 0;
    for (size_t c = 0; c < in->k && rc == 0; c++) {
        size_t n_pos = 0, n_neg = 0;
        for (size_t i = 0; i < in->n; i++) {
            double y = in->y[i * in->k + c];
            if (y != 0 && y != 1) {
                rc = err_set("column '%s': answer %g is not a 0/1 label", in->cols[c], y);
                break;
            }
            n_pos += y == 1;
        }
        if (rc == 0 && (n_pos == 0 || n_pos == in->n))
            rc = err_set("column '%s': only one class present in the answers; ROC AUC is "
                         "not defined", in->cols[c]);
        if (rc < 0)
            break;
        uint64_t *neg = keys + n_pos;
        size_t pos = 0;
        for (size_t i = 0; i < in->n; i++) {
            uint64_t key = metric_sort_key(in->p[i * in->k + c]);
            if (in->y[i * in->k + c] == 1)
                keys[pos++] = key;
            else
                neg[n_neg++] = key;
        }
        sum += metric_auc_keys(keys, n_pos, n_neg);
    }
    free(keys);
    if (rc == 0)
        *out = sum / (double)in->k;
    return rc;
}

typedef struct scored {
    double s;
    int pos;
} scored;

static int cmp_scored_desc(const void *a, const void *b)
{
    double x = ((const scored *)a)->s, y = ((const scored *)b)->s;
    return (x < y) - (x > y);
}

/* Area under min(y, c) along the segment (x0, y0) - (x1, y1), y rising. */
static double area_below(double x0, double y0, double x1, double y1, double c)
{
    if (y1 <= c)
        return (x1 - x0) * (y0 + y1) / 2;
    if (y0 >= c)
        return (x1 - x0) * c;
    double xc = x0 + (x1 - x0) * (c - y0) / (y1 - y0);
    return (xc - x0) * (y0 + c) / 2 + (x1 - xc) * c;
}

static int weighted_auc(double *out, const metric_input *in)
{
    const double band = 0.4, w_low = 2, w_high = 1;
    if (in->k != 1)
        return err_set("weighted_auc scores one column, the registry gives %zu", in->k);
    scored *v = xmalloc(in->n * sizeof *v);
    double n_pos = 0;
    for (size_t i = 0; i < in->n; i++) {
        v[i] = (scored){in->p[i], in->y[i] == 1};
        n_pos += v[i].pos;
    }
    double n_neg = (double)in->n - n_pos;
    if (n_pos == 0 || n_neg == 0) {
        free(v);
        return err_set("column '%s': the answers need both label 1 and another label; "
                       "the ROC curve is not defined", in->cols[0]);
    }
    xqsort(v, in->n, sizeof *v, cmp_scored_desc);
    /* walk the thresholds from the highest score down: one ROC point per
     * distinct score */
    double tp = 0, fp = 0, x0 = 0, y0 = 0, total = 0, low = 0;
    for (size_t i = 0; i < in->n;) {
        size_t j = i;
        for (; j < in->n && v[j].s == v[i].s; j++) {
            tp += v[j].pos;
            fp += !v[j].pos;
        }
        double x1 = fp / n_neg, y1 = tp / n_pos;
        total += (x1 - x0) * (y0 + y1) / 2;
        low += area_below(x0, y0, x1, y1, band);
        x0 = x1;
        y0 = y1;
        i = j;
    }
    free(v);
    *out = (w_low * low + w_high * (total - low)) / (w_low * band + w_high * (1 - band));
    return 0;
}

/* ---- probabilities and rankings ------------------------------------------- */

static int kl_votes(double *out, const metric_input *in)
{
    const double eps = 1e-15;
    size_t k = in->k;
    double total = 0;
    for (size_t i = 0; i < in->n; i++) {
        const double *y = in->y + i * k, *p = in->p + i * k;
        double votes = 0;
        for (size_t j = 0; j < k; j++) {
            if (y[j] < 0)
                return err_set("column '%s': answer row %zu has a negative vote count %g",
                               in->cols[j], i + 1, y[j]);
            votes += y[j];
        }
        if (!(votes > 0))
            return err_set("answer row %zu has no votes: its probabilities are undefined",
                           i + 1);
        for (size_t j = 0; j < k; j++) {
            double t = y[j] / votes;
            if (t != 0)
                total += t * log(t / fmin(fmax(p[j], eps), 1 - eps));
        }
    }
    *out = total / (double)in->n;
    return 0;
}

static int lwlrap(double *out, const metric_input *in)
{
    size_t k = in->k;
    double sum = 0, weight = 0;
    for (size_t i = 0; i < in->n; i++) {
        const double *y = in->y + i * k, *s = in->p + i * k;
        size_t n_pos = 0;
        for (size_t j = 0; j < k; j++)
            n_pos += y[j] > 0;
        if (n_pos == 0)
            continue;
        double row = 0;
        if (n_pos == k) {
            row = 1;
        } else {
            for (size_t j = 0; j < k; j++) {
                if (!(y[j] > 0))
                    continue;
                size_t rank = 0, hits = 0;
                for (size_t t = 0; t < k; t++)
                    if (s[t] >= s[j]) {
                        rank++;
                        hits += y[t] > 0;
                    }
                row += (double)hits / (double)rank;
            }
            row /= (double)n_pos;
        }
        sum += row * (double)n_pos;
        weight += (double)n_pos;
    }
    if (weight == 0)
        return err_set("no answer row has a positive label: lwlrap is not defined");
    *out = sum / weight;
    return 0;
}

/* ---- geometry --------------------------------------------------------------- */

/* The position of the column named name among the targets, or -1 (error set). */
static int angular_error(double *out, const metric_input *in)
{
    long a = metric_target_col(in, "azimuth"), z = metric_target_col(in, "zenith");
    if (a < 0 || z < 0)
        return -1;
    size_t k = in->k;
    double sum = 0;
    for (size_t i = 0; i < in->n; i++) {
        double az1 = in->y[i * k + a], zen1 = in->y[i * k + z];
        double az2 = in->p[i * k + a], zen2 = in->p[i * k + z];
        double dot = sin(zen1) * sin(zen2) * (cos(az1) * cos(az2) + sin(az1) * sin(az2)) +
                     cos(zen1) * cos(zen2);
        sum += fabs(acos(fmin(fmax(dot, -1), 1)));
    }
    *out = sum / (double)in->n;
    return 0;
}

/* The q-quantile of v[0 .. m) (sorted in place), numpy's default linear
 * interpolation between the order statistics around (m - 1) q. */
static double quantile(double *v, size_t m, double q)
{
    double at = (double)(m - 1) * q;
    size_t lo = (size_t)at;
    double t = at - (double)lo;
    if (lo + 1 >= m)
        return v[m - 1];
    return v[lo] + (v[lo + 1] - v[lo]) * t;
}

static int cmp_double_asc(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* smartphone-decimeter-2022: per trip (the group), the haversine distances
 * (Earth radius 6371 km) between predicted and true latitude/longitude in
 * degrees; the trip scores the mean of their 50th and 95th percentiles; the
 * score is the mean over trips. Rows pair by position within the trip,
 * which is what matching on the repeated trip id does. */
static int haversine_trips(double *out, const metric_input *in)
{
    const double radius = 6371000, rad = M_PI / 180;
    long la = metric_target_col(in, "LatitudeDegrees");
    long lo = metric_target_col(in, "LongitudeDegrees");
    if (la < 0 || lo < 0)
        return -1;
    if (!in->group)
        return err_set("haversine_trips needs the trip as the group column");
    keyed *rows = xmalloc(in->n * sizeof *rows);
    double *d = xmalloc(in->n * sizeof *d);
    for (size_t i = 0; i < in->n; i++)
        rows[i] = (keyed){in->group[i], i};
    xqsort(rows, in->n, sizeof *rows, cmp_keyed);
    size_t k = in->k, trips = 0;
    double sum = 0;
    for (size_t a = 0; a < in->n;) {
        size_t m = 0;
        for (; a + m < in->n && !strcmp(rows[a + m].key, rows[a].key); m++) {
            size_t i = rows[a + m].i;
            double lat1 = in->p[i * k + la] * rad, lng1 = in->p[i * k + lo] * rad;
            double lat2 = in->y[i * k + la] * rad, lng2 = in->y[i * k + lo] * rad;
            double s1 = sin((lat2 - lat1) / 2), s2 = sin((lng2 - lng1) / 2);
            double h = s1 * s1 + cos(lat1) * cos(lat2) * s2 * s2;
            d[m] = 2 * radius * asin(sqrt(h));
        }
        xqsort(d, m, sizeof *d, cmp_double_asc);
        sum += (quantile(d, m, 0.5) + quantile(d, m, 0.95)) / 2;
        trips++;
        a += m;
    }
    free(rows);
    free(d);
    *out = sum / (double)trips;
    return 0;
}

/* A patient's measurement: its row and week (from "<patient>_<week>"). */
typedef struct visit {
    const char *id;
    size_t patient_len, i;
    long week;
} visit;

static int cmp_patient(const visit *x, const visit *y)
{
    return x->patient_len != y->patient_len || memcmp(x->id, y->id, x->patient_len);
}

static int cmp_visit(const void *a, const void *b)
{
    const visit *x = a, *y = b;
    size_t n = x->patient_len < y->patient_len ? x->patient_len : y->patient_len;
    int c = memcmp(x->id, y->id, n);
    if (c || x->patient_len != y->patient_len)
        return c ? c : (x->patient_len > y->patient_len) - (x->patient_len < y->patient_len);
    if (x->week != y->week)
        return (x->week > y->week) - (x->week < y->week);
    return (x->i > y->i) - (x->i < y->i);
}

/* osic-pulmonary-fibrosis-progression: the modified Laplace log likelihood
 * -sqrt(2) min(|FVC - pred|, 1000) / sd - log(sqrt(2) sd), sd = max(
 * Confidence, 70) (an empty Confidence counts 0), averaged over the rows
 * graded: answers with an FVC (empty ones are the filler weeks), and of
 * those each patient's three latest weeks. Patient and week come from the
 * group "<patient>_<week>" (the Patient_Week id). */
static int laplace_ll(double *out, const metric_input *in)
{
    long f = metric_target_col(in, "FVC"), c = metric_target_col(in, "Confidence");
    if (f < 0 || c < 0)
        return -1;
    if (!in->group)
        return err_set("laplace_ll needs Patient_Week as the group column");
    size_t k = in->k, m = 0;
    visit *v = xmalloc(in->n * sizeof *v);
    for (size_t i = 0; i < in->n; i++) {
        if (isnan(in->y[i * k + f]))
            continue;
        const char *id = in->group[i], *cut = strrchr(id, '_');
        char *end;
        long week = cut ? strtol(cut + 1, &end, 10) : 0;
        if (!cut || !cut[1] || *end) {
            free(v);
            return err_set("answers' Patient_Week '%s' does not end in _<week>", id);
        }
        v[m++] = (visit){id, (size_t)(cut - id), i, week};
    }
    xqsort(v, m, sizeof *v, cmp_visit);
    double sum = 0;
    size_t graded = 0;
    for (size_t a = 0; a < m; a++) {
        /* the last three of each patient's run of visits */
        size_t left = 0;
        for (size_t b = a + 1; b < m && left < 3 && !cmp_patient(&v[a], &v[b]); b++)
            left++;
        if (left >= 3)
            continue;
        size_t i = v[a].i;
        double conf = in->p[i * k + c];
        double sd = fmax(isnan(conf) ? 0 : conf, 70);
        double delta = fmin(fabs(in->y[i * k + f] - in->p[i * k + f]), 1000);
        sum += -M_SQRT2 * delta / sd - log(M_SQRT2 * sd);
        graded++;
    }
    free(v);
    if (!graded)
        return err_set("no answer row has an FVC to grade");
    *out = sum / (double)graded;
    return 0;
}

/* ---- weighted and masked losses -------------------------------------------- */

/* rsna-breast-cancer-detection: probabilistic F1 (beta 1). Predictions are
 * clipped to [0, 1]; a label counts as positive when it is not 0. No
 * predicted mass at all scores 0. */
static int pf1(double *out, const metric_input *in)
{
    if (in->k != 1)
        return err_set("pf1 scores one column, the registry gives %zu", in->k);
    double tp = 0, fp = 0, positives = 0;
    for (size_t i = 0; i < in->n; i++) {
        double p = fmin(fmax(in->p[i], 0), 1);
        if (in->y[i] != 0) {
            positives++;
            tp += p;
        } else {
            fp += p;
        }
    }
    if (positives == 0)
        return err_set("column '%s': no positive label in the answers; recall is not "
                       "defined", in->cols[0]);
    double precision = tp + fp > 0 ? tp / (tp + fp) : 0, recall = tp / positives;
    *out = precision > 0 && recall > 0 ? 2 * precision * recall / (precision + recall) : 0;
    return 0;
}

/* rsna-2022-cervical-spine-fracture-detection: the answers are melted, one
 * row per "<study>_<variable>" (the group); per study the binary log loss
 * (clip 1e-15) of each of its variables, weighted 7 (negative) or 14
 * (positive) for patient_overall and 1 or 2 for C1..C7, summed and divided
 * by the weights' sum; the mean over studies. Other variables are not
 * scored. */
static int cervical_wll(double *out, const metric_input *in)
{
    const double eps = 1e-15;
    if (!in->group || in->k != 1)
        return err_set("cervical_wll needs the fracture column and the row id as group");
    keyed *rows = xmalloc(in->n * sizeof *rows);
    size_t m = 0;
    for (size_t i = 0; i < in->n; i++) {
        const char *cut = strchr(in->group[i], '_');
        if (!cut) {
            free(rows);
            return err_set("answers' row_id '%s' is not <study>_<variable>", in->group[i]);
        }
        rows[m++] = (keyed){in->group[i], i};
    }
    /* sort by the whole id: a study's rows are adjacent (its prefix and the
     * '_' are shared, and '_' sorts the same for every study) */
    xqsort(rows, m, sizeof *rows, cmp_keyed);
    double sum = 0;
    size_t studies = 0;
    for (size_t a = 0; a < m;) {
        size_t len = (size_t)(strchr(rows[a].key, '_') - rows[a].key) + 1, b = a;
        double loss = 0, weights = 0;
        for (; b < m && !strncmp(rows[b].key, rows[a].key, len); b++) {
            const char *var = rows[b].key + len;
            double y = in->y[rows[b].i], p = fmin(fmax(in->p[rows[b].i], eps), 1 - eps);
            double w = !strcmp(var, "patient_overall") ? 7 : 1;
            if (y != 0 && y != 1) {
                err_set("answers' row '%s': %g is not a 0/1 label", rows[b].key, y);
                free(rows);
                return -1;
            }
            if (w == 1 && !(var[0] == 'C' && var[1] >= '1' && var[1] <= '7' && !var[2]))
                continue;
            w *= 1 + y;
            loss -= w * (y * log(p) + (1 - y) * log(1 - p));
            weights += w;
        }
        if (weights > 0) {
            sum += loss / weights;
            studies++;
        }
        a = b;
    }
    free(rows);
    if (!studies)
        return err_set("no answer row is a study's patient_overall or C1..C7");
    *out = sum / (double)studies;
    return 0;
}

/* pandas reads True/TRUE/true as the boolean true */
static int is_true(const char *s)
{
    return !strcmp(s, "True") || !strcmp(s, "TRUE") || !strcmp(s, "true");
}

/* stanford-covid-vaccine: the mean over the scored columns of their RMSE
 * over the rows whose group (the answers' keep column) is true. Columns
 * the answers do not hold (submission-only, NaN) are not scored. */
static int rmse_kept(double *out, const metric_input *in)
{
    if (!in->group)
        return err_set("rmse_kept needs the keep column as group");
    size_t k = in->k, kept = 0, scored = 0;
    for (size_t i = 0; i < in->n; i++)
        kept += is_true(in->group[i]);
    if (!kept)
        return err_set("no answer row is kept for scoring");
    double total = 0;
    for (size_t c = 0; c < k; c++) {
        double s = 0;
        int answered = 0;
        for (size_t i = 0; i < in->n; i++) {
            if (!is_true(in->group[i]))
                continue;
            double y = in->y[i * k + c], d = y - in->p[i * k + c];
            answered |= !isnan(y);
            s += d * d;
        }
        if (!answered)
            continue;
        total += sqrt(s / (double)kept);
        scored++;
    }
    if (!scored)
        return err_set("no answered column to score");
    *out = total / (double)scored;
    return 0;
}

/* ventilator-pressure-prediction: the mean absolute error over the rows
 * whose group (the answers' u_out column) equals 0: the expiratory phase is
 * not scored. pandas compares the column's numbers with 0, so "0", "0.0"
 * and "-0" count, an empty cell (NaN) does not. */
static int mae_where0(double *out, const metric_input *in)
{
    if (!in->group || in->k != 1)
        return err_set("mae_where0 needs one target column and the u_out column as group");
    double sum = 0;
    size_t m = 0;
    for (size_t i = 0; i < in->n; i++) {
        double u;
        if (num_parse(in->group[i], &u) == 0 && u == 0) {
            sum += fabs(in->p[i] - in->y[i]);
            m++;
        }
    }
    if (!m)
        return err_set("column 'u_out': no answer row has u_out 0, so no row is scored");
    *out = sum / (double)m;
    return 0;
}

/* ---- table -------------------------------------------------------------------- */

const metric_def metrics_numeric[] = {
    /* sklearn's mean_absolute_error and roc_auc_score take a column all
     * True/False as 0/1 (tests/bench/AUDIT.md) */
    {"log_mae_groups", METRIC_BOOL, log_mae_groups, 0, 0, NULL},
    {"auc_multilabel", METRIC_BOOL, auc_multilabel, 0, 0, NULL},
    {"weighted_auc", 0, weighted_auc, 0, 0, NULL},
    {"kl_votes", METRIC_PROB, kl_votes, 0, 0, NULL},
    {"lwlrap", 0, lwlrap, 0, 0, NULL},
    {"angular_error", 0, angular_error, 0, 0, NULL},
    {"haversine_trips", 0, haversine_trips, 0, 0, NULL},
    {"laplace_ll", 0, laplace_ll, 0, 0, NULL},
    {"pf1", 0, pf1, 0, 0, NULL},
    {"cervical_wll", METRIC_PROB, cervical_wll, 0, 0, NULL},
    {"rmse_kept", 0, rmse_kept, 0, 0, NULL},
    {"mae_where0", METRIC_BOOL, mae_where0, 0, 0, NULL},
    {NULL, 0, NULL, 0, 0, NULL},
};

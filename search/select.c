/*
 * select.c: the final pick among the finalists (search.h, README "Final
 * selection").
 *
 * The search's own holdout chose the finalists; the best of many noisy
 * scores on one holdout is, more often than not, the luckiest rather than
 * the best. A second, hidden holdout re-scores the finalists. But the best
 * of K hidden scores is noisy too, so the pick does not simply take it: the
 * incumbent (the best search score among finalists with a hidden score)
 * stays unless a challenger beats it on the hidden holdout by more than the
 * noise measured for this run. "An improvement counts only when it beats
 * the measured noise."
 *
 * The noise, in order of preference:
 *   seeds      each finalist run with several seeds: the pooled standard
 *              deviation of those runs (sqrt of the mean of the variances)
 *   finalists  the standard deviation over finalists of (hidden - search):
 *              how much one script's score moves between two holdouts of
 *              this data, with the common shift (selection bias) removed;
 *              needs 3 finalists with both scores
 *   none       0: any hidden improvement counts
 *
 * Pure: no I/O, no state; the caller orders the finalists.
 */
#include "search.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static int better(double a, double b, int lower_is_better)
{
    return lower_is_better ? a < b : a > b;
}

/* The noise and where it came from (see the top of the file). */
static double measure_noise(const search_finalist *f, int n, const char **from)
{
    double var = 0;
    int k = 0;
    for (int i = 0; i < n; i++)
        if (f[i].n_runs >= 2 && isfinite(f[i].hidden_sd)) {
            var += f[i].hidden_sd * f[i].hidden_sd;
            k++;
        }
    if (k > 0) {
        *from = "seeds";
        return sqrt(var / k);
    }
    double sum = 0, sq = 0;
    k = 0;
    for (int i = 0; i < n; i++)
        if (isfinite(f[i].hidden) && isfinite(f[i].search)) {
            double d = f[i].hidden - f[i].search;
            sum += d;
            sq += d * d;
            k++;
        }
    if (k >= 3) {
        double mean = sum / k, v = (sq - k * mean * mean) / (k - 1);
        *from = "finalists";
        return v > 0 ? sqrt(v) : 0;
    }
    *from = "none";
    return 0;
}

void search_select_final(search_pick *out, const search_finalist *f, int n,
                         int lower_is_better)
{
    memset(out, 0, sizeof *out);
    out->index = out->incumbent = -1;
    out->noise = measure_noise(f, n, &out->noise_from);
    if (n <= 0) {
        out->noise_from = "none";
        snprintf(out->reason, sizeof out->reason, "no finalists");
        return;
    }
    int inc = -1, best = -1;
    for (int i = 0; i < n; i++) {
        if (!isfinite(f[i].hidden))
            continue;
        if (inc < 0)
            inc = i;
        if (best < 0 || better(f[i].hidden, f[best].hidden, lower_is_better))
            best = i;
    }
    out->incumbent = inc;
    if (inc < 0) {
        out->index = 0;
        snprintf(out->reason, sizeof out->reason,
                 "node %d: best search score; no finalist has a hidden-holdout score",
                 f[0].id);
        return;
    }
    char skipped[64] = "";
    if (inc > 0)
        snprintf(skipped, sizeof skipped, " (node %d above it has no hidden score)", f[0].id);
    double margin = fabs(f[best].hidden - f[inc].hidden);
    if (best != inc && margin > out->noise) {
        out->index = best;
        snprintf(out->reason, sizeof out->reason,
                 "node %d: hidden %.6g beats node %d (best search score%s) %.6g by %.3g, "
                 "more than the noise %.3g (%s)", f[best].id, f[best].hidden, f[inc].id,
                 skipped, f[inc].hidden, margin, out->noise, out->noise_from);
        return;
    }
    out->index = inc;
    if (best == inc)
        snprintf(out->reason, sizeof out->reason,
                 "node %d: best search score%s and best hidden score %.6g (noise %.3g, %s)",
                 f[inc].id, skipped, f[inc].hidden, out->noise, out->noise_from);
    else
        snprintf(out->reason, sizeof out->reason,
                 "node %d: best search score%s; node %d's better hidden score beats its "
                 "%.6g by only %.3g, within the noise %.3g (%s)", f[inc].id, skipped,
                 f[best].id, f[inc].hidden, margin, out->noise, out->noise_from);
}

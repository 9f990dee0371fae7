/*
 * ensemble_fit.c: the blend's weights, by greedy forward selection with
 * replacement (Caruana, Niculescu-Mizil, Crew and Ksikes, "Ensemble
 * selection from libraries of models", ICML 2004).
 *
 * Why this rule rather than, say, non-negative least squares: it optimises
 * the competition's own metric (AUC, log loss, accuracy, ...) through the
 * grader, whatever its shape, where least squares would fit a proxy; it
 * works unchanged for a vote, whose score is not differentiable; and its
 * weights are small fractions (counts over the bag) that a person can read
 * in a recipe. Its known weakness, overfitting the selection set, is bounded
 * by the few rounds and members grove allows, and the search holdout that
 * fits the weights is the one the single nodes were ranked on, so a blend
 * competes with them on equal terms.
 *
 * Each round tries each member once more in the bag (on an exact tie, the
 * member less often in the bag, then the earlier one); the bag that scores
 * best (the earliest, so the smallest, on ties) gives the weights. Round 1
 * tries each member alone, which makes the best single member the floor:
 * a blend is only chosen when it scores strictly better.
 */
#include "bench.h"
#include "util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The weights of a bag of counts: count over the bag's size. */
static void bag_weights(const int *count, size_t n, double *w)
{
    int total = 0;
    for (size_t i = 0; i < n; i++)
        total += count[i];
    for (size_t i = 0; i < n; i++)
        w[i] = total > 0 ? (double)count[i] / total : 0.0;
}

static int better(int lower_is_better, double a, double b)
{
    return lower_is_better ? a < b : a > b;
}

/* One round: the member whose extra count scores best (-1 when none could
 * be scored), and that score. */
static long best_addition(const bench_blend *b, int lower, int *count, double *w,
                          bench_blend_score_fn fn, void *data, const char *scratch,
                          double *score)
{
    size_t n = bench_blend_count(b);
    long pick = -1;
    for (size_t j = 0; j < n; j++) {
        if (!bench_blend_taken(b, j))
            continue;
        count[j]++;
        bag_weights(count, n, w);
        double s;
        int ok = bench_blend_write(b, w, scratch) == 0 && fn(&s, scratch, data) == 0 &&
                 isfinite(s);
        count[j]--;
        /* on an exact tie the member less often in the bag: a vote where
         * the best member's copies win every tie would otherwise never
         * let a third member break one */
        int tie = pick >= 0 && !better(lower, s, *score) && !better(lower, *score, s);
        if (ok && (pick < 0 || better(lower, s, *score) || (tie && count[j] < count[pick]))) {
            pick = (long)j;
            *score = s;
        }
    }
    return pick;
}

int bench_blend_fit(const bench_blend *b, int lower_is_better, int rounds,
                    bench_blend_score_fn fn, void *data, const char *scratch, double *w,
                    double *score, double *single)
{
    size_t n = bench_blend_count(b);
    int *count = xcalloc(n, sizeof *count), *best = xcalloc(n, sizeof *best);
    int have = 0;
    for (int round = 0; round < (rounds < 1 ? 1 : rounds); round++) {
        double s = NAN;
        long pick = best_addition(b, lower_is_better, count, w, fn, data, scratch, &s);
        if (pick < 0)
            break;
        count[pick]++;
        if (round == 0)
            *single = s;
        if (!have || better(lower_is_better, s, *score)) {
            memcpy(best, count, n * sizeof *best);
            *score = s;
            have = 1;
        }
    }
    if (have)
        bag_weights(best, n, w);
    free(count);
    free(best);
    return have ? 0 : err_set("blend: no candidate blend could be scored (%s)", err_last());
}

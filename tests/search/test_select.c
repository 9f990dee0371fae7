/* test_select.c: the final pick on the hidden holdout (search_select_final):
 * fixed cases for each branch of the rule and its reason, both metric
 * directions, and a seeded simulation (many runs of finalists whose search
 * scores are over-fitted) in which the rule's invariants hold every time and
 * the hidden pick's true quality beats the search pick's on average. */
#include "check.h"
#include "search.h"

#include <math.h>
#include <string.h>

#define F(id_, s_, h_) {.id = (id_), .search = (s_), .hidden = (h_), .hidden_sd = NAN, \
                        .n_runs = isnan(h_) ? 0 : 1}

static void test_no_finalists(void)
{
    search_pick p;
    search_select_final(&p, NULL, 0, 0);
    CHECK(p.index == -1 && p.incumbent == -1);
    CHECK_STR(p.noise_from, "none");
}

static void test_no_hidden_scores(void)
{
    search_finalist f[] = {F(4, 0.9, NAN), F(2, 0.8, NAN)};
    search_pick p;
    search_select_final(&p, f, 2, 0);
    CHECK(p.index == 0 && p.incumbent == -1);
    CHECK_MSG(strstr(p.reason, "node 4: best search score; no finalist has a hidden") != NULL,
              "%s", p.reason);
}

static void test_keeps_incumbent_within_noise(void)
{
    /* (hidden - search): -0.02, +0.01, -0.03 -> sd 0.0208; node 2 beats node 7
     * by 0.01, within it */
    search_finalist f[] = {F(7, 0.90, 0.88), F(2, 0.88, 0.89), F(5, 0.87, 0.84)};
    search_pick p;
    search_select_final(&p, f, 3, 0);
    CHECK(p.index == 0 && p.incumbent == 0);
    CHECK_STR(p.noise_from, "finalists");
    CHECK_NEAR(p.noise, sqrt(((0.02 - 0.0133333) * (0.02 - 0.0133333) +
                              (0.01 + 0.0133333) * (0.01 + 0.0133333) +
                              (0.03 - 0.0133333) * (0.03 - 0.0133333)) / 2), 1e-5);
    CHECK_MSG(strstr(p.reason, "node 7: best search score; node 2's better hidden score") &&
              strstr(p.reason, "within the noise"), "%s", p.reason);
}

static void test_challenger_beats_noise(void)
{
    /* node 2 beats node 7 on hidden by 0.05; the seeds say the noise is 0.01 */
    search_finalist f[] = {F(7, 0.90, 0.85), F(2, 0.88, 0.90), F(5, 0.87, 0.86)};
    for (int i = 0; i < 3; i++) {
        f[i].hidden_sd = 0.01;
        f[i].n_runs = 3;
    }
    search_pick p;
    search_select_final(&p, f, 3, 0);
    CHECK(p.index == 1 && p.incumbent == 0);
    CHECK_STR(p.noise_from, "seeds");
    CHECK_NEAR(p.noise, 0.01, 1e-12);
    CHECK_MSG(strstr(p.reason, "node 2: hidden 0.9 beats node 7 (best search score) 0.85 by "
                               "0.05, more than the noise 0.01 (seeds)") != NULL, "%s",
              p.reason);
    /* the same scores with seeds saying 0.06: the incumbent stays */
    for (int i = 0; i < 3; i++)
        f[i].hidden_sd = 0.06;
    search_select_final(&p, f, 3, 0);
    CHECK(p.index == 0);
}

static void test_lower_is_better_and_failed_top(void)
{
    /* rmse: node 3 (best search) failed its hidden run; node 8 is the
     * incumbent, node 1 beats it by far more than the (zero) noise */
    search_finalist f[] = {F(3, 1.0, NAN), F(8, 1.1, 1.3), F(1, 1.2, 1.0)};
    search_pick p;
    search_select_final(&p, f, 3, 1);
    CHECK(p.incumbent == 1 && p.index == 2);
    CHECK_STR(p.noise_from, "none"); /* 2 finalists with both scores: not enough */
    CHECK_MSG(strstr(p.reason, "(node 3 above it has no hidden score)") != NULL, "%s",
              p.reason);
    /* the same in the higher-is-better direction: node 8 is best on hidden */
    search_select_final(&p, f, 3, 0);
    CHECK(p.index == 1);
    CHECK_MSG(strstr(p.reason, "and best hidden score 1.3") != NULL, "%s", p.reason);
}

/* Finalists of one simulated run: true quality q, a search score that is q
 * plus an over-fit bonus (the search kept what its holdout liked) and a
 * hidden score that is q plus small noise. Ordered by search score. */
static int simulate(search_finalist *f, double *q, int k, search_rng *rng)
{
    for (int i = 0; i < k; i++) {
        q[i] = 0.8 + 0.05 * search_rng_uniform(rng);
        f[i] = (search_finalist){.id = i, .search = q[i] + 0.08 * search_rng_uniform(rng),
                                 .hidden = q[i] + 0.01 * (search_rng_uniform(rng) - 0.5),
                                 .hidden_sd = NAN, .n_runs = 1};
    }
    for (int i = 1; i < k; i++) /* insertion sort by search score, best first */
        for (int j = i; j > 0 && f[j].search > f[j - 1].search; j--) {
            search_finalist t = f[j];
            f[j] = f[j - 1];
            f[j - 1] = t;
        }
    return k;
}

static void test_seeded_simulation(void)
{
    search_rng rng;
    search_rng_seed(&rng, 16);
    double q_hidden = 0, q_search = 0;
    int runs = 2000, switched = 0;
    for (int run = 0; run < runs; run++) {
        search_finalist f[5];
        double q[5];
        int k = simulate(f, q, 5, &rng);
        search_pick p;
        search_select_final(&p, f, k, 0);
        CHECK(p.incumbent == 0);
        CHECK(p.index >= 0 && p.index < k);
        int best = 0;
        for (int i = 1; i < k; i++)
            best = f[i].hidden > f[best].hidden ? i : best;
        double margin = f[best].hidden - f[0].hidden;
        /* the rule exactly: switch to the best hidden score iff it beats the
         * incumbent by more than the noise */
        CHECK(p.index == (margin > p.noise ? best : 0));
        switched += p.index != 0;
        q_hidden += q[f[p.index].id];
        q_search += q[f[0].id];
    }
    CHECK_MSG(switched > runs / 10, "the hidden holdout changed the pick in %d of %d runs",
              switched, runs);
    CHECK_MSG(q_hidden / runs > q_search / runs + 0.002,
              "hidden pick's true quality %.4f vs search pick's %.4f", q_hidden / runs,
              q_search / runs);
}

int main(void)
{
    test_no_finalists();
    test_no_hidden_scores();
    test_keeps_incumbent_within_noise();
    test_challenger_beats_noise();
    test_lower_is_better_and_failed_top();
    test_seeded_simulation();
    return check_done("search_select");
}

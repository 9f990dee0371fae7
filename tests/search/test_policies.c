/* test_policies.c: the rules of the mcts and evolutionary policies, with a
 * seeded RNG: expansion widths, UCT's unvisited-first rule and its decaying
 * constant, virtual loss, debug depth, crossover's parents, tournaments, and
 * the time-aware switch to exploitation. */
#include "check.h"
#include "search.h"
#include "util.h"

#include <stdlib.h>

static search_policy *make(const char *name, const search_policy_params *prm)
{
    search_policy *pol = NULL;
    if (search_policy_new(&pol, name, prm) < 0) {
        fprintf(stderr, "policy: %s\n", err_last());
        exit(1);
    }
    return pol;
}

/* Add a done node with code: buggy, or good with `score`. */
static int done(search_tree *t, search_stage stage, int parent, int buggy, double score)
{
    int id = search_tree_add(t, stage, parent, 0);
    search_node_set(&search_tree_node(t, id)->code, "print(1)\n");
    search_node_finish(t, id, buggy, buggy ? "ValueError" : NULL, !buggy, score, 1);
    return id;
}

static int has(const char *why, const char *word) { return why && strstr(why, word) != NULL; }

static void test_params(void)
{
    search_policy_params p;
    search_policy_params_default(&p);
    CHECK(p.exploit_after == 0.6 && p.uct_c_start == 1.414 && p.uct_c_end == 0.5);
    CHECK(p.improves_per_node == 3 && p.population == 5 && p.crossover_rate == 0.5);
    CHECK_NEAR(search_uct_constant(&p, 0), 1.414, 1e-12);
    CHECK_NEAR(search_uct_constant(&p, 0.5), 0.957, 1e-12);
    CHECK_NEAR(search_uct_constant(&p, 1), 0.5, 1e-12);
    CHECK_NEAR(search_uct_constant(&p, 7), 0.5, 1e-12); /* clamped */
    search_policy *pol = NULL;
    p.population = 1;
    CHECK(search_policy_new(&pol, "evolutionary", &p) < 0 && has(err_last(), "population"));
    search_policy_params_default(&p);
    p.exploit_after = 1.5;
    CHECK(search_policy_new(&pol, "mcts", &p) < 0 && has(err_last(), "exploit_after"));
    search_policy_params_default(&p);
    p.crossover_rate = -0.1;
    CHECK(search_policy_new(&pol, "evolutionary", &p) < 0 && has(err_last(), "crossover_rate"));
    search_policy_params_default(&p);
    p.improves_per_node = 0;
    CHECK(search_policy_new(&pol, "mcts", &p) < 0 && has(err_last(), "improves_per_node"));
    search_policy_params_default(&p);
    p.uct_c_end = -1;
    CHECK(search_policy_new(&pol, "mcts", &p) < 0 && has(err_last(), "uct_c_end"));
    CHECK(search_policy_new(&pol, "mcts", NULL) == 0);
    CHECK_STR(search_policy_name(pol), "mcts");
    search_policy_free(pol);
}

/* The root's width, then UCT: an unvisited draft comes before a better,
 * visited one, and drafts in flight count. */
static void test_mcts_unvisited_first(void)
{
    search_policy_params prm;
    search_policy_params_default(&prm);
    prm.num_drafts = 2;
    prm.improves_per_node = 1;
    search_policy *pol = make("mcts", &prm);
    search_tree *t = search_tree_new(0);
    search_rng rng;
    search_rng_seed(&rng, 1);
    search_action a;
    CHECK(search_policy_next(pol, t, &rng, &a) == 0 && a.stage == STAGE_DRAFT);
    search_tree_add_action(t, &a, 0); /* in flight */
    CHECK(search_policy_next(pol, t, &rng, &a) == 0 && a.stage == STAGE_DRAFT);
    CHECK(has(a.why, "num_drafts"));
    search_tree_add_action(t, &a, 0);
    search_node_finish(t, 0, 0, NULL, 1, 0.9, 1);
    search_node_finish(t, 1, 0, NULL, 1, 0.2, 1);
    done(t, STAGE_IMPROVE, 0, 0, 0.95); /* node 0 visited once */
    CHECK(search_policy_next(pol, t, &rng, &a) == 0);
    CHECK_MSG(a.stage == STAGE_IMPROVE && a.parent == 1 && has(a.why, "UCT"),
              "stage %d parent %d", a.stage, a.parent);
    search_policy_free(pol);
    search_tree_free(t);
}

/* Draft 0 is the better line, visited often; draft 1 the worse, visited
 * once. A large constant early explores draft 1's line; the decayed constant
 * late exploits draft 0's. */
static void test_mcts_decay(void)
{
    search_policy_params prm;
    search_policy_params_default(&prm);
    prm.num_drafts = 2;
    prm.improves_per_node = 1;
    prm.uct_c_start = 3.0;
    prm.uct_c_end = 0.5;
    prm.exploit_after = 1.0;
    search_policy *pol = make("mcts", &prm);
    search_tree *t = search_tree_new(1); /* lower is better: 0.0 is the best */
    done(t, STAGE_DRAFT, -1, 0, 0.0);
    done(t, STAGE_DRAFT, -1, 0, 1.0);
    int leaf = 0;
    for (int i = 0; i < 4; i++)
        leaf = done(t, STAGE_IMPROVE, leaf, 0, 0.0);
    int other = done(t, STAGE_IMPROVE, 1, 0, 1.0);
    search_rng rng;
    search_rng_seed(&rng, 2);
    search_action a;
    search_tree_set_budget_used(t, 0.0);
    CHECK(search_policy_next(pol, t, &rng, &a) == 0);
    CHECK_MSG(a.stage == STAGE_IMPROVE && a.parent == other, "early: parent %d", a.parent);
    search_tree_set_budget_used(t, 0.99);
    CHECK(search_policy_next(pol, t, &rng, &a) == 0);
    CHECK_MSG(a.stage == STAGE_IMPROVE && a.parent == leaf, "late: parent %d", a.parent);
    search_policy_free(pol);
    search_tree_free(t);
}

/* W workers: improves in flight fill a node's width and count as visits of
 * value 0 (virtual loss), so the next worker goes elsewhere; a node is never
 * expanded beyond improves_per_node. */
static void test_mcts_in_flight(void)
{
    search_policy_params prm;
    search_policy_params_default(&prm);
    prm.num_drafts = 2;
    prm.improves_per_node = 2;
    prm.workers = 4;
    search_policy *pol = make("mcts", &prm);
    search_tree *t = search_tree_new(0);
    done(t, STAGE_DRAFT, -1, 0, 0.5);
    done(t, STAGE_DRAFT, -1, 0, 0.5);
    search_rng rng;
    search_rng_seed(&rng, 3);
    search_action a;
    int per[2] = {0, 0};
    for (int i = 0; i < 4; i++) {
        CHECK(search_policy_next(pol, t, &rng, &a) == 0 && a.stage == STAGE_IMPROVE);
        if (a.parent == 0 || a.parent == 1)
            per[a.parent]++;
        CHECK_MSG(i != 1 || a.parent == 1, "second worker went to %d", a.parent);
        search_tree_add_action(t, &a, 0);
    }
    CHECK(per[0] == 2 && per[1] == 2);
    /* all four in flight, both drafts full: nothing expandable, so widen */
    CHECK(search_policy_next(pol, t, &rng, &a) == 0 && a.stage == STAGE_DRAFT);
    CHECK(has(a.why, "no node can be expanded"));
    search_policy_free(pol);
    search_tree_free(t);
}

/* Debug chains stop at max_debug_depth; then drafts widen the root up to
 * max_failed_drafts; then the policy waits. */
static void test_mcts_debug_depth(void)
{
    search_policy_params prm;
    search_policy_params_default(&prm);
    prm.num_drafts = 1;
    prm.max_debug_depth = 2;
    prm.max_failed_drafts = 2;
    search_policy *pol = make("mcts", &prm);
    search_tree *t = search_tree_new(0);
    search_rng rng;
    search_rng_seed(&rng, 4);
    search_action a;
    int debugs = 0, drafts = 0;
    while (search_policy_next(pol, t, &rng, &a) == 0) {
        if (a.stage == STAGE_DEBUG) {
            CHECK(search_tree_node(t, a.parent)->debug_depth < 2);
            debugs++;
        }
        drafts += a.stage == STAGE_DRAFT;
        int id = search_tree_add_action(t, &a, 0);
        CHECK(id >= 0);
        search_node_set(&search_tree_node(t, id)->code, "raise SystemExit(1)\n");
        search_node_finish(t, id, 1, "boom", 0, 0, 1);
        if (search_tree_count(t) > 20)
            break;
    }
    CHECK_MSG(drafts == 2 && debugs == 4, "%d drafts, %d debugs", drafts, debugs);
    CHECK(has(a.why, "wait"));
    /* a buggy node without code (an endpoint failure) is never debugged */
    search_tree *t2 = search_tree_new(0);
    int id = search_tree_add(t2, STAGE_DRAFT, -1, 0);
    search_node_finish(t2, id, 1, "LLM error", 0, 0, 1);
    CHECK(search_policy_next(pol, t2, &rng, &a) == 0 && a.stage == STAGE_DRAFT);
    search_tree_free(t2);
    search_policy_free(pol);
    search_tree_free(t);
}

/* After exploit_after of the budget, both policies improve the top_k. */
static void test_exploit_switch(void)
{
    const char *names[] = {"mcts", "evolutionary"};
    for (int k = 0; k < 2; k++) {
        search_policy_params prm;
        search_policy_params_default(&prm);
        prm.num_drafts = 3;
        prm.top_k = 1;
        prm.debug_prob = 0;
        prm.crossover_rate = 1;
        prm.exploit_after = 0.5;
        prm.improves_per_node = 1;
        search_policy *pol = make(names[k], &prm);
        search_tree *t = search_tree_new(0);
        done(t, STAGE_DRAFT, -1, 0, 0.3);
        done(t, STAGE_DRAFT, -1, 0, 0.8);
        done(t, STAGE_DRAFT, -1, 0, 0.5);
        done(t, STAGE_IMPROVE, 1, 0, 0.1); /* node 1's width is used */
        search_rng rng;
        search_rng_seed(&rng, 5);
        search_action a;
        search_tree_set_budget_used(t, 0.4);
        CHECK(search_policy_next(pol, t, &rng, &a) == 0 && !has(a.why, "exploit"));
        search_tree_set_budget_used(t, 0.5);
        for (int i = 0; i < 5; i++) {
            CHECK(search_policy_next(pol, t, &rng, &a) == 0);
            CHECK_MSG(a.stage == STAGE_IMPROVE && a.parent == 1 && has(a.why, "exploit"),
                      "%s: stage %d parent %d", names[k], a.stage, a.parent);
        }
        search_policy_free(pol);
        search_tree_free(t);
    }
}

/* Crossover: two distinct population members, the better one first, never
 * the same pair twice (in flight or done), then mutation takes over. */
static void test_evo_crossover(void)
{
    search_policy_params prm;
    search_policy_params_default(&prm);
    prm.num_drafts = 5;
    prm.population = 4;
    prm.crossover_rate = 1;
    prm.debug_prob = 0;
    prm.exploit_after = 1;
    search_policy *pol = make("evolutionary", &prm);
    search_tree *t = search_tree_new(0);
    double scores[] = {0.5, 0.9, 0.1, 0.7, 0.6}; /* node 2 is outside the population */
    for (int i = 0; i < 5; i++)
        done(t, STAGE_DRAFT, -1, 0, scores[i]);
    search_rng rng;
    search_rng_seed(&rng, 6);
    search_action a;
    int seen[5][5] = {{0}}, crossovers = 0;
    for (int i = 0; i < 12; i++) {
        CHECK(search_policy_next(pol, t, &rng, &a) == 0);
        if (a.stage == STAGE_CROSSOVER) {
            crossovers++;
            CHECK(has(a.why, "crossover_rate"));
            CHECK(a.parent != a.parent2 && a.parent != 2 && a.parent2 != 2);
            CHECK(a.parent >= 0 && a.parent < 5 && a.parent2 >= 0 && a.parent2 < 5);
            CHECK(scores[a.parent] > scores[a.parent2]);
            CHECK(seen[a.parent][a.parent2]++ == 0);
        } else {
            CHECK(a.stage == STAGE_IMPROVE && has(a.why, "mutation") && a.parent != 2);
        }
        CHECK(search_tree_add_action(t, &a, 0) >= 0); /* left in flight */
    }
    CHECK_MSG(crossovers >= 5 && crossovers <= 6, "%d crossovers of 6 pairs", crossovers);
    const search_node *x = search_tree_node(t, 5);
    CHECK(x && x->stage == STAGE_CROSSOVER && x->parent2 >= 0);
    search_policy_free(pol);
    search_tree_free(t);
}

/* crossover_rate is honoured on average; tournaments favour the better
 * members but stay within the population; the seed replays. */
static void test_evo_rates(void)
{
    search_policy_params prm;
    search_policy_params_default(&prm);
    prm.num_drafts = 3;
    prm.population = 3;
    prm.debug_prob = 0;
    prm.exploit_after = 1;
    search_policy *pol = make("evolutionary", &prm);
    search_tree *t = search_tree_new(1);
    double scores[] = {3, 1, 2, 9};
    for (int i = 0; i < 4; i++)
        done(t, STAGE_DRAFT, -1, 0, scores[i]);
    search_rng rng, again;
    search_rng_seed(&rng, 7);
    search_rng_seed(&again, 7);
    int cross = 0, improved[4] = {0}, replay = 1, n = 3000;
    for (int i = 0; i < n; i++) {
        search_action a, b;
        search_policy_next(pol, t, &rng, &a);
        search_policy_next(pol, t, &again, &b);
        replay &= a.stage == b.stage && a.parent == b.parent && a.parent2 == b.parent2;
        if (a.stage == STAGE_CROSSOVER)
            cross++;
        else if (a.parent >= 0 && a.parent < 4)
            improved[a.parent]++;
    }
    CHECK(replay);
    CHECK_NEAR(cross / (double)n, 0.5, 0.04);
    CHECK(improved[3] == 0); /* the worst is not in the population */
    /* tournaments of 2 among 3: the best wins 5/9, the second 3/9, the third 1/9 */
    int mut = n - cross;
    CHECK_NEAR(improved[1] / (double)mut, 5.0 / 9, 0.04);
    CHECK_NEAR(improved[2] / (double)mut, 3.0 / 9, 0.04);
    CHECK_NEAR(improved[0] / (double)mut, 1.0 / 9, 0.04);
    search_policy_free(pol);
    search_tree_free(t);
}

/* The tree checks a crossover's second parent. */
static void test_tree_parent2(void)
{
    search_tree *t = search_tree_new(0);
    done(t, STAGE_DRAFT, -1, 0, 0.5);
    done(t, STAGE_DRAFT, -1, 0, 0.6);
    search_action a = {STAGE_CROSSOVER, 0, 0, "x"};
    CHECK(search_tree_add_action(t, &a, 0) < 0 && has(err_last(), "second parent"));
    a.parent2 = 9;
    CHECK(search_tree_add_action(t, &a, 0) < 0 && search_tree_count(t) == 2);
    a.parent2 = 1;
    CHECK(search_tree_add_action(t, &a, 0) == 2);
    CHECK(search_tree_node(t, 2)->parent2 == 1 && search_tree_node(t, 2)->debug_depth == 0);
    search_action b = {STAGE_IMPROVE, 0, 1, "x"};
    CHECK(search_tree_add_action(t, &b, 0) < 0 && has(err_last(), "only crossover"));
    CHECK(search_tree_add_with_id(t, 7, STAGE_CROSSOVER, 1) == 7);
    CHECK(search_tree_set_parent2(t, 7, 1) < 0 && has(err_last(), "distinct"));
    CHECK(search_tree_set_parent2(t, 7, 0) == 0 && search_tree_node(t, 7)->parent2 == 0);
    search_stage st;
    CHECK(search_stage_parse("crossover", &st) == 0 && st == STAGE_CROSSOVER);
    search_tree_free(t);
}

int main(void)
{
    test_params();
    test_mcts_unvisited_first();
    test_mcts_decay();
    test_mcts_in_flight();
    test_mcts_debug_depth();
    test_exploit_switch();
    test_evo_crossover();
    test_evo_rates();
    test_tree_parent2();
    return check_done("search policies");
}

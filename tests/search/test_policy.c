/* test_policy.c: every rule of the greedy policy, with a seeded RNG, for one
 * worker and for several nodes in flight; a simulated run for every policy
 * (mcts and evolutionary have their own rules in test_policies.c). */
#include "check.h"
#include "search.h"
#include "util.h"

#include <stdlib.h>

static search_policy *policy(int num_drafts, double debug_prob, int max_debug_depth,
                             int max_failed, int top_k, int workers)
{
    search_policy_params p;
    search_policy_params_default(&p);
    p.num_drafts = num_drafts;
    p.debug_prob = debug_prob;
    p.max_debug_depth = max_debug_depth;
    p.max_failed_drafts = max_failed;
    p.top_k = top_k;
    p.workers = workers;
    search_policy *pol = NULL;
    if (search_policy_new(&pol, "greedy", &p) < 0) {
        fprintf(stderr, "policy: %s\n", err_last());
        exit(1);
    }
    return pol;
}

/* Add a node for `a` and finish it at once: buggy, or good with `score`. */
static int run_node(search_tree *t, const search_action *a, int buggy, double score)
{
    int id = search_tree_add(t, a->stage, a->parent, 0);
    search_node_set(&search_tree_node(t, id)->code, "print('a script')\n");
    search_node_finish(t, id, buggy, buggy ? "ValueError" : NULL, !buggy, score, 1);
    return id;
}

/* A policy, an empty tree (higher is better) and a seeded RNG. */
typedef struct fixture {
    search_policy *pol;
    search_tree *t;
    search_rng rng;
    search_action a; /* the last decision */
} fixture;

static void fx_open(fixture *f, search_policy *pol, uint64_t seed)
{
    f->pol = pol;
    f->t = search_tree_new(0);
    search_rng_seed(&f->rng, seed);
}

static int fx_next(fixture *f) { return search_policy_next(f->pol, f->t, &f->rng, &f->a); }

static void fx_close(fixture *f)
{
    search_policy_free(f->pol);
    search_tree_free(f->t);
}

static int has(const char *why, const char *word) { return why && strstr(why, word) != NULL; }

static void test_params(void)
{
    search_policy_params p;
    search_policy_params_default(&p);
    CHECK(p.num_drafts == 5 && p.debug_prob == 0.5 && p.max_debug_depth == 3);
    CHECK(p.top_k == 3 && p.workers == 1);
    search_policy *pol = NULL;
    CHECK(search_policy_new(&pol, "greedy", NULL) == 0);
    CHECK_STR(search_policy_name(pol), "greedy");
    CHECK(search_policy_params_of(pol)->max_failed_drafts == 15);
    search_policy_free(pol);
    CHECK(search_policy_new(&pol, "beam", NULL) < 0 && pol == NULL);
    CHECK(has(err_last(), "unknown policy 'beam'") && has(err_last(), "greedy, mcts"));
    p.debug_prob = 1.5;
    CHECK(search_policy_new(&pol, "greedy", &p) < 0 && has(err_last(), "debug_prob"));
    search_policy_params_default(&p);
    p.num_drafts = 0;
    CHECK(search_policy_new(&pol, "greedy", &p) < 0 && has(err_last(), "num_drafts"));
    search_policy_params_default(&p);
    p.max_failed_drafts = 2;
    CHECK(search_policy_new(&pol, "greedy", &p) < 0 && has(err_last(), "max_failed_drafts"));
    search_policy_params_default(&p);
    p.workers = 0;
    CHECK(search_policy_new(&pol, "greedy", &p) < 0 && has(err_last(), "workers"));
    search_policy_params_default(&p);
    p.top_k = 0;
    CHECK(search_policy_new(&pol, "greedy", &p) < 0 && has(err_last(), "top_k"));
}

/* Rule 1, and in-flight drafts counting towards it. */
static void test_initial_drafts(void)
{
    fixture f;
    fx_open(&f, policy(5, 0.5, 3, 0, 3, 3), 1);
    for (int i = 0; i < 5; i++) {
        CHECK(fx_next(&f) == 0);
        CHECK(f.a.stage == STAGE_DRAFT && f.a.parent == -1 && has(f.a.why, "num_drafts"));
        search_tree_add(f.t, f.a.stage, f.a.parent, 0); /* left pending: in flight */
    }
    /* five drafts in flight, none done: not rule 1 any more, but the fallback */
    CHECK(fx_next(&f) == 0);
    CHECK(f.a.stage == STAGE_DRAFT && has(f.a.why, "no good node"));
    fx_close(&f);
}

/* Rules 2 and 3 with debug_prob at its extremes. */
static void test_debug_or_improve(void)
{
    search_tree *t = search_tree_new(0);
    search_action d = {STAGE_DRAFT, -1, -1, ""};
    run_node(t, &d, 0, 0.6);
    run_node(t, &d, 1, 0);
    run_node(t, &d, 0, 0.9);
    search_rng rng;
    search_rng_seed(&rng, 7);
    search_action a;

    search_policy *always = policy(3, 1.0, 3, 0, 3, 1);
    CHECK(search_policy_next(always, t, &rng, &a) == 0);
    CHECK(a.stage == STAGE_DEBUG && a.parent == 1 && has(a.why, "debug_prob"));
    search_policy *never = policy(3, 0.0, 3, 0, 3, 1);
    CHECK(search_policy_next(never, t, &rng, &a) == 0);
    CHECK(a.stage == STAGE_IMPROVE && a.parent == 2 && has(a.why, "best good node"));

    /* a debug in flight takes node 1 out of the candidates */
    search_tree_add(t, STAGE_DEBUG, 1, 0);
    CHECK(search_policy_next(always, t, &rng, &a) == 0);
    CHECK(a.stage == STAGE_IMPROVE && a.parent == 2);
    search_policy_free(always);
    search_policy_free(never);
    search_tree_free(t);
}

/* A buggy node with no code (an endpoint failure recorded by an older
 * grove, a duplicate not run) has nothing to debug: never picked. */
static void test_no_debug_without_code(void)
{
    search_tree *t = search_tree_new(0);
    search_action d = {STAGE_DRAFT, -1, -1, ""};
    run_node(t, &d, 0, 0.6);
    int id = search_tree_add(t, STAGE_DRAFT, -1, 0);
    search_node_finish(t, id, 1, "LLM error: HTTP 401", 0, 0, 1);
    search_rng rng;
    search_rng_seed(&rng, 7);
    search_action a;
    search_policy *always = policy(2, 1.0, 3, 0, 3, 1);
    CHECK(search_policy_next(always, t, &rng, &a) == 0);
    CHECK_MSG(a.stage != STAGE_DEBUG, "debugs node %d, which has no code", a.parent);
    search_policy_free(always);
    search_tree_free(t);
}

/* debug_prob is honoured on average, and the seed replays choices. */
static void test_debug_frequency(void)
{
    search_tree *t = search_tree_new(1);
    search_action d = {STAGE_DRAFT, -1, -1, ""};
    run_node(t, &d, 0, 3.0);
    for (int i = 0; i < 4; i++)
        run_node(t, &d, 1, 0);
    search_policy *pol = policy(5, 0.5, 3, 0, 3, 1);
    search_rng rng, again;
    search_rng_seed(&rng, 2024);
    search_rng_seed(&again, 2024);
    int debugs = 0, chosen[5] = {0}, replay = 1;
    for (int i = 0; i < 2000; i++) {
        search_action a, b;
        search_policy_next(pol, t, &rng, &a);
        search_policy_next(pol, t, &again, &b);
        replay &= a.stage == b.stage && a.parent == b.parent;
        if (a.stage == STAGE_DEBUG) {
            debugs++;
            chosen[a.parent]++;
        } else {
            replay &= a.stage == STAGE_IMPROVE && a.parent == 0;
        }
    }
    CHECK(replay);
    CHECK_NEAR(debugs / 2000.0, 0.5, 0.05);
    CHECK(chosen[0] == 0);
    for (int i = 1; i < 5; i++) /* uniform among the four buggy leaves */
        CHECK_MSG(chosen[i] > debugs / 4 - 80 && chosen[i] < debugs / 4 + 80,
                  "candidate %d chosen %d of %d", i, chosen[i], debugs);
    search_policy_free(pol);
    search_tree_free(t);
}

/* A chain of debugs stops at max_debug_depth. */
static void test_debug_depth(void)
{
    fixture f;
    fx_open(&f, policy(1, 1.0, 3, 2, 3, 1), 3);
    CHECK(fx_next(&f) == 0 && f.a.stage == STAGE_DRAFT);
    int id = run_node(f.t, &f.a, 1, 0);
    for (int depth = 1; depth <= 3; depth++) {
        CHECK(fx_next(&f) == 0);
        CHECK(f.a.stage == STAGE_DEBUG && f.a.parent == id);
        id = run_node(f.t, &f.a, 1, 0);
        CHECK(search_tree_node(f.t, id)->debug_depth == depth);
    }
    /* depth 3 reached: the only buggy leaf cannot be debugged; draft again */
    CHECK(fx_next(&f) == 0);
    CHECK(f.a.stage == STAGE_DRAFT && has(f.a.why, "max_failed_drafts"));
    fx_close(&f);
}

/* Nothing works: drafts stop at max_failed_drafts; then only debugging is
 * left, whatever debug_prob says, and then nothing. */
static void test_failure_bound(void)
{
    fixture f;
    fx_open(&f, policy(2, 0.0, 1, 4, 3, 1), 5);
    for (int i = 0; i < 4; i++) {
        CHECK(fx_next(&f) == 0 && f.a.stage == STAGE_DRAFT);
        run_node(f.t, &f.a, 1, 0);
    }
    int debugged[4] = {0};
    for (int i = 0; i < 4; i++) {
        CHECK(fx_next(&f) == 0);
        CHECK(f.a.stage == STAGE_DEBUG && has(f.a.why, "all that is left"));
        if (f.a.parent >= 0 && f.a.parent < 4)
            debugged[f.a.parent]++;
        run_node(f.t, &f.a, 1, 0);
    }
    CHECK(debugged[0] == 1 && debugged[1] == 1 && debugged[2] == 1 && debugged[3] == 1);
    CHECK(fx_next(&f) == 1 && has(f.a.why, "wait"));
    CHECK(search_tree_count(f.t) == 8);
    fx_close(&f);

    /* a debug in flight may still fix things: the answer is "wait", and
     * once it works, improving resumes */
    fx_open(&f, policy(2, 0.0, 1, 4, 3, 2), 6);
    search_action d = {STAGE_DRAFT, -1, -1, ""};
    for (int i = 0; i < 4; i++)
        run_node(f.t, &d, 1, 0);
    for (int i = 0; i < 4; i++) {
        CHECK(fx_next(&f) == 0 && f.a.stage == STAGE_DEBUG);
        search_tree_add(f.t, f.a.stage, f.a.parent, 0);
    }
    CHECK(fx_next(&f) == 1);
    search_node_finish(f.t, 5, 0, NULL, 1, 0.5, 2);
    CHECK(fx_next(&f) == 0 && f.a.stage == STAGE_IMPROVE && f.a.parent == 5);
    fx_close(&f);
}

/* Improves spread across the top k when the best is already being improved. */
static void test_improve_spread(void)
{
    fixture f;
    fx_open(&f, policy(4, 0.0, 3, 0, 3, 4), 11);
    search_action d = {STAGE_DRAFT, -1, -1, ""};
    run_node(f.t, &d, 0, 0.70); /* 0: third */
    run_node(f.t, &d, 0, 0.90); /* 1: best */
    run_node(f.t, &d, 0, 0.50); /* 2: fourth, outside the top 3 */
    run_node(f.t, &d, 0, 0.80); /* 3: second */
    int expect[] = {1, 3, 0, 1, 3, 0};
    for (int i = 0; i < 6; i++) {
        CHECK(fx_next(&f) == 0);
        CHECK_MSG(f.a.stage == STAGE_IMPROVE && f.a.parent == expect[i], "call %d: parent %d",
                  i, f.a.parent);
        CHECK(has(f.a.why, i == 0 ? "best good node" : "top_k"));
        search_tree_add(f.t, f.a.stage, f.a.parent, 0);
    }
    /* finished improves free their parent again */
    for (int id = 4; id < 10; id++)
        search_node_finish(f.t, id, 1, "boom", 0, 0, 2);
    CHECK(fx_next(&f) == 0);
    CHECK(f.a.stage == STAGE_IMPROVE && f.a.parent == 1 && has(f.a.why, "best good node"));
    fx_close(&f);
}

/* Is action a, about to be added to t, allowed by the rules every policy
 * shares? 0 when it is, else 1. */
static int breaks_rule(const search_tree *t, const search_action *a)
{
    const search_node *p = a->parent >= 0 ? search_tree_node(t, a->parent) : NULL;
    switch (a->stage) {
    case STAGE_DEBUG:
        return !p || p->state != NODE_DONE || !p->is_buggy || p->n_children != 0 ||
               p->debug_depth >= 3;
    case STAGE_IMPROVE:
        return !search_node_is_good(p) || a->parent2 != -1;
    case STAGE_CROSSOVER:
        return !search_node_is_good(p) || a->parent2 == a->parent ||
               !search_node_is_good(search_tree_node(t, a->parent2));
    default:
        return a->parent != -1 || a->parent2 != -1;
    }
}

/* A simulated run with 4 workers and random outcomes: every decision obeys
 * the rules, whatever the interleaving and whatever the policy. */
static void test_simulation(const char *name, uint64_t seed)
{
    search_policy_params prm;
    search_policy_params_default(&prm);
    prm.workers = 4;
    search_policy *pol = NULL;
    CHECK(search_policy_new(&pol, name, &prm) == 0);
    search_tree *t = search_tree_new(seed & 1);
    search_rng rng, world;
    search_rng_seed(&rng, seed);
    search_rng_seed(&world, seed ^ 0xABCDEF);
    int flight[4], n_flight = 0, steps = 0, bad = 0;
    while (steps < 60) {
        search_action a;
        search_tree_set_budget_used(t, steps / 60.0);
        int rc = n_flight < 4 ? search_policy_next(pol, t, &rng, &a) : 1;
        if (rc == 0) {
            bad += breaks_rule(t, &a) || !a.why || !*a.why;
            int id = search_tree_add_action(t, &a, steps);
            bad += id < 0;
            search_node_start(t, id, steps);
            flight[n_flight++] = id;
            steps++;
            continue;
        }
        if (n_flight == 0)
            break; /* nothing in flight and nothing to start: the run is over */
        int k = (int)search_rng_below(&world, (uint64_t)n_flight);
        int buggy = search_rng_uniform(&world) < 0.4;
        search_node_finish(t, flight[k], buggy, "err", 1, search_rng_uniform(&world), steps);
        flight[k] = flight[--n_flight];
    }
    CHECK_MSG(bad == 0, "%s, seed %llu: %d decisions broke a rule", name,
              (unsigned long long)seed, bad);
    /* never more than one debug child per node */
    for (size_t i = 0; i < search_tree_count(t); i++) {
        const search_node *n = search_tree_at(t, i);
        int debugs = 0;
        for (int c = 0; c < n->n_children; c++)
            debugs += search_tree_node(t, n->children[c])->stage == STAGE_DEBUG;
        CHECK(debugs <= 1);
    }
    search_policy_free(pol);
    search_tree_free(t);
}

int main(void)
{
    test_params();
    test_initial_drafts();
    test_debug_or_improve();
    test_debug_frequency();
    test_no_debug_without_code();
    test_debug_depth();
    test_failure_bound();
    test_improve_spread();
    const char *names[] = {"greedy", "mcts", "evolutionary"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        for (uint64_t seed = 1; seed <= 40; seed++)
            test_simulation(names[i], seed);
    return check_done("search policy");
}

/*
 * policy_evo.c: evolutionary search with crossover (AIRA-dojo), made aware
 * of nodes in flight.
 *
 * The population is the best `population` good nodes (ranked by score, ties
 * to the earlier node), re-read from the tree at every call: a steady-state
 * evolution, where each finished child may enter it at once. Each call
 * decides, in order:
 *   1. fewer than num_drafts drafts exist            -> draft (the first
 *                                                       generation; in flight
 *                                                       count)
 *   2. exploit_after of the budget is spent and a good
 *      node exists                                   -> improve the top_k
 *                                                       (policy_exploit)
 *   3. with probability debug_prob, a buggy leaf under
 *      max_debug_depth with no debug yet exists      -> debug it (at random)
 *   4. the population has two members or more and a
 *      draw falls below crossover_rate               -> crossover: two
 *      distinct parents, each the winner of a tournament (`tournament`
 *      members drawn at random, the best wins), the second drawn without the
 *      first; the better of the two is the node's parent, the other its
 *      parent2. A pair already crossed (done or in flight) is drawn again, up
 *      to PAIR_TRIES times, then the policy mutates instead;
 *   5. the population is not empty                   -> mutation: improve the
 *                                                       winner of a tournament
 *   6. no good node yet: draft while fewer than max_failed_drafts drafts
 *      exist, else debug any buggy leaf, else answer 1 (as greedy does).
 * The draws for rule 3, rule 4 and each tournament come from the caller's
 * RNG, so a seed replays the same choices.
 */
#include "policy_int.h"
#include "util.h"

#include <stdlib.h>

#define PAIR_TRIES 8

static const char why_draft[] =
    "draft: fewer than num_drafts drafts exist (the first generation; in flight count)";
static const char why_debug[] =
    "debug: random draw below debug_prob; a buggy leaf under max_debug_depth with no debug "
    "yet, chosen at random";
static const char why_crossover[] =
    "crossover: random draw below crossover_rate; two distinct population members chosen by "
    "tournament, not crossed before";
static const char why_mutate[] =
    "improve: mutation of the population member that won a tournament";
static const char why_fallback_draft[] =
    "draft: no good node yet and fewer than max_failed_drafts drafts exist";
static const char why_last_debug[] =
    "debug: no good node and max_failed_drafts drafts spent; debugging is all that is left";
static const char why_wait[] =
    "wait: no good node, max_failed_drafts drafts spent and no buggy leaf can be debugged "
    "now (nothing in flight means nothing ever will)";

/* The winner of a tournament among ranks [0, k) without rank `skip` (-1:
 * none): the best (lowest) rank of `size` draws with replacement. */
static size_t tournament(search_rng *rng, size_t k, long skip, int size)
{
    size_t pool = skip >= 0 ? k - 1 : k, best = pool;
    for (int i = 0; i < size; i++) {
        size_t r = (size_t)search_rng_below(rng, pool);
        if (skip >= 0 && r >= (size_t)skip)
            r++;
        if (best == pool || r < best)
            best = r;
    }
    return best;
}

static int crossed_before(const search_tree *t, int a, int b)
{
    for (size_t i = 0; i < search_tree_count(t); i++) {
        const search_node *n = search_tree_at(t, i);
        if (n->stage == STAGE_CROSSOVER &&
            ((n->parent == a && n->parent2 == b) || (n->parent == b && n->parent2 == a)))
            return 1;
    }
    return 0;
}

static int crossover(const search_policy *p, const search_tree *t, search_rng *rng,
                     const int *pop, size_t k, search_action *out)
{
    for (int i = 0; i < PAIR_TRIES; i++) {
        size_t a = tournament(rng, k, -1, p->params.tournament);
        size_t b = tournament(rng, k, (long)a, p->params.tournament);
        if (crossed_before(t, pop[a], pop[b]))
            continue;
        policy_set(out, STAGE_CROSSOVER, pop[a < b ? a : b], why_crossover);
        out->parent2 = pop[a < b ? b : a];
        return 0;
    }
    return 1;
}

static int no_population(const search_policy *p, const search_tree *t, search_rng *rng,
                         int drafts, search_action *out)
{
    if (drafts < p->params.max_failed_drafts)
        return policy_set(out, STAGE_DRAFT, -1, why_fallback_draft);
    int id = policy_pick_debug(p, t, rng);
    if (id >= 0)
        return policy_set(out, STAGE_DEBUG, id, why_last_debug);
    policy_set(out, STAGE_DRAFT, -1, why_wait);
    return 1;
}

static int evo_next(search_policy *p, const search_tree *t, search_rng *rng,
                    search_action *out)
{
    const search_policy_params *prm = &p->params;
    int drafts = policy_count_drafts(t);
    if (drafts < prm->num_drafts)
        return policy_set(out, STAGE_DRAFT, -1, why_draft);
    if (policy_exploit(p, t, out) == 0)
        return 0;
    if (search_rng_uniform(rng) < prm->debug_prob) {
        int id = policy_pick_debug(p, t, rng);
        if (id >= 0)
            return policy_set(out, STAGE_DEBUG, id, why_debug);
    }
    int *pop = xmalloc((size_t)prm->population * sizeof *pop);
    size_t k = search_tree_ranked(t, pop, (size_t)prm->population);
    int rc;
    if (k == 0)
        rc = no_population(p, t, rng, drafts, out);
    else if (k >= 2 && search_rng_uniform(rng) < prm->crossover_rate &&
             crossover(p, t, rng, pop, k, out) == 0)
        rc = 0;
    else
        rc = policy_set(out, STAGE_IMPROVE, pop[tournament(rng, k, -1, prm->tournament)],
                        why_mutate);
    free(pop);
    return rc;
}

static const policy_vtable evo_vtable = {"evolutionary", evo_next, NULL};

int policy_evo_init(search_policy *p)
{
    p->vt = &evo_vtable;
    return 0;
}

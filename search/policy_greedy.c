/*
 * policy_greedy.c: AIDE's greedy policy, made aware of nodes in flight.
 *
 * AIDE runs one node at a time and decides, in order:
 *   1. fewer than num_drafts drafts exist            -> draft
 *   2. with probability debug_prob, a buggy leaf whose
 *      debug depth allows one more debug exists      -> debug it (at random)
 *      (and code: a node without code has nothing to debug)
 *   3. a good node exists                            -> improve the best one
 *   4. otherwise                                     -> draft
 * grove keeps that order and adds what W parallel workers and a hopeless
 * task need:
 *   - drafts that are pending or running count in rule 1, so W workers
 *     starting together make num_drafts drafts, not W x num_drafts;
 *   - a buggy node with any child (a debug already done or in flight) is not
 *     a leaf, so one node is never debugged twice, nor twice at once;
 *   - debug depth counts the debug nodes in a chain, and a node may be
 *     debugged while its depth is below max_debug_depth, so a broken draft
 *     gets at most max_debug_depth fixes in a row (AIDE's `<=` allows one
 *     more than its parameter says);
 *   - when the best node already has an improve in flight, the improve goes
 *     to the node among the top_k good ones with the fewest improves in flight
 *     (ties to the better one), so workers explore several good solutions
 *     instead of queueing on one;
 *   - rule 4 stops once max_failed_drafts drafts exist without any good
 *     node: then a debug is tried regardless of debug_prob, and when none is
 *     possible the policy answers 1 ("nothing to start now") instead of
 *     drafting forever. If nothing is in flight either, nothing ever will be:
 *     the caller should end the run.
 * One uniform draw is spent per decision past rule 1 (and one more to pick a
 * debug candidate), so a seed replays the same choices.
 */
#include "policy_int.h"
#include "util.h"

#include <stdlib.h>

static const char why_initial_draft[] =
    "draft: fewer than num_drafts drafts exist (pending and running ones count)";
static const char why_debug[] =
    "debug: random draw below debug_prob; a buggy leaf under max_debug_depth with no "
    "debug yet, chosen at random";
static const char why_improve_best[] = "improve: the best good node";
static const char why_improve_spread[] =
    "improve: the best node already has an improve in flight; the top_k good node with "
    "the fewest improves in flight";
static const char why_fallback_draft[] =
    "draft: no good node yet and fewer than max_failed_drafts drafts exist";
static const char why_last_debug[] =
    "debug: no good node and max_failed_drafts drafts spent; debugging is all that is left";
static const char why_wait[] =
    "wait: no good node, max_failed_drafts drafts spent and no buggy leaf can be debugged "
    "now (nothing in flight means nothing ever will)";

static int greedy_next(search_policy *p, const search_tree *t, search_rng *rng,
                       search_action *out)
{
    const search_policy_params *prm = &p->params;
    int drafts = policy_count_drafts(t);
    if (drafts < prm->num_drafts)
        return policy_set(out, STAGE_DRAFT, -1, why_initial_draft);

    if (search_rng_uniform(rng) < prm->debug_prob) {
        int id = policy_pick_debug(p, t, rng);
        if (id >= 0)
            return policy_set(out, STAGE_DEBUG, id, why_debug);
    }
    int spread = 0;
    int id = policy_pick_improve(t, p->params.top_k, &spread);
    if (id >= 0)
        return policy_set(out, STAGE_IMPROVE, id, spread ? why_improve_spread : why_improve_best);
    if (drafts < prm->max_failed_drafts)
        return policy_set(out, STAGE_DRAFT, -1, why_fallback_draft);
    id = policy_pick_debug(p, t, rng);
    if (id >= 0)
        return policy_set(out, STAGE_DEBUG, id, why_last_debug);
    policy_set(out, STAGE_DRAFT, -1, why_wait);
    return 1;
}

static const policy_vtable greedy_vtable = {"greedy", greedy_next, NULL};

int policy_greedy_init(search_policy *p)
{
    p->vt = &greedy_vtable;
    return 0;
}

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

static int in_flight(const search_node *n)
{
    return n->state == NODE_PENDING || n->state == NODE_RUNNING;
}

static int count_drafts(const search_tree *t)
{
    int drafts = 0;
    for (size_t i = 0; i < search_tree_count(t); i++)
        drafts += search_tree_at(t, i)->stage == STAGE_DRAFT;
    return drafts;
}

/* A random buggy leaf that may be debugged, or -1. */
static int pick_debug(const search_policy *p, const search_tree *t, search_rng *rng)
{
    size_t n = search_tree_count(t), k = 0;
    int *cand = xmalloc((n ? n : 1) * sizeof *cand);
    for (size_t i = 0; i < n; i++) {
        const search_node *node = search_tree_at(t, i);
        /* a node with no code (a duplicate not run, an endpoint failure an
         * older grove recorded) has nothing to debug */
        if (node->state == NODE_DONE && node->is_buggy && node->n_children == 0 &&
            node->debug_depth < p->params.max_debug_depth && node->code && *node->code)
            cand[k++] = node->id;
    }
    int id = k ? cand[search_rng_below(rng, k)] : -1;
    free(cand);
    return id;
}

static int improves_in_flight(const search_tree *t, const search_node *n)
{
    int busy = 0;
    for (int i = 0; i < n->n_children; i++) {
        const search_node *c = search_tree_node(t, n->children[i]);
        busy += c && c->stage == STAGE_IMPROVE && in_flight(c);
    }
    return busy;
}

/* The node to improve among the top_k good ones (see the file comment), or
 * -1 when there is no good node. *spread says whether the best node was
 * already being improved. */
static int pick_improve(const search_policy *p, const search_tree *t, int *spread)
{
    int *top = xmalloc((size_t)p->params.top_k * sizeof *top);
    size_t k = search_tree_ranked(t, top, (size_t)p->params.top_k);
    int id = -1, least = 0;
    *spread = 0;
    for (size_t i = 0; i < k; i++) {
        int busy = improves_in_flight(t, search_tree_node(t, top[i]));
        if (i == 0)
            *spread = busy > 0;
        if (id < 0 || busy < least) {
            id = top[i];
            least = busy;
        }
        if (busy == 0)
            break;
    }
    free(top);
    return id;
}

static int set(search_action *out, search_stage stage, int parent, const char *why)
{
    out->stage = stage;
    out->parent = parent;
    out->why = why;
    return 0;
}

static int greedy_next(search_policy *p, const search_tree *t, search_rng *rng,
                       search_action *out)
{
    const search_policy_params *prm = &p->params;
    int drafts = count_drafts(t);
    if (drafts < prm->num_drafts)
        return set(out, STAGE_DRAFT, -1, why_initial_draft);

    if (search_rng_uniform(rng) < prm->debug_prob) {
        int id = pick_debug(p, t, rng);
        if (id >= 0)
            return set(out, STAGE_DEBUG, id, why_debug);
    }
    int spread = 0;
    int id = pick_improve(p, t, &spread);
    if (id >= 0)
        return set(out, STAGE_IMPROVE, id, spread ? why_improve_spread : why_improve_best);
    if (drafts < prm->max_failed_drafts)
        return set(out, STAGE_DRAFT, -1, why_fallback_draft);
    id = pick_debug(p, t, rng);
    if (id >= 0)
        return set(out, STAGE_DEBUG, id, why_last_debug);
    set(out, STAGE_DRAFT, -1, why_wait);
    return 1;
}

static const policy_vtable greedy_vtable = {"greedy", greedy_next, NULL};

int policy_greedy_init(search_policy *p)
{
    p->vt = &greedy_vtable;
    return 0;
}

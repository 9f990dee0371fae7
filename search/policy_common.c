/*
 * policy_common.c: the decisions several policies share (what is in flight,
 * which buggy leaf to debug, which good node to improve when workers are
 * busy); their rules are documented in policy_int.h.
 */
#include "policy_int.h"
#include "util.h"

#include <assert.h>
#include <stdlib.h>

int policy_in_flight(const search_node *n)
{
    return n->state == NODE_PENDING || n->state == NODE_RUNNING;
}

int policy_count_drafts(const search_tree *t)
{
    return search_tree_count_stage(t, STAGE_DRAFT);
}

int policy_pick_debug(const search_policy *p, const search_tree *t, search_rng *rng)
{
    /* the buggy leaves (done, buggy, no child yet) with a script: a node
     * with no code (a duplicate not run, an endpoint failure an older grove
     * recorded) has nothing to debug; kept by the tree, so this costs what
     * the leaves number, not the tree */
    const int *leaves;
    size_t n = search_tree_buggy_leaves(t, &leaves), k = 0;
    int *cand = xmalloc((n ? n : 1) * sizeof *cand);
    for (size_t i = 0; i < n; i++)
        if (search_tree_node(t, leaves[i])->debug_depth < p->params.max_debug_depth)
            cand[k++] = leaves[i];
    int id = k ? cand[search_rng_below(rng, k)] : -1;
    free(cand);
    /* a buggy leaf below the depth limit, with code to debug */
    assert(id < 0 || (search_tree_node(t, id)->is_buggy && search_tree_node(t, id)->n_children == 0));
    return id;
}

int policy_improves_in_flight(const search_tree *t, const search_node *n)
{
    /* n's children in flight, found among the nodes in flight: the best
     * node of a long run has thousands of children, nearly all done */
    int busy = 0;
    for (size_t i = search_tree_first_open(t); i < search_tree_count(t); i++) {
        const search_node *c = search_tree_at(t, i);
        busy += c->parent == n->id && c->stage == STAGE_IMPROVE && policy_in_flight(c);
    }
    return busy;
}

int policy_pick_improve(const search_tree *t, int top_k, int *spread)
{
    int *top = xmalloc((size_t)top_k * sizeof *top);
    size_t k = search_tree_ranked(t, top, (size_t)top_k);
    int id = -1, least = 0;
    *spread = 0;
    for (size_t i = 0; i < k; i++) {
        int busy = policy_improves_in_flight(t, search_tree_node(t, top[i]));
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

int policy_set(search_action *out, search_stage stage, int parent, const char *why)
{
    out->stage = stage;
    out->parent = parent;
    out->parent2 = -1;
    out->why = why;
    return 0;
}


static const char why_exploit[] =
    "exploit: exploit_after of the budget is spent; improve the top_k good node with the "
    "fewest improves in flight";

int policy_exploit(const search_policy *p, const search_tree *t, search_action *out)
{
    if (search_tree_budget_used(t) < p->params.exploit_after)
        return 1;
    int spread = 0;
    int id = policy_pick_improve(t, p->params.top_k, &spread);
    if (id < 0)
        return 1;
    return policy_set(out, STAGE_IMPROVE, id, why_exploit);
}

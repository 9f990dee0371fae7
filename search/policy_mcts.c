/*
 * policy_mcts.c: Monte Carlo tree search over solutions (ML-Master, MLEvolve),
 * made aware of nodes in flight.
 *
 * The root is virtual; its children are the drafts. Each call rebuilds the
 * statistics from the tree (the tree is the state), then decides, in order:
 *   1. fewer than num_drafts drafts exist            -> draft (the root's
 *                                                       expansion width)
 *   2. exploit_after of the budget is spent and a good node
 *      exists                                        -> improve the top_k
 *                                                       (policy_exploit)
 *   3. descend from the root by UCT to the first node that can be expanded:
 *      a good node with fewer than improves_per_node children -> improve it;
 *      a buggy node with no child whose debug_depth is below
 *      max_debug_depth                               -> debug it
 *   4. nothing can be expanded and fewer than max_failed_drafts drafts
 *      exist                                         -> draft (widen the root)
 *   5. otherwise answer 1: nothing to start now.
 * Values: a done good node scores its score normalised over the good nodes
 * in the metric's direction (the best 1, the worst 0; 1 when all are equal);
 * a buggy or unscored node 0; a node in flight 0 too, a virtual loss that
 * steers W workers apart until its result is known. A node's value Q is the
 * mean over its subtree (itself included): values backed up to every
 * ancestor. A crossover counts under its first parent.
 * UCT: among the children that can be expanded somewhere below, the one
 * with the largest Q + c * sqrt(ln max(E(parent), 1) / E(child)), where E
 * counts a node's descendants (in flight included); a child with none is
 * unvisited and comes first (the best value first among several, ties to
 * the earlier node). c decays linearly from uct_c_start to uct_c_end over
 * the budget (search_uct_constant), so the search explores early and
 * exploits late. Work in flight is never picked twice: a node in flight is
 * never expanded, a debug in flight makes its buggy parent no leaf, and the
 * improves in flight count in the node's width. The policy draws no random
 * numbers.
 */
#include "policy_int.h"
#include "util.h"

#include <math.h>
#include <stdlib.h>

static const char why_draft[] =
    "draft: fewer than num_drafts drafts exist (the root's expansion width; in flight count)";
static const char why_improve[] =
    "improve: UCT descent (constant decaying from uct_c_start to uct_c_end) reached a good "
    "node with fewer than improves_per_node children";
static const char why_debug[] =
    "debug: UCT descent reached a buggy leaf under max_debug_depth";
static const char why_widen[] =
    "draft: no node can be expanded and fewer than max_failed_drafts drafts exist";
static const char why_wait[] =
    "wait: no node can be expanded and max_failed_drafts drafts are spent (nothing in flight "
    "means nothing ever will)";

typedef struct stat {
    int nodes;      /* N: the subtree's nodes, itself included */
    double value;   /* W: the sum of their values */
    int expandable; /* can grow somewhere in the subtree */
    int done;       /* computed */
} stat;

typedef struct mcts_view {
    const search_policy *p;
    const search_tree *t;
    stat *st;          /* by id */
    double best, worst; /* over the good nodes' scores */
    double c;          /* the exploration constant now */
} mcts_view;

static double own_value(const mcts_view *v, const search_node *n)
{
    if (!search_node_is_good(n))
        return 0.0;
    if (v->best == v->worst)
        return 1.0;
    return (n->score - v->worst) / (v->best - v->worst);
}

/* Can this very node take a child now? 1 improve, 2 debug, 0 no. */
static int expansion(const mcts_view *v, const search_node *n)
{
    if (search_node_has_script(n) && n->n_children < v->p->params.improves_per_node)
        return 1;
    if (n->state == NODE_DONE && n->is_buggy && n->n_children == 0 &&
        n->debug_depth < v->p->params.max_debug_depth && n->code && *n->code)
        return 2; /* as policy_pick_debug: no code, nothing to debug */
    return 0;
}

static const stat *stats(mcts_view *v, const search_node *n)
{
    stat *s = &v->st[n->id];
    if (s->done)
        return s;
    s->done = 1;
    s->nodes = 1;
    s->value = own_value(v, n);
    s->expandable = expansion(v, n) != 0;
    for (int i = 0; i < n->n_children; i++) {
        const search_node *c = search_tree_node(v->t, n->children[i]);
        if (!c || c->parent != n->id || c->stage == STAGE_ENSEMBLE)
            continue; /* an ensemble is no move of the search */
        const stat *cs = stats(v, c);
        s->nodes += cs->nodes;
        s->value += cs->value;
        s->expandable |= cs->expandable;
    }
    return s;
}

/* The UCT choice among expandable candidates (ids), with `parent_desc`
 * descendants below their parent; -1 when none is expandable. */
static int uct_pick(mcts_view *v, const int *ids, int n, int parent_desc)
{
    int pick = -1, pick_unvisited = 0;
    double pick_score = 0;
    double log_n = log(parent_desc > 1 ? parent_desc : 1);
    for (int i = 0; i < n; i++) {
        const search_node *c = search_tree_node(v->t, ids[i]);
        const stat *s = c ? stats(v, c) : NULL;
        if (!s || !s->expandable || c->state != NODE_DONE)
            continue;
        int unvisited = s->nodes == 1;
        double q = s->value / s->nodes;
        double score = unvisited ? q : q + v->c * sqrt(log_n / (s->nodes - 1));
        if (pick < 0 || (unvisited && !pick_unvisited) ||
            (unvisited == pick_unvisited && score > pick_score)) {
            pick = ids[i];
            pick_score = score;
            pick_unvisited = unvisited;
        }
    }
    return pick;
}

static void score_range(mcts_view *v)
{
    int top = -1;
    v->best = v->worst = 0;
    for (size_t i = 0; i < search_tree_count(v->t); i++) {
        const search_node *n = search_tree_at(v->t, i);
        if (!search_node_is_good(n))
            continue;
        if (top < 0 || search_score_better(v->t, n->score, v->best))
            v->best = n->score;
        if (top < 0 || search_score_better(v->t, v->worst, n->score))
            v->worst = n->score;
        top = n->id;
    }
}

/* Descend from the root; 0 with *out set, or 1 when nothing is expandable. */
static int descend(mcts_view *v, search_action *out)
{
    size_t count = search_tree_count(v->t);
    int *roots = xmalloc((count ? count : 1) * sizeof *roots), n_roots = 0;
    for (size_t i = 0; i < count; i++) {
        const search_node *n = search_tree_at(v->t, i);
        if (n->parent < 0)
            roots[n_roots++] = n->id;
    }
    int id = uct_pick(v, roots, n_roots, (int)count);
    free(roots);
    while (id >= 0) {
        const search_node *n = search_tree_node(v->t, id);
        switch (expansion(v, n)) {
        case 1: return policy_set(out, STAGE_IMPROVE, id, why_improve);
        case 2: return policy_set(out, STAGE_DEBUG, id, why_debug);
        default: id = uct_pick(v, n->children, n->n_children, stats(v, n)->nodes - 1);
        }
    }
    return 1;
}

static int mcts_next(search_policy *p, const search_tree *t, search_rng *rng,
                     search_action *out)
{
    (void)rng;
    int drafts = policy_count_drafts(t);
    if (drafts < p->params.num_drafts)
        return policy_set(out, STAGE_DRAFT, -1, why_draft);
    if (policy_exploit(p, t, out) == 0)
        return 0;
    size_t count = search_tree_count(t);
    int max_id = count ? search_tree_at(t, count - 1)->id : 0;
    mcts_view v = {p, t, xcalloc((size_t)max_id + 1, sizeof(stat)), 0, 0,
                   search_uct_constant(&p->params, search_tree_budget_used(t))};
    score_range(&v);
    int rc = descend(&v, out);
    free(v.st);
    if (rc == 0)
        return 0;
    if (drafts < p->params.max_failed_drafts)
        return policy_set(out, STAGE_DRAFT, -1, why_widen);
    policy_set(out, STAGE_DRAFT, -1, why_wait);
    return 1;
}

static const policy_vtable mcts_vtable = {"mcts", mcts_next, NULL};

int policy_mcts_init(search_policy *p)
{
    p->vt = &mcts_vtable;
    return 0;
}

/*
 * policy_int.h: the interface every search policy implements (private to
 * search/).
 *
 * A policy is a vtable plus its parameters and optional private state. To
 * add one (MCTS, evolutionary...): write policy_<name>.c with a constructor of
 * type policy_ctor, and add it to the table in policy.c. The tree is the only
 * input that changes between calls, so a policy may be stateless; one that
 * keeps statistics stores them behind `state` and frees them in `destroy`.
 */
#ifndef GROVE_SEARCH_POLICY_INT_H
#define GROVE_SEARCH_POLICY_INT_H

#include "search.h"

typedef struct policy_vtable {
    const char *name;
    /* Same contract as search_policy_next. */
    int (*next)(search_policy *p, const search_tree *t, search_rng *rng, search_action *out);
    void (*destroy)(search_policy *p); /* frees p->state; may be NULL */
} policy_vtable;

struct search_policy {
    const policy_vtable *vt;
    search_policy_params params; /* validated, defaults resolved */
    void *state;                 /* owned by the policy */
};

/* Set up p->vt and p->state; 0 or < 0 with err_set. */
typedef int (*policy_ctor)(search_policy *p);

int policy_greedy_init(search_policy *p);
int policy_mcts_init(search_policy *p);
int policy_evo_init(search_policy *p);

/* ---- shared decisions (policy_common.c) ---- */

int policy_in_flight(const search_node *n); /* pending or running */
int policy_count_drafts(const search_tree *t); /* in flight included */
/* A buggy leaf (done, no child: no debug done or in flight) whose
 * debug_depth is below max_debug_depth, chosen at random; -1 if none. */
int policy_pick_debug(const search_policy *p, const search_tree *t, search_rng *rng);
int policy_improves_in_flight(const search_tree *t, const search_node *n);
/* Among the top_k good nodes, the one with the fewest improves in flight
 * (ties to the better); -1 when there is no good node. *spread says whether
 * the best node already had one in flight. */
int policy_pick_improve(const search_tree *t, int top_k, int *spread);
/* Fill *out (no second parent); returns 0. */
int policy_set(search_action *out, search_stage stage, int parent, const char *why);
/* The time-aware switch: once exploit_after of the budget is used and a good
 * node exists, improve the top_k (policy_pick_improve) and return 0; else 1
 * and *out untouched. */
int policy_exploit(const search_policy *p, const search_tree *t, search_action *out);

#endif

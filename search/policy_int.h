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

#endif

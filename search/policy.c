/*
 * policy.c: policies by name, their parameters, and the dispatch through the
 * vtable declared in policy_int.h.
 *
 * Parameters are validated once here, so a policy can trust them; a bad
 * value from a config file gets a message naming the field and its range.
 */
#include "policy_int.h"
#include "util.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const struct {
    const char *name;
    policy_ctor init;
} registry[] = {
    {"greedy", policy_greedy_init},
    {"mcts", policy_mcts_init},
    {"evolutionary", policy_evo_init},
};

#define N_POLICIES (sizeof registry / sizeof *registry)

void search_policy_params_default(search_policy_params *p)
{
    p->num_drafts = SEARCH_DEFAULT_NUM_DRAFTS;
    p->debug_prob = SEARCH_DEFAULT_DEBUG_PROB;
    p->max_debug_depth = SEARCH_DEFAULT_MAX_DEBUG_DEPTH;
    p->max_failed_drafts = SEARCH_DEFAULT_MAX_FAILED_DRAFTS; /* resolved in search_policy_new */
    p->top_k = SEARCH_DEFAULT_TOP_K;
    p->workers = 1;
    p->exploit_after = SEARCH_DEFAULT_EXPLOIT_AFTER;
    p->uct_c_start = SEARCH_DEFAULT_UCT_C_START;
    p->uct_c_end = SEARCH_DEFAULT_UCT_C_END;
    p->improves_per_node = SEARCH_DEFAULT_IMPROVES_PER_NODE;
    p->population = SEARCH_DEFAULT_POPULATION;
    p->tournament = SEARCH_DEFAULT_TOURNAMENT;
    p->crossover_rate = SEARCH_DEFAULT_CROSSOVER_RATE;
}

const char *search_policy_names(void) { return "greedy, mcts, evolutionary"; }

double search_uct_constant(const search_policy_params *p, double used)
{
    used = fmin(fmax(isfinite(used) ? used : 0.0, 0.0), 1.0);
    return p->uct_c_start + (p->uct_c_end - p->uct_c_start) * used;
}

static int check_fraction(const char *field, double v)
{
    if (!(v >= 0.0 && v <= 1.0))
        return err_set("policy: %s is %g; it must lie in [0, 1]", field, v);
    return 0;
}

static int check_more_params(const search_policy_params *p)
{
    if (check_fraction("exploit_after", p->exploit_after) < 0 ||
        check_fraction("crossover_rate", p->crossover_rate) < 0)
        return -1;
    if (!(p->uct_c_start >= 0.0 && p->uct_c_end >= 0.0 && isfinite(p->uct_c_start) &&
          isfinite(p->uct_c_end)))
        return err_set("policy: uct_c_start and uct_c_end are %g and %g; both must be finite "
                       "and at least 0", p->uct_c_start, p->uct_c_end);
    if (p->improves_per_node < 1)
        return err_set("policy: improves_per_node is %d; it must be at least 1",
                       p->improves_per_node);
    if (p->population < 2)
        return err_set("policy: population is %d; it must be at least 2 (a crossover needs "
                       "two parents)", p->population);
    if (p->tournament < 1)
        return err_set("policy: tournament is %d; it must be at least 1", p->tournament);
    return 0;
}

static int check_params(const search_policy_params *p)
{
    if (p->num_drafts < 1)
        return err_set("policy: num_drafts is %d; it must be at least 1", p->num_drafts);
    if (!(p->debug_prob >= 0.0 && p->debug_prob <= 1.0))
        return err_set("policy: debug_prob is %g; it must lie in [0, 1]", p->debug_prob);
    if (p->max_debug_depth < 0)
        return err_set("policy: max_debug_depth is %d; it must be 0 (never debug) or more",
                       p->max_debug_depth);
    if (p->max_failed_drafts != 0 && p->max_failed_drafts < p->num_drafts)
        return err_set("policy: max_failed_drafts is %d; it must be at least num_drafts (%d), "
                       "or 0 for 3 x num_drafts", p->max_failed_drafts, p->num_drafts);
    if (p->top_k < 1)
        return err_set("policy: top_k is %d; it must be at least 1", p->top_k);
    if (p->workers < 1)
        return err_set("policy: workers is %d; it must be at least 1", p->workers);
    return check_more_params(p);
}

int search_policy_new(search_policy **out, const char *name, const search_policy_params *params)
{
    *out = NULL;
    search_policy_params prm;
    if (params)
        prm = *params;
    else
        search_policy_params_default(&prm);
    if (check_params(&prm) < 0)
        return -1;
    if (prm.max_failed_drafts == 0)
        prm.max_failed_drafts = 3 * prm.num_drafts;
    /* validated, defaults resolved: what policies trust (policy_int.h) */
    assert(prm.num_drafts >= 1 && prm.max_failed_drafts >= prm.num_drafts);
    for (size_t i = 0; i < N_POLICIES; i++) {
        if (!name || strcmp(name, registry[i].name) != 0)
            continue;
        search_policy *p = xcalloc(1, sizeof *p);
        p->params = prm;
        if (registry[i].init(p) < 0) {
            free(p);
            return -1;
        }
        assert(p->vt && p->vt->next && p->vt->name);
        *out = p;
        return 0;
    }
    return err_set("policy: unknown policy '%s' (available: %s)", name ? name : "(null)",
                   search_policy_names());
}

void search_policy_free(search_policy *p)
{
    if (!p)
        return;
    if (p->vt->destroy)
        p->vt->destroy(p);
    free(p);
}

const char *search_policy_name(const search_policy *p) { return p->vt->name; }

const search_policy_params *search_policy_params_of(const search_policy *p)
{
    return &p->params;
}

/* What every policy's action must be (search.h): a stage that exists, a
 * draft with no parent, any other stage on a node of the tree, a second
 * parent for a crossover only, another node than its first. */
static inline int action_valid(const search_tree *t, const search_action *a)
{
    if ((unsigned)a->stage > STAGE_CROSSOVER)
        return 0;
    if (a->stage == STAGE_DRAFT)
        return a->parent == -1 && a->parent2 == -1;
    if (!search_tree_node(t, a->parent))
        return 0;
    if (a->stage != STAGE_CROSSOVER)
        return a->parent2 == -1;
    return a->parent2 != a->parent && search_tree_node(t, a->parent2) != NULL;
}

int search_policy_next(search_policy *p, const search_tree *t, search_rng *rng,
                       search_action *out)
{
    out->stage = STAGE_DRAFT;
    out->parent = -1;
    out->parent2 = -1;
    out->why = "";
    int rc = p->vt->next(p, t, rng, out);
    assert(rc == 0 || rc == 1);
    assert(rc != 0 || action_valid(t, out));
    assert(out->why != NULL);
    return rc;
}

/*
 * tree.c: the search tree: nodes, their links, the metric direction and the
 * best node.
 *
 * Nodes are allocated in slabs of NODES_PER_SLAB and kept in an array sorted
 * by id, so a `search_node *` stays valid while the tree grows (the agent
 * holds pointers to nodes in flight) and lookups by id are a binary search.
 * The slabs keep the nodes side by side in memory, away from their texts,
 * so the passes over the tree that every step makes (the policy's, the
 * in-flight list's) read memory in order instead of a scattered line per
 * node: at 10,000 nodes that was most of such a pass's time. Fresh nodes get
 * the next id after the largest one, so appending keeps the order; only
 * search_tree_add_with_id (resume) may insert in the middle.
 *
 * Ranking: a node counts as "good" when it is done, not buggy and has a
 * finite score. The direction comes from the competition's metric
 * (lower_is_better), never from the LLM; ties go to the earlier node, so a
 * later node must be strictly better to become the best.
 */
#include "search.h"
#include "util.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define NODES_PER_SLAB 256

/* What ranking reads of a node, kept beside the nodes array (same index) so
 * the passes that rank the tree read 16 bytes a node in order. Set when a
 * node is added and when it is finished, the only times they change. */
typedef struct rank_fact {
    double score;
    uint64_t code_hash; /* of a done node's code (search_tree_find_code) */
    int id;
    unsigned char good; /* search_node_is_good */
    unsigned char done; /* finished */
} rank_fact;

/* FNV-1a of a script; 0 stands for none. */
static uint64_t code_hash(const char *code)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (const unsigned char *p = (const unsigned char *)code; p && *p; p++) {
        h ^= *p;
        h *= 0x100000001b3ull;
    }
    return code ? h | 1 : 0;
}

struct search_tree {
    search_node **nodes; /* sorted by id; each in one of the slabs */
    rank_fact *facts;    /* facts[i] is nodes[i]'s */
    size_t n, cap;
    search_node **slabs; /* owned, NODES_PER_SLAB nodes each */
    size_t n_slabs, slab_used; /* slab_used: nodes taken from the last one */
    int next_id;
    int lower_is_better;
    double budget_used; /* [0, 1], set by the caller */
    int best;           /* the best node's id, -1 none: kept by search_node_finish,
                           the one place a node becomes done or gets a score */
    int n_done;         /* nodes done (a node never leaves that state), likewise */
    size_t first_open;  /* every node before this position is done */
    int n_stage[5];     /* nodes by stage (set when added, never changed) */
    int n_good;         /* nodes whose fact says good, likewise */
    /* The ranking: every good node with a script of its own (not an
     * ensemble), best first, ties to the earlier node, with its score
     * beside it; kept by search_node_finish, so search_tree_ranked copies
     * its head instead of passing over the whole tree for every prompt and
     * every policy decision. */
    int *rank_ids;
    double *rank_scores;
    size_t n_ranked, rank_cap;
    /* Done buggy nodes with a script and no child yet, by id: what a debug
     * step chooses from (policy_pick_debug), kept by search_node_finish and
     * by the adding of a child. */
    int *leaves;
    size_t n_leaves, leaves_cap;
};

static const char *const stage_names[] = {"draft", "debug", "improve", "crossover", "ensemble"};

const char *search_stage_name(search_stage s)
{
    if ((unsigned)s < sizeof stage_names / sizeof *stage_names)
        return stage_names[s];
    return "unknown";
}

int search_stage_parse(const char *name, search_stage *out)
{
    for (size_t i = 0; name && i < sizeof stage_names / sizeof *stage_names; i++) {
        if (strcmp(name, stage_names[i]) == 0) {
            *out = (search_stage)i;
            return 0;
        }
    }
    return err_set("unknown stage '%s' (expected draft, debug, improve, crossover or ensemble)",
                   name ? name : "(null)");
}

search_tree *search_tree_new(int lower_is_better)
{
    search_tree *t = xcalloc(1, sizeof *t);
    t->lower_is_better = lower_is_better ? 1 : 0;
    t->best = -1;
    return t;
}

static void node_free(search_node *n)
{
    free(n->children);
    free(n->plan);
    free(n->code);
    free(n->output);
    free(n->summary);
    free(n->bug_reason);
    free(n->exc_type);
    free(n->members);
    free(n->weights);
    free(n->memo);
}

/* A zeroed node from the slabs; freed with the tree. */
static search_node *node_alloc(search_tree *t)
{
    if (!t->n_slabs || t->slab_used == NODES_PER_SLAB) {
        t->slabs = xrealloc(t->slabs, (t->n_slabs + 1) * sizeof *t->slabs);
        t->slabs[t->n_slabs++] = xcalloc(NODES_PER_SLAB, sizeof(search_node));
        t->slab_used = 0;
    }
    return &t->slabs[t->n_slabs - 1][t->slab_used++];
}

void search_tree_free(search_tree *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->n; i++)
        node_free(t->nodes[i]);
    for (size_t i = 0; i < t->n_slabs; i++)
        free(t->slabs[i]);
    free(t->slabs);
    free(t->nodes);
    free(t->facts);
    free(t->rank_ids);
    free(t->rank_scores);
    free(t->leaves);
    free(t);
}

int search_tree_lower_is_better(const search_tree *t) { return t->lower_is_better; }

/* Index of the first node whose id is >= id (t->n when none). */
static size_t lower_bound(const search_tree *t, int id)
{
    size_t lo = 0, hi = t->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (t->nodes[mid]->id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

search_node *search_tree_node(const search_tree *t, int id)
{
    size_t i = lower_bound(t, id);
    return i < t->n && t->nodes[i]->id == id ? t->nodes[i] : NULL;
}

size_t search_tree_count(const search_tree *t) { return t->n; }

size_t search_tree_first_open(const search_tree *t) { return t->first_open; }

const search_node *search_tree_find_code(const search_tree *t, const char *code, int except)
{
    uint64_t h = code_hash(code);
    for (size_t i = 0; i < t->n; i++) {
        const rank_fact *f = &t->facts[i];
        if (f->id == except || (f->done && f->code_hash != h))
            continue;
        const search_node *m = t->nodes[i];
        if (m->code && strcmp(m->code, code) == 0)
            return m;
    }
    return NULL;
}

int search_tree_count_stage(const search_tree *t, search_stage s)
{
    return (unsigned)s < sizeof t->n_stage / sizeof *t->n_stage ? t->n_stage[s] : 0;
}

int search_tree_steps(const search_tree *t)
{
    return (int)t->n - search_tree_count_stage(t, STAGE_ENSEMBLE);
}

search_node *search_tree_at(const search_tree *t, size_t i)
{
    return i < t->n ? t->nodes[i] : NULL;
}

void search_node_set(char **field, const char *value)
{
    char *copy = xstrdup(value);
    free(*field);
    *field = copy;
}

/* Check that `parent` may carry a child of `stage`; 0 or < 0 with err_set. */
static int check_parent(const search_tree *t, int id, search_stage stage, int parent)
{
    if ((unsigned)stage > STAGE_ENSEMBLE)
        return err_set("search: node %d has an invalid stage %d", id, (int)stage);
    if (stage == STAGE_DRAFT) {
        if (parent != -1)
            return err_set("search: draft node %d has parent %d (drafts have no parent; "
                           "use -1)", id, parent);
        return 0;
    }
    if (parent < 0)
        return err_set("search: %s node %d needs a parent node", search_stage_name(stage), id);
    if (!search_tree_node(t, parent))
        return err_set("search: %s node %d names parent %d, which is not in the tree "
                       "(add nodes in id order)", search_stage_name(stage), id, parent);
    if (parent == id)
        return err_set("search: node %d cannot be its own parent", id);
    return 0;
}

/* Node id in the buggy leaves (on) or not (off); the list stays in id order. */
static void leaf_set(search_tree *t, int id, int on)
{
    size_t lo = 0, hi = t->n_leaves;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (t->leaves[mid] < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    int there = lo < t->n_leaves && t->leaves[lo] == id;
    if (on && !there) {
        if (t->n_leaves == t->leaves_cap) {
            t->leaves_cap = t->leaves_cap ? 2 * t->leaves_cap : 64;
            t->leaves = xrealloc(t->leaves, t->leaves_cap * sizeof *t->leaves);
        }
        memmove(t->leaves + lo + 1, t->leaves + lo, (t->n_leaves - lo) * sizeof *t->leaves);
        t->leaves[lo] = id;
        t->n_leaves++;
    } else if (!on && there) {
        memmove(t->leaves + lo, t->leaves + lo + 1, (t->n_leaves - lo - 1) * sizeof *t->leaves);
        t->n_leaves--;
    }
}

/* Create, link and insert a node whose id and parent were checked. */
static search_node *insert(search_tree *t, int id, search_stage stage, int parent)
{
    assert(id >= 0 && !search_tree_node(t, id));
    search_node *n = node_alloc(t);
    n->id = id;
    n->step = id;
    n->parent = parent;
    n->parent2 = -1;
    n->stage = stage;
    n->state = NODE_PENDING;
    search_node *p = parent >= 0 ? search_tree_node(t, parent) : NULL;
    if (p) {
        p->children = xrealloc(p->children, (size_t)(p->n_children + 1) * sizeof(int));
        p->children[p->n_children++] = id;
        leaf_set(t, parent, 0);
        n->debug_depth = stage == STAGE_DEBUG ? p->debug_depth + 1 : 0;
    }
    if (t->n == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 16;
        t->nodes = xrealloc(t->nodes, t->cap * sizeof *t->nodes);
        t->facts = xrealloc(t->facts, t->cap * sizeof *t->facts);
    }
    size_t at = lower_bound(t, id);
    memmove(t->nodes + at + 1, t->nodes + at, (t->n - at) * sizeof *t->nodes);
    memmove(t->facts + at + 1, t->facts + at, (t->n - at) * sizeof *t->facts);
    t->nodes[at] = n;
    t->facts[at] = (rank_fact){0, 0, id, 0, 0};
    if ((unsigned)stage < sizeof t->n_stage / sizeof *t->n_stage)
        t->n_stage[stage]++;
    if (at < t->first_open)
        t->first_open = at;
    t->n++;
    /* sorted by id, which lookups rely on */
    assert(at == 0 || t->nodes[at - 1]->id < id);
    assert(at + 1 == t->n || t->nodes[at + 1]->id > id);
    if (id >= t->next_id)
        t->next_id = id + 1;
    return n;
}

int search_tree_add(search_tree *t, search_stage stage, int parent, double now)
{
    int id = t->next_id;
    /* a fresh node's id is above every other: appending keeps the order */
    assert(t->n == 0 || t->nodes[t->n - 1]->id < id);
    if (check_parent(t, id, stage, parent) < 0)
        return -1;
    insert(t, id, stage, parent)->created_at = now;
    return id;
}

int search_tree_add_with_id(search_tree *t, int id, search_stage stage, int parent)
{
    if (id < 0)
        return err_set("search: node id %d is negative", id);
    if (search_tree_node(t, id))
        return err_set("search: node %d is already in the tree", id);
    if (check_parent(t, id, stage, parent) < 0)
        return -1;
    insert(t, id, stage, parent);
    return id;
}

int search_tree_set_parent2(search_tree *t, int id, int parent2)
{
    search_node *n = search_tree_node(t, id);
    if (!n)
        return err_set("search: node %d is not in the tree", id);
    if (n->stage != STAGE_CROSSOVER) {
        if (parent2 != -1)
            return err_set("search: %s node %d has a second parent %d (only crossover nodes "
                           "have one; use -1)", search_stage_name(n->stage), id, parent2);
        return 0;
    }
    if (parent2 < 0 || !search_tree_node(t, parent2))
        return err_set("search: crossover node %d names second parent %d, which is not in the "
                       "tree (add nodes in id order)", id, parent2);
    if (parent2 == n->parent || parent2 == id)
        return err_set("search: crossover node %d needs two distinct parents (got %d and %d)",
                       id, n->parent, parent2);
    n->parent2 = parent2;
    return 0;
}

int search_tree_set_members(search_tree *t, int id, const int *members, const double *weights,
                            int n)
{
    search_node *e = search_tree_node(t, id);
    if (!e || e->stage != STAGE_ENSEMBLE)
        return err_set("search: node %d is not an ensemble node", id);
    if (n < 1 || members[0] != e->parent)
        return err_set("search: ensemble node %d: its first member must be its parent %d",
                       id, e->parent);
    for (int i = 0; i < n; i++) {
        const search_node *m = search_tree_node(t, members[i]);
        if (!m || m->stage == STAGE_ENSEMBLE || members[i] == id)
            return err_set("search: ensemble node %d: member %d is not a node with a script",
                           id, members[i]);
    }
    free(e->members);
    free(e->weights);
    e->members = xmalloc((size_t)n * sizeof *e->members);
    e->weights = xmalloc((size_t)n * sizeof *e->weights);
    memcpy(e->members, members, (size_t)n * sizeof *members);
    memcpy(e->weights, weights, (size_t)n * sizeof *weights);
    e->n_members = n;
    return 0;
}

/* Checked before adding, so a bad second parent leaves the tree as it was. */
static int check_parent2(const search_tree *t, int id, const search_action *a)
{
    if (a->stage == STAGE_CROSSOVER &&
        (a->parent2 < 0 || a->parent2 == a->parent || !search_tree_node(t, a->parent2)))
        return err_set("search: crossover node %d needs a second parent in the tree other "
                       "than its first (got %d and %d)", id, a->parent, a->parent2);
    if (a->stage != STAGE_CROSSOVER && a->parent2 != -1)
        return err_set("search: %s node %d has a second parent %d (only crossover nodes have "
                       "one)", search_stage_name(a->stage), id, a->parent2);
    return 0;
}

int search_tree_add_action(search_tree *t, const struct search_action *a, double now)
{
    int id = t->next_id;
    if (check_parent2(t, id, a) < 0 || search_tree_add(t, a->stage, a->parent, now) < 0)
        return -1;
    search_tree_node(t, id)->parent2 = a->parent2;
    return id;
}

int search_tree_add_action_with_id(search_tree *t, int id, const struct search_action *a)
{
    if (check_parent2(t, id, a) < 0 || search_tree_add_with_id(t, id, a->stage, a->parent) < 0)
        return -1;
    search_tree_node(t, id)->parent2 = a->parent2;
    return id;
}

void search_tree_set_budget_used(search_tree *t, double fraction)
{
    t->budget_used = isfinite(fraction) ? fmin(fmax(fraction, 0.0), 1.0) : 0.0;
}

double search_tree_budget_used(const search_tree *t) { return t->budget_used; }

void search_node_start(search_tree *t, int id, double now)
{
    search_node *n = search_tree_node(t, id);
    if (!n || n->state == NODE_DONE)
        return;
    n->state = NODE_RUNNING;
    n->started_at = now;
}

static void update_best(search_tree *t, const search_node *n);

/* Put node id with `score` into the ranking: after every entry at least as
 * good (ties go to the earlier node, and ids finish in any order, so among
 * equal scores by id). */
static void rank_insert(search_tree *t, int id, double score)
{
    if (t->n_ranked == t->rank_cap) {
        t->rank_cap = t->rank_cap ? 2 * t->rank_cap : 64;
        t->rank_ids = xrealloc(t->rank_ids, t->rank_cap * sizeof *t->rank_ids);
        t->rank_scores = xrealloc(t->rank_scores, t->rank_cap * sizeof *t->rank_scores);
    }
    size_t lo = 0, hi = t->n_ranked;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        double m = t->rank_scores[mid];
        if (search_score_better(t, score, m) ||
            (!search_score_better(t, m, score) && id < t->rank_ids[mid]))
            hi = mid;
        else
            lo = mid + 1;
    }
    size_t move = t->n_ranked - lo;
    memmove(t->rank_ids + lo + 1, t->rank_ids + lo, move * sizeof *t->rank_ids);
    memmove(t->rank_scores + lo + 1, t->rank_scores + lo, move * sizeof *t->rank_scores);
    t->rank_ids[lo] = id;
    t->rank_scores[lo] = score;
    t->n_ranked++;
}

/* Take node id out of the ranking (a node finished again: rare, so a pass). */
static void rank_remove(search_tree *t, int id)
{
    for (size_t i = 0; i < t->n_ranked; i++)
        if (t->rank_ids[i] == id) {
            size_t move = t->n_ranked - i - 1;
            memmove(t->rank_ids + i, t->rank_ids + i + 1, move * sizeof *t->rank_ids);
            memmove(t->rank_scores + i, t->rank_scores + i + 1, move * sizeof *t->rank_scores);
            t->n_ranked--;
            return;
        }
    assert(!"a good node is missing from the ranking");
}

void search_node_finish(search_tree *t, int id, int is_buggy, const char *reason,
                        int has_score, double score, double now)
{
    search_node *n = search_tree_node(t, id);
    if (!n)
        return;
    t->n_done += n->state != NODE_DONE;
    n->state = NODE_DONE;
    n->is_buggy = is_buggy ? 1 : 0;
    search_node_set(&n->bug_reason, is_buggy ? reason : NULL);
    /* A NaN or infinite score cannot be ranked; keeping it would poison every
     * comparison, so the node simply has no score. */
    n->has_score = has_score && isfinite(score);
    n->score = n->has_score ? score : 0.0;
    n->finished_at = now;
    free(n->memo); /* finished again (resume): its entry is made anew */
    n->memo = NULL;
    rank_fact *f = &t->facts[lower_bound(t, id)];
    if (f->good) { /* finished again: out of the ranking, then back by its new score */
        t->n_good--;
        if (n->stage != STAGE_ENSEMBLE)
            rank_remove(t, id);
    }
    *f = (rank_fact){n->score, code_hash(n->code), id, search_node_is_good(n) != 0, 1};
    leaf_set(t, id, n->is_buggy && n->n_children == 0 && n->code && *n->code);
    if (f->good) {
        t->n_good++;
        if (n->stage != STAGE_ENSEMBLE)
            rank_insert(t, id, n->score);
    }
    while (t->first_open < t->n && t->facts[t->first_open].done)
        t->first_open++;
    update_best(t, n);
}

int search_score_better(const search_tree *t, double a, double b)
{
    return t->lower_is_better ? a < b : a > b;
}

int search_node_is_good(const search_node *n)
{
    return n && n->state == NODE_DONE && !n->is_buggy && n->has_score && isfinite(n->score);
}

int search_node_has_script(const search_node *n)
{
    return search_node_is_good(n) && n->stage != STAGE_ENSEMBLE;
}

/* The best node by a pass over the tree: ties to the earlier node. */
static int best_by_scan(const search_tree *t)
{
    const rank_fact *best = NULL;
    for (size_t i = 0; i < t->n; i++) {
        const rank_fact *f = &t->facts[i];
        if (f->good && (!best || search_score_better(t, f->score, best->score)))
            best = f;
    }
    return best ? best->id : -1;
}

/* After node n was finished: the best stays, or is n, or (n was the best:
 * finished again) is found again. Ties go to the earlier node, which a
 * resume may add after a later one. */
static void update_best(search_tree *t, const search_node *n)
{
    const search_node *b = t->best >= 0 ? search_tree_node(t, t->best) : NULL;
    if (b == n)
        t->best = best_by_scan(t); /* finished again: its score may have gone */
    else if (search_node_is_good(n) &&
             (!b || search_score_better(t, n->score, b->score) ||
              (!search_score_better(t, b->score, n->score) && n->id < b->id)))
        t->best = n->id;
}

int search_tree_best(const search_tree *t)
{
    return t->best;
}

int search_tree_count_state(const search_tree *t, search_state s)
{
    if (s == NODE_DONE)
        return t->n_done;
    int count = 0;
    for (size_t i = 0; i < t->n; i++)
        count += t->nodes[i]->state == s;
    return count;
}

int search_tree_good_count(const search_tree *t)
{
    return t->n_good;
}

size_t search_tree_buggy_leaves(const search_tree *t, const int **ids)
{
    *ids = t->leaves;
    return t->n_leaves;
}

size_t search_tree_ranked(const search_tree *t, int *ids, size_t max)
{
    size_t k = t->n_ranked < max ? t->n_ranked : max;
    if (k) /* rank_ids is NULL until a node is ranked */
        memcpy(ids, t->rank_ids, k * sizeof *ids);
    return k;
}

/*
 * search.h: the search tree and the policies that grow it.
 *
 * Pure data and decisions: no I/O, no processes, no clock reads (times are
 * passed in). Randomness comes from a seeded RNG owned by the caller, so every
 * decision is reproducible in a unit test.
 */
#ifndef GROVE_SEARCH_H
#define GROVE_SEARCH_H

#include <stddef.h>
#include <stdint.h>

/* A crossover merges two parents' solutions: `parent` is the first, and
 * `parent2` the second (the only stage with one). An ensemble blends the
 * submissions of its members (the first, its best, is its parent): it has
 * no script of its own, so no policy expands it and no memory summary
 * lists it, while it ranks (search_tree_best) like any node. */
typedef enum search_stage {
    STAGE_DRAFT = 0, STAGE_DEBUG, STAGE_IMPROVE, STAGE_CROSSOVER, STAGE_ENSEMBLE
} search_stage;
typedef enum search_state { NODE_PENDING = 0, NODE_RUNNING, NODE_DONE } search_state;

const char *search_stage_name(search_stage s);            /* "draft", ... */
int search_stage_parse(const char *name, search_stage *out); /* 0 or < 0 */

typedef struct search_node {
    int id;                /* 0, 1, 2, ... in creation order */
    int step;              /* the step that created it (== id unless resumed) */
    int parent;            /* parent id, -1 for drafts */
    int parent2;           /* a crossover's second parent, else -1 */
    int *children;         /* ids, in creation order */
    int n_children;
    search_stage stage;
    search_state state;
    char *plan;            /* owned; NULL until the reply is parsed */
    char *code;            /* owned */
    char *output;          /* execution output as the LLM sees it (head+tail) */
    char *summary;         /* review summary */
    double score;          /* the ranking score (grader's in holdout mode) */
    int has_score;
    double self_score;     /* what the script claimed, when parsed */
    int has_self_score;
    int is_buggy;
    char *bug_reason;      /* owned; why it is buggy */
    char *exc_type;        /* Python exception type, if any */
    int debug_depth;       /* 0 for draft/improve; parent's + 1 for debug */
    int *members;          /* an ensemble's members, best first (owned); else NULL */
    double *weights;       /* their weights, summing to 1 (owned) */
    int n_members;
    double created_at, started_at, finished_at; /* wall-clock seconds */
    double exec_time;      /* script wall time */
    long tokens_in, tokens_out;
    double cost;
    int cost_known;
    char *memo;            /* cache, memory.c's: this done node's entry in a memory
                              summary, made when first listed (a done node's plan,
                              score, summary and failure no longer change) */
} search_node;

typedef struct search_tree search_tree;

/* lower_is_better comes from the competition's metric, never from the LLM. */
search_tree *search_tree_new(int lower_is_better);
void search_tree_free(search_tree *t);
int search_tree_lower_is_better(const search_tree *t);

/* Add a pending node; returns its id (>= 0) or < 0 when parent is invalid
 * (err_last() says why: a draft has parent -1, debug/improve need an existing
 * parent). The id is one more than the largest so far. A debug node's
 * debug_depth is its parent's + 1. */
int search_tree_add(search_tree *t, search_stage stage, int parent, double now);
/* Add a node with a given id (resume); ids need not be contiguous, but a
 * node's parent must already be in the tree (add in id order). < 0 for a
 * duplicate or negative id. The node is pending; set its fields and call
 * search_node_finish as the repository says. */
int search_tree_add_with_id(search_tree *t, int id, search_stage stage, int parent);
/* Set a crossover's second parent (an existing node other than its first);
 * 0 or < 0 with err_last(). Any other stage takes only -1. */
int search_tree_set_parent2(search_tree *t, int id, int parent2);
/* Set an ensemble's members (existing nodes, none an ensemble, the first
 * its parent) and their weights (copied); 0 or < 0 with err_last(). */
int search_tree_set_members(search_tree *t, int id, const int *members, const double *weights,
                            int n);
/* A node a policy may expand or a memory summary may list: good, and not
 * an ensemble. */
int search_node_has_script(const search_node *n);
/* Add the node an action asks for (search_tree_add, then the second parent
 * of a crossover); its id or < 0. */
struct search_action;
int search_tree_add_action(search_tree *t, const struct search_action *a, double now);
/* The same with a given id, as search_tree_add_with_id (resume). */
int search_tree_add_action_with_id(search_tree *t, int id, const struct search_action *a);

/* The share of the run's budget used so far, in [0, 1]: the caller's
 * max(steps used / steps, time used / time limit), set before asking the
 * policy (search/ reads no clock). 0 until set. */
void search_tree_set_budget_used(search_tree *t, double fraction);
double search_tree_budget_used(const search_tree *t);
search_node *search_tree_node(const search_tree *t, int id); /* NULL if absent */
size_t search_tree_count(const search_tree *t);
/* The nodes that are steps of the search: all but ensembles, which are
 * built after it and count against no step budget. */
int search_tree_steps(const search_tree *t);
/* The i-th node in id order, for iteration (0 <= i < count). */
search_node *search_tree_at(const search_tree *t, size_t i);
/* A position before which every node is done (finished): a pass looking for
 * the nodes in flight starts there, not at 0, so it costs what is in flight
 * rather than the whole tree. */
size_t search_tree_first_open(const search_tree *t);
/* The first node (in id order) other than `except` whose code is
 * byte-identical to code, or NULL. A done node's code is compared through a
 * hash taken when it finished (its code no longer changes), so the pass
 * reads no script but those in flight and the hash's matches. */
const search_node *search_tree_find_code(const search_tree *t, const char *code, int except);
/* How many nodes of stage s the tree holds (kept as nodes are added). */
int search_tree_count_stage(const search_tree *t, search_stage s);
/* Set a node's string field, copying `value`. */
void search_node_set(char **field, const char *value);

/* Mark running (pending -> running) with its start time; no-op for an
 * unknown or finished node. */
void search_node_start(search_tree *t, int id, double now);

/* Mark done with a result. `has_score` 0 or is_buggy 1 means no ranking; a
 * NaN or infinite score is stored as no score. reason is kept (copied) only
 * for buggy nodes. */
void search_node_finish(search_tree *t, int id, int is_buggy, const char *reason,
                        int has_score, double score, double now);
/* Done, not buggy, with a finite score: a node that can be ranked. */
int search_node_is_good(const search_node *n);

/* Best node: best score among non-buggy done nodes with a score, ties to the
 * earlier node. -1 when there is none. */
int search_tree_best(const search_tree *t);
/* Is a better than b under this tree's direction? */
int search_score_better(const search_tree *t, double a, double b);
int search_tree_count_state(const search_tree *t, search_state s);
int search_tree_good_count(const search_tree *t); /* done, not buggy, scored */
/* Up to max good node ids into ids[], best first (ties to the earlier node),
 * ensembles left out (search_node_has_script). Returns how many were
 * written. */
size_t search_tree_ranked(const search_tree *t, int *ids, size_t max);
/* The done buggy nodes that have a script and no child yet, in id order:
 * *ids points into the tree, valid until it next changes. Returns how many. */
size_t search_tree_buggy_leaves(const search_tree *t, const int **ids);

/* ---- RNG ------------------------------------------------------------------ */

typedef struct search_rng { uint64_t s[4]; } search_rng; /* xoshiro256** */
void search_rng_seed(search_rng *r, uint64_t seed);
uint64_t search_rng_next(search_rng *r);
double search_rng_uniform(search_rng *r); /* [0, 1) */
uint64_t search_rng_below(search_rng *r, uint64_t n); /* unbiased, [0, n); 0 if n <= 1 */

/* ---- policies --------------------------------------------------------------- */

typedef struct search_action {
    search_stage stage;
    int parent;       /* -1 for a draft */
    int parent2;      /* a crossover's second parent, else -1 */
    const char *why;  /* the documented rule that chose it (static string) */
} search_action;

/* The defaults, here once: search_policy_params_default and the run's
 * option table (agent/config.c) both use them. */
#define SEARCH_DEFAULT_NUM_DRAFTS 5
#define SEARCH_DEFAULT_DEBUG_PROB 0.5
#define SEARCH_DEFAULT_MAX_DEBUG_DEPTH 3
#define SEARCH_DEFAULT_MAX_FAILED_DRAFTS 0 /* 0: 3 x num_drafts */
#define SEARCH_DEFAULT_TOP_K 3
#define SEARCH_DEFAULT_EXPLOIT_AFTER 0.6 /* MLEvolve switches at 50-70% */
#define SEARCH_DEFAULT_UCT_C_START 1.414
#define SEARCH_DEFAULT_UCT_C_END 0.5
#define SEARCH_DEFAULT_IMPROVES_PER_NODE 3
#define SEARCH_DEFAULT_POPULATION 5
#define SEARCH_DEFAULT_TOURNAMENT 2
#define SEARCH_DEFAULT_CROSSOVER_RATE 0.5

typedef struct search_policy_params {
    int num_drafts;        /* drafts before the policy improves */
    double debug_prob;     /* chance to debug a buggy leaf rather than improve */
    int max_debug_depth;   /* debug attempts in a row on one line */
    int max_failed_drafts; /* drafts allowed while nothing works; 0 (the
                              default) means 3 x num_drafts; else >= num_drafts */
    int top_k;             /* improve spreads across the top k when busy */
    int workers;           /* W: nodes in flight at once */
    double exploit_after;  /* budget share after which mcts and evolutionary
                              only improve the top_k (1: never) */
    double uct_c_start;    /* mcts: UCT exploration constant at the start, */
    double uct_c_end;      /* decaying linearly to this at the end */
    int improves_per_node; /* mcts: children of a good node before UCT
                              descends below it */
    int population;        /* evolutionary: the best good nodes that breed */
    int tournament;        /* evolutionary: members drawn per selection */
    double crossover_rate; /* evolutionary: chance of crossover vs improve */
} search_policy_params;

void search_policy_params_default(search_policy_params *p);

typedef struct search_policy search_policy;

/* Policies by name: "greedy" (AIDE's, aware of nodes in flight; its rules
 * are in search/policy_greedy.c), "mcts" (search/policy_mcts.c) and
 * "evolutionary" (search/policy_evo.c). params NULL means the defaults. < 0 and
 * err_last() for an unknown name or a parameter out of range (the message
 * names the field). *out is freed with search_policy_free. */
int search_policy_new(search_policy **out, const char *name,
                      const search_policy_params *params);
void search_policy_free(search_policy *p);
const char *search_policy_name(const search_policy *p);
const char *search_policy_names(void); /* "greedy, mcts, ...": for usage texts */
/* The parameters in force (max_failed_drafts resolved). */
const search_policy_params *search_policy_params_of(const search_policy *p);

/* Choose the next action given the tree (pending/running nodes included).
 * Returns 0 with *out set, or 1 when nothing useful can be started now
 * (e.g. every debug candidate is busy and drafts are exhausted); out->why
 * then says why. The caller adds the node (search_tree_add) before asking
 * again, so the policy sees it in flight. If it answers 1 while no node is
 * pending or running, no later call can answer otherwise: end the run. */
int search_policy_next(search_policy *p, const search_tree *t, search_rng *rng,
                       search_action *out);

/* The mcts exploration constant once `used` of the budget is spent:
 * uct_c_start decaying linearly to uct_c_end. */
double search_uct_constant(const search_policy_params *p, double used);

/* ---- memory of earlier attempts ---------------------------------------------- */

/* A summary of earlier good attempts (plan, outcome, score), best and most
 * recent first, at most max_chars long; "" when there are none. Caller frees.
 * When there is room it also lists the latest failures (exception type,
 * reason, plan) so the model does not repeat them; see search/memory.c. */
char *search_memory(const search_tree *t, size_t max_chars);
/* For a debug step: the failed ancestors of node `id` (its parent first,
 * then up the line: exception type, reason, plan), whole entries only, at
 * most max_chars long; "" when none failed. Caller frees. */
char *search_memory_failures(const search_tree *t, int id, size_t max_chars);

/* ---- reply parsing -------------------------------------------------------- */

/* Split an LLM reply into plan (prose before the code) and code (the fenced
 * python block, the largest if several). Returns 0 with both set (caller
 * frees), or < 0 when the reply has no code block (err_last() says so).
 * ```python, ```py and bare ``` fences are code (tagged ones preferred over
 * bare), CRLF becomes LF, an unclosed last fence runs to the end, and the
 * code ends with one newline. When nothing precedes the block, the plan is
 * the prose after it ("" if none). */
int search_parse_reply(const char *reply, char **plan, char **code);

/* A one-line summary of a plan for commit subjects (<= max bytes): its first
 * sentence on its first line with text, without markdown markers or a
 * "Plan:" label, cut at a word with "..." when long. NULL gives "". Caller
 * frees. */
char *search_plan_summary(const char *plan, size_t max);

/* Find a printed validation score in script output ("validation auc: 0.81",
 * "Val score = 0.81"...): the last such line wins, except that a line saying
 * exactly "validation score" (what the prompts ask for) beats other metric
 * names. 1 when found (and *out set), 0 when not. */
int search_parse_self_score(const char *output, double *out);

/* ---- final selection ------------------------------------------------------ */

/* One finalist of the final selection (README "Final selection"): a node
 * (or any candidate with an id: an ensemble, say) with its score on the
 * search holdout and on the hidden selection holdout. */
typedef struct search_finalist {
    int id;            /* node id */
    double search;     /* score on the search holdout (what the policy saw) */
    double hidden;     /* mean score on the hidden holdout over its runs; NaN: none */
    double hidden_sd;  /* sample standard deviation of those runs; NaN: fewer than 2 */
    int n_runs;        /* hidden-holdout runs that gave a score */
} search_finalist;

/* The pick and why. */
typedef struct search_pick {
    int index;          /* into the finalists; -1 when there are none */
    int incumbent;      /* the finalist the rule starts from: the best by
                           search score that has a hidden score; -1 none */
    double noise;       /* the margin a challenger had to beat (>= 0) */
    const char *noise_from; /* "seeds", "finalists" or "none" (static) */
    char reason[320];   /* one line for logs and reports */
} search_pick;

/* Choose the final node among f[0..n), which are ordered by search score,
 * best first. The rule: keep the incumbent (the best search score among
 * the finalists with a hidden score) unless another finalist's hidden score
 * beats the incumbent's by more than the noise; then the best hidden score
 * wins. The noise: the pooled standard deviation of the finalists' seed
 * runs when some finalist has 2 or more (noise_from "seeds"); else the
 * standard deviation of (hidden - search) over the finalists with both, when
 * there are at least 3 ("finalists": how far one node's score moves between
 * two holdouts); else 0 ("none"). With no hidden score at all the first
 * finalist is kept. Scores compare in the metric's direction. Pure. */
void search_select_final(search_pick *out, const search_finalist *f, int n,
                         int lower_is_better);

#endif

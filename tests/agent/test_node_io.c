/*
 * test_node_io.c: node.json as --resume reads it back (node_io.c, in
 * process). Every field of a node written by node_to_json and rebuilt by
 * node_from_json into a fresh tree comes back equal: ids, stage, both
 * parents, the texts (code, plan and output come from the node's other
 * files, so they are passed alongside), scores present and absent, the bug,
 * tokens, cost known and unknown, and the times to the last bit. The
 * in-flight list (inflight.json) round-trips too, and a node.json without
 * an id or with an unknown stage is refused with a message.
 */
#include "check.h"
#include "run.h"
#include "util.h"

#include <stdlib.h>
#include <unistd.h>

static int same_str(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* Field by field: what resume depends on. */
static void check_same(const search_node *a, const search_node *b)
{
    CHECK_MSG(a->id == b->id, "id %d vs %d", a->id, b->id);
    CHECK_MSG(a->step == b->step, "node %d: step", a->id);
    CHECK_MSG(a->parent == b->parent, "node %d: parent %d vs %d", a->id, a->parent, b->parent);
    CHECK_MSG(a->parent2 == b->parent2, "node %d: parent2", a->id);
    CHECK_MSG(a->stage == b->stage, "node %d: stage", a->id);
    CHECK_MSG(a->state == b->state, "node %d: state", a->id);
    CHECK_MSG(a->n_children == b->n_children, "node %d: children", a->id);
    for (int k = 0; k < a->n_children && k < b->n_children; k++)
        CHECK(a->children[k] == b->children[k]);
    CHECK_MSG(same_str(a->plan, b->plan), "node %d: plan", a->id);
    CHECK_MSG(same_str(a->code, b->code), "node %d: code", a->id);
    CHECK_MSG(same_str(a->output, b->output), "node %d: output", a->id);
    CHECK_MSG(same_str(a->summary, b->summary), "node %d: summary", a->id);
    CHECK_MSG(a->has_score == b->has_score, "node %d: has_score", a->id);
    if (a->has_score && b->has_score)
        CHECK_MSG(a->score == b->score, "node %d: score %.17g vs %.17g", a->id, a->score,
                  b->score);
    CHECK_MSG(a->has_self_score == b->has_self_score, "node %d: has_self_score", a->id);
    if (a->has_self_score && b->has_self_score)
        CHECK(a->self_score == b->self_score);
    CHECK_MSG(a->is_buggy == b->is_buggy, "node %d: is_buggy", a->id);
    CHECK_MSG(same_str(a->bug_reason, b->bug_reason), "node %d: bug_reason", a->id);
    CHECK_MSG(same_str(a->exc_type, b->exc_type), "node %d: exc_type", a->id);
    CHECK_MSG(a->debug_depth == b->debug_depth, "node %d: debug_depth", a->id);
    CHECK_MSG(a->created_at == b->created_at, "node %d: created_at %.17g vs %.17g", a->id,
              a->created_at, b->created_at);
    CHECK_MSG(a->started_at == b->started_at, "node %d: started_at", a->id);
    CHECK_MSG(a->finished_at == b->finished_at, "node %d: finished_at", a->id);
    CHECK_MSG(a->exec_time == b->exec_time, "node %d: exec_time", a->id);
    CHECK_MSG(a->tokens_in == b->tokens_in && a->tokens_out == b->tokens_out,
              "node %d: tokens", a->id);
    CHECK_MSG(a->cost_known == b->cost_known, "node %d: cost_known", a->id);
    if (a->cost_known && b->cost_known)
        CHECK(a->cost == b->cost);
}

static void fill(search_tree *t, int id, int step, double t0, const char *plan, const char *code,
                 const char *output)
{
    search_node *n = search_tree_node(t, id);
    n->step = step;
    search_node_set(&n->plan, plan);
    search_node_set(&n->code, code);
    search_node_set(&n->output, output);
    n->created_at = t0 + 0.123456789;
    search_node_start(t, id, t0 + 1.000244140625);
    n->exec_time = 0.1 + 0.2 + id; /* 0.30000000000000004: 17 digits */
    n->tokens_in = 123456789012L;
    n->tokens_out = 4321;
}

/* A tree with every kind of node: a good draft with a self score and a
 * summary, a buggy improve with an exception, its debug, a crossover of two
 * parents with no score and an unknown cost. */
static search_tree *make_tree(void)
{
    search_tree *t = search_tree_new(1);
    double t0 = 1765000000.0;
    CHECK(search_tree_add(t, STAGE_DRAFT, -1, t0) == 0);
    fill(t, 0, 0, t0, "Train a gradient boosting model.\n\nWith «accents» and \"quotes\".",
         "print('a')\n", "Validation score: 0.5\n");
    search_node *n0 = search_tree_node(t, 0);
    n0->self_score = 0.50000000000000011;
    n0->has_self_score = 1;
    search_node_set(&n0->summary, "works; the score is the holdout's");
    n0->cost = 0.0123;
    n0->cost_known = 1;
    search_node_finish(t, 0, 0, NULL, 1, 0.4321098765432109, t0 + 10.5);

    CHECK(search_tree_add(t, STAGE_DRAFT, -1, t0) == 1);
    fill(t, 1, 1, t0 + 1, "second draft", "print('b')\n", "");
    search_node_finish(t, 1, 0, NULL, 1, 0.25, t0 + 12);

    CHECK(search_tree_add(t, STAGE_IMPROVE, 0, t0) == 2);
    fill(t, 2, 2, t0 + 2, "improve", "raise ValueError('x')\n",
         "Traceback (most recent call last):\nValueError: x\n");
    search_node_set(&search_tree_node(t, 2)->exc_type, "ValueError");
    search_node_finish(t, 2, 1, "the script raised ValueError", 0, 0, t0 + 13);

    CHECK(search_tree_add(t, STAGE_DEBUG, 2, t0) == 3);
    fill(t, 3, 3, t0 + 3, "fix the error", "print('fixed')\n", "ok\n");
    search_node_finish(t, 3, 0, NULL, 1, 0.3, t0 + 14);

    CHECK(search_tree_add(t, STAGE_CROSSOVER, 0, t0) == 4);
    CHECK(search_tree_set_parent2(t, 4, 1) == 0);
    fill(t, 4, 7, t0 + 4, "merge the two", "print('x')\n", "no score printed\n");
    search_node_finish(t, 4, 0, NULL, 0, 0, t0 + 15);
    return t;
}

static void test_round_trip(void)
{
    search_tree *t = make_tree();
    search_tree *back = search_tree_new(1);
    for (size_t i = 0; i < search_tree_count(t); i++) {
        const search_node *n = search_tree_at(t, i);
        char *text = node_to_json(n, "builtin:baseline");
        cJSON *j = cJSON_Parse(text);
        CHECK_MSG(j != NULL, "node.json parses: %s", text);
        CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(j, "model")), "builtin:baseline");
        CHECK_MSG(node_from_json(back, j, n->code, n->plan, n->output) == 0, "%s", err_last());
        cJSON_Delete(j);
        free(text);
    }
    CHECK(search_tree_count(back) == search_tree_count(t));
    for (size_t i = 0; i < search_tree_count(t) && i < search_tree_count(back); i++)
        check_same(search_tree_at(t, i), search_tree_at(back, i));
    CHECK(search_tree_best(back) == search_tree_best(t));
    CHECK(search_tree_best(back) == 1); /* lower is better: 0.25 */
    search_tree_free(t);
    search_tree_free(back);
}

static void test_refused(void)
{
    search_tree *t = search_tree_new(0);
    static const char *const bad[] = {"{\"stage\": \"draft\"}", "{\"id\": 0}",
                                      "{\"id\": 0, \"stage\": \"mutate\"}",
                                      "{\"id\": 1, \"stage\": \"improve\", \"parent\": 9}"};
    for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
        cJSON *j = cJSON_Parse(bad[k]);
        CHECK_MSG(node_from_json(t, j, "", "", "") < 0, "refused: %s", bad[k]);
        CHECK(strstr(err_last(), "node") != NULL);
        cJSON_Delete(j);
    }
    CHECK(search_tree_count(t) == 0);
    search_tree_free(t);
}

/* Nodes started and not committed are listed with their stage and parents
 * (a draft's as none), so a resume can redo them; finished ones are not. */
static void test_inflight(void)
{
    char dir[] = "/tmp/grove-nodeio-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    search_tree *t = make_tree();
    CHECK(search_tree_add(t, STAGE_DEBUG, 2, 1) == 5);
    CHECK(search_tree_add(t, STAGE_CROSSOVER, 3, 1) == 6);
    CHECK(search_tree_set_parent2(t, 6, 0) == 0);
    CHECK(search_tree_add(t, STAGE_DRAFT, -1, 1) == 7);
    run_ctx r;
    memset(&r, 0, sizeof r);
    r.tree = t;
    r.run_dir = dir;
    CHECK(inflight_save(&r) == 0);
    int *ids, *stages, *parents, *parents2, n;
    CHECK(inflight_load(dir, &ids, &stages, &parents, &parents2, &n) == 0);
    CHECK(n == 3);
    if (n == 3) {
        CHECK(ids[0] == 5 && stages[0] == STAGE_DEBUG && parents[0] == 2 && parents2[0] == -1);
        CHECK(ids[1] == 6 && stages[1] == STAGE_CROSSOVER && parents[1] == 3 &&
              parents2[1] == 0);
        CHECK(ids[2] == 7 && stages[2] == STAGE_DRAFT && parents[2] == -1 && parents2[2] == -1);
    }
    free(ids);
    free(stages);
    free(parents);
    free(parents2);
    search_tree_free(t);
    char *f = path_join(dir, "inflight.json");
    unlink(f);
    free(f);
    rmdir(dir);
}

int main(void)
{
    test_round_trip();
    test_refused();
    test_inflight();
    return check_done("agent_node_io");
}

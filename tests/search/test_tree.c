/* test_tree.c: nodes, links, direction, best node, ranking, the RNG. */
#include "check.h"
#include "search.h"
#include "util.h"

#include <math.h>
#include <stdlib.h>

static void test_stage_names(void)
{
    search_stage s;
    CHECK_STR(search_stage_name(STAGE_DRAFT), "draft");
    CHECK_STR(search_stage_name(STAGE_DEBUG), "debug");
    CHECK_STR(search_stage_name(STAGE_IMPROVE), "improve");
    CHECK(search_stage_parse("improve", &s) == 0 && s == STAGE_IMPROVE);
    CHECK(search_stage_parse("fix", &s) < 0);
    CHECK(strstr(err_last(), "'fix'") != NULL);
}

static void test_links(void)
{
    search_tree *t = search_tree_new(0);
    int d0 = search_tree_add(t, STAGE_DRAFT, -1, 10.0);
    int d1 = search_tree_add(t, STAGE_DRAFT, -1, 11.0);
    CHECK(d0 == 0 && d1 == 1);
    CHECK(search_tree_add(t, STAGE_DRAFT, 0, 0) < 0);      /* drafts have no parent */
    CHECK(strstr(err_last(), "draft node 2 has parent 0") != NULL);
    CHECK(search_tree_add(t, STAGE_IMPROVE, -1, 0) < 0);   /* improve needs one */
    CHECK(search_tree_add(t, STAGE_DEBUG, 42, 0) < 0);     /* parent must exist */
    CHECK(strstr(err_last(), "parent 42") != NULL);
    int g0 = search_tree_add(t, STAGE_DEBUG, d0, 12.0);
    int g1 = search_tree_add(t, STAGE_DEBUG, g0, 13.0);
    int i0 = search_tree_add(t, STAGE_IMPROVE, g1, 14.0);
    CHECK(g0 == 2 && g1 == 3 && i0 == 4);
    search_node *n = search_tree_node(t, g1);
    CHECK(n && n->debug_depth == 2 && n->parent == g0 && n->state == NODE_PENDING);
    CHECK(search_tree_node(t, i0)->debug_depth == 0);
    CHECK_NEAR(search_tree_node(t, i0)->created_at, 14.0, 0);
    n = search_tree_node(t, d0);
    CHECK(n->n_children == 1 && n->children[0] == g0);
    CHECK(search_tree_count(t) == 5);
    CHECK(search_tree_node(t, 99) == NULL);
    search_node_start(t, g0, 20.0);
    CHECK(search_tree_node(t, g0)->state == NODE_RUNNING);
    CHECK(search_tree_count_state(t, NODE_RUNNING) == 1);
    CHECK(search_tree_count_state(t, NODE_PENDING) == 4);
    search_node_set(&n->plan, "a plan");
    search_node_set(&n->plan, "another plan");
    CHECK_STR(n->plan, "another plan");
    search_node_set(&n->plan, NULL);
    CHECK(n->plan == NULL);
    search_tree_free(t);
}

static void test_resume_ids(void)
{
    search_tree *t = search_tree_new(1);
    CHECK(search_tree_add_with_id(t, 3, STAGE_DRAFT, -1) == 3);
    CHECK(search_tree_add_with_id(t, 0, STAGE_DRAFT, -1) == 0);
    CHECK(search_tree_add_with_id(t, 7, STAGE_DEBUG, 3) == 7);
    CHECK(search_tree_add_with_id(t, 8, STAGE_DEBUG, 7) == 8);
    CHECK(search_tree_add_with_id(t, 3, STAGE_DRAFT, -1) < 0); /* duplicate */
    CHECK(strstr(err_last(), "already") != NULL);
    CHECK(search_tree_add_with_id(t, 9, STAGE_IMPROVE, 5) < 0); /* parent absent */
    CHECK(search_tree_add_with_id(t, -2, STAGE_DRAFT, -1) < 0);
    CHECK(search_tree_node(t, 8)->debug_depth == 2);
    /* id order iteration, whatever the insertion order */
    CHECK(search_tree_at(t, 0)->id == 0 && search_tree_at(t, 1)->id == 3);
    CHECK(search_tree_at(t, 3)->id == 8 && search_tree_at(t, 4) == NULL);
    /* new nodes continue after the largest id */
    CHECK(search_tree_add(t, STAGE_DRAFT, -1, 0) == 9);
    search_tree_free(t);
}

static void test_best(void)
{
    search_tree *t = search_tree_new(0); /* higher is better */
    for (int i = 0; i < 6; i++)
        search_tree_add(t, STAGE_DRAFT, -1, i);
    CHECK(search_tree_best(t) == -1);
    search_node_finish(t, 0, 0, NULL, 1, 0.70, 1);
    search_node_finish(t, 1, 1, "KeyError", 1, 0.99, 2); /* buggy: never best */
    search_node_finish(t, 2, 0, NULL, 1, 0.80, 3);
    search_node_finish(t, 3, 0, NULL, 1, 0.80, 4);        /* tie: earlier wins */
    search_node_finish(t, 4, 0, NULL, 0, 0.95, 5);        /* no score */
    search_node_finish(t, 5, 0, NULL, 1, NAN, 6);         /* NaN is no score */
    CHECK(search_tree_best(t) == 2);
    CHECK(search_tree_good_count(t) == 3);
    CHECK(!search_tree_node(t, 5)->has_score);
    CHECK_STR(search_tree_node(t, 1)->bug_reason, "KeyError");
    CHECK(search_tree_node(t, 0)->bug_reason == NULL);
    int ids[8];
    CHECK(search_tree_ranked(t, ids, 8) == 3);
    CHECK(ids[0] == 2 && ids[1] == 3 && ids[2] == 0);
    CHECK(search_tree_ranked(t, ids, 2) == 2);
    CHECK(ids[0] == 2 && ids[1] == 3);
    CHECK(search_tree_ranked(t, ids, 1) == 1 && ids[0] == 2);
    CHECK(search_tree_ranked(t, ids, 0) == 0);
    CHECK(search_score_better(t, 2, 1) && !search_score_better(t, 1, 1));
    search_tree_free(t);

    t = search_tree_new(1); /* lower is better; integer metrics are fine */
    for (int i = 0; i < 4; i++)
        search_tree_add(t, STAGE_DRAFT, -1, i);
    search_node_finish(t, 0, 0, NULL, 1, 12, 1);
    search_node_finish(t, 1, 0, NULL, 1, 7, 1);
    search_node_finish(t, 2, 0, NULL, 1, 7, 1);
    search_node_finish(t, 3, 0, NULL, 1, -3, 1);
    CHECK(search_tree_lower_is_better(t));
    CHECK(search_tree_best(t) == 3);
    CHECK(search_tree_ranked(t, ids, 8) == 4);
    CHECK(ids[0] == 3 && ids[1] == 1 && ids[2] == 2 && ids[3] == 0);
    /* the best, finished again without its score, gives way to the next */
    search_node_finish(t, 3, 1, "killed", 0, 0, 2);
    CHECK(search_tree_best(t) == 1);
    search_tree_free(t);

    /* a resume adds nodes out of id order: an equal score still goes to the
     * earlier node, whichever was finished first */
    t = search_tree_new(0);
    search_tree_add_with_id(t, 5, STAGE_DRAFT, -1);
    search_node_finish(t, 5, 0, NULL, 1, 0.5, 1);
    CHECK(search_tree_best(t) == 5);
    search_tree_add_with_id(t, 2, STAGE_DRAFT, -1);
    search_node_finish(t, 2, 0, NULL, 1, 0.5, 1);
    CHECK(search_tree_best(t) == 2);
    search_tree_add_with_id(t, 1, STAGE_DRAFT, -1);
    search_node_finish(t, 1, 0, NULL, 1, 0.4, 1);
    CHECK(search_tree_best(t) == 2);
    search_tree_free(t);
}

/* The nodes in flight are found from search_tree_first_open on: every node
 * before it is done, whatever order nodes finish or a resume adds them in. */
static void test_first_open(void)
{
    search_tree *t = search_tree_new(0);
    CHECK(search_tree_first_open(t) == 0);
    for (int i = 0; i < 4; i++)
        search_tree_add(t, STAGE_DRAFT, -1, i);
    search_node_finish(t, 1, 0, NULL, 1, 0.5, 1);
    CHECK(search_tree_first_open(t) == 0); /* node 0 still runs */
    search_node_finish(t, 0, 0, NULL, 1, 0.5, 1);
    CHECK(search_tree_first_open(t) == 2); /* past 0 and 1 */
    search_node_finish(t, 3, 1, "x", 0, 0, 1);
    search_node_finish(t, 2, 0, NULL, 1, 0.5, 1);
    CHECK(search_tree_first_open(t) == 4);
    search_node_finish(t, 2, 0, NULL, 1, 0.6, 1); /* finished again: still done */
    CHECK(search_tree_first_open(t) == 4 && search_tree_count_state(t, NODE_DONE) == 4);
    search_tree_add(t, STAGE_DEBUG, 3, 5);
    CHECK(search_tree_count_stage(t, STAGE_DRAFT) == 4 && search_tree_count_stage(t, STAGE_DEBUG) == 1);
    CHECK(search_tree_count_stage(t, STAGE_IMPROVE) == 0);
    search_tree_free(t);

    /* byte-identical code: done nodes (by their hash), in-flight ones, never
     * the node asking; a done node's code as it was when it finished */
    t = search_tree_new(0);
    for (int i = 0; i < 4; i++)
        search_tree_add(t, STAGE_DRAFT, -1, i);
    search_node_set(&search_tree_node(t, 0)->code, "print(1)\n");
    search_node_set(&search_tree_node(t, 1)->code, "print(2)\n");
    search_node_set(&search_tree_node(t, 2)->code, "print(2)\n");
    search_node_finish(t, 0, 0, NULL, 1, 0.5, 1);
    search_node_finish(t, 1, 0, NULL, 1, 0.5, 1);
    CHECK(search_tree_find_code(t, "print(1)\n", 3) == search_tree_node(t, 0));
    CHECK(search_tree_find_code(t, "print(2)\n", 3) == search_tree_node(t, 1));
    CHECK(search_tree_find_code(t, "print(2)\n", 1) == search_tree_node(t, 2)); /* in flight */
    CHECK(search_tree_find_code(t, "print(1)\n", 0) == NULL);
    CHECK(search_tree_find_code(t, "print(3)\n", -1) == NULL);
    CHECK(search_tree_find_code(t, "", -1) == NULL);
    search_tree_free(t);

    t = search_tree_new(0); /* a resume: nodes 5, 9, then an in-flight 7 */
    search_tree_add_with_id(t, 5, STAGE_DRAFT, -1);
    search_tree_add_with_id(t, 9, STAGE_DRAFT, -1);
    search_node_finish(t, 5, 0, NULL, 1, 0.5, 1);
    search_node_finish(t, 9, 0, NULL, 1, 0.5, 1);
    CHECK(search_tree_first_open(t) == 2);
    search_tree_add_with_id(t, 7, STAGE_DRAFT, -1);
    CHECK(search_tree_first_open(t) == 1);
    CHECK(search_tree_at(t, search_tree_first_open(t))->id == 7);
    search_tree_free(t);
}

static void test_rng(void)
{
    search_rng a, b, c;
    search_rng_seed(&a, 42);
    search_rng_seed(&b, 42);
    search_rng_seed(&c, 43);
    int same = 1, differ = 0;
    for (int i = 0; i < 100; i++) {
        uint64_t x = search_rng_next(&a), y = search_rng_next(&b), z = search_rng_next(&c);
        same &= x == y;
        differ += x != z;
    }
    CHECK(same && differ > 95);
    /* uniform: in [0, 1), mean near 1/2; below: in range, every value hit */
    double sum = 0;
    int hits[7] = {0}, in_range = 1;
    for (int i = 0; i < 70000; i++) {
        double u = search_rng_uniform(&a);
        in_range &= u >= 0 && u < 1;
        sum += u;
        uint64_t k = search_rng_below(&a, 7);
        in_range &= k < 7;
        if (k < 7)
            hits[k]++;
    }
    CHECK(in_range);
    CHECK_NEAR(sum / 70000, 0.5, 0.01);
    for (int k = 0; k < 7; k++)
        CHECK_MSG(hits[k] > 9000 && hits[k] < 11000, "value %d hit %d times", k, hits[k]);
    CHECK(search_rng_below(&a, 0) == 0 && search_rng_below(&a, 1) == 0);
    /* seed 0 still gives a working (non-zero) state */
    search_rng_seed(&a, 0);
    CHECK(search_rng_next(&a) != 0 || search_rng_next(&a) != 0);
}

/* An ensemble node ranks as the best, but no policy expands it, no memory
 * summary lists it, and it counts against no step budget. */
static void test_ensemble(void)
{
    search_tree *t = search_tree_new(0);
    const double scores[] = {0.80, 0.85, 0.82};
    for (int i = 0; i < 3; i++) {
        search_tree_add(t, STAGE_DRAFT, -1, 1.0);
        search_node_set(&search_tree_node(t, i)->plan, "a plan");
        search_node_finish(t, i, 0, NULL, 1, scores[i], 2.0);
    }
    CHECK(search_tree_add(t, STAGE_ENSEMBLE, -1, 3.0) < 0); /* it hangs under a member */
    int e = search_tree_add(t, STAGE_ENSEMBLE, 1, 3.0);
    CHECK(e == 3);
    CHECK_STR(search_stage_name(STAGE_ENSEMBLE), "ensemble");
    const int bad_first[] = {2, 1};
    const int with_self[] = {1, 3};
    const int members[] = {1, 2, 0};
    const double w[] = {0.5, 0.3, 0.2};
    CHECK(search_tree_set_members(t, e, bad_first, w, 2) < 0); /* the first is its parent */
    CHECK(strstr(err_last(), "first member must be its parent 1") != NULL);
    CHECK(search_tree_set_members(t, e, with_self, w, 2) < 0);
    CHECK(search_tree_set_members(t, 0, members, w, 3) < 0); /* a draft has no members */
    CHECK(search_tree_set_members(t, e, members, w, 3) == 0);
    search_node_set(&search_tree_node(t, e)->plan, "ENSEMBLE PLAN");
    search_node_finish(t, e, 0, NULL, 1, 0.90, 4.0);
    const search_node *n = search_tree_node(t, e);
    CHECK(n->n_members == 3 && n->members[2] == 0 && n->weights[1] == 0.3);
    CHECK(search_tree_best(t) == e);
    CHECK(search_node_is_good(n) && !search_node_has_script(n));
    int ids[4];
    CHECK(search_tree_ranked(t, ids, 4) == 3 && ids[0] == 1 && ids[1] == 2 && ids[2] == 0);
    CHECK(search_tree_steps(t) == 3 && search_tree_count(t) == 4);
    char *m = search_memory(t, 4000);
    CHECK_MSG(!strstr(m, "ENSEMBLE PLAN"), "the memory lists the ensemble: %s", m);
    free(m);
    for (const char *name = "greedy"; name; name = !strcmp(name, "greedy") ? "mcts" : NULL) {
        search_policy_params prm;
        search_policy_params_default(&prm);
        prm.num_drafts = 3;
        search_policy *p = NULL;
        search_rng rng;
        search_rng_seed(&rng, 1);
        CHECK(search_policy_new(&p, name, &prm) == 0);
        for (int i = 0; i < 50; i++) {
            search_action a;
            if (search_policy_next(p, t, &rng, &a) == 0)
                CHECK_MSG(a.parent != e, "%s expands the ensemble", name);
        }
        search_policy_free(p);
    }
    search_tree_free(t);
}

/* The ranking kept by search_node_finish against a sort of the whole tree,
 * through resume order (ids added out of creation order), ties, nodes
 * finished again with another score or as buggy, and ensembles (left out). */
static const search_tree *cmp_tree;

static int by_rank(const void *a, const void *b)
{
    const search_node *x = search_tree_node(cmp_tree, *(const int *)a);
    const search_node *y = search_tree_node(cmp_tree, *(const int *)b);
    if (search_score_better(cmp_tree, x->score, y->score))
        return -1;
    if (search_score_better(cmp_tree, y->score, x->score))
        return 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

static void test_ranked_kept(void)
{
    for (int lower = 0; lower < 2; lower++) {
        search_tree *t = search_tree_new(lower);
        search_rng rng;
        search_rng_seed(&rng, 7 + (uint64_t)lower);
        int n = 400;
        /* resume adds ids in order with gaps; later ones are fresh */
        for (int id = 0; id < n; id += 1 + (int)search_rng_below(&rng, 2)) {
            int ens = id > 0 && search_rng_below(&rng, 9) == 0; /* of draft 0 */
            CHECK(search_tree_add_with_id(t, id, ens ? STAGE_ENSEMBLE : STAGE_DRAFT,
                                          ens ? 0 : -1) == id);
        }
        size_t count = search_tree_count(t);
        for (int round = 0; round < 3; round++) /* finished, then again (resume) */
            for (size_t i = 0; i < count; i++) {
                const search_node *nd = search_tree_at(t, i);
                if (round > 0 && search_rng_below(&rng, 3))
                    continue;
                int buggy = search_rng_below(&rng, 5) == 0;
                double score = (double)search_rng_below(&rng, 20) / 4; /* many ties */
                int has = search_rng_below(&rng, 11) != 0;
                search_node_finish(t, nd->id, buggy, buggy ? "bug" : NULL, has, score, 1);
            }
        int *want = xmalloc(count * sizeof *want), *got = xmalloc(count * sizeof *got);
        size_t k = 0;
        for (size_t i = 0; i < count; i++)
            if (search_node_has_script(search_tree_at(t, i)))
                want[k++] = search_tree_at(t, i)->id;
        cmp_tree = t;
        qsort(want, k, sizeof *want, by_rank);
        CHECK(k > 100 && search_tree_ranked(t, got, count) == k);
        int same = 1;
        for (size_t i = 0; i < k; i++)
            same &= got[i] == want[i];
        CHECK_MSG(same, "the kept ranking differs from a sort (lower_is_better %d)", lower);
        CHECK(search_tree_ranked(t, got, 5) == 5 && got[0] == want[0] && got[4] == want[4]);
        int good = 0;
        for (size_t i = 0; i < count; i++)
            good += search_node_is_good(search_tree_at(t, i));
        CHECK(search_tree_good_count(t) == good);

        /* the buggy leaves: some get a debug child, one of those fails too */
        for (size_t i = 0; i < count; i++) {
            const search_node *nd = search_tree_at(t, i);
            if (nd->state == NODE_DONE && nd->is_buggy && search_rng_below(&rng, 2)) {
                int c = search_tree_add(t, STAGE_DEBUG, nd->id, 2);
                CHECK(c >= 0);
                search_node_set(&search_tree_node(t, c)->code, i % 3 ? "print(1)" : "");
                search_node_finish(t, c, 1, "bug", 0, 0, 3);
            }
        }
        const int *leaves;
        size_t nl = search_tree_buggy_leaves(t, &leaves), m = 0;
        same = 1;
        for (size_t i = 0; i < search_tree_count(t); i++) {
            const search_node *nd = search_tree_at(t, i);
            if (nd->state == NODE_DONE && nd->is_buggy && nd->n_children == 0 && nd->code &&
                *nd->code)
                same &= m < nl && leaves[m++] == nd->id;
        }
        CHECK_MSG(same && m == nl && nl > 10, "buggy leaves: %zu kept, %zu found", nl, m);
        free(want);
        free(got);
        search_tree_free(t);
    }
}

int main(void)
{
    test_stage_names();
    test_links();
    test_resume_ids();
    test_best();
    test_first_open();
    test_rng();
    test_ensemble();
    test_ranked_kept();
    return check_done("search tree");
}

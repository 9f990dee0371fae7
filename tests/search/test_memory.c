/* test_memory.c: the bounded summary of earlier attempts. */
#include "check.h"
#include "search.h"
#include "util.h"

#include <stdlib.h>

static int add(search_tree *t, search_stage stage, int parent, const char *plan, int buggy,
               double score, const char *summary, const char *exc)
{
    int id = search_tree_add(t, stage, parent, 0);
    search_node *n = search_tree_node(t, id);
    search_node_set(&n->plan, plan);
    search_node_set(&n->summary, summary);
    search_node_set(&n->exc_type, exc);
    search_node_finish(t, id, buggy, buggy ? "the script raised an exception" : NULL, !buggy,
                       score, 1);
    return id;
}

/* Position of `needle` in `hay`, or -1. */
static long at(const char *hay, const char *needle)
{
    const char *p = strstr(hay, needle);
    return p ? p - hay : -1;
}

static void test_empty(void)
{
    search_tree *t = search_tree_new(0);
    char *m = search_memory(t, 4000);
    CHECK_STR(m, "");
    free(m);
    search_tree_add(t, STAGE_DRAFT, -1, 0); /* in flight: not memory */
    m = search_memory(t, 4000);
    CHECK_STR(m, "");
    free(m);
    search_tree_free(t);
}

static void test_content(void)
{
    search_tree *t = search_tree_new(0);
    add(t, STAGE_DRAFT, -1, "Logistic regression on TF-IDF. More words.", 0, 0.71,
        "Works; AUC 0.71.", NULL);
    add(t, STAGE_DRAFT, -1, "A CNN on raw pixels.", 1, 0, NULL, "ModuleNotFoundError");
    add(t, STAGE_IMPROVE, 0, "Add character n-grams.", 0, 0.78, "Better.", NULL);
    add(t, STAGE_DRAFT, -1, "Gradient boosting on counts.", 0, 0.65, NULL, NULL);
    char *m = search_memory(t, 4000);
    CHECK(at(m, "higher score is better") >= 0);
    CHECK(at(m, "node 2 (improve of 0), score 0.78: Add character n-grams") >= 0);
    CHECK(at(m, "outcome: Better") >= 0);
    CHECK(at(m, "More words") < 0); /* plans are summarised */
    /* best first */
    CHECK(at(m, "node 2 ") < at(m, "node 0 ") && at(m, "node 0 ") < at(m, "node 3 "));
    /* failures after the good ones, with their exception */
    CHECK(at(m, "node 1 (draft): failed with ModuleNotFoundError") > at(m, "node 3 "));
    CHECK(at(m, "A CNN on raw pixels") >= 0);
    free(m);

    /* entries are kept on the nodes once made (memo): one finished again, as
     * resume does, is listed as it is now, not as it was */
    search_node_finish(t, 3, 0, NULL, 1, 0.99, 2);
    search_node_finish(t, 1, 1, "ran out of memory", 0, 0, 2);
    m = search_memory(t, 4000);
    CHECK(at(m, "node 3 (draft), score 0.99") >= 0 && at(m, "score 0.65") < 0);
    CHECK(at(m, "node 3 ") < at(m, "node 2 ")); /* now the best */
    CHECK(at(m, "(ran out of memory)") >= 0 && at(m, "raised an exception") < 0);
    free(m);
    search_tree_free(t);
}

static void test_bound(void)
{
    search_tree *t = search_tree_new(1); /* lower is better */
    char plan[200];
    for (int i = 0; i < 60; i++) {
        snprintf(plan, sizeof plan, "Attempt number %d with a fairly long description of "
                 "what it tries to change in the model", i);
        /* scores fall then rise: the best are in the middle, the newest last */
        add(t, STAGE_DRAFT, -1, plan, i % 7 == 3, (i - 30) * (i - 30), "ok", "ValueError");
    }
    size_t sizes[] = {0, 50, 300, 700, 1500, 100000};
    size_t prev = 0;
    for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++) {
        char *m = search_memory(t, sizes[k]);
        CHECK_MSG(strlen(m) <= sizes[k], "%zu > %zu", strlen(m), sizes[k]);
        CHECK(strlen(m) >= prev); /* more room never means less memory */
        prev = strlen(m);
        if (sizes[k] >= 700) {
            CHECK(at(m, "node 30 ") >= 0); /* the best */
            CHECK(at(m, "node 58 ") >= 0); /* the newest good one (59 is buggy) */
            CHECK(at(m, "lower score is better") >= 0);
        }
        if (sizes[k] == 700)
            CHECK(at(m, "node 11 ") < 0); /* neither best nor recent */
        if (sizes[k] == 100000)
            CHECK(at(m, "node 11 ") >= 0 && at(m, "failed with ValueError") >= 0);
        free(m);
    }
    CHECK(prev > 0);
    search_tree_free(t);
}

/* A debug step's memory: the failed ancestors on its line, nearest first,
 * whole entries within the bound, nothing from other lines. */
static void test_failure_chain(void)
{
    search_tree *t = search_tree_new(0);
    int good = add(t, STAGE_DRAFT, -1, "A working ridge model.", 0, 0.7, "ok", NULL);
    int other = add(t, STAGE_DRAFT, -1, "Another line that broke.", 1, 0, NULL, "OSError");
    char plan[200];
    int id = add(t, STAGE_IMPROVE, good, "Fix 0: add target encoding.", 1, 0, NULL, "KeyError");
    for (int i = 1; i < 40; i++) {
        snprintf(plan, sizeof plan, "Fix %d: a long description of the change that this debug "
                 "attempt made to the failing script", i);
        id = add(t, STAGE_DEBUG, id, plan, 1, 0, NULL, i % 2 ? "ValueError" : "MemoryError");
    }
    int leaf = search_tree_add(t, STAGE_DEBUG, id, 0); /* the step being prompted */
    char *all = search_memory_failures(t, leaf, 1000000);
    CHECK(at(all, "node 41 ") >= 0 && at(all, "node 2 ") > at(all, "node 41 "));
    CHECK(at(all, "OSError") < 0 && at(all, "ridge") < 0); /* other lines, good nodes */
    CHECK(at(all, "Fix 0: add target encoding") >= 0);
    size_t sizes[] = {0, 60, 200, 500, 1500, 4000};
    size_t prev = 0;
    for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++) {
        char *m = search_memory_failures(t, leaf, sizes[k]);
        CHECK_MSG(strlen(m) <= sizes[k], "%zu > %zu", strlen(m), sizes[k]);
        CHECK(strlen(m) >= prev);
        CHECK(!*m || at(m, "node 41 ") >= 0); /* the parent comes first */
        CHECK(!*m || m[strlen(m) - 1] == '\n'); /* whole entries */
        prev = strlen(m);
        free(m);
    }
    CHECK(prev > 1000 && prev < strlen(all));
    free(all);
    char *none = search_memory_failures(t, good, 4000);
    CHECK_STR(none, ""); /* a draft has no ancestors */
    free(none);
    none = search_memory_failures(t, 999, 4000);
    CHECK_STR(none, "");
    free(none);
    (void)other;
    search_tree_free(t);
}

/* A tree of 20,000 nodes, 16,000 good: the summary still holds the best and the
 * newest nodes, and building it costs about what it costs at 200 nodes (the
 * whole tree ranked and formatted for every prompt cost seconds here). */
static void test_large(void)
{
    search_tree *t = search_tree_new(0);
    char plan[120];
    double t0 = 0, small = 0;
    for (int i = 0; i < 20000; i++) {
        snprintf(plan, sizeof plan, "Attempt %d: a plan of ordinary length for a node", i);
        /* scores scattered, node 7778 the best */
        /* a fifth fail: with the good ones filling the room, no failure fits */
        add(t, STAGE_DRAFT, -1, plan, i % 5 == 2,
            i == 7778 ? 2.0 : (double)((i * 7919) % 10007) / 1e4, "ok", "ValueError");
        if (i == 199) {
            t0 = clock_mono();
            for (int k = 0; k < 20; k++)
                free(search_memory(t, 4000));
            small = clock_mono() - t0;
        }
    }
    char *m = search_memory(t, 4000);
    CHECK(strlen(m) <= 4000 && strlen(m) > 3000);
    CHECK(at(m, "- node 7778 ") >= 0 && at(m, "- node 7778 ") < at(m, "- node 19999 "));
    CHECK(at(m, "- node 19999 ") >= 0); /* the newest */
    CHECK(at(m, "- node 19998 ") >= 0);
    free(m);
    t0 = clock_mono();
    for (int k = 0; k < 20; k++)
        free(search_memory(t, 4000));
    double large = clock_mono() - t0;
    CHECK_MSG(large < 0.5 && large < 50 * small + 0.05,
              "20 summaries: %.3f s at 20,000 nodes, %.3f s at 200", large, small);
    search_tree_free(t);
}

int main(void)
{
    test_empty();
    test_content();
    test_bound();
    test_failure_chain();
    test_large();
    return check_done("search memory");
}

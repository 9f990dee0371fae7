/*
 * test_metrics.c: the metric table (bench/metrics_table.c) and the grading
 * paths (bench/grade_data.h).
 *
 * - the table: every name once, every row computable, flags that agree
 *   with each other, every registry metric in it, and an unknown metric's
 *   message naming every metric the table holds (the message once left out
 *   the 13 numeric ones);
 * - the paths: grade_load picks the reduced log loss and the binary AUC
 *   where they apply and the tables elsewhere, and the score a fast path
 *   gives is the one metric_compute gives over the same tables.
 */
#include "bench.h"
#include "check.h"
#include "grade.h"
#include "grade_data.h"
#include "metrics.h"
#include "util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[] = "/tmp/grove_test_metrics_XXXXXX";

static const char *const numeric[] = {
    "log_mae_groups", "auc_multilabel", "weighted_auc", "kl_votes", "lwlrap",
    "angular_error", "haversine_trips", "laplace_ll", "pf1", "cervical_wll",
    "rmse_kept", "jigsaw_bias", "mae_where0",
};

static void test_table(void)
{
    char *names = metric_names();
    size_t count = 0;
    for (char *p = names, *next; p && *p; p = next) {
        next = strstr(p, ", ");
        if (next)
            *next = 0, next += 2;
        count++;
        const metric_def *d = metric_find(p);
        CHECK_MSG(d && d->compute && !strcmp(d->name, p), "%s", p);
        if (!d)
            continue;
        CHECK_MSG(!(d->flags & METRIC_KNOWN), "%s", p);
        CHECK_MSG(!(d->flags & METRIC_TEXT) || (d->flags & METRIC_STRING), "%s", p);
        CHECK_MSG(!(d->flags & METRIC_BOUNDED) || d->lo < d->hi, "%s", p);
        CHECK_MSG(!(d->flags & METRIC_STRING) || !(d->flags & METRIC_MASK), "%s", p);
        CHECK(metric_flags(p) == (METRIC_KNOWN | d->flags));
        /* a mask metric's row carries its kind, the grading side's columns */
        const mask_kind *kind = d->spec;
        CHECK_MSG(!(d->flags & METRIC_MASK) || (kind && !strcmp(kind->metric, p)), "%s", p);
        /* each name once: the one metric_find finds is the only one */
        char *rest = strdup(next ? next : "");
        for (char *q = rest, *nq; q && *q; q = nq) {
            nq = strstr(q, ", ");
            if (nq)
                *nq = 0, nq += 2;
            CHECK_MSG(strcmp(q, p), "%s twice", p);
        }
        free(rest);
    }
    free(names);
    CHECK(count >= 50);
    CHECK(metric_find("no_such_metric") == NULL);
    CHECK(metric_flags("no_such_metric") == 0);
    CHECK(metric_find("rmse_1_100")->lo == 1 && metric_find("rmse_1_100")->hi == 100);

    size_t n;
    const bench_competition *all = bench_registry_all(&n);
    for (size_t i = 0; i < n; i++)
        if (all[i].graded)
            CHECK_MSG(metric_find(all[i].metric), "%s: %s", all[i].id, all[i].metric);
}

static void test_unknown_lists_all(void)
{
    double y = 1, out = 0;
    const char *col = "c";
    metric_input in = {1, 1, &y, &y, NULL, NULL, &col, NULL, NULL};
    CHECK(metric_compute(&out, "no_such_metric", &in) < 0);
    char *msg = xstrdup(err_last());
    CHECK(strstr(msg, "unknown metric 'no_such_metric'") != NULL);
    char *names = metric_names();
    for (char *p = names, *next; p && *p; p = next) {
        next = strstr(p, ", ");
        if (next)
            *next = 0, next += 2;
        char *quoted = xasprintf(" %s", p);
        CHECK_MSG(strstr(msg, quoted) != NULL, "%s not in the message", p);
        free(quoted);
    }
    for (size_t i = 0; i < sizeof numeric / sizeof numeric[0]; i++)
        CHECK_MSG(strstr(msg, numeric[i]) != NULL, "%s", numeric[i]);
    free(names);
    free(msg);
}

static void test_one_col(void)
{
    double y[4] = {0, 1, 1, 0}, p[4] = {0, 1, 1, 0}, out = 0;
    const char *cols[2] = {"a", "b"};
    metric_input in = {2, 2, y, p, NULL, NULL, cols, NULL, NULL};
    const char *one[] = {"qwk", "qwk_int", "rmse", "rmse_1_100", "mae", "pearson", "mcc"};
    for (size_t i = 0; i < sizeof one / sizeof one[0]; i++) {
        CHECK_MSG(metric_compute(&out, one[i], &in) < 0, "%s", one[i]);
        CHECK_MSG(strstr(err_last(), "scores one target column") != NULL, "%s: %s", one[i],
                  err_last());
    }
    CHECK(metric_compute(&out, "rmsle_cols", &in) == 0 && out == 0);
    in.n = 0;
    CHECK(metric_compute(&out, "rmse", &in) < 0);
}

static char *put(const char *name, const char *text)
{
    char *p = path_join(dir, name);
    file_write_str(p, text);
    return p;
}

/* Grade sub against ans as comp; the path's name into *path (static text). */
static double grade(const bench_competition *c, const char *sub, const char *ans,
                    const char **path)
{
    grade_data g;
    double score = NAN;
    int rc = grade_load(&g, c, sub, ans);
    CHECK_MSG(rc == 0 && !g.why, "%s: %s", c->metric, g.why ? g.why : err_last());
    *path = g.path ? g.path->ops->name : "";
    if (rc == 0 && !g.why)
        CHECK_MSG(grade_score(&score, &g) == 0, "%s", err_last());
    grade_free(&g);
    return score;
}

static void test_paths(void)
{
    char *ans = put("ll_ans.csv", "id,a,b,c\n1,1,0,0\n2,0,1,0\n3,0,0,1\n4,1,0,0\n");
    char *sub = put("ll_sub.csv", "id,a,b,c\n3,0.2,0.2,0.6\n1,0.7,0.2,0.1\n"
                    "4,0.5,0.25,0.25\n2,0.1,0.8,0.1\n");
    bench_competition c = {.id = "t-ll", .metric = "logloss", .graded = 1, .id_col = "id",
                           .pairing = PAIR_BY_ID, .target_cols = "a,b,c",
                           .prob_rows_sum_to_one = 1};
    const char *path = NULL;
    double s = grade(&c, sub, ans, &path);
    CHECK_STR(path, "reduced log loss");
    CHECK_NEAR(s, -(log(0.7) + log(0.8) + log(0.6) + log(0.5)) / 4, 1e-12);
    /* the same tables through the general metric */
    double y[12] = {1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 0, 0};
    double p[12] = {0.7, 0.2, 0.1, 0.1, 0.8, 0.1, 0.2, 0.2, 0.6, 0.5, 0.25, 0.25}, out = 0;
    const char *cols[3] = {"a", "b", "c"};
    metric_input in = {4, 3, y, p, NULL, NULL, cols, NULL, NULL};
    CHECK(metric_compute(&out, "logloss", &in) == 0);
    CHECK(s == out);

    char *aans = put("auc_ans.csv", "id,t\n1,0\n2,1\n3,1\n4,0\n5,1\n");
    char *asub = put("auc_sub.csv", "id,t\n5,0.9\n4,0.3\n3,0.35\n2,0.8\n1,0.4\n");
    bench_competition a = {.id = "t-auc", .metric = "auc", .graded = 1, .id_col = "id",
                           .pairing = PAIR_BY_ID, .target_cols = "t"};
    s = grade(&a, asub, aans, &path);
    CHECK_STR(path, "binary AUC");
    CHECK_NEAR(s, 5.0 / 6, 1e-15); /* of 6 (pos, neg) pairs, 0.35 < 0.4 loses one */
    a.metric = "auc_cols";
    CHECK_NEAR(grade(&a, asub, aans, &path), 5.0 / 6, 1e-15);
    CHECK_STR(path, "tables");
    a.metric = "rmse";
    CHECK(grade(&a, asub, aans, &path) > 0);
    CHECK_STR(path, "tables");
    a.metric = "auc";
    a.pairing = PAIR_BY_SORTED_ID; /* rows meet only once all are in */
    CHECK_NEAR(grade(&a, asub, aans, &path), 5.0 / 6, 1e-15);
    CHECK_STR(path, "tables");
    free(ans);
    free(sub);
    free(aans);
    free(asub);
}

int main(void)
{
    if (!mkdtemp(dir))
        return 1;
    test_table();
    test_unknown_lists_all();
    test_one_col();
    test_paths();
    char *cmd = xasprintf("rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    free(cmd);
    return check_done("test_metrics");
}

/*
 * run_analysis.c: the selection analysis, for judging the search.
 *
 * A search picks its final node by the scores it saw (grove's holdout). Was
 * that the right pick? After the search and the final re-run, the K best
 * nodes by search score are re-run on the full training data (each in
 * RUN/analysis/<id>/) and graded on the competition's test answers. The
 * best test score among them and the final submission is the oracle: what a
 * perfect selector would have handed in. The regret is the oracle less the
 * final score, in the metric's direction, so it is >= 0, and 0 when the
 * search picked the best of its finalists.
 *
 * Nothing here reaches the search, the prompts or the model: it runs once
 * the search is over, and its files sit beside the journal, never in it.
 * The re-runs go side by side, as many at once as the run has workers (an
 * ensemble's after them, its members side by side in turn), and each one's
 * test score is kept as it ends (RUN/analysis/<id>.json). It is part of the
 * run (config analysis_top_k), so a run that was killed during the analysis
 * redoes it on --resume, before finished.json is written: only the re-runs
 * not kept.
 */
#include "config.h"
#include "run.h"
#include "util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static void add_score(cJSON *o, const char *key, double v)
{
    if (isnan(v))
        cJSON_AddNullToObject(o, key);
    else
        cJSON_AddNumberToObject(o, key, v);
}

/* Node id's re-run: its workspace and the file its result is kept in
 * (caller frees). */
static char *analysis_dir(const run_ctx *r, int id)
{
    return xasprintf("%s/analysis/%d", r->run_dir, id);
}

static char *analysis_kept(const run_ctx *r, int id)
{
    return xasprintf("%s/analysis/%d.json", r->run_dir, id);
}

/* What re-running node n on the full data and grading it on the test
 * answers takes (the final selection's helpers do it): after the search,
 * outside its time limit, so the script's own limit. */
static run_rerun_spec analysis_spec(const run_ctx *r, const char *dir, const char *answers)
{
    return (run_rerun_spec){
        .dir = dir, .input_dir = r->public_dir, .data_label = "the full training data",
        .answers = answers, .why = "selection analysis (after the search)",
        .timeout = r->cfg.exec_timeout * 2,
    };
}

/* A re-run side by side is done: keep its result now, so that a kill while
 * the others still run redoes only those. */
static void kept_done(run_rerun_item *it, void *data)
{
    char *path = analysis_kept(data, it->node->id);
    run_rerun_keep(path, it->score, it->err);
    free(path);
}

/* The test scores of nodes ids[0..n) into score[] and why not into err[]
 * (caller frees): the final node's is final_score (same script, same
 * data), kept ones are read back, the others re-run, side by side but for
 * ensembles. 0, or -2 when SIGINT or SIGTERM stopped the re-runs. */
static int analysis_scores(run_ctx *r, const int *ids, int n, int final_node,
                            double final_score, double *score, char **err)
{
    char *answers = run_test_answers(r);
    char *why = answers ? NULL : xstrdup(err_last()); /* why there are none */
    run_rerun_item *items = xcalloc((size_t)n + 1, sizeof *items);
    char **dirs = xcalloc((size_t)n + 1, sizeof *dirs);
    int *at = xcalloc((size_t)n + 1, sizeof *at), k = 0;
    for (int i = 0; i < n; i++) {
        const search_node *node = search_tree_node(r->tree, ids[i]);
        char *kept = analysis_kept(r, node->id);
        score[i] = NAN;
        err[i] = NULL;
        if (node->id == final_node) {
            score[i] = final_score;
        } else if (run_rerun_cached(kept, &score[i], &err[i])) {
            /* ended before this session's kill */
        } else if (!answers) {
            err[i] = xstrdup(why);
        } else if (node->stage != STAGE_ENSEMBLE) {
            dirs[k] = analysis_dir(r, node->id);
            items[k] = (run_rerun_item){.node = node, .spec = analysis_spec(r, dirs[k], answers)};
            at[k++] = i;
        }
        free(kept);
    }
    int rc = k > 0 ? run_rerun_many(r, items, k, kept_done, r) : 0;
    for (int j = 0; j < k; j++) {
        int i = at[j];
        score[i] = items[j].done ? items[j].score : NAN;
        err[i] = items[j].err ? items[j].err
                 : items[j].done ? NULL
                 : xstrdup(rc == -2 ? r->stop_reason : "not re-run");
        free(dirs[j]);
    }
    /* ensembles, one at a time (their members side by side), unless a
     * signal stopped the others */
    for (int i = 0; i < n && rc != -2 && answers; i++) {
        const search_node *node = search_tree_node(r->tree, ids[i]);
        if (node->stage != STAGE_ENSEMBLE || node->id == final_node || !isnan(score[i]) ||
            err[i])
            continue;
        char *dir = analysis_dir(r, node->id), *kept = analysis_kept(r, node->id);
        run_rerun_spec spec = analysis_spec(r, dir, answers);
        rc = run_rerun_grade(r, node, &spec, &score[i]);
        if (rc < 0)
            err[i] = xstrdup(err_last());
        if (rc != -2)
            run_rerun_keep(kept, score[i], err[i]);
        free(kept);
        free(dir);
    }
    free(at);
    free(dirs);
    free(items);
    free(why);
    free(answers);
    return rc == -2 ? -2 : 0;
}

/* The regret over the reference gap |silver - median|, so that regrets of
 * competitions with different metrics can be averaged; NaN when unknown. */
static double normalised(double regret, const bench_report *final)
{
    double gap = fabs(final->silver_threshold - final->median_threshold);
    return isnan(regret) || !(gap > 0) ? NAN : regret / gap;
}

int run_analysis(run_ctx *r, int final_node, const bench_report *final)
{
    int k = (int)r->cfg.analysis_top_k;
    if (k < 1 || !r->comp || !r->comp->graded || !final->competition_id)
        return 0; /* nothing to compare with: the final was not graded */
    int n;
    int *ids = run_top_k(r->tree, k, &n);
    printf("grove: selection analysis: re-running the %d best nodes on the full data and "
           "grading them on the test answers (analysis only)\n", n);
    fflush(stdout);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "k", k);
    cJSON_AddStringToObject(o, "metric", r->metric_name);
    cJSON_AddBoolToObject(o, "lower_is_better", r->lower_is_better);
    cJSON *nodes = cJSON_AddArrayToObject(o, "nodes");
    double search_pick = NAN; /* AIDE's pick, the best search score: ids[0] */
    double final_score = final->valid_submission ? final->score : NAN;
    double oracle = final_score;
    int oracle_node = final_node;
    double *scores = xcalloc((size_t)n + 1, sizeof *scores);
    char **errs = xcalloc((size_t)n + 1, sizeof *errs);
    if (analysis_scores(r, ids, n, final_node, final_score, scores, errs) == -2) {
        /* no analysis.json until it is whole: the resume finishes it */
        for (int i = 0; i < n; i++)
            free(errs[i]);
        free(errs);
        free(scores);
        free(ids);
        cJSON_Delete(o);
        return -2;
    }
    for (int i = 0; i < n; i++) {
        const search_node *node = search_tree_node(r->tree, ids[i]);
        cJSON *e = cJSON_CreateObject();
        cJSON_AddNumberToObject(e, "id", node->id);
        cJSON_AddNumberToObject(e, "rank", i + 1);
        add_score(e, "search_score", node->score);
        double s = scores[i];
        if (errs[i])
            cJSON_AddStringToObject(e, "error", errs[i]);
        free(errs[i]);
        if (i == 0)
            search_pick = s;
        add_score(e, "test_score", s);
        cJSON_AddItemToArray(nodes, e);
        if (!isnan(s) && (isnan(oracle) || search_score_better(r->tree, s, oracle))) {
            oracle = s;
            oracle_node = node->id;
        }
    }
    int search_node = n ? ids[0] : -1;
    free(ids);
    free(scores);
    free(errs);
    double regret = isnan(final_score) || isnan(oracle) ? NAN : fabs(oracle - final_score);
    /* the final selection's pick against the best search score's: what the
     * hidden holdout gained (a regret of the search pick above the final's)
     * or cost */
    double search_regret = isnan(search_pick) || isnan(oracle) ? NAN : fabs(oracle - search_pick);
    const char *rule = r->three_way && r->cfg.selection == CONFIG_SELECTION_HIDDEN ? "hidden"
                                                                                     : "search";
    cJSON_AddNumberToObject(o, "final_node", final_node);
    add_score(o, "final_score", final_score);
    cJSON_AddNumberToObject(o, "oracle_node", oracle_node);
    add_score(o, "oracle_score", oracle);
    add_score(o, "regret", regret);
    add_score(o, "median_threshold", final->median_threshold);
    add_score(o, "silver_threshold", final->silver_threshold);
    add_score(o, "regret_normalised", normalised(regret, final));
    cJSON_AddStringToObject(o, "selection", rule);
    if (search_node >= 0)
        cJSON_AddNumberToObject(o, "search_pick_node", search_node);
    add_score(o, "search_pick_score", search_pick);
    add_score(o, "search_pick_regret", search_regret);
    add_score(o, "search_pick_regret_normalised", normalised(search_regret, final));
    int rc = json_file_save(r->run_dir, "analysis.json", o);
    if (rc == 0)
        printf("selection analysis: oracle node %d %s %.5f, final node %d %.5f (%s pick), "
               "regret %.5f; the best search score's node %d: regret %.5f (%s/analysis.json)\n",
               oracle_node, r->metric_name, oracle, final_node, final_score, rule, regret,
               search_node, search_regret, r->run_dir);
    else
        log_error("%s", err_last());
    return rc;
}

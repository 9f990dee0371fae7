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
 * It is part of the run (config analysis_top_k), so a run that was killed
 * during the analysis redoes it on --resume, before finished.json is written.
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

/* Re-run and grade one finalist on the full data and the test answers
 * (run_rerun_grade, the final selection's helper too); its test score, NaN
 * when it has none (why goes into the node's entry). */
static double grade_finalist(run_ctx *r, const search_node *n, const char *answers,
                             cJSON *entry)
{
    char *dir = xasprintf("%s/analysis/%d", r->run_dir, n->id);
    double score = NAN;
    /* after the search, outside its time limit: the script's own limit */
    run_rerun_spec spec = {
        .dir = dir, .input_dir = r->public_dir, .data_label = "the full training data",
        .answers = answers, .why = "selection analysis (after the search)",
        .timeout = r->cfg.exec_timeout * 2,
    };
    if (!answers || run_rerun_grade(r, n, &spec, &score) < 0)
        cJSON_AddStringToObject(entry, "error", err_last());
    free(dir);
    return score;
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
    char *answers = run_test_answers(r);
    double search_pick = NAN; /* AIDE's pick, the best search score: ids[0] */
    double final_score = final->valid_submission ? final->score : NAN;
    double oracle = final_score;
    int oracle_node = final_node;
    for (int i = 0; i < n; i++) {
        const search_node *node = search_tree_node(r->tree, ids[i]);
        cJSON *e = cJSON_CreateObject();
        cJSON_AddNumberToObject(e, "id", node->id);
        cJSON_AddNumberToObject(e, "rank", i + 1);
        add_score(e, "search_score", node->score);
        /* the final node's full-data run was graded already: same script,
         * same data, so its score is the final one */
        double s = node->id == final_node ? final_score : grade_finalist(r, node, answers, e);
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
    free(answers);
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

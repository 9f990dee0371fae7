/*
 * run_final.c: the end of a run. In holdout mode the nodes were scored on
 * grove's own split; the final selection (run_select.c) picks the final node,
 * and its script is re-run on the full training data to produce the final
 * submission (the next finalists by search score stand in when it fails
 * there; run_rerun.c re-runs). The result goes to runs/<name>/best/ and is graded when the competition's
 * answers exist. Then the tree and a summary are printed.
 */
#include "config.h"
#include "run.h"
#include "util.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int *run_top_k(const search_tree *t, int k, int *n)
{
    int *ids = xcalloc((size_t)k + 1, sizeof *ids);
    *n = 0;
    for (size_t i = 0; i < search_tree_count(t); i++) {
        const search_node *c = search_tree_at(t, i);
        if (c->state != NODE_DONE || c->is_buggy || !c->has_score)
            continue;
        int pos = *n;
        while (pos > 0 && search_score_better(t, c->score, search_tree_node(t, ids[pos - 1])->score))
            pos--;
        if (pos >= k)
            continue;
        int last = *n < k ? *n : k - 1;
        memmove(ids + pos + 1, ids + pos, (size_t)(last - pos) * sizeof *ids);
        ids[pos] = c->id;
        if (*n < k)
            (*n)++;
    }
    return ids;
}

/* The final re-runs: the candidates of the final selection (the pick, then
 * the next by search score; final_top_k of them), in order, until one makes
 * a submission (*sub, *used), the time limit is spent, or a signal stops
 * one (returns 1). The time limit covers the re-run (the README promises it,
 * and the search kept a reserve for it): what is left of the limit caps each
 * one, even below what the node is expected to need. A limit too short for
 * the re-run ends without a final submission, and says how to make one. */
static int rerun_top(run_ctx *r, char **sub, int *used)
{
    int n, k = (int)r->cfg.final_top_k, interrupted = 0;
    /* an ensemble that fails on the full data leaves a single node to
     * stand in, whatever k */
    if (search_tree_count_stage(r->tree, STAGE_ENSEMBLE) > 0)
        k++;
    int *ids = NULL;
    if (run_select(r, k < 1 ? 1 : k, &ids, &n) == -2) {
        free(ids);
        return 1;
    }
    *used = n > 0 ? ids[0] : *used;
    for (int i = 0; i < n && !*sub && !interrupted && run_total_left(r) >= 1; i++) {
        char *dir = xasprintf("%s/final/%d", r->run_dir, ids[i]);
        double left = run_total_left(r);
        int got = run_rerun_full(r, search_tree_node(r->tree, ids[i]), dir,
                                 fmin(r->cfg.exec_timeout * 2, left), sub);
        free(dir);
        if (got == -1)
            log_warn("%s%s", err_last(), i + 1 < n ? "; trying the next candidate" : "");
        *used = got == 0 ? ids[i] : *used;
        interrupted = got == -2;
    }
    free(ids);
    return interrupted;
}

char *run_test_answers(const run_ctx *r)
{
    if (!r->comp || !r->comp->graded || !r->comp->answers) {
        err_set("%s has no grader in the registry", r->comp_id);
        return NULL;
    }
    char *answers = path_join(r->private_dir, r->comp->answers);
    if (!file_exists(answers)) {
        err_set("no answers at %s", answers);
        free(answers);
        return NULL;
    }
    return answers;
}

int run_grade(run_ctx *r, const char *sub, int node, const char *why, bench_report *rep)
{
    memset(rep, 0, sizeof *rep);
    char *answers = run_test_answers(r);
    if (!answers)
        return 1;
    int rc = audit_grade(r->audit, rep, r->comp, sub, answers, node, why) < 0 ? -1 : 0;
    free(answers);
    return rc;
}

/* Grade the final submission (written at sub in best.tmp/, to be found at
 * final_sub once best/ is in place), save grade.json beside it, and print
 * the result; *rep holds it (valid_submission 0 when none). */
static void grade_final(run_ctx *r, const char *best_dir, const char *sub, const char *final_sub,
                        int node, bench_report *rep)
{
    int rc = run_grade(r, sub, node, "final submission", rep);
    if (rc != 0) {
        printf("final submission: not graded (%s)\n", err_last());
        r->final_why = rc > 0 ? "not graded: no answers" : "not graded: the grader failed";
        return;
    }
    free(rep->submission_path);
    rep->submission_path = xstrdup(final_sub);
    if (json_file_save(best_dir, "grade.json", bench_report_json(rep)) < 0)
        log_warn("%s", err_last());
    if (rep->valid_submission) {
        printf("final submission graded on the competition's test answers: %s %.5f%s%s\n",
               r->metric_name, rep->score,
               rep->any_medal ? (rep->gold_medal ? " (gold)" : rep->silver_medal ? " (silver)"
                                                                                 : " (bronze)")
                              : "",
               rep->above_median ? ", above median" : "");
    } else {
        printf("final submission is invalid: %s\n", rep->error ? rep->error : "?");
        r->final_why = "the final submission is invalid";
    }
}

int run_finish(run_ctx *r)
{
    char *tree = tree_render(r->tree, r->holdout ? "holdout" : "score");
    printf("\n%s", tree);
    free(tree);
    printf("stopped: %s\n", r->stop_reason ? r->stop_reason : "done");
    if (r->n_requests) {
        printf("llm: %ld requests, %ld input + %ld output tokens (%ld cached", r->n_requests,
               r->spent.input_tokens, r->spent.output_tokens, r->spent.cached_tokens);
        if (r->spent.cache_write_tokens)
            printf(", %ld of them cache writes", r->spent.cache_write_tokens);
        printf("), cost ");
        if (r->spent.cost_known)
            printf("$%.4f\n", r->spent.cost_usd);
        else
            printf("unknown (model not in the price table)\n");
    }
    int best = search_tree_best(r->tree);
    if (best < 0) {
        char *q = shell_quote(r->run_dir);
        printf("no node produced a valid scored submission; see `grove tree %s`\n", q);
        free(q);
        r->final_why = "no node produced a valid scored submission";
        return 1;
    }
    const search_node *b = search_tree_node(r->tree, best);
    const search_node *first = NULL; /* the first finished draft, by id */
    for (size_t i = 0; i < search_tree_count(r->tree) && !first; i++) {
        const search_node *n = search_tree_at(r->tree, i);
        if (n->stage == STAGE_DRAFT && n->state == NODE_DONE)
            first = n;
    }
    const char *label = r->holdout ? "holdout" : "self-reported";
    printf("best: node %d, %s %s %.5f", best, label, r->metric_name, b->score);
    if (first && first->has_score && !first->is_buggy)
        printf("  (first draft, node %d: %.5f)\n", first->id, first->score);
    else if (first)
        printf("  (first draft, node %d: buggy)\n", first->id);
    else
        printf("\n");

    /* best/ is assembled in best.tmp/ and renamed into place, so it never
     * mixes files of two sessions or holds half of one */
    char *tmp_dir = path_join(r->run_dir, "best.tmp");
    char *best_dir = path_join(r->run_dir, "best");
    rm_rf(tmp_dir);
    mkdir_p(tmp_dir, 0755);
    char *sub = NULL;
    int used = best, interrupted = 0;
    char *q = shell_quote(r->run_dir);
    if (r->holdout && r->stopping == RUN_STOP_NOW && r->exit_code) {
        printf("no re-run on the full data after a hard stop; `grove run --resume %s` "
               "finishes the run\n", q);
    } else if (r->holdout) {
        interrupted = rerun_top(r, &sub, &used);
    } else {
        char *dir = xasprintf("%s/nodes/%d", r->run_dir, best);
        if (run_submission(dir, &sub) < 0)
            log_warn("node %d: %s", best, err_last());
        free(dir);
    }
    if (interrupted) {
        /* best.tmp/ goes (nothing in it is finished); best/ keeps what an
         * earlier session made, and a resume re-runs the final */
        rm_rf(tmp_dir);
        printf("grove: %s: no final submission made; `grove run --resume %s` finishes the "
               "final selection and the re-run of node %d on the full data\n", r->stop_reason,
               q, used);
        r->final_why = "interrupted during the final selection or re-run";
        free(q);
        free(tmp_dir);
        free(best_dir);
        return 1;
    }
    char *sol = path_join(tmp_dir, "solution.py");
    int rc = file_write_str(sol, search_tree_node(r->tree, used)->code
                                     ? search_tree_node(r->tree, used)->code : "");
    free(sol);
    run_ensemble_files(r, search_tree_node(r->tree, used), tmp_dir);
    char *dst = path_join(tmp_dir, "submission.csv");
    char *final_sub = path_join(best_dir, "submission.csv");
    bench_report rep;
    memset(&rep, 0, sizeof rep);
    if (sub && rc == 0)
        rc = file_copy(sub, dst);
    r->final_node = sub ? used : -1;
    if (sub && rc == 0) {
        printf("final submission (node %d): %s\n", used, final_sub);
        grade_final(r, tmp_dir, dst, final_sub, used, &rep);
    }
    if (rc == 0 && (rm_rf(best_dir) < 0 || rename(tmp_dir, best_dir) < 0))
        rc = err_set("%s: %s", best_dir, strerror(errno));
    if (rc < 0)
        log_error("%s", err_last());
    else if (!sub && r->holdout && run_total_left(r) < 1)
        printf("no final submission: the time limit ran out on the full data; best/ holds the "
               "best node's solution.py; `grove run --resume %s` goes on with the time limit "
               "started again and makes it at the end\n", q);
    else if (!sub)
        printf("no final submission%s; best/ holds the best node's solution.py\n",
               r->holdout && !(r->stopping == RUN_STOP_NOW && r->exit_code)
                   ? ": the best node(s) failed on the full data" : "");
    free(q);
    if (!sub)
        r->final_why = r->holdout ? "the best node(s) failed on the full data"
                                  : "the best node wrote no submission";
    else if (rc < 0)
        r->final_why = "best/ could not be written";
    if (rc == 0 && sub && !r->exit_code && r->cfg.analysis_top_k > 0)
        run_analysis(r, used, &rep);
    rc = rc < 0 || !sub ? 1 : 0;
    bench_report_free(&rep);
    free(final_sub);
    free(dst);
    free(sub);
    free(tmp_dir);
    free(best_dir);
    return rc;
}

void run_free(run_ctx *r)
{
    if (r->feedback && r->feedback != r->coder)
        llm_client_free(r->feedback);
    if (r->coder)
        llm_client_free(r->coder);
    audit_free(r->audit);
    if (r->loop) {
        /* let the clients' and the audit's handles close, then the loop */
        for (int i = 0; i < 16 && uv_run(r->loop, UV_RUN_NOWAIT); i++)
            ;
        uv_loop_close(r->loop);
        free(r->loop);
    }
    journal_free(r->journal);
    search_policy_free(r->policy);
    search_tree_free(r->tree);
    prompts_free(r->prompts);
    if (r->holdout)
        bench_holdout_free(&r->split);
    bench_holdout_free(&r->select);
    free(r->select_why);
    holdout_inferred_free(&r->inferred);
    free(r->self_report_why);
    free(r->llm_failure);
    run_hardware_free(r);
    config_free(&r->cfg);
    free(r->run_dir);
    free(r->comp_id);
    free(r->comp_dir);
    free(r->public_dir);
    free(r->private_dir);
    free(r->comp_top);
    free(r->input_dir);
    free(r->description);
    free(r->preview);
    free(r->python);
    free(r->packages);
    free(r->python_version);
    free(r->redo);
    if (r->lock_fd >= 0)
        close(r->lock_fd); /* releases the run's flock */
}

int run_write_finished(const run_ctx *r, int exit_code)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "exit_code", exit_code);
    cJSON_AddStringToObject(o, "stop_reason", r->stop_reason ? r->stop_reason : "done");
    int best = r->tree ? search_tree_best(r->tree) : -1;
    if (best >= 0)
        cJSON_AddNumberToObject(o, "best_node", best);
    else
        cJSON_AddNullToObject(o, "best_node");
    /* the node whose re-run is in best/: the final selection's pick, which
     * may differ from the best search score */
    if (r->final_node >= 0)
        cJSON_AddNumberToObject(o, "final_node", r->final_node);
    else
        cJSON_AddNullToObject(o, "final_node");
    if (r->final_why)
        cJSON_AddStringToObject(o, "failure", r->final_why);
    else
        cJSON_AddNullToObject(o, "failure");
    char at[32];
    clock_iso8601(at, sizeof at, clock_wall());
    cJSON_AddStringToObject(o, "finished_at", at);
    return json_file_save(r->run_dir, "finished.json", o);
}

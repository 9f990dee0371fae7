/*
 * run_final.c: the end of a run. In holdout mode the best node was scored on
 * grove's own split, so its script is re-run on the full training data to
 * produce the final submission (the next-best of the top k stands in when it
 * fails there). The result goes to runs/<name>/best/ and is graded when the
 * competition's answers exist. Then the tree and a summary are printed.
 */
#include "config.h"
#include "run.h"
#include "util.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Node ids of the k best good nodes, best first; *n set. Caller frees. */
static int *top_k(const search_tree *t, int k, int *n)
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

/* Re-run node n's script on the full public data; 0 and the submission's
 * path (caller frees) when it produced one. */
static int rerun_full(run_ctx *r, const search_node *n, char **sub)
{
    char *dir = xasprintf("%s/final/%d", r->run_dir, n->id);
    *sub = NULL;
    /* What is left of the time limit (the search kept a reserve for this),
     * but never less than the node is expected to need: a re-run cut short
     * leaves no final submission at all. */
    double need = run_final_estimate(r, n->id);
    double left = run_total_left(r);
    double timeout = fmin(r->cfg.exec_timeout * 2, fmax(left, need));
    exec_opts o;
    if (run_workspace(r, dir, n->code, r->public_dir, timeout, &o) < 0) {
        free(dir);
        return -1;
    }
    run_gpu_opts(r, 0, &o); /* the GPUs each script of the search had */
    printf("grove: re-running node %d on the full training data (timeout %.0fs, %.0fs of the "
           "time limit left)...\n", n->id, timeout, fmax(left, 0));
    fflush(stdout);
    exec_result *res = NULL;
    int rc = exec_run_sync(&res, &o);
    char *path = NULL;
    int found = rc == 0 ? run_submission(dir, &path) : 1;
    if (rc == 0 && res->exit_code == 0 && !res->timed_out && found == 0) {
        *sub = path;
        path = NULL;
    } else {
        log_warn("node %d failed on the full data (%s); trying the next best", n->id,
                 rc < 0 ? err_last() : res->timed_out ? "timed out"
                 : res->exc_type ? res->exc_type : found < 0 ? err_last() : "no submission");
        rc = -1;
    }
    exec_result_free(res);
    free(path);
    free(dir);
    return *sub ? 0 : -1;
}

static void grade_final(run_ctx *r, const char *best_dir, const char *sub, int node)
{
    if (!r->comp || !r->comp->graded || !r->comp->answers)
        return;
    char *answers = path_join(r->private_dir, r->comp->answers);
    if (!file_exists(answers)) {
        printf("final submission: not graded (no answers at %s)\n", answers);
        free(answers);
        return;
    }
    bench_report rep;
    memset(&rep, 0, sizeof rep);
    if (audit_grade(r->audit, &rep, r->comp, sub, answers, node, "final submission") == 0) {
        cJSON *j = bench_report_json(&rep);
        char *text = cJSON_Print(j);
        char *path = path_join(best_dir, "grade.json");
        file_write_str(path, text);
        free(path);
        cJSON_free(text);
        cJSON_Delete(j);
        if (rep.valid_submission)
            printf("final submission graded on the competition's test answers: %s %.5f%s%s\n",
                   r->metric_name, rep.score,
                   rep.any_medal ? (rep.gold_medal ? " (gold)" : rep.silver_medal ? " (silver)"
                                                                                  : " (bronze)")
                                 : "",
                   rep.above_median ? ", above median" : "");
        else
            printf("final submission is invalid: %s\n", rep.error ? rep.error : "?");
    } else {
        printf("final submission: not graded (%s)\n", err_last());
    }
    bench_report_free(&rep);
    free(answers);
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
        printf("no node produced a valid scored submission; see `grove tree %s`\n", r->run_dir);
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
    int used = best;
    if (r->holdout && r->stopping >= 2 && r->exit_code) {
        printf("no re-run on the full data after a hard stop; `grove run --resume %s` "
               "finishes the run\n", r->run_dir);
    } else if (r->holdout) {
        int n, k = (int)r->cfg.final_top_k;
        int *ids = top_k(r->tree, k < 1 ? 1 : k, &n);
        for (int i = 0; i < n && !sub; i++)
            if (rerun_full(r, search_tree_node(r->tree, ids[i]), &sub) == 0)
                used = ids[i];
        free(ids);
    } else {
        char *dir = xasprintf("%s/nodes/%d", r->run_dir, best);
        if (run_submission(dir, &sub) < 0)
            log_warn("node %d: %s", best, err_last());
        free(dir);
    }
    char *sol = path_join(tmp_dir, "solution.py");
    int rc = file_write_str(sol, search_tree_node(r->tree, used)->code
                                     ? search_tree_node(r->tree, used)->code : "");
    free(sol);
    char *dst = path_join(tmp_dir, "submission.csv");
    if (sub && rc == 0)
        rc = file_copy(sub, dst);
    if (sub && rc == 0) {
        printf("final submission (node %d): %s/submission.csv\n", used, best_dir);
        grade_final(r, tmp_dir, dst, used);
    }
    if (rc == 0 && (rm_rf(best_dir) < 0 || rename(tmp_dir, best_dir) < 0))
        rc = err_set("%s: %s", best_dir, strerror(errno));
    if (rc < 0)
        log_error("%s", err_last());
    else if (!sub)
        printf("no final submission%s; best/ holds the best node's solution.py\n",
               r->holdout && !(r->stopping >= 2 && r->exit_code)
                   ? ": the best node(s) failed on the full data" : "");
    rc = rc < 0 || !sub ? 1 : 0;
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
    holdout_inferred_free(&r->inferred);
    free(r->self_report_why);
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

/*
 * run_score.c: what a node's run is worth.
 *
 * Holdout mode: grove grades the script's submission on the rows it held
 * out, with the competition's own grader (through the answers' audit log);
 * no submission, an invalid one or a score that is not finite make the
 * node buggy. Self-report mode: the feedback model reads the code and the
 * output and returns a structured review (function calling, or JSON in the
 * text where the endpoint refuses tools); its word on the submission is
 * checked against the disk. Either way a script's own claimed score is
 * noted, with a warning when it strays from grove's.
 */
#include "run_pipeline.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static void note_self_score(pipeline *p, search_node *n, int has_score, double score)
{
    if (!n->has_self_score)
        return;
    sb_printf(&p->review, "- the script's own claim: %.6f\n", n->self_score);
    if (!has_score)
        return;
    double gap = fabs(score - n->self_score);
    double tol = p->r->cfg.gap_warning * fmax(fabs(score), 1e-12);
    if (gap > tol)
        sb_printf(&p->review,
                  "- WARNING: the claim differs from grove's score by %.6f (more than %.0f%%): "
                  "the script's validation may leak or differ from the holdout\n",
                  gap, p->r->cfg.gap_warning * 100);
}

void score_holdout(pipeline *p, search_node *n)
{
    run_ctx *r = p->r;
    char *sub = NULL;
    int found = run_submission(p->workdir, &sub);
    bench_report rep;
    memset(&rep, 0, sizeof rep);
    if (found < 0) {
        fail_node(p, "invalid submission: %s", err_last());
    } else if (found > 0) {
        fail_node(p, "no ./submission/submission.csv was written");
    } else if (audit_grade(r->audit, &rep, r->comp, sub, r->split.answers_path, n->id,
                           "holdout score") < 0) {
        fail_node(p, "grader: %s", err_last());
    } else if (!rep.submission_exists) {
        fail_node(p, "no ./submission/submission.csv was written");
    } else if (!rep.valid_submission || !isfinite(rep.score)) {
        fail_node(p, "invalid submission: %s", rep.error ? rep.error : "rejected");
    } else {
        note_self_score(p, n, 1, rep.score);
        finish_node(p, 0, NULL, 1, rep.score);
    }
    bench_report_free(&rep);
    free(sub);
}

void start_review(pipeline *p, search_node *n)
{
    run_ctx *r = p->r;
    for (int i = 0; i < p->n_msgs; i++)
        free(p->texts[i]);
    p->n_msgs = 0;
    p->state = PIPE_REVIEWING;
    pipeline_push_msg(p, LLM_SYSTEM, run_render(r, "system", n, NULL, NULL));
    pipeline_push_msg(p, LLM_USER, run_render(r, "review", n, n->code, n->output));
    cJSON_ReplaceItemInObjectCaseSensitive(p->context, "action", cJSON_CreateString("review"));
    cJSON_DeleteItemFromObjectCaseSensitive(p->context, "code");
    cJSON_DeleteItemFromObjectCaseSensitive(p->context, "output");
    cJSON_AddStringToObject(p->context, "code", n->code ? n->code : "");
    cJSON_AddStringToObject(p->context, "output", n->output ? n->output : "");
    if (p->text_review) {
        pipeline_submit(p, r->feedback, NULL, NULL);
    } else {
        cJSON *schema = llm_review_schema();
        pipeline_submit(p, r->feedback, "submit_review", schema);
        cJSON_Delete(schema);
    }
}

void on_review(pipeline *p, llm_response *resp)
{
    search_node *n = search_tree_node(p->r->tree, p->id);
    llm_review rv;
    memset(&rv, 0, sizeof rv);
    if (llm_review_parse(&rv, resp->func_args, resp->text) < 0) {
        fail_node(p, "review error: %s", err_last());
        return;
    }
    search_node_set(&n->summary, rv.summary);
    sb_printf(&p->review, "- review: %s\n", rv.summary ? rv.summary : "");
    int buggy = rv.is_bug || !rv.has_submission || !rv.has_metric;
    const char *why = rv.is_bug ? "the review found a bug"
                      : !rv.has_submission ? "the review found no submission"
                      : !rv.has_metric ? "the review found no validation metric" : NULL;
    /* the review's word on the submission is checked against the disk */
    char *sub = NULL, *bad = NULL;
    int found = run_submission(p->workdir, &sub);
    if (!buggy && found > 0) {
        buggy = 1;
        why = "no ./submission/submission.csv was written (the review said otherwise)";
    } else if (!buggy && found < 0) {
        buggy = 1;
        why = bad = xasprintf("invalid submission: %s", err_last());
    }
    free(sub);
    note_self_score(p, n, rv.has_metric, rv.metric);
    finish_node(p, buggy, why, !buggy, rv.metric);
    free(bad);
    llm_review_free(&rv);
}

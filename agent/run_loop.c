/*
 * run_loop.c: the search loop of `grove run` on one libuv loop.
 *
 * Up to W node pipelines are in flight at once. Each pipeline walks:
 *
 *   prompt -> LLM -> (no code block? ask again, twice at most)
 *          -> exec (sandboxed, timeout) -> score (grader on the holdout) or
 *             review (feedback model, self-report mode) -> commit
 *
 * Nothing blocks: LLM replies, process exits, signals and the deadline are
 * all callbacks on the loop. New work is started from an idle callback
 * ("kick"), never from inside another callback, so a pipeline finishing can
 * never re-enter the one that finished it.
 *
 * This file holds the pipeline's bookkeeping, the coder's replies, the
 * commit of a finished node and tick(); the script's run is run_exec.c, its
 * score or review run_score.c (run_pipeline.h has the states), the budget
 * run_budget.c. Stopping (run_stop.c): the step budget, the policy running
 * out of ideas, or a first SIGINT stop new work and let running nodes
 * finish; a second SIGINT, SIGTERM or the time limit kill what runs. Killed
 * nodes are not committed; they stay in inflight.json and `--resume` redoes
 * them.
 *
 * An LLM call that still fails after llm/'s bounded retries (a bad key, a
 * wrong path or model, an endpoint that is down, refuses, hangs past the
 * request's limit or keeps sending garbage) is the endpoint's fault, not the
 * node's: it is never recorded as a node nor counted as a step. The run
 * stops at once with the error in full and exits non-zero; the nodes in
 * flight are redone by `--resume` once the endpoint works. Every
 * llm.wait_notice seconds a call is still waiting, a line says so.
 *
 * A script byte-identical to another node's is never run: it would cost a
 * run and tell nothing. The coder is asked again for a different one (the
 * re-ask names the node it repeats, and the context's tried_codes gains
 * it); when the asks are used up, the node is recorded as a buggy
 * "duplicate of node N", not run and with no code of its own, so it is
 * never debugged either. It still counts as a step: the LLM was asked.
 */
#include "config.h"
#include "report_html.h"
#include "run_pipeline.h"

#include <assert.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static void tick(run_ctx *r);
static void on_kick(uv_idle_t *h);
static void on_llm(llm_response *resp, void *data);

void run_kick(run_ctx *r)
{
    if (!uv_is_closing((uv_handle_t *)&r->kick))
        uv_idle_start(&r->kick, on_kick);
}

static const char *score_label(const run_ctx *r)
{
    return r->holdout ? "holdout" : "self-report";
}

/* ---- pipeline bookkeeping ---- */

static pipeline *pipeline_new(run_ctx *r, int id)
{
    pipeline *p = xcalloc(1, sizeof *p);
    p->r = r;
    p->id = id;
    p->state = PIPE_CODING;
    p->next = r->inflight;
    r->inflight = p;
    r->n_inflight++;
    p->gpu_slot = -1;
    return p;
}

static void pipeline_free(pipeline *p)
{
    run_ctx *r = p->r;
    int listed = 0;
    for (pipeline **pp = &r->inflight; *pp; pp = &(*pp)->next) {
        if (*pp == p) {
            *pp = p->next;
            r->n_inflight--;
            listed = 1;
            break;
        }
    }
    assert(listed && r->n_inflight >= 0); /* freed once, from the in-flight list */
    assert(!p->exec && !p->waiting_llm);  /* nothing left to call it back */
    (void)listed;
    if (p->gpu_slot >= 0) {
        run_gpu_release(r, p->gpu_slot);
        run_kick(r); /* a script waiting for the slot can start */
    }
    for (int i = 0; i < p->n_msgs; i++)
        free(p->texts[i]);
    cJSON_Delete(p->context);
    free(p->workdir);
    sb_free(&p->review);
    free(p);
}

void pipeline_push_msg(pipeline *p, llm_role role, char *text)
{
    if (p->n_msgs == MAX_MSGS) {
        free(text);
        return;
    }
    p->roles[p->n_msgs] = role;
    p->texts[p->n_msgs++] = text;
}

/* Add an exchange's tokens and cost to its node. A node's cost is known only
 * while every one of its exchanges had a known price. */
static void add_usage(pipeline *p, search_node *n, const llm_response *resp)
{
    n->tokens_in += resp->usage.input_tokens;
    n->tokens_out += resp->usage.output_tokens;
    if (resp->usage.cost_known)
        n->cost += resp->usage.cost_usd;
    else
        p->cost_unknown = 1;
    n->cost_known = !p->cost_unknown;
}

/* ---- finishing a node ---- */

/* A node's reason as the progress line shows it: whole (the part that says
 * what to fix comes last: "invalid submission: PATH: column 'Survived' is
 * missing"), on one line, with the run folder's paths relative to it. */
static void print_reason(const run_ctx *r, const char *reason)
{
    size_t dl = strlen(r->run_dir);
    for (const char *p = reason; *p;) {
        if (!strncmp(p, r->run_dir, dl) && p[dl] == '/') {
            p += dl + 1;
            continue;
        }
        putchar(*p == '\n' || *p == '\r' || *p == '\t' ? ' ' : *p);
        p++;
    }
}

static void print_node_line(const run_ctx *r, const search_node *n, int is_best)
{
    char head[64];
    if (n->parent2 >= 0)
        snprintf(head, sizeof head, "%d<-%d+%d", n->id, n->parent, n->parent2);
    else if (n->parent >= 0)
        snprintf(head, sizeof head, "%d<-%d", n->id, n->parent);
    else
        snprintf(head, sizeof head, "%d", n->id);
    printf("[%3d/%d] %-8s %-8s ", search_tree_count_state(r->tree, NODE_DONE), r->steps,
           search_stage_name(n->stage), head);
    if (n->is_buggy) {
        printf("buggy: ");
        print_reason(r, n->bug_reason ? n->bug_reason : "failed");
    }
    else if (n->has_score)
        printf("%s %s %.5f", score_label(r), r->metric_name, n->score);
    else
        printf("no score");
    if (n->has_self_score) {
        double tol = r->cfg.gap_warning * fmax(fabs(n->score), 1e-12);
        int gap = !n->is_buggy && n->has_score && fabs(n->score - n->self_score) > tol;
        printf("  (script says %.5f%s)", n->self_score, gap ? ", gap!" : "");
    }
    printf("  %.1fs%s\n", n->exec_time, is_best ? "  *best*" : "");
    fflush(stdout);
}

void finish_node(pipeline *p, int is_buggy, const char *reason, int has_score, double score)
{
    run_ctx *r = p->r;
    search_node *n = search_tree_node(r->tree, p->id);
    assert(n && n->state == NODE_RUNNING); /* a node is committed once */
    int old_best = search_tree_best(r->tree);
    search_node_finish(r->tree, p->id, is_buggy, reason, has_score, score, clock_wall());
    int best = search_tree_best(r->tree);

    if (!p->review.len)
        sb_printf(&p->review, "# Review of node %d\n\n", n->id);
    if (is_buggy)
        sb_printf(&p->review, "\n- outcome: buggy: %s\n", reason ? reason : "failed");
    else
        sb_puts(&p->review, "\n- outcome: ok\n");
    if (has_score)
        sb_printf(&p->review, "- score: %s %s %.6f\n", score_label(r), r->metric_name, score);

    char *json = node_to_json(n, r->coder ? llm_client_model(r->coder) : NULL);
    char *label = xasprintf("%s %s", r->holdout ? "holdout" : "self-reported", r->metric_name);
    char *subject = node_subject(n, label);
    free(label);
    journal_node_files f = {n->code, n->plan, n->output, sb_str(&p->review), json};
    int committed = journal_commit_node(r->journal, n->id, n->parent, &f, subject,
                                        clock_wall()) == 0;
    if (!committed) {
        /* A node that cannot be journaled is a node that could be lost: stop
         * starting new ones rather than pile up work the disk cannot hold. */
        log_error("node %d could not be committed: %s", n->id, err_last());
        r->exit_code = 1;
        run_stop_new(r, "the journal could not be written (see the error above)");
    } else if (best == n->id && best != old_best && journal_set_best(r->journal, best) < 0) {
        log_error("node %d: %s", n->id, err_last());
        r->exit_code = 1;
    }
    free(json);
    free(subject);
    pipeline_free(p);
    if (inflight_save(r) < 0 ||
        (committed && node_journal_append(r->tree, n, r->run_dir) < 0))
        log_warn("%s", err_last());
    print_node_line(r, n, best == n->id);
    report_live_update(r, 0);
    run_kick(r);
}

void fail_node(pipeline *p, const char *fmt, ...)
{
    sb why = {0};
    va_list ap;
    va_start(ap, fmt);
    sb_vprintf(&why, fmt, ap);
    va_end(ap);
    finish_node(p, 1, sb_str(&why), 0, 0);
    sb_free(&why);
}

/* A node abandoned by a hard stop: not committed; inflight.json keeps it,
 * pending, for --resume to redo. */
void drop_node(pipeline *p)
{
    run_ctx *r = p->r;
    assert(r->stopping == RUN_STOP_NOW); /* only a hard stop abandons a node */
    search_node *n = search_tree_node(r->tree, p->id);
    if (n && n->state == NODE_RUNNING)
        n->state = NODE_PENDING;
    pipeline_free(p);
    run_kick(r);
}

void pipeline_submit(pipeline *p, llm_client *c, const char *func, const cJSON *schema)
{
    run_ctx *r = p->r;
    /* one request out at a time, from a state that waits on a model */
    assert(!p->waiting_llm && (p->state == PIPE_CODING || p->state == PIPE_REVIEWING));
    assert(p->n_msgs > 0 && p->n_msgs <= MAX_MSGS);
    llm_message msgs[MAX_MSGS];
    for (int i = 0; i < p->n_msgs; i++)
        msgs[i] = (llm_message){p->roles[i], p->texts[i]};
    const search_node *n = search_tree_node(r->tree, p->id);
    const char *action = p->state == PIPE_REVIEWING ? "review" : search_stage_name(n->stage);
    char tag[64];
    snprintf(tag, sizeof tag, "node %d %s", p->id, action);
    /* what replay matches this exchange on (its prompt holds the time left) */
    llm_exchange x = {
        .client = p->state == PIPE_REVIEWING ? "feedback" : "coder",
        .action = action,
        .node = p->id,
        .parent = n->parent,
        .ask = p->state == PIPE_REVIEWING ? p->text_review : p->asks,
    };
    llm_request req = {
        .messages = msgs,
        .n_messages = (size_t)p->n_msgs,
        .temperature = r->cfg.temperature,
        .func_name = func,
        .func_description = func ? "Record the review of a candidate solution's run" : NULL,
        .func_schema = schema,
        .context = p->context,
        .tag = tag,
        .exchange = &x,
    };
    p->waiting_llm = 1;
    p->llm_since = clock_mono();
    p->notices = 0;
    if (llm_submit(c, &req, on_llm, p) < 0) {
        p->waiting_llm = 0;
        fail_node(p, "LLM request failed: %s", err_last());
    }
}

/* ---- LLM ---- */

/* Another node whose script is byte-identical to code, or NULL. */
static const search_node *duplicate_of(const run_ctx *r, int id, const char *code)
{
    return search_tree_find_code(r->tree, code, id);
}

/* Ask the coder again, after its reply `said`, with `why`. */
static void ask_again(pipeline *p, const char *said, char *why)
{
    pipeline_push_msg(p, LLM_ASSISTANT, xstrdup(said ? said : ""));
    pipeline_push_msg(p, LLM_USER, why);
    pipeline_submit(p, p->r->coder, NULL, NULL);
}

/* The reply's script repeats node dup's: ask again, or record the node as
 * a duplicate without running it (see the top of this file). */
static void on_duplicate(pipeline *p, search_node *n, const search_node *dup,
                         const char *said, const char *plan, const char *code)
{
    if (p->asks < MAX_ASKS) {
        cJSON *tried = cJSON_GetObjectItemCaseSensitive(p->context, "tried_codes");
        if (!tried)
            tried = cJSON_AddArrayToObject(p->context, "tried_codes");
        cJSON_AddItemToArray(tried, cJSON_CreateString(code));
        ask_again(p, said, xasprintf(
            "That script is identical to node %d's, %s; running it again would tell "
            "nothing. Make a different change and reply with a short plan, then the complete "
            "script in one ```python fenced block.", dup->id,
            dup->state != NODE_DONE ? "which is being run now"
            : dup->is_buggy         ? "which was already run and failed"
                                    : "which was already run and worked"));
        return;
    }
    search_node_set(&n->plan, plan);
    fail_node(p, "duplicate of node %d (the same script; not run)", dup->id);
}

/* The endpoint failed this call after its retries: stop the run, say why in
 * full, and leave the node unrecorded (see the top of this file). */
static void llm_failed(pipeline *p, const char *error)
{
    run_ctx *r = p->r;
    if (!r->llm_failure) {
        r->llm_failure = xasprintf("the model's endpoint failed: %s", error);
        fprintf(stderr,
                "\ngrove: the model's endpoint failed; stopping the run (node %d is not "
                "recorded, no step is spent):\n  %s\n"
                "grove: fix the cause, then `grove run --resume %s` goes on from here\n",
                p->id, error, r->run_dir);
    }
    r->exit_code = 1;
    run_stop_now(r, r->llm_failure);
    drop_node(p);
}

static void on_llm(llm_response *resp, void *data)
{
    pipeline *p = data;
    run_ctx *r = p->r;
    assert(p->waiting_llm); /* the reply to the one request out */
    p->waiting_llm = 0;
    if (r->stopping == RUN_STOP_NOW) {
        llm_response_free(resp);
        drop_node(p);
        return;
    }
    search_node *n = search_tree_node(r->tree, p->id);
    add_usage(p, n, resp);
    run_check_cost(r);
    /* A reply enters here: invalid bytes in it (an endpoint that cut a
     * character, a model that wrote Latin-1) would follow the plan and the
     * code into node.json, journal.json, the commits and the next request. */
    resp->text = utf8_fix(resp->text);
    if (p->state == PIPE_REVIEWING) {
        if (!resp->ok && resp->tools_unsupported && !p->text_review) {
            p->text_review = 1; /* fall back to JSON in text */
            llm_response_free(resp);
            start_review(p, n);
            return;
        }
        if (!resp->ok)
            llm_failed(p, resp->error ? resp->error : "no reply");
        else
            on_review(p, resp);
        llm_response_free(resp);
        return;
    }
    if (!resp->ok) {
        llm_failed(p, resp->error ? resp->error : "no reply");
        llm_response_free(resp);
        return;
    }
    char *plan = NULL, *code = NULL;
    p->asks++;
    if (search_parse_reply(resp->text, &plan, &code) < 0) {
        if (p->asks < MAX_ASKS) {
            ask_again(p, resp->text,
                      xstrdup("Your reply had no fenced Python code block. Reply again with a "
                              "short plan in prose, then the complete script in one ```python "
                              "fenced block."));
            llm_response_free(resp);
            return;
        }
        search_node_set(&n->plan, resp->text);
        llm_response_free(resp);
        fail_node(p, "no code block in the reply after %d attempts", MAX_ASKS);
        return;
    }
    const search_node *dup = duplicate_of(r, n->id, code);
    if (dup) {
        on_duplicate(p, n, dup, resp->text, plan, code);
        llm_response_free(resp);
        free(plan);
        free(code);
        return;
    }
    llm_response_free(resp);
    search_node_set(&n->plan, plan);
    search_node_set(&n->code, code);
    free(plan);
    free(code);
    start_exec(p, n);
}

/* ---- starting nodes ---- */

/* The codes already tried on n's parent (its other children), for the
 * coder's context: the builtin coder never repeats one of them. */
static void add_tried_codes(run_ctx *r, const search_node *n, cJSON *ctx)
{
    const search_node *par = n->parent >= 0 ? search_tree_node(r->tree, n->parent) : NULL;
    cJSON *arr = cJSON_AddArrayToObject(ctx, "tried_codes");
    for (int i = 0; par && i < par->n_children; i++) {
        const search_node *c = search_tree_node(r->tree, par->children[i]);
        if (c && c->id != n->id && c->code && *c->code)
            cJSON_AddItemToArray(arr, cJSON_CreateString(c->code));
    }
}

static void start_node(run_ctx *r, int id)
{
    search_node *n = search_tree_node(r->tree, id);
    n->state = NODE_RUNNING;
    if (!n->created_at)
        n->created_at = clock_wall();
    pipeline *p = pipeline_new(r, id);
    if (inflight_save(r) < 0)
        log_warn("%s", err_last());
    p->context = run_context(r, n);
    /* Only the builtin coder reads them; an endpoint's request never
     * carries the context, and the best node of a long run has thousands
     * of children whose scripts were copied here twice per node. */
    if (llm_client_is_builtin(r->coder))
        add_tried_codes(r, n, p->context);
    pipeline_push_msg(p, LLM_SYSTEM, run_render(r, "system", n, NULL, NULL));
    pipeline_push_msg(p, LLM_USER, run_render(r, search_stage_name(n->stage), n, NULL, NULL));
    pipeline_submit(p, r->coder, NULL, NULL);
}

int run_activities(const run_ctx *r, run_activity *a, int max)
{
    int n = 0;
    for (const pipeline *p = r->inflight; p && n < max; p = p->next, n++) {
        const search_node *node = search_tree_node(r->tree, p->id);
        a[n].id = p->id;
        a[n].stage = node ? node->stage : STAGE_DRAFT;
        a[n].doing = p->waiting_llm && p->state == PIPE_REVIEWING
                         ? "grading: the model reviews the output"
                     : p->waiting_llm                ? "waiting on the model"
                     : p->state == PIPE_GPU_WAIT     ? "waiting for a GPU"
                     : p->exec                       ? "running the script"
                                                     : "grading";
    }
    return n;
}

static void close_all(run_ctx *r)
{
    run_watch_close(r);
    uv_close((uv_handle_t *)&r->kick, NULL);
    uv_stop(r->loop);
}

/* Scripts that waited for a GPU slot start as slots free; a hard stop
 * drops them (they never ran: --resume redoes them). */
static void start_waiting(run_ctx *r)
{
    for (pipeline *p = r->inflight, *next; p; p = next) {
        next = p->next;
        if (p->state != PIPE_GPU_WAIT)
            continue;
        if (r->stopping == RUN_STOP_NOW)
            drop_node(p);
        else if (r->gpu_slots > 0)
            start_exec(p, search_tree_node(r->tree, p->id));
    }
}

static void tick(run_ctx *r)
{
    start_waiting(r);
    while (r->stopping == RUN_ON && r->n_inflight < r->workers) {
        if (r->n_redo > 0) {
            start_node(r, r->redo[--r->n_redo]);
            continue;
        }
        if (search_tree_steps(r->tree) >= r->steps) {
            run_stop_new(r, "the step budget was used");
            break;
        }
        if (run_time_left(r) <= 1) {
            run_stop_new(r, "the time limit was reached");
            break;
        }
        search_action a;
        search_tree_set_budget_used(r->tree, run_budget_used(r));
        if (search_policy_next(r->policy, r->tree, &r->rng, &a) != 0) {
            if (!r->n_inflight) {
                run_stop_new(r, "the policy has nothing left to try");
            }
            break;
        }
        int id = search_tree_add_action(r->tree, &a, clock_wall());
        if (id < 0) {
            log_error("policy chose an invalid parent %d: %s", a.parent, err_last());
            run_stop_new(r, "internal error");
            break;
        }
        log_debug("node %d: %s (%s)", id, search_stage_name(a.stage), a.why ? a.why : "");
        start_node(r, id);
    }
    if (!r->n_inflight && r->stopping != RUN_ON)
        close_all(r);
    else
        run_arm_deadline(r);
}

static void on_kick(uv_idle_t *h)
{
    uv_idle_stop(h);
    tick(h->data);
}

int run_loop(run_ctx *r)
{
    r->started = clock_mono();
    uv_idle_init(r->loop, &r->kick);
    r->kick.data = r;
    run_watch_start(r);
    uv_idle_start(&r->kick, on_kick);
    run_status *status = run_status_start(r);
    uv_run(r->loop, UV_RUN_DEFAULT);
    run_status_stop(status); /* every way out of the loop passes here */
    /* journal.json exists even when no node was recorded (the endpoint
     * failed on the first call), so tools reading it find an empty tree */
    if (inflight_save(r) < 0 || node_export_journal(r->tree, r->run_dir) < 0)
        log_warn("%s", err_last());
    return 0;
}

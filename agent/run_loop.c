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
 * Stopping: the step budget, the policy running out of ideas, or a first
 * SIGINT stop new work and let running nodes finish; a second SIGINT,
 * SIGTERM or the time limit kill what runs. Killed nodes are not committed;
 * they stay in inflight.json and `--resume` redoes them.
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
#include "run.h"
#include "util.h"

#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#define MAX_MSGS 8
#define MAX_ASKS 3 /* the first ask and two re-asks */

struct pipeline {
    run_ctx *r;
    pipeline *next;
    int id;
    int asks;
    int n_msgs;
    llm_role roles[MAX_MSGS];
    char *texts[MAX_MSGS];
    cJSON *context;
    exec_run *exec;
    char *workdir;
    int waiting_llm;
    double llm_since;  /* when the call being waited on was submitted */
    int notices;       /* "waiting on the model" lines printed for it */
    int gpu_slot;    /* the GPU slot its script holds, -1: none */
    int waiting_gpu; /* its script waits for a GPU slot to free */
    int reviewing;
    int text_review; /* the endpoint refused tools: ask for JSON in text */
    int cost_unknown; /* an exchange of this node had no known price */
    sb review;       /* review.md */
};

static void tick(run_ctx *r);
static void on_kick(uv_idle_t *h);
static void on_llm(llm_response *resp, void *data);

static void kick(run_ctx *r)
{
    if (!uv_is_closing((uv_handle_t *)&r->kick))
        uv_idle_start(&r->kick, on_kick);
}

double run_total_left(const run_ctx *r)
{
    return r->started ? r->time_limit - (clock_mono() - r->started) : r->time_limit;
}

double run_final_estimate(const run_ctx *r, int id)
{
    const search_node *n = id >= 0 ? search_tree_node(r->tree, id) : NULL;
    if (n && n->stage == STAGE_ENSEMBLE) { /* its members re-run one after another */
        double sum = 0;
        for (int i = 0; i < n->n_members; i++)
            sum += run_final_estimate(r, n->members[i]);
        return sum;
    }
    if (!n || n->exec_time <= 0)
        return 30;
    double scale = r->split.n_train ? (double)(r->split.n_train + r->split.n_valid) /
                                          (double)r->split.n_train
                                    : 1.25;
    return n->exec_time * scale * 1.5 + 10;
}

double run_final_reserve(const run_ctx *r)
{
    if (!r->holdout || r->cfg.final_top_k < 1)
        return 0;
    return fmin(run_final_estimate(r, search_tree_best(r->tree)), r->time_limit * 0.25);
}

double run_time_left(const run_ctx *r)
{
    return run_total_left(r) - run_final_reserve(r);
}

/* config_sandbox -> exec's modes, in config_sandbox's order */
static const enum exec_sandbox_mode sandbox_modes[] = {EXEC_SANDBOX_AUTO, EXEC_SANDBOX_ON,
                                             EXEC_SANDBOX_OFF};

int run_workspace(run_ctx *r, const char *dir, const char *code, const char *input_dir,
                  double timeout_s, exec_opts *o)
{
    rm_rf(dir); /* a redone node starts clean */
    char *script = path_join(dir, "solution.py");
    int rc = exec_workspace_prepare(dir) < 0 || file_write_str(script, code ? code : "") < 0;
    free(script);
    if (rc)
        return err_prefix("workspace");
    /* Not only private/: in holdout mode the full public train.csv still
     * labels the rows grove held out, so a script that read it would grade
     * itself perfect by lookup. The script sees the competition's data only
     * as its input/ (a split of it, or public/ itself where that is the
     * input). public/ and private/ are named too, in case they are links
     * that lead out of the competition's folder. */
    r->hide[0] = r->comp_top;
    r->hide[1] = r->public_dir;
    r->hide[2] = r->private_dir;
    r->hide[3] = r->run_dir;
    r->hide[4] = NULL;
    *o = (exec_opts){
        .python = r->python,
        .workdir = dir,
        .input_dir = input_dir,
        .timeout_s = timeout_s,
        .mem_limit = r->mem_limit,
        .file_limit = (size_t)r->cfg.exec.file_limit_mb << 20,
        .disk_limit = (size_t)r->cfg.exec.disk_limit_mb << 20,
        .files_limit = r->cfg.exec.files_limit,
        .max_procs = (int)r->cfg.exec.max_procs,
        .allow_network = r->cfg.exec.allow_network,
        .allow_loopback = r->cfg.exec.allow_loopback,
        .sandbox = sandbox_modes[r->cfg.sandbox],
        .threads = (int)r->cfg.exec.threads,
        .hide_paths = r->hide,
    };
    return 0;
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
    p->next = r->inflight;
    r->inflight = p;
    r->n_inflight++;
    p->gpu_slot = -1;
    return p;
}

static void pipeline_free(pipeline *p)
{
    run_ctx *r = p->r;
    for (pipeline **pp = &r->inflight; *pp; pp = &(*pp)->next) {
        if (*pp == p) {
            *pp = p->next;
            r->n_inflight--;
            break;
        }
    }
    if (p->gpu_slot >= 0) {
        run_gpu_release(r, p->gpu_slot);
        kick(r); /* a script waiting for the slot can start */
    }
    for (int i = 0; i < p->n_msgs; i++)
        free(p->texts[i]);
    cJSON_Delete(p->context);
    free(p->workdir);
    sb_free(&p->review);
    free(p);
}

static void push_msg(pipeline *p, llm_role role, char *text)
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

static void finish_node(pipeline *p, int is_buggy, const char *reason, int has_score,
                        double score)
{
    run_ctx *r = p->r;
    search_node *n = search_tree_node(r->tree, p->id);
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
    if (journal_commit_node(r->journal, n->id, n->parent, &f, subject, clock_wall()) < 0) {
        /* A node that cannot be journaled is a node that could be lost: stop
         * starting new ones rather than pile up work the disk cannot hold. */
        log_error("node %d could not be committed: %s", n->id, err_last());
        r->exit_code = 1;
        if (!r->stopping) {
            r->stopping = 1;
            r->stop_reason = "the journal could not be written (see the error above)";
        }
    } else if (best == n->id && best != old_best && journal_set_best(r->journal, best) < 0) {
        log_error("node %d: %s", n->id, err_last());
        r->exit_code = 1;
    }
    free(json);
    free(subject);
    pipeline_free(p);
    if (inflight_save(r) < 0 || node_export_journal(r->tree, r->run_dir) < 0)
        log_warn("%s", err_last());
    print_node_line(r, n, best == n->id);
    report_live_update(r, 0);
    kick(r);
}

/* A node abandoned by a hard stop: not committed; inflight.json keeps it,
 * pending, for --resume to redo. */
static void drop_node(pipeline *p)
{
    run_ctx *r = p->r;
    search_node *n = search_tree_node(r->tree, p->id);
    if (n && n->state == NODE_RUNNING)
        n->state = NODE_PENDING;
    pipeline_free(p);
    kick(r);
}

/* ---- scoring and review ---- */

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

static void score_holdout(pipeline *p, search_node *n)
{
    run_ctx *r = p->r;
    char *sub = NULL;
    int found = run_submission(p->workdir, &sub);
    bench_report rep;
    memset(&rep, 0, sizeof rep);
    if (found < 0) {
        char *why = xasprintf("invalid submission: %s", err_last());
        finish_node(p, 1, why, 0, 0);
        free(why);
    } else if (found > 0) {
        finish_node(p, 1, "no ./submission/submission.csv was written", 0, 0);
    } else if (audit_grade(r->audit, &rep, r->comp, sub, r->split.answers_path, n->id,
                           "holdout score") < 0) {
        char *why = xasprintf("grader: %s", err_last());
        finish_node(p, 1, why, 0, 0);
        free(why);
    } else if (!rep.submission_exists) {
        finish_node(p, 1, "no ./submission/submission.csv was written", 0, 0);
    } else if (!rep.valid_submission || !isfinite(rep.score)) {
        char *why = xasprintf("invalid submission: %s", rep.error ? rep.error : "rejected");
        finish_node(p, 1, why, 0, 0);
        free(why);
    } else {
        note_self_score(p, n, 1, rep.score);
        finish_node(p, 0, NULL, 1, rep.score);
    }
    bench_report_free(&rep);
    free(sub);
}

static void submit(pipeline *p, llm_client *c, const char *func, const cJSON *schema)
{
    run_ctx *r = p->r;
    llm_message msgs[MAX_MSGS];
    for (int i = 0; i < p->n_msgs; i++)
        msgs[i] = (llm_message){p->roles[i], p->texts[i]};
    const search_node *n = search_tree_node(r->tree, p->id);
    const char *action = p->reviewing ? "review" : search_stage_name(n->stage);
    char tag[64];
    snprintf(tag, sizeof tag, "node %d %s", p->id, action);
    /* what replay matches this exchange on (its prompt holds the time left) */
    llm_exchange x = {
        .client = p->reviewing ? "feedback" : "coder",
        .action = action,
        .node = p->id,
        .parent = n->parent,
        .ask = p->reviewing ? p->text_review : p->asks,
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
        char *why = xasprintf("LLM request failed: %s", err_last());
        finish_node(p, 1, why, 0, 0);
        free(why);
    }
}

char *run_render(run_ctx *r, const char *name, const search_node *n, const char *code,
                 const char *output);

static void start_review(pipeline *p, search_node *n)
{
    run_ctx *r = p->r;
    for (int i = 0; i < p->n_msgs; i++)
        free(p->texts[i]);
    p->n_msgs = 0;
    p->reviewing = 1;
    push_msg(p, LLM_SYSTEM, run_render(r, "system", n, NULL, NULL));
    push_msg(p, LLM_USER, run_render(r, "review", n, n->code, n->output));
    cJSON_ReplaceItemInObjectCaseSensitive(p->context, "action", cJSON_CreateString("review"));
    cJSON_DeleteItemFromObjectCaseSensitive(p->context, "code");
    cJSON_DeleteItemFromObjectCaseSensitive(p->context, "output");
    cJSON_AddStringToObject(p->context, "code", n->code ? n->code : "");
    cJSON_AddStringToObject(p->context, "output", n->output ? n->output : "");
    if (p->text_review) {
        submit(p, r->feedback, NULL, NULL);
    } else {
        cJSON *schema = llm_review_schema();
        submit(p, r->feedback, "submit_review", schema);
        cJSON_Delete(schema);
    }
}

static void on_review(pipeline *p, llm_response *resp)
{
    search_node *n = search_tree_node(p->r->tree, p->id);
    llm_review rv;
    memset(&rv, 0, sizeof rv);
    if (llm_review_parse(&rv, resp->func_args, resp->text) < 0) {
        char *why = xasprintf("review error: %s", err_last());
        finish_node(p, 1, why, 0, 0);
        free(why);
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

/* ---- exec ---- */

/* How many bytes of s, at most max, end on a character boundary: the
 * reason goes into node.json and the commit, which must stay UTF-8 however
 * the script's exception message ran. */
static int utf8_prefix(const char *s, size_t max)
{
    size_t n = s ? strnlen(s, max) : 0;
    if (n == max) /* cut: s[n] is the first byte left out */
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
            n--;
    return (int)n;
}

static void on_exec(exec_run *run, exec_result *res, void *data)
{
    (void)run;
    pipeline *p = data;
    run_ctx *r = p->r;
    p->exec = NULL;
    run_gpu_release(r, p->gpu_slot);
    p->gpu_slot = -1;
    kick(r);
    if (r->stopping >= 2) {
        exec_result_free(res);
        drop_node(p);
        return;
    }
    search_node *n = search_tree_node(r->tree, p->id);
    search_node_set(&n->output, res->output);
    n->exec_time = res->wall_s;
    /* name the failures that are not Python exceptions the way coders
     * (and the builtin one) recognise them */
    search_node_set(&n->exc_type, res->exc_type       ? res->exc_type
                                  : res->timed_out    ? "TimeoutError"
                                  : res->oom_killed   ? "MemoryError"
                                                      : NULL);
    double self;
    if (res->output && search_parse_self_score(res->output, &self)) {
        n->self_score = self;
        n->has_self_score = 1;
    }
    sb_printf(&p->review, "# Review of node %d\n\n- run: %s, %.1fs wall, %.1fs CPU, peak RSS %ld MB%s\n",
              n->id,
              res->error ? "could not start"
              : res->timed_out ? "timed out"
              : res->term_signal ? "killed by a signal"
                                 : (res->exit_code == 0 ? "exit 0" : "non-zero exit"),
              res->wall_s, res->cpu_s, res->peak_rss_kb / 1024, res->sandboxed ? ", sandboxed" : "");
    char *why = NULL;
    if (res->error)
        why = xasprintf("could not start the script: %s", res->error);
    else if (res->limit_note && (res->term_signal || res->exit_code != 0))
        why = xasprintf("%s", res->limit_note); /* OOM, process or file limit */
    else if (res->timed_out)
        why = xasprintf("timed out after %.0fs", res->wall_s);
    else if (res->exc_type)
        why = xasprintf("%s: %.*s (line %d)", res->exc_type, utf8_prefix(res->exc_msg, 200),
                        res->exc_msg ? res->exc_msg : "", res->exc_line);
    else if (res->term_signal)
        why = xasprintf("killed by signal %d", res->term_signal);
    else if (res->exit_code != 0)
        why = xasprintf("exit code %d", res->exit_code);
    exec_result_free(res);
    if (why) {
        finish_node(p, 1, why, 0, 0);
        free(why);
    } else if (r->holdout) {
        score_holdout(p, n);
    } else {
        start_review(p, n);
    }
}

static void start_exec(pipeline *p, search_node *n)
{
    run_ctx *r = p->r;
    /* A script holds its GPUs from start to end; with every slot taken it
     * waits, and tick() starts it when one frees. */
    p->waiting_gpu = r->gpu_slots > 0 && p->gpu_slot < 0 && (p->gpu_slot = run_gpu_acquire(r)) < 0;
    if (p->waiting_gpu)
        return;
    free(p->workdir);
    p->workdir = xasprintf("%s/nodes/%d", r->run_dir, n->id);
    double limit = fmin(r->cfg.exec_timeout, fmax(run_time_left(r), 1));
    exec_opts o;
    if (run_workspace(r, p->workdir, n->code, r->input_dir, limit, &o) < 0) {
        char *why = xstrdup(err_last());
        finish_node(p, 1, why, 0, 0);
        free(why);
        return;
    }
    run_gpu_opts(r, p->gpu_slot, &o);
    n->started_at = clock_wall();
    if (exec_start(&p->exec, r->loop, &o, on_exec, p) < 0) {
        char *why = xasprintf("could not start the script: %s", err_last());
        finish_node(p, 1, why, 0, 0);
        free(why);
    }
}

/* ---- LLM ---- */

/* Refresh the run's LLM totals and stop gracefully at the cost cap. */
static void check_cost(run_ctx *r)
{
    llm_usage u, f;
    long n, m = 0;
    llm_client_totals(r->coder, &u, &n);
    if (r->feedback != r->coder) {
        llm_client_totals(r->feedback, &f, &m);
        u.input_tokens += f.input_tokens;
        u.output_tokens += f.output_tokens;
        u.cached_tokens += f.cached_tokens;
        u.cache_write_tokens += f.cache_write_tokens;
        u.reasoning_tokens += f.reasoning_tokens;
        u.cost_usd += f.cost_usd;
        u.cost_known = u.cost_known && f.cost_known;
    }
    r->spent = u;
    r->n_requests = n + m;
    double cap = r->cfg.max_cost; /* 0: no cap */
    if (cap <= 0 || r->stopping)
        return;
    if (!u.cost_known && !r->warned_cost) {
        r->warned_cost = 1;
        log_warn("--max-cost: the model's price is unknown (not in the price table), so the "
                 "cap cannot be enforced; add it with --prices FILE");
    }
    if (u.cost_usd >= cap) {
        r->stopping = 1;
        r->stop_reason = "the cost cap (--max-cost) was reached";
        printf("grove: cost $%.4f reached the cap of $%.4f: finishing running nodes\n",
               u.cost_usd, cap);
    }
}

static void stop_now(run_ctx *r, const char *reason);

/* Another node whose script is byte-identical to code, or NULL. */
static const search_node *duplicate_of(const run_ctx *r, int id, const char *code)
{
    for (size_t i = 0; i < search_tree_count(r->tree); i++) {
        const search_node *m = search_tree_at(r->tree, i);
        if (m->id != id && m->code && strcmp(m->code, code) == 0)
            return m;
    }
    return NULL;
}

/* Ask the coder again, after its reply `said`, with `why`. */
static void ask_again(pipeline *p, const char *said, char *why)
{
    push_msg(p, LLM_ASSISTANT, xstrdup(said ? said : ""));
    push_msg(p, LLM_USER, why);
    submit(p, p->r->coder, NULL, NULL);
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
    char *why = xasprintf("duplicate of node %d (the same script; not run)", dup->id);
    finish_node(p, 1, why, 0, 0);
    free(why);
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
    stop_now(r, r->llm_failure);
    drop_node(p);
}

static void on_llm(llm_response *resp, void *data)
{
    pipeline *p = data;
    run_ctx *r = p->r;
    p->waiting_llm = 0;
    if (r->stopping >= 2) {
        llm_response_free(resp);
        drop_node(p);
        return;
    }
    search_node *n = search_tree_node(r->tree, p->id);
    add_usage(p, n, resp);
    check_cost(r);
    /* A reply enters here: invalid bytes in it (an endpoint that cut a
     * character, a model that wrote Latin-1) would follow the plan and the
     * code into node.json, journal.json, the commits and the next request. */
    resp->text = utf8_fix(resp->text);
    if (p->reviewing) {
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
        finish_node(p, 1, "no code block in the reply after 3 attempts", 0, 0);
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

cJSON *run_context(run_ctx *r, const search_node *n);

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
    add_tried_codes(r, n, p->context);
    push_msg(p, LLM_SYSTEM, run_render(r, "system", n, NULL, NULL));
    push_msg(p, LLM_USER, run_render(r, search_stage_name(n->stage), n, NULL, NULL));
    submit(p, r->coder, NULL, NULL);
}

static void stop_now(run_ctx *r, const char *reason)
{
    if (r->stopping >= 2)
        return;
    r->stopping = 2;
    r->stop_reason = reason; /* a hard stop says why, whatever stopped new work */
    for (pipeline *p = r->inflight; p; p = p->next)
        if (p->exec)
            exec_cancel(p->exec);
    /* Requests still waiting on an endpoint complete with an error when their
     * client is freed; their pipelines are dropped in on_llm. */
    int waiting = 0;
    for (pipeline *p = r->inflight; p; p = p->next)
        waiting |= p->waiting_llm;
    if (waiting) {
        if (r->feedback && r->feedback != r->coder)
            llm_client_free(r->feedback);
        llm_client_free(r->coder);
        r->coder = r->feedback = NULL;
    }
    kick(r);
}

static void on_signal(uv_signal_t *h, int signum)
{
    run_ctx *r = h->data;
    if (signum == SIGINT)
        r->sigints++;
    r->exit_code = signum == SIGINT ? 130 : 143;
    /* The first Ctrl-C lets running nodes finish, even when the step budget
     * or the cost cap had already stopped new work. */
    if (signum == SIGINT && r->sigints == 1) {
        r->stopping = r->stopping > 1 ? r->stopping : 1;
        r->stop_reason = "interrupted (SIGINT)";
        fprintf(stderr, "\ngrove: finishing %d running node(s); press Ctrl-C again to stop now\n",
                r->n_inflight);
        kick(r);
        return;
    }
    fprintf(stderr, "\ngrove: stopping now; nodes in flight will be redone by --resume\n");
    stop_now(r, signum == SIGINT ? "interrupted twice (SIGINT)" : "terminated (SIGTERM)");
}

static void on_deadline(uv_timer_t *t)
{
    run_ctx *r = t->data;
    stop_now(r, "the time limit was reached");
}

/* The search ends when its time is up, which moves as the best node (and
 * with it the final re-run's reserve) changes: re-armed on every tick. */
static void arm_deadline(run_ctx *r)
{
    if (r->stopping >= 2 || uv_is_closing((uv_handle_t *)&r->deadline))
        return;
    uv_timer_start(&r->deadline, on_deadline, (uint64_t)(fmax(run_time_left(r), 0) * 1000), 0);
}

/* Once a second: a plain line for each call that has waited another
 * llm.wait_notice seconds, so a slow or silent endpoint is visible. */
static void on_waiting(uv_timer_t *t)
{
    run_ctx *r = t->data;
    double every = r->cfg.llm.wait_notice;
    for (pipeline *p = r->inflight; p; p = p->next) {
        if (!p->waiting_llm || r->stopping >= 2)
            continue;
        int k = (int)((clock_mono() - p->llm_since) / every);
        if (k > p->notices) {
            p->notices = k;
            printf("waiting on the model for %.0fs (node %d%s)\n", k * every, p->id,
                   p->reviewing ? ", review" : "");
            fflush(stdout);
        }
    }
}

int run_activities(const run_ctx *r, run_activity *a, int max)
{
    int n = 0;
    for (const pipeline *p = r->inflight; p && n < max; p = p->next, n++) {
        const search_node *node = search_tree_node(r->tree, p->id);
        a[n].id = p->id;
        a[n].stage = node ? node->stage : STAGE_DRAFT;
        a[n].doing = p->waiting_llm && p->reviewing ? "grading: the model reviews the output"
                     : p->waiting_llm  ? "waiting on the model"
                     : p->waiting_gpu  ? "waiting for a GPU"
                     : p->exec         ? "running the script"
                                       : "grading";
    }
    return n;
}

static void close_all(run_ctx *r)
{
    uv_close((uv_handle_t *)&r->waiting, NULL);
    uv_close((uv_handle_t *)&r->kick, NULL);
    uv_close((uv_handle_t *)&r->sigint, NULL);
    uv_close((uv_handle_t *)&r->sigterm, NULL);
    uv_close((uv_handle_t *)&r->deadline, NULL);
    uv_stop(r->loop);
}

/* The share of the budget spent, for the policies' switch to exploitation:
 * the larger of the steps' share and the time's. */
static double budget_used(const run_ctx *r)
{
    double steps = (double)search_tree_steps(r->tree) / (r->steps > 0 ? r->steps : 1);
    double time = r->time_limit > 0 ? 1.0 - run_total_left(r) / r->time_limit : 0.0;
    return fmax(steps, time);
}

/* Scripts that waited for a GPU slot start as slots free; a hard stop
 * drops them (they never ran: --resume redoes them). */
static void start_waiting(run_ctx *r)
{
    for (pipeline *p = r->inflight, *next; p; p = next) {
        next = p->next;
        if (!p->waiting_gpu)
            continue;
        if (r->stopping >= 2)
            drop_node(p);
        else if (r->gpu_slots > 0)
            start_exec(p, search_tree_node(r->tree, p->id));
    }
}

static void tick(run_ctx *r)
{
    start_waiting(r);
    while (!r->stopping && r->n_inflight < r->workers) {
        if (r->n_redo > 0) {
            start_node(r, r->redo[--r->n_redo]);
            continue;
        }
        if (search_tree_steps(r->tree) >= r->steps) {
            r->stopping = 1;
            r->stop_reason = "the step budget was used";
            break;
        }
        if (run_time_left(r) <= 1) {
            r->stopping = 1;
            r->stop_reason = "the time limit was reached";
            break;
        }
        search_action a;
        search_tree_set_budget_used(r->tree, budget_used(r));
        if (search_policy_next(r->policy, r->tree, &r->rng, &a) != 0) {
            if (!r->n_inflight) {
                r->stopping = 1;
                r->stop_reason = "the policy has nothing left to try";
            }
            break;
        }
        int id = search_tree_add_action(r->tree, &a, clock_wall());
        if (id < 0) {
            log_error("policy chose an invalid parent %d: %s", a.parent, err_last());
            r->stopping = 1;
            r->stop_reason = "internal error";
            break;
        }
        log_debug("node %d: %s (%s)", id, search_stage_name(a.stage), a.why ? a.why : "");
        start_node(r, id);
    }
    if (!r->n_inflight && r->stopping)
        close_all(r);
    else
        arm_deadline(r);
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
    uv_signal_init(r->loop, &r->sigint);
    uv_signal_init(r->loop, &r->sigterm);
    uv_timer_init(r->loop, &r->deadline);
    uv_timer_init(r->loop, &r->waiting);
    r->kick.data = r->sigint.data = r->sigterm.data = r->deadline.data = r->waiting.data = r;
    uv_timer_start(&r->waiting, on_waiting, 1000, 1000);
    uv_unref((uv_handle_t *)&r->waiting);
    uv_signal_start(&r->sigint, on_signal, SIGINT);
    uv_signal_start(&r->sigterm, on_signal, SIGTERM);
    arm_deadline(r);
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

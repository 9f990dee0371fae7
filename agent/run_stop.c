/*
 * run_stop.c: how a run stops, and what watches for it.
 *
 * Two degrees (run_stop in run.h). Stopping new work lets running nodes
 * finish and be committed: the step budget, the cost cap, the policy out of
 * ideas, a first Ctrl-C. A hard stop kills what runs and drops the nodes in
 * flight, uncommitted (inflight.json keeps them for --resume): the time
 * limit, a second Ctrl-C, SIGTERM, an endpoint that failed. Requests still
 * out when a hard stop comes are ended by freeing their clients, which
 * completes them with an error; on_llm then drops their nodes.
 *
 * The watchers live on the run's loop: SIGINT and SIGTERM, the deadline
 * (re-armed on every tick, since the final re-run's reserve moves with the
 * best node), and a once-a-second timer that prints a line for each LLM
 * call that has waited another llm.wait_notice seconds.
 */
#include "run_pipeline.h"

#include <math.h>
#include <signal.h>
#include <stdio.h>

void run_stop_new(run_ctx *r, const char *reason)
{
    if (r->stopping != RUN_ON)
        return;
    r->stopping = RUN_STOP_NEW;
    r->stop_reason = reason;
}

void run_stop_now(run_ctx *r, const char *reason)
{
    if (r->stopping == RUN_STOP_NOW)
        return;
    r->stopping = RUN_STOP_NOW;
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
    run_kick(r);
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
        if (r->stopping == RUN_ON)
            r->stopping = RUN_STOP_NEW;
        r->stop_reason = "interrupted (SIGINT)";
        fprintf(stderr, "\ngrove: finishing %d running node(s); press Ctrl-C again to stop now\n",
                r->n_inflight);
        run_kick(r);
        return;
    }
    fprintf(stderr, "\ngrove: stopping now; nodes in flight will be redone by --resume\n");
    run_stop_now(r, signum == SIGINT ? "interrupted twice (SIGINT)" : "terminated (SIGTERM)");
}

static void on_deadline(uv_timer_t *t)
{
    run_ctx *r = t->data;
    run_stop_now(r, "the time limit was reached");
}

/* The search ends when its time is up, which moves as the best node (and
 * with it the final re-run's reserve) changes: re-armed on every tick. */
void run_arm_deadline(run_ctx *r)
{
    if (r->stopping == RUN_STOP_NOW || uv_is_closing((uv_handle_t *)&r->deadline))
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
        if (!p->waiting_llm || r->stopping == RUN_STOP_NOW)
            continue;
        int k = (int)((clock_mono() - p->llm_since) / every);
        if (k > p->notices) {
            p->notices = k;
            printf("waiting on the model for %.0fs (node %d%s)\n", k * every, p->id,
                   p->state == PIPE_REVIEWING ? ", review" : "");
            fflush(stdout);
        }
    }
}

void run_watch_start(run_ctx *r)
{
    uv_signal_init(r->loop, &r->sigint);
    uv_signal_init(r->loop, &r->sigterm);
    uv_timer_init(r->loop, &r->deadline);
    uv_timer_init(r->loop, &r->waiting);
    r->sigint.data = r->sigterm.data = r->deadline.data = r->waiting.data = r;
    uv_timer_start(&r->waiting, on_waiting, 1000, 1000);
    uv_unref((uv_handle_t *)&r->waiting);
    uv_signal_start(&r->sigint, on_signal, SIGINT);
    uv_signal_start(&r->sigterm, on_signal, SIGTERM);
    run_arm_deadline(r);
}

void run_watch_close(run_ctx *r)
{
    uv_close((uv_handle_t *)&r->waiting, NULL);
    uv_close((uv_handle_t *)&r->sigint, NULL);
    uv_close((uv_handle_t *)&r->sigterm, NULL);
    uv_close((uv_handle_t *)&r->deadline, NULL);
}

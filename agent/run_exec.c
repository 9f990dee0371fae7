/*
 * run_exec.c: a node's script, run: its workspace (RUN/nodes/<id>), a GPU
 * slot when the run has GPUs, the time it may take (the script limit, or
 * what is left of the search's time if less), and what its end means --
 * a failure named the way coders recognise it, or on to scoring (holdout)
 * or review (self-report).
 */
#include "run_pipeline.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

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

/* The review's first lines: how the run went. */
static void note_run(pipeline *p, const search_node *n, const exec_result *res)
{
    sb_printf(&p->review, "# Review of node %d\n\n- run: %s, %.1fs wall, %.1fs CPU, peak RSS %ld MB%s\n",
              n->id,
              res->error ? "could not start"
              : res->timed_out ? "timed out"
              : res->term_signal ? "killed by a signal"
                                 : (res->exit_code == 0 ? "exit 0" : "non-zero exit"),
              res->wall_s, res->cpu_s, res->peak_rss_kb / 1024, res->sandboxed ? ", sandboxed" : "");
}

/* Why the run failed (caller frees), or NULL when it did not. */
static char *run_failure(const exec_result *res)
{
    if (res->error)
        return xasprintf("could not start the script: %s", res->error);
    if (res->limit_note && (res->term_signal || res->exit_code != 0))
        return xasprintf("%s", res->limit_note); /* OOM, process or file limit */
    if (res->timed_out)
        return xasprintf("timed out after %.0fs", res->wall_s);
    if (res->exc_type)
        return xasprintf("%s: %.*s (line %d)", res->exc_type, utf8_prefix(res->exc_msg, 200),
                         res->exc_msg ? res->exc_msg : "", res->exc_line);
    if (res->term_signal)
        return xasprintf("killed by signal %d", res->term_signal);
    if (res->exit_code != 0)
        return xasprintf("exit code %d", res->exit_code);
    return NULL;
}

static void on_exec(exec_run *run, exec_result *res, void *data)
{
    (void)run;
    pipeline *p = data;
    run_ctx *r = p->r;
    p->exec = NULL;
    run_gpu_release(r, p->gpu_slot);
    p->gpu_slot = -1;
    run_kick(r);
    if (r->stopping == RUN_STOP_NOW) {
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
    note_run(p, n, res);
    char *why = run_failure(res);
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

void start_exec(pipeline *p, search_node *n)
{
    run_ctx *r = p->r;
    assert(p->state == PIPE_CODING || p->state == PIPE_GPU_WAIT);
    assert(n->code && !p->exec);
    /* A script holds its GPUs from start to end; with every slot taken it
     * waits, and tick() starts it when one frees. */
    if (r->gpu_slots > 0 && p->gpu_slot < 0 && (p->gpu_slot = run_gpu_acquire(r)) < 0) {
        p->state = PIPE_GPU_WAIT;
        return;
    }
    p->state = PIPE_RUNNING;
    free(p->workdir);
    p->workdir = xasprintf("%s/nodes/%d", r->run_dir, n->id);
    double limit = fmin(r->cfg.exec_timeout, fmax(run_time_left(r), 1));
    exec_opts o;
    if (run_workspace(r, p->workdir, n->code, r->input_dir, limit, &o) < 0) {
        fail_node(p, "%s", err_last());
        return;
    }
    run_gpu_opts(r, p->gpu_slot, &o);
    n->started_at = clock_wall();
    if (exec_start(&p->exec, r->loop, &o, on_exec, p) < 0)
        fail_node(p, "could not start the script: %s", err_last());
}

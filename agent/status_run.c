/*
 * status_run.c: what the live status line of `grove run` says (status_line.c
 * draws it; run_loop.c starts and stops it around its loop).
 *
 *   nodes 7/20 done, 2 running, 11 left | best holdout auc 0.81234 (node 5)
 *         | 3m12s elapsed, 47m57s left | 12345 tokens, $0.0123
 *     node 12 improve<-7  waiting on the model  14s
 *     node 13 debug<-9    running the script  3s
 *
 * Everything is read from the run's context when the line is drawn; the one
 * thing the context does not keep is since when each node has been doing
 * what it does, so this file remembers it: a node whose activity differs
 * from the last draw's started it now (to the redraw's quarter of a second).
 * Not on a terminal, the same in one plain line every status_every seconds
 * (a minute); --quiet: nothing.
 */
#include "run.h"
#include "status_line.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

#define MAX_LINES 13     /* the summary and up to 12 workers; more are counted */

typedef struct seen {
    int id;
    const char *doing;
    double since;
} seen;

struct run_status {
    run_ctx *r;
    status_line *line;
    run_activity *now; /* this draw's activities, r->workers of them at most */
    seen *seen;        /* the last draw's, with since when */
    int n_seen;
};

static int by_id(const void *a, const void *b)
{
    const run_activity *x = a, *y = b;
    return (x->id > y->id) - (x->id < y->id);
}

/* Since when node a has been doing what it does now. */
static double since(const run_status *s, const run_activity *a, double now)
{
    for (int i = 0; i < s->n_seen; i++)
        if (s->seen[i].id == a->id && !strcmp(s->seen[i].doing, a->doing))
            return s->seen[i].since;
    return now;
}

static void summary(const run_status *s, int n_running, sb *out)
{
    const run_ctx *r = s->r;
    int done = search_tree_count_state(r->tree, NODE_DONE);
    int left = r->steps - search_tree_steps(r->tree);
    sb_printf(out, "nodes %d/%d done, %d running, %d left", done, r->steps, n_running,
              left > 0 ? left : 0);
    const search_node *best = search_tree_node(r->tree, search_tree_best(r->tree));
    if (best)
        sb_printf(out, " | best %s %s %.5f (node %d)", r->holdout ? "holdout" : "self-reported",
                  r->metric_name, best->score, best->id);
    else
        sb_puts(out, " | no score yet");
    char el[16], tl[16];
    status_line_duration(el, sizeof el, clock_mono() - r->started);
    status_line_duration(tl, sizeof tl, run_time_left(r));
    sb_printf(out, " | %s elapsed, %s left", el, tl);
    long tokens = r->spent.input_tokens + r->spent.output_tokens;
    if (!r->n_requests)
        sb_puts(out, " | no LLM call yet");
    else if (r->spent.cost_known)
        sb_printf(out, " | %ld tokens, $%.4f", tokens, r->spent.cost_usd);
    else
        sb_printf(out, " | %ld tokens, cost unknown", tokens);
    if (r->stopping != RUN_ON)
        sb_printf(out, " | stopping: %s", r->stop_reason ? r->stop_reason : "");
}

static void render(void *data, int compact, sb *out)
{
    run_status *s = data;
    run_ctx *r = s->r;
    double now = clock_mono();
    int n = run_activities(r, s->now, r->workers);
    qsort(s->now, (size_t)n, sizeof *s->now, by_id);
    if (compact)
        sb_puts(out, "status: ");
    summary(s, n, out);
    seen *next = xcalloc((size_t)n + 1, sizeof *next);
    for (int i = 0; i < n; i++) {
        const run_activity *a = &s->now[i];
        const search_node *node = search_tree_node(r->tree, a->id);
        char head[48], el[16];
        if (node && node->parent >= 0)
            snprintf(head, sizeof head, "%s<-%d", search_stage_name(a->stage), node->parent);
        else
            snprintf(head, sizeof head, "%s", search_stage_name(a->stage));
        next[i] = (seen){a->id, a->doing, since(s, a, now)};
        status_line_duration(el, sizeof el, now - next[i].since);
        if (compact)
            sb_printf(out, "%s node %d %s %s %s", i ? ";" : " |", a->id, head, a->doing, el);
        else
            sb_printf(out, "\n  node %-4d %-14s %s  %s", a->id, head, a->doing, el);
    }
    free(s->seen);
    s->seen = next;
    s->n_seen = n;
}

run_status *run_status_start(run_ctx *r)
{
    run_status *s = xcalloc(1, sizeof *s);
    s->r = r;
    s->now = xcalloc((size_t)r->workers + 1, sizeof *s->now);
    int lines = 1 + (r->workers < MAX_LINES - 1 ? r->workers : MAX_LINES - 1);
    s->line = status_line_start(r->loop, r->cfg.quiet, lines, r->cfg.status_every, render, s);
    if (!s->line) {
        run_status_stop(s);
        return NULL;
    }
    return s;
}

void run_status_stop(run_status *s)
{
    if (!s)
        return;
    status_line_stop(s->line);
    free(s->now);
    free(s->seen);
    free(s);
}

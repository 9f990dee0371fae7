/*
 * run_pipeline.h (private to the search loop: run_loop.c, run_exec.c,
 * run_score.c, run_stop.c): one node's way from its prompt to its commit.
 *
 *   CODING --reply with a new script--> [GPU_WAIT] --> RUNNING --exit--+
 *     ^ re-ask (no code block, a duplicate)                            |
 *     +-----                                 holdout: score  <---------+
 *                                            self-report: REVIEWING ---+--> committed
 *
 * Any step can end the node as buggy (finish_node, fail_node), which
 * commits it; a hard stop drops it instead (drop_node), uncommitted, for
 * --resume. Each of these frees the pipeline: the caller must not touch it
 * afterwards.
 */
#ifndef GROVE_RUN_PIPELINE_H
#define GROVE_RUN_PIPELINE_H

#include "run.h"
#include "util.h"

#define MAX_MSGS 8
#define MAX_ASKS 3 /* the first ask and two re-asks */

typedef enum pipe_state {
    PIPE_CODING,    /* the coder is asked for a plan and a script */
    PIPE_GPU_WAIT,  /* the script waits for a GPU slot; tick() starts it */
    PIPE_RUNNING,   /* the script runs */
    PIPE_REVIEWING, /* the feedback model reviews the run (self-report) */
} pipe_state;

struct pipeline {
    run_ctx *r;
    pipeline *next;
    int id;
    pipe_state state;
    int asks;
    int n_msgs;
    llm_role roles[MAX_MSGS];
    char *texts[MAX_MSGS];
    cJSON *context;
    exec_run *exec;    /* while RUNNING */
    char *workdir;
    int waiting_llm;   /* a request is out (CODING or REVIEWING) */
    double llm_since;  /* when the call being waited on was submitted */
    int notices;       /* "waiting on the model" lines printed for it */
    int gpu_slot;      /* the GPU slot its script holds, -1: none */
    int text_review;   /* the endpoint refused tools: ask for JSON in text */
    int cost_unknown;  /* an exchange of this node had no known price */
    sb review;         /* review.md */
};

/* ---- run_loop.c ---- */

/* Run tick() from the loop's next idle turn, outside any callback. */
void run_kick(run_ctx *r);
/* Append a message (text is taken; dropped past MAX_MSGS). */
void pipeline_push_msg(pipeline *p, llm_role role, char *text);
/* Send the pipeline's messages to client c (the coder, or the feedback
 * model while REVIEWING), forcing function func with schema when given. */
void pipeline_submit(pipeline *p, llm_client *c, const char *func, const cJSON *schema);
/* Record the node's result, commit it, free p. */
void finish_node(pipeline *p, int is_buggy, const char *reason, int has_score, double score);
/* finish_node for a buggy node, the reason formatted. */
void fail_node(pipeline *p, const char *fmt, ...) UTIL_PRINTF(2, 3);
/* Abandon the node (a hard stop): uncommitted, pending again, p freed. */
void drop_node(pipeline *p);

/* ---- run_stop.c ---- */

/* The hard stop for `reason` (static text or owned by r): kill the scripts,
 * end the requests out, start nothing; nodes in flight are dropped. */
void run_stop_now(run_ctx *r, const char *reason);
/* The signals, the deadline and the waiting notices, on r->loop; closed
 * with run_watch_close when the loop ends. */
void run_watch_start(run_ctx *r);
void run_watch_close(run_ctx *r);
/* (Re)start the deadline at the search's time left. */
void run_arm_deadline(run_ctx *r);

/* ---- run_exec.c ---- */

/* Run node n's script (p->workdir), now or once a GPU slot frees. */
void start_exec(pipeline *p, search_node *n);

/* ---- run_score.c ---- */

/* Grade the script's submission on grove's holdout and finish the node. */
void score_holdout(pipeline *p, search_node *n);
/* Ask the feedback model for the review of n's run (self-report mode). */
void start_review(pipeline *p, search_node *n);
/* The review's reply: the node's result, checked against the disk. */
void on_review(pipeline *p, llm_response *resp);

#endif

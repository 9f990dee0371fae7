/*
 * run.h (private to agent/): one `grove run`: its context and the steps
 * that set it up, drive it and finish it.
 *
 *   run_args      the command line into a run configuration
 *   run_setup     resolve the competition, make or reopen the run folder and
 *                 its journal, split the holdout, load prompts, make clients
 *   run_loop      the libuv loop: W node pipelines in flight
 *                 (prompt -> LLM -> exec -> score/review -> commit);
 *                 run_pipeline.h names its parts (run_exec.c, run_score.c,
 *                 run_stop.c: signals, deadline, the hard stop)
 *   run_budget    time left, the final re-run's reserve, the cost cap
 *   run_prompt    the rendered prompts and the builtin coder's context
 *   run_workspace a candidate's folder and the options its script runs with
 *   run_finish    re-run the best node(s) on the full data, copy best/, grade
 */
#ifndef GROVE_RUN_H
#define GROVE_RUN_H

#include "audit.h"
#include "bench.h"
#include "config.h"
#include "exec.h"
#include "holdout_infer.h"
#include "journal.h"
#include "llm.h"
#include "prompts.h"
#include "search.h"

#include <cjson/cJSON.h>
#include <uv.h>

typedef struct pipeline pipeline;

/* How far a run is from stopping; it only ever moves forward. */
typedef enum run_stop {
    RUN_ON = 0,       /* new nodes start while budget is left */
    RUN_STOP_NEW,     /* start nothing new; running nodes finish and are committed
                         (step budget, cost cap, the policy done, a first Ctrl-C) */
    RUN_STOP_NOW,     /* kill what runs; nodes in flight are dropped, uncommitted,
                         for --resume (time limit, a second Ctrl-C, SIGTERM, the
                         endpoint failing) */
} run_stop;

typedef struct run_ctx {
    run_config cfg;              /* resolved configuration (owned; saved as
                                    config.json) */
    char *run_dir;               /* absolute */
    char *comp_id;               /* competition id */
    char *comp_dir;              /* <data>/<id>/prepared, absolute */
    char *public_dir;            /* the competition's public/ */
    char *private_dir;           /* its private/ (may not exist) */
    char *comp_top;              /* <data>/<id>: public/, private/, raw downloads */
    const bench_competition *comp; /* registry entry, or NULL */
    int lower_is_better;
    const char *metric_name;
    int holdout;                 /* 1: grove scores on its own split */
    holdout_inferred inferred;   /* for registry entries without train data */
    const bench_competition *split_comp; /* the entry as the split needs it */
    char *self_report_why;       /* why a registry competition is not split */
    bench_holdout split;         /* when holdout: the search holdout */
    int three_way;               /* 1: a hidden selection holdout was split off
                                    first (run_setup.c, run_select.c) */
    bench_holdout select;        /* when three_way: public_dir is train + search
                                    holdout with the hidden rows' features as its
                                    test file, answers_path the hidden answers */
    char *select_why;            /* why --selection hidden fell back to the
                                    search score (owned), or NULL */
    int final_node;              /* the node whose re-run is the final
                                    submission; -1 none (yet) */
    char *input_dir;             /* what scripts see as ./input */
    char *description;           /* task description text */
    char *preview;               /* data preview text */
    const char *modality;        /* "tabular", "text" or "image" */
    char *python;                /* interpreter, absolute */
    char *packages;              /* "numpy 1.24, pandas 1.5, ..." */
    char *python_version;
    prompts *prompts;
    llm_client *coder;
    llm_client *feedback;        /* may equal coder */
    search_tree *tree;
    search_policy *policy;
    search_rng rng;
    journal *journal;
    audit *audit;                /* RUN/audit.jsonl: reads of private answers */
    uv_loop_t *loop;
    uv_signal_t sigint, sigterm;
    uv_timer_t deadline;
    uv_idle_t kick;              /* schedules the next tick outside callbacks */
    double started;              /* monotonic */
    double time_limit;           /* seconds */
    int steps;                   /* node budget (total, resumed ones included) */
    int workers;
    run_stop stopping;
    int sigints;                 /* Ctrl-Cs received */
    int exit_code;               /* 0, or why the run ended abnormally (130, 143, 1) */
    const char *stop_reason;
    char *llm_failure;           /* the endpoint error that stopped the run (owned), or NULL */
    uv_timer_t waiting;          /* says which LLM calls are taking long */
    const char *final_why;       /* why the run has no graded final submission
                                    (static text), NULL when it has one */
    pipeline *inflight;          /* linked list */
    int n_inflight;
    int *redo;                   /* in-flight node ids found at resume */
    int n_redo;
    int resumed;
    int idle;                    /* resumed with nothing left to do (see run_setup.c) */
    int lock_fd;                 /* flock on RUN/.grove.lock, held for the run; -1 none */
    const char *hide[5];         /* hidden from scripts: the competition's folder,
                                    its public/ and private/, the run folder */
    exec_gpu *gpus;              /* the GPUs given to the run (--gpus), owned */
    int n_gpus;
    int gpu_slots;               /* scripts that hold GPUs at once; 0: no GPU */
    unsigned char *gpu_busy;     /* per slot: a script holds it */
    size_t mem_limit;            /* memory cap per script, bytes; 0: none */
    char *hardware;              /* the prompt's {{hardware}} sentence */
    llm_usage spent;             /* LLM totals of this session, both clients */
    long n_requests;
    int warned_cost;
    int page_pid;                /* the live page's writer while it runs, else 0 */
    int page_writes;             /* pages written by writers (report_live.c) */
    double page_cpu_s;           /* their CPU time, seconds */
    double page_last_cpu_s;      /* the last one's */
    long page_max_rss_kb;        /* the largest one's peak memory */
} run_ctx;

/* The `grove run` command line (argv[0] "run") into a resolved, checked
 * configuration (*cfg, config_free() it, also on error) and the --resume
 * folder (*resume_dir, caller frees, NULL when none). */
int run_parse_args(int argc, char **argv, run_config *cfg, char **resume_dir);
/* Whether arg is a `grove run` option and takes a value: 1 it takes the next
 * argument, 0 it takes none (or has it inline, --steps=3), -1 unknown. */
int run_flag_arity(const char *arg);

/* r->cfg holds the resolved configuration (and r->run_dir the folder on a
 * resume). run_check checks all of it and creates nothing (its errors are
 * the user's: exit 2); run_setup then makes or reopens the run folder. */
int run_check(run_ctx *r, int resume);
int run_setup(run_ctx *r, int resume);
/* The competition's training file (comp's train_file, else train.csv) in
 * public_dir is there and is a CSV with at least one data row: 0, or -1 with
 * err_last() naming the file and what is wrong with it. Without a train_file
 * in the registry, a missing train.csv passes when public_dir holds other
 * train* data (a folder of images, a .gz). Part of run_check. */
int run_check_train(const char *public_dir, const bench_competition *comp);

/* ---- budget (run_budget.c) ---- */

/* Seconds the search has left: the time limit less the time spent and less
 * the final re-run's reserve (all of that before the loop starts). */
double run_time_left(const run_ctx *r);
/* Seconds left of the whole time limit, the final re-run's reserve included. */
double run_total_left(const run_ctx *r);
/* What a full-data re-run of node id is expected to take (holdout mode): its
 * run time on the split, scaled to the full training data, with a margin. */
double run_final_estimate(const run_ctx *r, int id);
/* The time kept back from the search for the final re-run: the current best
 * node's estimate (30 s before there is one), at most a quarter of the
 * limit; 0 outside holdout mode. */
double run_final_reserve(const run_ctx *r);
/* The share of the budget spent, for the policies' switch to exploitation:
 * the larger of the steps' share and the time's. */
double run_budget_used(const run_ctx *r);
/* Refresh r->spent and r->n_requests from both clients, and stop new work
 * once the cost cap (max_cost) is reached. */
void run_check_cost(run_ctx *r);
/* Stop starting nodes for `reason` (static text), unless the run is already
 * stopping, whose first reason stands (run_stop.c). */
void run_stop_new(run_ctx *r, const char *reason);

/* ---- prompts (run_prompt.c) ---- */

/* Every variable the prompt templates may use (checked at setup). */
extern const char *const run_prompt_vars[];
extern const size_t run_n_prompt_vars;
/* Template `name` rendered for node n, code and output filling {{code}} and
 * {{output}} (review); never NULL: a render error becomes the text. Caller
 * frees. */
char *run_render(run_ctx *r, const char *name, const search_node *n, const char *code,
                 const char *output);
/* The structured context of node n's request, which the builtin coder reads
 * instead of prose. Caller frees with cJSON_Delete. */
cJSON *run_context(run_ctx *r, const search_node *n);

/* ---- a candidate's folder (run_workspace.c, run_submission.c) ---- */

/* A clean workspace at dir holding code as solution.py, and in *o the options
 * every candidate run of this run shares: interpreter, sandbox, limits, the
 * hidden answers. o->workdir points at dir. 0, or < 0 with err_last(). */
int run_workspace(run_ctx *r, const char *dir, const char *code, const char *input_dir,
                  double timeout_s, exec_opts *o);
/* The candidate's ./submission/submission.csv under workdir when it is a
 * regular file reached through no symbolic link (run_submission.c says why):
 * 0 with *path (caller frees), 1 when none was written, -1 with err_last(). */
int run_submission(const char *workdir, char **path);

/* ---- the search (run_loop.c) ---- */

/* The search: W pipelines at once until the steps, the time, the policy or
 * a signal stop it. r->stopping, r->stop_reason and r->exit_code say how it
 * ended. */
int run_loop(run_ctx *r);

/* What one node in flight is doing, for the live status line. */
typedef struct run_activity {
    int id;
    search_stage stage;
    const char *doing; /* "waiting on the model", "running the script", "grading"... (static) */
} run_activity;
/* The nodes in flight (at most max, in no order) into a; their number. */
int run_activities(const run_ctx *r, run_activity *a, int max);

/* ---- the live status line (status_run.c) ---- */

typedef struct run_status run_status;
/* Start the status line of the run (status_line.h: live on a terminal, a
 * plain line a minute otherwise, none with --quiet); NULL when none. */
run_status *run_status_start(run_ctx *r);
/* Remove it and give the terminal back; NULL is a no-op. */
void run_status_stop(run_status *s);

/* ---- hardware (run_hardware.c) ---- */

/* The run's GPUs (config "gpus", "gpu_share"), their slots, the memory cap
 * per script and the prompt's hardware sentence. < 0 with err_last() for a
 * --gpus naming a GPU the machine lacks. */
int run_hardware_setup(run_ctx *r);
/* A free GPU slot, held until run_gpu_release(); -1 when all are taken. */
int run_gpu_acquire(run_ctx *r);
void run_gpu_release(run_ctx *r, int slot);
/* Give o the GPUs of slot (-1 or a run without GPUs: none). */
void run_gpu_opts(const run_ctx *r, int slot, exec_opts *o);
void run_hardware_free(run_ctx *r);
int run_finish(run_ctx *r);
void run_free(run_ctx *r);
/* RUN/finished.json: the run went to its end (exit code, stop reason, final
 * node, why there is no graded submission). Written last, so its presence
 * tells `grove bench --resume` that the run needs nothing more. */
int run_write_finished(const run_ctx *r, int exit_code);

/* ---- the final re-run and the selection analysis (run_final.c, run_analysis.c) ---- */

/* The smallest hidden selection holdout, in rows: below it the hidden
 * scores would be noise, so --selection hidden falls back to the search
 * score (with selection_fraction 0.2: training sets under 500 rows). */
#define RUN_SELECT_MIN_ROWS 100

/* One re-run of a node on some data, graded on some answers (the final
 * selection, the selection analysis). */
typedef struct run_rerun_spec {
    const char *dir;        /* the workspace (made afresh) */
    const char *input_dir;  /* what the script sees as ./input */
    const char *data_label; /* for the progress line: "the full training data" */
    const char *answers;    /* answers file to grade on (audited); run_rerun_many:
                             * NULL keeps the submission ungraded (item.sub) */
    const char *why;        /* the audit log's reason */
    double timeout;         /* seconds */
    int capped;             /* run_rerun_many: the timeout shrinks to what is left of
                             * the time limit when the run starts (it may wait) */
    int seed;               /* > 0: GROVE_SEED for the script; 0: unset */
    /* an ensemble's: ready[i] is member i's submission already made on this
     * input and seed (a finalist's own run), used instead of re-running it;
     * NULL, or a NULL entry: re-run that member */
    char *const *ready;
} run_rerun_spec;

/* Re-run node n as s says and grade its submission: 0 with *score (a valid
 * submission), -1 with err_last() saying why not (failed, invalid, not
 * graded), -2 when SIGINT or SIGTERM cancelled it (r->exit_code and
 * r->stop_reason say which). */
int run_rerun_grade(run_ctx *r, const search_node *n, const run_rerun_spec *s, double *score);

/* A graded re-run's result kept in the JSON file path, so that a resume
 * need not run it again: run_rerun_keep writes its score (NaN: null) and
 * error (may be NULL); run_rerun_cached reads one back, 1 with *score and
 * *err (caller frees; NULL when it had none), 0 when there is none. */
int run_rerun_cached(const char *path, double *score, char **err);
void run_rerun_keep(const char *path, double score, const char *err);

/* One of several re-runs side by side (run_rerun_many). */
typedef struct run_rerun_item {
    const search_node *node; /* a node with a script (not an ensemble) */
    run_rerun_spec spec;
    /* out: */
    int done;     /* finished (not cancelled): rc, score and err are set */
    int rc;       /* as run_rerun_grade's 0 or -1 */
    double score; /* NAN unless rc == 0 */
    char *err;    /* why not, when rc < 0 (caller frees) */
    char *sub;    /* spec.answers NULL: the submission, when rc == 0 (caller frees) */
} run_rerun_item;

/* run_rerun_grade for each item (run_rerun where its spec has no answers),
 * as many at once as the run has workers (a capped one within the time
 * limit left when it starts); done(item, data), unless NULL, as each one
 * is done (to keep its result before a kill can lose it). 0 when every
 * item is done, -2 when SIGINT or SIGTERM cancelled those still running
 * (as run_rerun_grade; the done ones are kept), -1 when the re-runs could
 * not be set up. */
int run_rerun_many(run_ctx *r, run_rerun_item *items, int n,
                   void (*done)(run_rerun_item *it, void *data), void *data);
/* The competition's test answers file (caller frees), or NULL with
 * err_last() when it has no grader or no answers here. */
char *run_test_answers(const run_ctx *r);

/* The final selection (run_select.c), before the final re-run: in holdout
 * mode, the candidates for the final re-run, in the order to try them (the
 * pick first, then the next by search score), max_n at most, into *ids
 * (caller frees) and *n; writes RUN/selection.json. 0, or -2 when a signal
 * stopped it (a resume redoes only the re-runs it had not finished). */
int run_select(run_ctx *r, int max_n, int **ids, int *n);
/* Seconds the search keeps back for the final selection's re-runs. */
double run_select_reserve(const run_ctx *r);

/* Node ids of the k best good nodes by search score, best first; *n set.
 * Caller frees. */
int *run_top_k(const search_tree *t, int k, int *n);
/* Re-run node n's script on the full public data in the workspace dir (an
 * ensemble: run_rerun_ensemble),
 * within timeout seconds, with the first worker's GPUs: 0 and the
 * submission's path in *sub (caller frees) when it wrote one; -1 with
 * err_last() saying why not; -2 when SIGINT or SIGTERM cancelled it
 * (r->exit_code and r->stop_reason say which). */
int run_rerun_full(run_ctx *r, const search_node *n, const char *dir, double timeout,
                   char **sub);
/* The same on any data (input_dir, described by data_label), with seed as
 * GROVE_SEED (0: unset). */
int run_rerun(run_ctx *r, const search_node *n, const char *dir, const char *input_dir,
              const char *data_label, double timeout, int seed, char **sub);
/* ---- the ensemble operator (run_ensemble.c) ---- */

/* After the search: blend the best nodes' holdout submissions and keep the
 * blend as an ensemble node when it beats the best node (config "ensemble");
 * the decision and why go to RUN/ensemble.json and stdout. The node's id,
 * or -1 when none was kept (nothing to do is no error). */
int run_ensemble(run_ctx *r);
/* An ensemble node's re-run (run_rerun's for a node of stage ensemble):
 * each member re-run on input_dir, side by side (run_rerun_many, in
 * dir/member-<id>), but for those whose ready[i] (may be NULL) already
 * holds a submission made on that input and seed; their submissions
 * blended with the node's weights into dir/submission/submission.csv
 * (*sub, caller frees). Same returns as run_rerun. */
int run_rerun_ensemble(run_ctx *r, const search_node *n, const char *dir, const char *input_dir,
                       const char *data_label, double timeout, int seed, char *const *ready,
                       char **sub);
/* For a final ensemble node n (no-op for any other): its recipe.json and
 * its members' scripts (member-<id>.py) into dir (best/). */
void run_ensemble_files(run_ctx *r, const search_node *n, const char *dir);

/* Grade sub (node's) on the competition's test answers into *rep
 * (bench_report_free), through the answers' audit log with why. 0 graded
 * (the submission may still be invalid), 1 when the competition has no
 * grader or no answers here, -1 when the grader failed; err_last() says. */
int run_grade(run_ctx *r, const char *sub, int node, const char *why, bench_report *rep);
/* The selection analysis (config analysis_top_k = K > 0): the K best nodes
 * by search score, re-run on the full data and graded on the test answers,
 * for analysis only (the search is over). Writes RUN/analysis.json: each
 * node's search and test score, the oracle (best test score of the K and the
 * final), the final submission's score and the regret (oracle - final in the
 * metric's direction, >= 0), and the same for the best search score's node
 * (search_pick_*), so the final selection's gain or loss shows.
 * final_node/final are the run's final choice. 0 (also when there was
 * nothing to analyse), -1 when analysis.json could not be written, -2 when
 * SIGINT or SIGTERM stopped it: no analysis.json then, so a resume
 * finishes it (each re-run that ended is kept in RUN/analysis/<id>.json). */
int run_analysis(run_ctx *r, int final_node, const bench_report *final);

/* ---- node files (node_io.c) ---- */

/* node.json for a node (caller frees). */
char *node_to_json(const search_node *n, const char *model);
/* Rebuild a node in t from its node.json and files (resume). */
int node_from_json(search_tree *t, const cJSON *j, const char *code, const char *plan,
                   const char *output);
/* "improve 12<-7: add target encoding | holdout auc 0.8123" (caller frees). No
 * best mark: a commit's subject is permanent and the title moves; the best
 * ref (and `grove tree`'s star) says which node holds it now. */
char *node_subject(const search_node *n, const char *score_label);
/* Write journal.json (every finished node, one file) into the run folder. */
int node_export_journal(const search_tree *t, const char *run_dir);
/* After node n's commit: append its line to RUN/journal.jsonl, and rewrite
 * journal.json when the count of finished nodes reached a power of two. */
int node_journal_append(const search_tree *t, const search_node *n, const char *run_dir);
/* Rewrite journal.jsonl and journal.json from the tree (a resume). */
int node_journal_rewrite(const search_tree *t, const char *run_dir);

/* The in-flight list: nodes started but not yet committed, each with its
 * id, stage, parent (null for a draft), parent2 (a crossover's) and
 * created_at. inflight_save writes it to run_dir/inflight.json so a resume
 * can redo them; status.json shows it too. */
cJSON *inflight_list(const run_ctx *r);
int inflight_save(const run_ctx *r);
int inflight_load(const char *run_dir, int **ids, int **stages, int **parents, int **parents2,
                  int *n);

/* ---- the run's JSON files (json_file.c) ---- */

/* Write j (consumed) to dir/name, indented, invalid UTF-8 replaced, through
 * a temporary file; -1 with err_last() when it cannot be written. */
int json_file_save(const char *dir, const char *name, cJSON *j);

/* ---- tree view (tree_view.c) ---- */

/* Open a finished or running run folder for reading: its journal, its tree
 * rebuilt from the journal, and its metric label (caller frees all three). */
int run_open_view(const char *run_dir, journal **j, search_tree **t, char **metric);

/* The aligned ASCII tree: id, stage, score, buggy mark, best star, time. */
char *tree_render(const search_tree *t, const char *score_label);

/* The final selection's finalists (RUN/selection.json), to mark in the
 * tree: ids[i] with hidden[i] (NaN: none), and the pick (-1 none). */
typedef struct tree_marks {
    int *ids;
    double *hidden;
    int n;
    int pick;
} tree_marks;
/* 0 with *m filled (tree_marks_free), 1 when the run has no selection.json
 * (yet, or made by a grove before it). */
int tree_marks_load(tree_marks *m, const char *run_dir);
void tree_marks_free(tree_marks *m);
/* tree_render with the finalists noted ("finalist, hidden 0.81922", "final
 * pick") and the pick's reason at the end; m may be NULL. */
char *tree_render_marked(const search_tree *t, const char *score_label, const tree_marks *m,
                         const char *reason);
/* The line of `grove show` for node id of run_dir's final selection:
 * its search and hidden scores, whether it is the pick and why (caller
 * frees); NULL when the node is no finalist or there is no selection. */
char *tree_selection_text(const char *run_dir, int id);

#endif

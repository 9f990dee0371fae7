/*
 * bench_driver.h (private to agent/): `grove bench` and `grove report`.
 *
 *   bench_plan     what a bench is: its competitions (a split or a file of
 *                  ids), seeds and run options, checked before anything
 *                  starts; saved as BENCH/bench.json so --resume needs
 *                  nothing else; which (competition, seed) runs still need
 *                  work, each as the argv of an ordinary `grove run`
 *   bench_drive    the loop: hands the jobs to a backend (bench_backend.h),
 *                  polls it, shows progress, records each job's end in
 *                  BENCH/jobs.json, stops everything on Ctrl-C
 *   bench_report   reads run folders (best/grade.json, finished.json,
 *                  analysis.json) into MLE-bench's summary plus rates over
 *                  seeds, per competition and per split
 *
 * The bench folder:
 *   BENCH/bench.json            the plan
 *   BENCH/jobs.json             how each job's last process ended (the driver's)
 *   BENCH/runs/<id>-seed<N>/    one ordinary run folder per (competition, seed)
 *   BENCH/logs/<id>-seed<N>.log its grove run's stdout and stderr
 *   BENCH/backend/              the backend's own state (state_dir)
 */
#ifndef GROVE_BENCH_DRIVER_H
#define GROVE_BENCH_DRIVER_H

#include "bench_backend.h"

#include <cjson/cJSON.h>
#include <stdio.h>

/* The default number of finalists of the selection analysis in a bench. */
#define BENCH_ANALYSIS_TOP_K 5

typedef struct bench_plan {
    char *dir;          /* the bench folder, absolute (NULL before it exists) */
    char *list;         /* LIST as given: a split name or a file */
    char **comps;       /* competition ids, in order */
    int n_comps;
    int seeds;          /* runs per competition */
    int seed0;          /* the first seed; the others follow */
    char **run_args;    /* `grove run` options passed through, in order */
    int n_run_args;
    char *data_dir;     /* from the run options, NULL: the default */
    int workers;        /* the runs' --workers */
    double time_limit;  /* the runs' --time-limit, seconds */
    char *backend;      /* "local", "slurm" */
    int parallel;       /* --jobs, 0: the backend chooses */
} bench_plan;

/* What a job needs at the start of a bench session. */
typedef enum bench_need {
    BENCH_NEED_START = 0,  /* never started: a fresh `grove run` */
    BENCH_NEED_RESUME,     /* begun: `grove run --resume` */
    BENCH_NEED_NOTHING,    /* finished (RUN/finished.json) */
} bench_need;

/* ---- bench_plan.c ---- */

/* Resolve LIST (a split name or a file of ids) into p->comps. */
int bench_plan_list(bench_plan *p, const char *list);
/* Every check that can fail before anything starts: unknown ids, data that
 * is not prepared, the run options (which also set workers, time_limit and
 * data_dir). On failure err_last() names every offender, one per line. */
int bench_plan_check(bench_plan *p);
/* Save p as DIR/bench.json / read it back (p zeroed first). */
int bench_plan_save(const bench_plan *p);
int bench_plan_load(bench_plan *p, const char *dir);
void bench_plan_free(bench_plan *p);
/* Number of jobs (competitions x seeds) and job i's competition and seed. */
int bench_plan_jobs(const bench_plan *p);
const char *bench_plan_comp(const bench_plan *p, int i, int *seed);
/* Job i's run folder and log (caller frees). */
char *bench_plan_run_dir(const bench_plan *p, int i);
char *bench_plan_log(const bench_plan *p, int i);
/* What job i needs now, from its run folder alone (a kill at any moment
 * leaves a folder this reads right). */
bench_need bench_plan_need(const bench_plan *p, int i);
/* The argv (NULL-terminated, caller frees with bench_argv_free) that does
 * what job i needs; exe is grove's own absolute path. */
char **bench_plan_argv(const bench_plan *p, int i, bench_need need, const char *exe);
void bench_argv_free(char **argv);

/* ---- bench_drive.c ---- */

/* Run every job that needs work with backend ops; 0 when every job
 * finished, 1 when some did not, 130 interrupted. */
int bench_drive(const bench_plan *p, const bench_backend_ops *ops, bench_backend_opts *o);

/* ---- bench_report.c ---- */

/* The report of a bench folder or of one run folder (caller cJSON_Delete()s):
 * MLE-bench's summary fields and competition_reports, then "competitions"
 * and "splits" with rates over seeds and the selection analysis. */
int bench_report_bench(cJSON **out, const char *bench_dir);
int bench_report_run(cJSON **out, const char *run_dir);
/* A run's MLE-bench report (its best/grade.json, or one with no submission
 * for a run that has none), with the grove fields seed, run_dir, finished
 * and failure. comp_id and seed as the bench knows them. */
cJSON *bench_report_one(const char *run_dir, const char *comp_id, int seed,
                        const char *job_failure);

/* ---- cmd_report.c ---- */

/* The report for people: totals, one line per competition, one per split,
 * the failures. */
void bench_report_print(FILE *f, const cJSON *rep);

/* ---- bench_stats.c ---- */

/* Mean, standard error (sample std, ddof 1, over sqrt(n)) and mean +/- 1.96
 * SE of x[0..n-1] as {"n", "mean", "sem", "ci95_low", "ci95_high"}; null
 * where undefined (no values; one value has no SE). */
cJSON *bench_stats(const double *x, int n);

#endif

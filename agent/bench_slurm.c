/*
 * bench_slurm.c: the Slurm backend of `grove bench`. The jobs a bench hands
 * over become one sbatch job array, one task per job; their states come from
 * squeue while Slurm remembers them and from the job completion record
 * (JobCompType=jobcomp/filetxt, the file named by JobCompLoc) for good.
 *
 * Submitting. start() writes STATE/array-N.sh, a batch script that maps
 * $SLURM_ARRAY_TASK_ID to one job's argv, run with stdout+stderr into the
 * job's log, and submits it with `sbatch --parsable` and the resources on
 * its command line (the largest any job asks for: an array has one set;
 * bench_slurm_submit.c). STATE/slurm-jobs.tsv records the array id and
 * which task runs which run folder, so a later `grove bench --resume` (or
 * a cancel after a crash) finds the array again.
 *
 * Resuming. A task of an earlier array that is still pending or running in
 * Slurm is not submitted twice: start() adopts it and watches it as if it
 * had submitted it, and submits only the rest.
 *
 * Watching. poll() reads what the jobcomp file gained since the last call
 * (cheap: the file only grows) and, at most every POLL_INTERVAL_S, asks
 * `squeue -r -t all` for the arrays' tasks. A task's own jobcomp record is
 * the last word; the record an array's still-pending tasks share when they
 * end together (a cancel) comes next; squeue's view last. A task neither
 * source knows twice in a row is LOST. Every client call runs with an
 * explicit argv and a deadline (subproc.h), synchronously: squeue answers
 * in ~10 ms on a healthy controller, so the loop is blocked that long every
 * few seconds; a controller that hangs blocks it SLURM_CMD_TIMEOUT_S at
 * most, and then not again for RETRY_AFTER_S.
 *
 * Safety. Every array gets the bench's own job name ("grove-<bench>"), and
 * squeue and scancel are filtered by it as well as by job id, so an id that
 * Slurm has reused for someone else's job after a reset is never touched.
 */
#include "bench_slurm_int.h"

#include "slurm_parse.h"
#include "subproc.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { MISSES_LOST = 2 }; /* polls a task may be unknown to both sources */
static const double POLL_INTERVAL_S = 3.0;
static const double RETRY_AFTER_S = 30.0;

/* Where a task's state came from; a later source never overrides an
 * earlier one of higher rank. */
enum { SRC_NONE, SRC_SQUEUE, SRC_REST, SRC_OWN };

typedef struct task {
    long array_id;
    int index;
    int src;    /* SRC_*: who said it is over; SRC_NONE while not over */
    int misses;
    bench_job_status st;
} task;

struct bench_backend {
    bench_backend_opts o;
    slurm_state state;  /* job name, jobcomp path, earlier arrays (state file) */
    task *t;
    int n;
    int started;
    long *arrays;       /* the arrays watched: submitted or adopted */
    int n_arrays;
    long jobcomp_off;
    double next_squeue;
};

/* ---- check ----------------------------------------------------------- */

static int slurm_check(const bench_backend_opts *o)
{
    static const char *const tools[] = {"sbatch", "squeue", "scancel", "scontrol"};
    for (size_t i = 0; i < sizeof tools / sizeof tools[0]; i++)
        if (!subproc_on_path(tools[i]))
            return err_set("slurm backend: '%s' not found on PATH: install Slurm's client "
                           "commands (Debian: slurm-client; on a cluster: module load slurm) "
                           "or run with --backend local", tools[i]);
    if (slurm_opts_check(o) != 0)
        return -1;
    subproc_result r;
    char *argv[] = {"scontrol", "ping", NULL};
    int rc = slurm_cmd(&r, argv, SLURM_CMD_TIMEOUT_S);
    if (rc != 0) {
        const char *conf = getenv("SLURM_CONF");
        char said[200];
        subproc_first_line(said, sizeof said, r.out && r.out[0] ? r.out : err_last());
        err_set("slurm backend: the Slurm controller does not answer (scontrol ping: %s): "
                "start slurmctld, or point SLURM_CONF at the cluster's slurm.conf (SLURM_CONF "
                "is %s); for a test cluster on this machine: scripts/slurm-local start DIR",
                said, conf ? conf : "unset");
    }
    subproc_result_free(&r);
    return rc;
}

/* ---- create / destroy -------------------------------------------------- */

static bench_backend *slurm_create(const bench_backend_opts *o)
{
    bench_backend *b = xcalloc(1, sizeof *b);
    b->o = *o;
    if (slurm_state_load(&b->state, o->state_dir) != 0)
        log_warn("%s", err_last());
    if (!b->state.jobcomp)
        log_warn("slurm backend: %s", b->state.jobcomp_note);
    return b;
}

static void slurm_destroy(bench_backend *b)
{
    if (!b)
        return;
    slurm_state_free(&b->state);
    free(b->t);
    free(b->arrays);
    free(b);
}

/* ---- start ----------------------------------------------------------- */

static void watch_array(bench_backend *b, long id)
{
    for (int i = 0; i < b->n_arrays; i++)
        if (b->arrays[i] == id)
            return;
    b->arrays = xrealloc(b->arrays, (size_t)(b->n_arrays + 1) * sizeof *b->arrays);
    b->arrays[b->n_arrays++] = id;
}

/* "-j 12,15" for squeue/scancel: the arrays given. */
static char *id_list(const long *ids, int n)
{
    sb s = {0};
    for (int i = 0; i < n; i++)
        sb_printf(&s, "%s%ld", i ? "," : "", ids[i]);
    return sb_steal(&s);
}

/* squeue's view of the given arrays' tasks, through cb; 0, or -1. */
static int squeue_each(const bench_backend *b, const long *ids, int n,
                       void (*cb)(void *ctx, const slurm_rec *r), void *ctx)
{
    char *jobs = id_list(ids, n);
    char *name = xasprintf("--name=%s", b->state.name);
    char *argv[] = {"squeue", "-h", "-r", "-t", "all", name, "-j", jobs,
                    "-O", SLURM_SQUEUE_FORMAT, NULL};
    subproc_result r;
    int rc = slurm_cmd(&r, argv, SLURM_CMD_TIMEOUT_S);
    /* every id given already forgotten: an empty list, not a failure */
    if (rc != 0 && !r.timed_out && r.err && strstr(r.err, "Invalid job id"))
        rc = 0;
    for (char *line = r.out; rc == 0 && line && *line;) {
        size_t len = strcspn(line, "\n");
        slurm_rec rec;
        if (slurm_parse_squeue(&rec, line, len) == 0)
            cb(ctx, &rec);
        line += len + (line[len] == '\n');
    }
    subproc_result_free(&r);
    free(jobs);
    free(name);
    return rc;
}

typedef struct adopt_ctx {
    bench_backend *b;
    const bench_job *jobs;
    int n;
} adopt_ctx;

/* A task of an earlier array still queued or running: the job that runs
 * the same run folder is that task from now on. */
static void adopt_one(void *ctx, const slurm_rec *r)
{
    adopt_ctx *a = ctx;
    bench_job_status st;
    if (slurm_rec_status(&st, r) != 0)
        return;
    const char *dir = slurm_state_run_dir(&a->b->state, r->array_id, r->task);
    for (int i = 0; dir && i < a->n; i++) {
        if (strcmp(a->jobs[i].run_dir, dir) != 0 || a->b->t[i].array_id)
            continue;
        a->b->t[i] = (task){.array_id = r->array_id, .index = r->task, .st = st};
        watch_array(a->b, r->array_id);
        log_info("slurm backend: %s is still %s as task %ld_%d: watching it, not submitting "
                 "it again", dir, r->state, r->array_id, r->task);
    }
}

static int adopt(bench_backend *b, const bench_job *jobs, int n)
{
    if (b->state.n_arrays == 0)
        return 0;
    adopt_ctx a = {b, jobs, n};
    if (squeue_each(b, b->state.arrays, b->state.n_arrays, adopt_one, &a) != 0)
        return err_prefix("slurm backend: looking for the bench's earlier arrays (%s)",
                          b->state.path);
    return 0;
}

static int submit(bench_backend *b, const bench_job *jobs, int n)
{
    int *pick = xmalloc((size_t)n * sizeof *pick), k = 0;
    for (int i = 0; i < n; i++)
        if (!b->t[i].array_id)
            pick[k++] = i;
    int rc = 0;
    if (k > 0) {
        long id;
        rc = slurm_submit(&id, &b->state, &b->o, jobs, pick, k);
        for (int j = 0; rc == 0 && j < k; j++)
            b->t[pick[j]] = (task){.array_id = id, .index = j};
        if (rc == 0)
            watch_array(b, id);
    }
    free(pick);
    return rc;
}

static int slurm_start(bench_backend *b, const bench_job *jobs, int n)
{
    if (b->started)
        return err_set("slurm backend: start() called twice");
    if (slurm_jobs_check(&b->o, jobs, n) != 0)
        return -1;
    b->t = xcalloc((size_t)(n > 0 ? n : 1), sizeof *b->t);
    b->n = n;
    if (adopt(b, jobs, n) != 0 || submit(b, jobs, n) != 0)
        return -1;
    /* the jobcomp file from where the oldest array watched was submitted */
    b->jobcomp_off = slurm_jobcomp_size(b->state.jobcomp);
    for (int i = 0; i < b->n_arrays; i++) {
        long off = slurm_state_offset(&b->state, b->arrays[i]);
        b->jobcomp_off = off < b->jobcomp_off ? off : b->jobcomp_off;
    }
    b->started = 1;
    return 0;
}

/* ---- poll ------------------------------------------------------------ */

static task *find_task(bench_backend *b, long array_id, int index)
{
    for (int i = 0; i < b->n; i++)
        if (b->t[i].array_id == array_id && b->t[i].index == index)
            return &b->t[i];
    return NULL;
}

/* A final state from source src, unless a better source has spoken. */
static void settle(task *t, const bench_job_status *st, int src)
{
    if (t->src > src)
        return;
    t->st = *st;
    t->src = src;
}

static void jobcomp_one(void *ctx, const slurm_rec *r)
{
    bench_backend *b = ctx;
    bench_job_status st;
    if (strcmp(r->name, b->state.name) != 0 || slurm_rec_status(&st, r) != 1)
        return;
    if (r->task >= 0) {
        task *t = find_task(b, r->array_id, r->task);
        if (t)
            settle(t, &st, SRC_OWN);
        return;
    }
    for (int i = 0; i < b->n; i++) /* the array's tasks that never started */
        if (b->t[i].array_id == r->array_id && b->t[i].src < SRC_REST &&
            b->t[i].st.state == BENCH_JOB_PENDING)
            settle(&b->t[i], &st, SRC_REST);
}

static void squeue_one(void *ctx, const slurm_rec *r)
{
    bench_backend *b = ctx;
    task *t = find_task(b, r->array_id, r->task);
    bench_job_status st;
    if (!t || slurm_rec_status(&st, r) < 0)
        return;
    t->misses = -1; /* listed: not missing in this round */
    if (st.state == BENCH_JOB_PENDING || st.state == BENCH_JOB_RUNNING) {
        if (t->src == SRC_NONE)
            t->st = st;
        return;
    }
    settle(t, &st, SRC_SQUEUE);
}

static int open_tasks(const bench_backend *b)
{
    int k = 0;
    for (int i = 0; i < b->n; i++)
        k += b->t[i].src == SRC_NONE;
    return k;
}

static int poll_squeue(bench_backend *b)
{
    double now = clock_mono();
    if (now < b->next_squeue || open_tasks(b) == 0)
        return 0;
    if (squeue_each(b, b->arrays, b->n_arrays, squeue_one, b) != 0) {
        b->next_squeue = now + RETRY_AFTER_S;
        return err_prefix("slurm backend: no states from squeue (left as they were; next try "
                          "in %.0f s)", RETRY_AFTER_S);
    }
    b->next_squeue = now + POLL_INTERVAL_S;
    for (int i = 0; i < b->n; i++) {
        task *t = &b->t[i];
        if (t->src != SRC_NONE || ++t->misses < MISSES_LOST)
            continue;
        bench_job_status st = {.state = BENCH_JOB_LOST, .exit_code = -1};
        snprintf(st.why, sizeof st.why, "Slurm forgot task %ld_%d and %s", t->array_id,
                 t->index, b->state.jobcomp ? "its completion record has no line for it"
                                            : "no completion record is readable");
        settle(t, &st, SRC_SQUEUE);
    }
    return 0;
}

static int slurm_poll(bench_backend *b, bench_job_status *st, int n)
{
    if (!b->started || n != b->n)
        return err_set("slurm backend: poll() of %d jobs, start() was given %d", n, b->n);
    if (b->state.jobcomp)
        slurm_jobcomp_scan(b->state.jobcomp, &b->jobcomp_off, jobcomp_one, b);
    int rc = poll_squeue(b);
    for (int i = 0; i < n; i++)
        st[i] = b->t[i].st;
    return rc;
}

/* ---- cancel ------------------------------------------------------------ */

/* scancel every array this bench watches (or, before start(), every array
 * the state file names), filtered by the bench's job name. */
static void slurm_cancel(bench_backend *b)
{
    const long *ids = b->started ? b->arrays : b->state.arrays;
    int n = b->started ? b->n_arrays : b->state.n_arrays;
    if (n == 0)
        return;
    char **argv = xcalloc((size_t)n + 3, sizeof *argv);
    argv[0] = xstrdup("scancel");
    argv[1] = xasprintf("--name=%s", b->state.name);
    for (int i = 0; i < n; i++)
        argv[i + 2] = xasprintf("%ld", ids[i]);
    subproc_result r;
    /* an array that already ended is an "Invalid job id": nothing to do */
    if (slurm_cmd(&r, argv, SLURM_CMD_TIMEOUT_S) != 0 &&
        !(r.err && strstr(r.err, "Invalid job id")))
        log_warn("slurm backend: cancelling the bench's arrays: %s", err_last());
    else
        log_info("slurm backend: cancelled %d job array%s", n, n == 1 ? "" : "s");
    subproc_result_free(&r);
    for (int i = 0; i < n + 2; i++)
        free(argv[i]);
    free(argv);
}

const bench_backend_ops bench_backend_slurm = {
    .name = "slurm",
    .check = slurm_check,
    .create = slurm_create,
    .start = slurm_start,
    .poll = slurm_poll,
    .cancel = slurm_cancel,
    .destroy = slurm_destroy,
};

/*
 * bench_backend.h (private to agent/): where the runs of a `grove bench`
 * execute. A bench is a list of jobs, one per (competition, seed), each an
 * ordinary `grove run` (or `grove run --resume`) in its own run folder inside
 * the bench folder. The bench driver (bench_*.c) decides which jobs must run;
 * a backend only starts them, reports their states and stops them.
 *
 * Two backends, chosen with --backend, behind one table of operations as
 * search/'s policies are:
 *   local   K child processes at once on this machine, driven by libuv
 *   slurm   one sbatch job array, one task per job, state from squeue and
 *           Slurm's job completion record (jobcomp/filetxt)
 *
 * The driver owns the loop: it calls start() once with every job to run,
 * then poll() from a timer (every second or so) until no job is pending or
 * running, and cancel() on Ctrl-C. A backend never decides what to run and
 * never reads a run folder; the driver reads results from the run folders.
 */
#ifndef GROVE_BENCH_BACKEND_H
#define GROVE_BENCH_BACKEND_H

#include <uv.h>

/* One (competition, seed) run. Strings and argv are owned by the driver and
 * outlive the backend. */
typedef struct bench_job {
    const char *comp_id;
    int seed;
    const char *run_dir;   /* absolute path of its run folder */
    const char *log_path;  /* absolute: the run's stdout+stderr go here */
    char *const *argv;     /* the whole command, NULL-terminated: argv[0] is
                              grove's own absolute path, then "run" ... */
    int n_gpus;            /* GPUs this job may use (indices into the
                              machine's GPUs), 0 for none */
    const int *gpus;
    int cpus;              /* CPUs it asks for (Slurm: --cpus-per-task) */
    long mem_mb;           /* memory it asks for, 0 unknown (Slurm: --mem) */
    double time_limit_s;   /* its --time-limit (Slurm: --time, plus a margin) */
} bench_job;

typedef enum bench_job_state {
    BENCH_JOB_PENDING = 0, /* not started yet (queued locally or in Slurm) */
    BENCH_JOB_RUNNING,
    BENCH_JOB_DONE,        /* the process ended; exit_code says how */
    BENCH_JOB_LOST,        /* the backend lost it (node failure, cancelled,
                              Slurm timeout): exit_code < 0, why says why */
} bench_job_state;

typedef struct bench_job_status {
    bench_job_state state;
    int exit_code;         /* valid when DONE; -1 when LOST */
    char why[160];         /* for LOST, and for DONE with exit_code != 0 when
                              the backend knows more ("TIMEOUT", "OUT_OF_MEMORY") */
} bench_job_status;

/* Options from the command line that a backend may use. */
typedef struct bench_backend_opts {
    int parallel;          /* local: runs at once (K); 0 = choose */
    const char *partition; /* slurm, may be NULL */
    const char *account;   /* slurm, may be NULL */
    char *const *slurm_args; /* free sbatch arguments, NULL-terminated, may be NULL */
    const char *state_dir; /* a folder inside the bench folder the backend may
                              write (sbatch script, job id, jobcomp path) */
    int detach;            /* slurm: submit and return */
    uv_loop_t *loop;
} bench_backend_opts;

typedef struct bench_backend bench_backend;

typedef struct bench_backend_ops {
    const char *name;      /* "local", "slurm" */
    /* Can this backend run here? 0, or -1 with err_last() naming what is
     * missing and the fix (no sbatch on PATH, a controller that does not
     * answer). Called before anything starts. */
    int (*check)(const bench_backend_opts *o);
    /* A backend for these options (caller frees with destroy). */
    bench_backend *(*create)(const bench_backend_opts *o);
    /* Start (local: queue) the n jobs. 0, or -1 with err_last(). */
    int (*start)(bench_backend *b, const bench_job *jobs, int n);
    /* Refresh st[0..n-1] for the jobs given to start(). 0, or -1 with
     * err_last() when the backend cannot tell (states left as they were). */
    int (*poll)(bench_backend *b, bench_job_status *st, int n);
    /* Stop every job (local: SIGTERM then SIGKILL; slurm: scancel). */
    void (*cancel)(bench_backend *b);
    void (*destroy)(bench_backend *b);
} bench_backend_ops;

/* The backends, by name; NULL when unknown. */
const bench_backend_ops *bench_backend_find(const char *name);

extern const bench_backend_ops bench_backend_local;
extern const bench_backend_ops bench_backend_slurm;

#endif

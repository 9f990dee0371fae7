/*
 * bench_slurm_int.h (private to bench_slurm*.c): the pieces of the Slurm
 * backend around the watching loop in bench_slurm.c: the bench's state file
 * (STATE/slurm-jobs.tsv), the batch script and its submission, the jobcomp
 * file, and running one Slurm client.
 *
 * The state file, one record a line, tab-separated, appended as arrays are
 * submitted (never rewritten, so a crash mid-write loses at most the line
 * being written):
 *   name   grove-mybench          the job name of every array of this bench
 *   array  123  40960             an array's id, the jobcomp file's size
 *                                 when it was submitted (where to read from)
 *   task   123  0  /abs/run/dir   which task of which array runs which run
 */
#ifndef GROVE_BENCH_SLURM_INT_H
#define GROVE_BENCH_SLURM_INT_H

#include "bench_backend.h"
#include "slurm_parse.h"
#include "subproc.h"

/* The most a query (squeue, scontrol, scancel) may take; sbatch gets more. */
#define SLURM_CMD_TIMEOUT_S 10.0

typedef struct slurm_task_rec {
    long array_id;
    int index;
    char *run_dir;
} slurm_task_rec;

typedef struct slurm_state {
    char *dir;               /* the backend's state folder */
    char *path;              /* dir/slurm-jobs.tsv */
    char *name;              /* job name of this bench's arrays */
    char *jobcomp;           /* JobCompLoc when JobCompType=jobcomp/filetxt and
                                the file is readable; else NULL */
    char jobcomp_note[400];  /* why jobcomp is NULL */
    long *arrays;            /* arrays recorded, oldest first */
    long *arrays_off;        /* their jobcomp offsets */
    int n_arrays;
    slurm_task_rec *tasks;   /* tasks recorded */
    int n_tasks;
} slurm_state;

/* Read dir/slurm-jobs.tsv (absent: a bench never submitted), choose the job
 * name when it has none, and find the jobcomp file (`scontrol show config`).
 * 0, or -1 with err_last() when the file is unreadable (the state is then
 * empty but usable). Free with slurm_state_free. */
int slurm_state_load(slurm_state *s, const char *dir);
void slurm_state_free(slurm_state *s);

/* The run folder of task index of array_id, as recorded; NULL if unknown. */
const char *slurm_state_run_dir(const slurm_state *s, long array_id, int index);

/* Record a submitted array (its jobcomp offset, task j runs jobs[pick[j]])
 * in memory and in the state file. 0, or -1 with err_last(). */
int slurm_state_record(slurm_state *s, long id, long off, const bench_job *jobs, const int *pick,
                       int k);

/* The jobcomp offset recorded for array_id; 0 when unknown. */
long slurm_state_offset(const slurm_state *s, long array_id);

/* Options the backend can use (check(), before the bench folder exists)?
 * Jobs and a state folder it can use (start())? 0, or -1 with err_last(). */
int slurm_opts_check(const bench_backend_opts *o);
int slurm_jobs_check(const bench_backend_opts *o, const bench_job *jobs, int n);

/* Write the batch script for jobs[pick[0..k-1]] (task j runs jobs[pick[j]]),
 * submit it with sbatch and record it in the state file. *id is the array's
 * job id. 0, or -1 with err_last() (sbatch's own message). */
int slurm_submit(long *id, slurm_state *s, const bench_backend_opts *o, const bench_job *jobs,
                 const int *pick, int k);

/* The sbatch arguments for these jobs' resources: "--cpus-per-task=4",
 * "--mem=8192", ... into argv[0..] (at most 8, each freed by the caller);
 * returns how many. Exposed for tests. */
int slurm_resource_args(char **argv, const bench_backend_opts *o, const bench_job *jobs,
                        const int *pick, int k);

/* Read the complete lines the jobcomp file gained after *off, hand every
 * record to cb, and move *off past them. A file shorter than *off was
 * rotated: read it from the start. Errors are silent (the next call tries
 * again). */
void slurm_jobcomp_scan(const char *path, long *off, void (*cb)(void *ctx, const slurm_rec *r),
                        void *ctx);

/* The file's size now, 0 when it does not exist. */
long slurm_jobcomp_size(const char *path);

/* Run a Slurm client with a deadline: 0 when it exited 0, else -1 with
 * err_last() naming the command and what it said. *r is the caller's to
 * free (subproc_result_free) either way. */
int slurm_cmd(subproc_result *r, char *const argv[], double timeout_s);

#endif

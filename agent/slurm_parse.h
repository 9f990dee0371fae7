/*
 * slurm_parse.h (private to agent/): what Slurm's clients and its job
 * completion record say about a job, read into one struct, and what that
 * means for a bench job. Pure functions on strings, no I/O: fuzzed by
 * tests/agent/fuzz_slurm.c.
 *
 * Two sources, one record:
 *  - a line of `squeue -h -r -t all -O SLURM_SQUEUE_FORMAT`:
 *        "12|3|COMPLETED|768|"   array job id, task, state, wait status
 *  - a line of the jobcomp/filetxt file (JobCompLoc), Key=Value fields:
 *        "JobId=15 ... JobState=FAILED ... ArrayJobId=12 ArrayTaskId=3
 *         DerivedExitCode=0:0 ExitCode=3:0"
 *    The tasks of an array still pending when it is cancelled end as one
 *    record of the array's own JobId with no ArrayTaskId: task is then -1,
 *    "every task of this array without a record of its own".
 */
#ifndef GROVE_SLURM_PARSE_H
#define GROVE_SLURM_PARSE_H

#include "bench_backend.h"

#include <stddef.h>

/* The squeue --Format the squeue parser reads ("|" ends each field). */
#define SLURM_SQUEUE_FORMAT "ArrayJobID:|,ArrayTaskID:|,State:|,exit_code:|"

typedef struct slurm_rec {
    long array_id;   /* the array's job id (a job outside an array: its own id) */
    int task;        /* the array task index; -1 for the rest of the array */
    char name[64];   /* jobcomp: the job's name (its first word); squeue: "" */
    char state[24];  /* Slurm's state name, "COMPLETED", "TIMEOUT", ... */
    int has_exit;    /* exit_code and signal are known */
    int exit_code;   /* the batch script's exit status */
    int signal;      /* the signal that ended it, 0 if none */
} slurm_rec;

/* One squeue line (without its newline) into *r: 0, or -1 when it is not a
 * line of SLURM_SQUEUE_FORMAT. */
int slurm_parse_squeue(slurm_rec *r, const char *line, size_t len);

/* One jobcomp/filetxt line (without its newline) into *r: 0, or -1 when it
 * is not a job record (no JobId or JobState). */
int slurm_parse_jobcomp(slurm_rec *r, const char *line, size_t len);

/* What the record means for a bench job: fills *st and returns 1 when the
 * job is over (DONE or LOST), 0 while it is pending or running, -1 for a
 * state this code does not know (st untouched). */
int slurm_rec_status(bench_job_status *st, const slurm_rec *r);

#endif

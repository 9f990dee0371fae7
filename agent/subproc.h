/*
 * subproc.h (private to agent/): run a short command to completion, with an
 * explicit argv (no shell), a wall-clock bound and its output captured.
 *
 * For the client commands grove asks questions of (sbatch, squeue, scontrol,
 * scancel): they answer in milliseconds when all is well and may hang when a
 * server does not answer, so every call has a deadline after which the
 * command's whole process group gets SIGKILL. The caller's loop is blocked
 * for the length of the call: use it only where that is bounded and short.
 */
#ifndef GROVE_SUBPROC_H
#define GROVE_SUBPROC_H

#include <stddef.h>

typedef struct subproc_result {
    int exit_code;   /* exit status; -1 when a signal ended it */
    int timed_out;   /* 1 when the deadline killed it */
    char *out;       /* stdout, NUL-terminated, at most the cap given */
    char *err;       /* stderr, likewise */
} subproc_result;

/* Run argv[0] (looked up on PATH) with argv, stdin from /dev/null, the
 * caller's environment, in its own process group. Waits at most timeout_s
 * seconds; keeps the first `cap` bytes of each stream (the rest is read and
 * dropped so the child never blocks on a full pipe). Returns 0 when the
 * command ran (whatever its exit status: see *r), or -1 with err_last()
 * when it could not be started ("'squeue' not found on PATH"). The caller
 * frees *r with subproc_result_free, also after a failure. */
int subproc_run(subproc_result *r, char *const argv[], double timeout_s, size_t cap);

void subproc_result_free(subproc_result *r);

/* The first line of s (at most n-1 bytes) into buf, for messages. */
void subproc_first_line(char *buf, size_t n, const char *s);

/* Is `name` an executable file in a folder of $PATH? 1 or 0. */
int subproc_on_path(const char *name);

#endif

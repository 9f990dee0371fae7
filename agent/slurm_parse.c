/*
 * slurm_parse.c: squeue lines and jobcomp/filetxt records into slurm_rec,
 * and Slurm's job states into bench_job_status.
 *
 * Both inputs come from another program and, for the jobcomp file, from
 * every user of the cluster: the parsers read bounded spans, never trust a
 * NUL terminator, and reject what does not look like a record. In a jobcomp
 * line the free-text fields (Name, WorkDir) come before the array fields and
 * ExitCode, so those are read from their last occurrence: a job name that
 * contains " ArrayJobId=7" cannot pose as another job's task.
 */
#include "slurm_parse.h"

#include <stdio.h>
#include <string.h>

/* ---- small readers over a span --------------------------------------- */

typedef struct span {
    const char *p;
    size_t n;
} span;

/* A decimal number filling the whole span: 0, or -1. */
static int span_long(span s, long *out)
{
    if (s.n == 0 || s.n > 18)
        return -1;
    long v = 0;
    for (size_t i = 0; i < s.n; i++) {
        if (s.p[i] < '0' || s.p[i] > '9')
            return -1;
        v = v * 10 + (s.p[i] - '0');
    }
    *out = v;
    return 0;
}

static int span_int(span s, int *out)
{
    long v;
    if (span_long(s, &v) != 0 || v > 0x7fffffff)
        return -1;
    *out = (int)v;
    return 0;
}

/* The state name: letters and '_' only ("CANCELLED by 0" -> "CANCELLED"). */
static int span_state(span s, char *out, size_t cap)
{
    size_t n = 0;
    while (n < s.n && ((s.p[n] >= 'A' && s.p[n] <= 'Z') || s.p[n] == '_'))
        n++;
    if (n == 0 || n >= cap)
        return -1;
    memcpy(out, s.p, n);
    out[n] = '\0';
    return 0;
}

/* The value of " Key=" (or "Key=" at the start) up to the next space; the
 * first occurrence or the last. 0, or -1 when the key is absent. */
static int field(const char *line, size_t len, const char *key, int last, span *out)
{
    size_t kn = strlen(key);
    int found = 0;
    for (size_t i = 0; i + kn + 1 <= len; i++) {
        if ((i > 0 && line[i - 1] != ' ') || memcmp(line + i, key, kn) != 0 ||
            line[i + kn] != '=')
            continue;
        size_t v = i + kn + 1, e = v;
        while (e < len && line[e] != ' ')
            e++;
        *out = (span){line + v, e - v};
        found = 1;
        if (!last)
            break;
        i = e;
    }
    return found ? 0 : -1;
}

/* ---- squeue ---------------------------------------------------------- */

int slurm_parse_squeue(slurm_rec *r, const char *line, size_t len)
{
    span f[4];
    size_t at = 0;
    for (int i = 0; i < 4; i++) {
        size_t e = at;
        while (e < len && line[e] != '|')
            e++;
        if (e >= len)
            return -1;
        f[i] = (span){line + at, e - at};
        while (f[i].n > 0 && f[i].p[f[i].n - 1] == ' ')
            f[i].n--;
        at = e + 1;
    }
    memset(r, 0, sizeof *r);
    long status;
    if (span_long(f[0], &r->array_id) != 0 || span_state(f[2], r->state, sizeof r->state) != 0 ||
        span_long(f[3], &status) != 0)
        return -1;
    /* "N/A" outside an array; a range ("[3-9%2]") only without -r */
    if (span_int(f[1], &r->task) != 0)
        r->task = -1;
    /* squeue's exit_code is the wait status: code << 8 | signal */
    r->has_exit = 1;
    r->exit_code = (int)((status >> 8) & 0xff);
    r->signal = (int)(status & 0x7f);
    return 0;
}

/* ---- jobcomp/filetxt ---------------------------------------------------- */

int slurm_parse_jobcomp(slurm_rec *r, const char *line, size_t len)
{
    span id, state, v;
    if (len < 6 || memcmp(line, "JobId=", 6) != 0 || field(line, len, "JobId", 0, &id) != 0 ||
        field(line, len, "JobState", 0, &state) != 0)
        return -1;
    memset(r, 0, sizeof *r);
    if (span_long(id, &r->array_id) != 0 || span_state(state, r->state, sizeof r->state) != 0)
        return -1;
    r->task = -1;
    if (field(line, len, "Name", 0, &v) == 0 && v.n < sizeof r->name)
        memcpy(r->name, v.p, v.n);
    if (field(line, len, "ArrayJobId", 1, &v) == 0 && span_long(v, &r->array_id) != 0)
        return -1;
    if (field(line, len, "ArrayTaskId", 1, &v) == 0 && span_int(v, &r->task) != 0)
        r->task = -1; /* a range: the tasks still pending, ended together */
    if (field(line, len, "ExitCode", 1, &v) == 0) {
        const char *colon = memchr(v.p, ':', v.n);
        if (colon && span_int((span){v.p, (size_t)(colon - v.p)}, &r->exit_code) == 0 &&
            span_int((span){colon + 1, v.n - (size_t)(colon + 1 - v.p)}, &r->signal) == 0)
            r->has_exit = 1;
    }
    return 0;
}

/* ---- states ---------------------------------------------------------- */

enum kind { K_PENDING, K_RUNNING, K_DONE, K_FAILED, K_OOM, K_LOST };

/* Every state squeue and jobcomp print (slurm.h's job_state_string). */
static const struct {
    const char *name;
    enum kind kind;
    const char *why; /* for LOST: what happened and, where there is one, the fix */
} states[] = {
    {"PENDING", K_PENDING, NULL},
    {"CONFIGURING", K_PENDING, NULL},
    {"REQUEUED", K_PENDING, NULL},
    {"REQUEUE_HOLD", K_PENDING, NULL},
    {"REQUEUE_FED", K_PENDING, NULL},
    {"RESV_DEL_HOLD", K_PENDING, NULL},
    {"RESIZING", K_PENDING, NULL},
    {"RUNNING", K_RUNNING, NULL},
    {"COMPLETING", K_RUNNING, NULL},
    {"SUSPENDED", K_RUNNING, NULL},
    {"STOPPED", K_RUNNING, NULL},
    {"SIGNALING", K_RUNNING, NULL},
    {"STAGE_OUT", K_RUNNING, NULL},
    {"COMPLETED", K_DONE, NULL},
    {"FAILED", K_FAILED, NULL},
    {"OUT_OF_MEMORY", K_OOM, NULL},
    {"TIMEOUT", K_LOST, "TIMEOUT: Slurm's time limit ended it (a larger --time-limit, or "
                        "--slurm-arg=--time=MINUTES, gives it more)"},
    {"CANCELLED", K_LOST, "CANCELLED: scancel or an administrator ended it"},
    {"NODE_FAIL", K_LOST, "NODE_FAIL: the node it ran on failed"},
    {"BOOT_FAIL", K_LOST, "BOOT_FAIL: its node did not boot"},
    {"DEADLINE", K_LOST, "DEADLINE: it reached its --deadline"},
    {"PREEMPTED", K_LOST, "PREEMPTED: a job of higher priority took its resources"},
    {"REVOKED", K_LOST, "REVOKED: a federated sibling cluster ran it"},
    {"SPECIAL_EXIT", K_LOST, "SPECIAL_EXIT: held by Slurm after a special exit code"},
};

/* DONE with a nonzero exit code: the script's status, or 128 + the signal
 * as a shell reports it, or 1 when Slurm failed it before it could run. */
static void failed(bench_job_status *st, const slurm_rec *r, const char *what)
{
    st->state = BENCH_JOB_DONE;
    if (r->has_exit && r->signal)
        st->exit_code = 128 + r->signal;
    else if (r->has_exit && r->exit_code)
        st->exit_code = r->exit_code;
    else
        st->exit_code = what ? 137 : 1;
    if (what)
        snprintf(st->why, sizeof st->why, "%s", what);
    else if (r->has_exit && r->signal)
        snprintf(st->why, sizeof st->why, "FAILED: killed by signal %d", r->signal);
    else if (r->has_exit && r->exit_code)
        snprintf(st->why, sizeof st->why, "FAILED: exit code %d", r->exit_code);
    else
        snprintf(st->why, sizeof st->why,
                 "FAILED: Slurm could not launch it (see the task's slurm-*.out)");
}

int slurm_rec_status(bench_job_status *st, const slurm_rec *r)
{
    size_t i = 0, n = sizeof states / sizeof states[0];
    while (i < n && strcmp(states[i].name, r->state) != 0)
        i++;
    if (i == n)
        return -1;
    memset(st, 0, sizeof *st);
    switch (states[i].kind) {
    case K_PENDING:
        st->state = BENCH_JOB_PENDING;
        return 0;
    case K_RUNNING:
        st->state = BENCH_JOB_RUNNING;
        return 0;
    case K_DONE:
        st->state = BENCH_JOB_DONE;
        st->exit_code = r->has_exit ? r->exit_code : 0;
        return 1;
    case K_FAILED:
        failed(st, r, NULL);
        return 1;
    case K_OOM:
        failed(st, r, "OUT_OF_MEMORY: killed at its memory limit (a larger --mem via "
                      "--slurm-arg=--mem=MB gives it more)");
        return 1;
    case K_LOST:
        st->state = BENCH_JOB_LOST;
        st->exit_code = -1;
        snprintf(st->why, sizeof st->why, "%s", states[i].why);
        return 1;
    }
    return -1;
}

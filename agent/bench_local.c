/*
 * bench_local.c: the local backend: K runs at once as child processes of
 * this grove, on the driver's libuv loop.
 *
 * start() queues every job and starts the first K; each exit starts the
 * next, so a run that fails (or crashes) only frees its slot. A child's
 * stdout and stderr go to its log file (appended: a resumed run's log
 * continues its first one). The children stay in grove bench's process
 * group: killing the bench's group kills the whole bench, and a Ctrl-C at a
 * terminal reaches every run, which stops gracefully and leaves a folder
 * that `grove bench --resume` continues. cancel() sends SIGTERM to each
 * child (grove run stops at once, committing what it has) and SIGKILL to
 * any still there KILL_AFTER_S seconds later. A bench killed outright
 * (SIGKILL, the OOM killer) cannot cancel anything, so each child is told
 * its bench's pid (GROVE_BENCH_PID) and stops itself when that bench dies
 * (cmd_run.c): no run goes on beside the `grove bench --resume` that
 * follows.
 */
#include "bench_backend.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define KILL_AFTER_S 20

typedef struct slot {
    uv_process_t proc;
    struct bench_backend *b;
    int job;
} slot;

struct bench_backend {
    uv_loop_t *loop;
    int parallel;
    const bench_job *jobs;
    bench_job_status *st;
    slot *slots;        /* one per job; proc valid while st is RUNNING */
    int n, next, running;
    int cancelled;
    uv_timer_t killer;
};

static int local_check(const bench_backend_opts *o)
{
    if (o->parallel < 0)
        return err_set("--jobs %d: give a number of runs at once, at least 1", o->parallel);
    return 0;
}

static bench_backend *local_create(const bench_backend_opts *o)
{
    bench_backend *b = xcalloc(1, sizeof *b);
    b->loop = o->loop;
    b->parallel = o->parallel > 0 ? o->parallel : 1;
    uv_timer_init(b->loop, &b->killer);
    return b;
}

static void on_closed(uv_handle_t *h)
{
    (void)h;
}

static void launch_next(bench_backend *b);

static void child_exited(uv_process_t *p, int64_t status, int term_signal)
{
    slot *s = p->data;
    bench_backend *b = s->b;
    bench_job_status *st = &b->st[s->job];
    st->state = BENCH_JOB_DONE;
    st->exit_code = term_signal ? 128 + term_signal : (int)status;
    if (term_signal)
        snprintf(st->why, sizeof st->why, "killed by signal %d (%s)", term_signal,
                 strsignal(term_signal));
    b->running--;
    uv_close((uv_handle_t *)p, on_closed);
    launch_next(b);
}

/* This process's environment plus GROVE_BENCH_PID=<this pid>; the caller
 * frees the array and its last string (the others are environ's). */
static char **child_env(void)
{
    extern char **environ;
    size_t n = 0;
    while (environ[n])
        n++;
    char **env = xcalloc(n + 2, sizeof *env);
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (strncmp(environ[i], "GROVE_BENCH_PID=", 16) != 0)
            env[k++] = environ[i];
    env[k] = xasprintf("GROVE_BENCH_PID=%ld", (long)getpid());
    return env;
}

static void child_env_free(char **env)
{
    size_t k = 0;
    while (env[k + 1])
        k++;
    free(env[k]);
    free(env);
}

static int launch(bench_backend *b, int i)
{
    const bench_job *j = &b->jobs[i];
    int fd = open(j->log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0)
        return err_set("%s: %s (is the bench folder writable?)", j->log_path, strerror(errno));
    uv_stdio_container_t io[3] = {
        {.flags = UV_IGNORE},
        {.flags = UV_INHERIT_FD, .data.fd = fd},
        {.flags = UV_INHERIT_FD, .data.fd = fd},
    };
    uv_process_options_t po;
    memset(&po, 0, sizeof po);
    po.file = j->argv[0];
    po.args = (char **)j->argv;
    po.stdio = io;
    po.stdio_count = 3;
    po.exit_cb = child_exited;
    char **env = child_env();
    po.env = env;
    slot *s = &b->slots[i];
    s->b = b;
    s->job = i;
    s->proc.data = s;
    int rc = uv_spawn(b->loop, &s->proc, &po);
    child_env_free(env);
    close(fd);
    if (rc < 0) {
        uv_close((uv_handle_t *)&s->proc, on_closed);
        return err_set("%s: %s", j->argv[0], uv_strerror(rc));
    }
    b->st[i].state = BENCH_JOB_RUNNING;
    b->running++;
    return 0;
}

static void launch_next(bench_backend *b)
{
    while (!b->cancelled && b->running < b->parallel && b->next < b->n) {
        int i = b->next++;
        if (launch(b, i) < 0) {
            b->st[i].state = BENCH_JOB_LOST;
            b->st[i].exit_code = -1;
            snprintf(b->st[i].why, sizeof b->st[i].why, "%s", err_last());
        }
    }
}

static int local_start(bench_backend *b, const bench_job *jobs, int n)
{
    b->jobs = jobs;
    b->n = n;
    b->st = xcalloc((size_t)n + 1, sizeof *b->st);
    b->slots = xcalloc((size_t)n + 1, sizeof *b->slots);
    launch_next(b);
    return 0;
}

static int local_poll(bench_backend *b, bench_job_status *st, int n)
{
    memcpy(st, b->st, (size_t)(n < b->n ? n : b->n) * sizeof *st);
    return 0;
}

static void signal_running(bench_backend *b, int sig)
{
    for (int i = 0; i < b->n; i++)
        if (b->st[i].state == BENCH_JOB_RUNNING)
            uv_process_kill(&b->slots[i].proc, sig);
}

static void on_kill_timer(uv_timer_t *t)
{
    signal_running(t->data, SIGKILL);
}

static void local_cancel(bench_backend *b)
{
    if (b->cancelled)
        return;
    b->cancelled = 1;
    for (int i = b->next; i < b->n; i++) {
        b->st[i].state = BENCH_JOB_LOST;
        b->st[i].exit_code = -1;
        snprintf(b->st[i].why, sizeof b->st[i].why, "cancelled before it started");
    }
    b->next = b->n;
    signal_running(b, SIGTERM);
    b->killer.data = b;
    uv_timer_start(&b->killer, on_kill_timer, KILL_AFTER_S * 1000, 0);
    uv_unref((uv_handle_t *)&b->killer);
}

static void free_backend(uv_handle_t *h)
{
    bench_backend *b = h->data;
    free(b->st);
    free(b->slots);
    free(b);
}

/* The driver calls this once every job has ended (or after cancel()), then
 * runs the loop until it is empty, which frees b. */
static void local_destroy(bench_backend *b)
{
    if (!b)
        return;
    uv_timer_stop(&b->killer);
    b->killer.data = b;
    uv_close((uv_handle_t *)&b->killer, free_backend);
}

const bench_backend_ops bench_backend_local = {
    .name = "local",
    .check = local_check,
    .create = local_create,
    .start = local_start,
    .poll = local_poll,
    .cancel = local_cancel,
    .destroy = local_destroy,
};

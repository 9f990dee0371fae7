/*
 * run.c: the life of one run on the caller's libuv loop.
 *
 *   exec_start   resolve the interpreter, the sandbox, input/; open
 *                output.log; watch SIGCHLD; fork/exec (spawn.c); read the
 *                merged output pipe; arm the wall-clock timer
 *   on_read      every chunk goes to the capture (capture.c)
 *   on_limit     timeout: SIGTERM to the group, SIGKILL after the grace
 *   on_sigchld   our child exited: SIGKILL what is left of its group and
 *                its cgroup (cgroup.c), reap it with wait4() for its rusage
 *   finish       once the child is reaped and the pipe is at EOF (or the
 *                drain timer gave up on a process that escaped the group and
 *                still holds it), build the result, close the handles, and
 *                call back from the last close callback, then free the run
 *
 * Each run has its own SIGCHLD watcher and reaps only its own pid (never
 * waitpid(-1)), so runs, libuv's own uv_spawn and other modules' children
 * never steal each other's exit statuses.
 *
 * Who belongs to a run: its cgroup's members where it has one (nothing can
 * leave it), else its process group (setsid() leaves that; under the sandbox
 * the pid namespace still ends them all with bwrap).
 *
 * CPU time and peak RSS come from wait4() of the direct child: the kernel
 * folds into it every descendant that was reaped in turn (under bwrap: the
 * namespace's init reaps the script, bwrap reaps the init). Descendants that
 * were SIGKILLed as orphans are not counted, and peak RSS is that of the
 * largest single process, not the sum of the tree.
 */
#include "exec_internal.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

enum { DRAIN_MS = 1000, GONE_POLL_MS = 5, GONE_POLLS = 400, QUOTA_MS = 250 };

struct exec_run {
    uv_loop_t *loop;
    exec_done_cb cb;
    void *data;
    pid_t pid;           /* the direct child (bwrap or python); its group id too */
    int sandboxed;
    double t0, t_exit;
    double grace_s;
    uv_signal_t sigchld;
    uv_pipe_t out;       /* read end of the merged stdout+stderr pipe */
    uv_timer_t limit;    /* the wall-clock timeout */
    uv_timer_t grace;    /* SIGTERM -> SIGKILL */
    uv_timer_t drain;    /* after exit: how long to wait for EOF, then for
                            the group to be gone */
    uv_timer_t quota;    /* the workspace's disk and file count, re-measured */
    char *workdir;       /* for the quota; NULL: no quota */
    size_t disk_limit;
    long files_limit;
    quota_use disk_use;  /* as the walk that passed a limit found it */
    int disk_exceeded;
    int stats_fd;        /* sandboxed: read end of the wrapper's rusage pipe */
    int gone_polls;
    int spawned;         /* out and the timers are initialised */
    int open_handles;
    int exited, eof, finishing, term_sent, timed_out, cancelled;
    int status;
    int wrapper_status;  /* sandboxed: the script's own wait status, or -1 */
    struct rusage ru;
    cgroup_run cg;
    int cg_read;         /* the counters below were read from the cgroup */
    int oom_kills, procs_refused;
    size_t mem_limit;
    size_t file_limit;
    capture cap;
    char *log_path;
    char *script;
    exec_result *res;
    char buf[65536];     /* one read is in flight per pipe */
};

/* Everything exec_start works out before anything is started. */
typedef struct launch {
    char *python, *workdir, *input_src, *input_dst, *home;
    char **argv, **envp;
    int sandboxed;
    int drop_root;       /* the script runs as SANDBOX_UID on the host */
    sandbox_stage stage; /* the binds bwrap finds staged (drop_root) */
} launch;

static void launch_free(launch *l)
{
    free(l->python);
    free(l->workdir);
    free(l->input_src);
    free(l->input_dst);
    free(l->home);
    strv_free(l->argv);
    strv_free(l->envp);
    sandbox_stage_release(&l->stage);
}

static int choose_sandbox(int mode, int *sandboxed)
{
    /* Cache: one warning per process is enough; the reason does not change. */
    static int warned;
    *sandboxed = 0;
    if (mode == EXEC_SANDBOX_OFF)
        return 0;
    if (exec_sandbox_available()) {
        *sandboxed = 1;
        return 0;
    }
    if (mode == EXEC_SANDBOX_ON)
        return err_set("the sandbox is required but bubblewrap cannot run: %s",
                       exec_sandbox_why());
    if (!warned++)
        log_warn("exec: bubblewrap cannot run (%s); candidates run WITHOUT a sandbox",
                 exec_sandbox_why());
    return 0;
}

/* Sandboxed, input/ is a read-only bind of input_dir (or of itself). Bare,
 * input_dir can only be linked in as a symlink, and nothing is read-only. */
static int resolve_input(launch *l, const exec_opts *opts)
{
    char *dst = path_join(l->workdir, "input");
    struct stat st;
    int have = lstat(dst, &st) == 0;
    int rc = 0;
    if (have && !S_ISDIR(st.st_mode) && !S_ISLNK(st.st_mode)) {
        rc = err_set("%s: exists and is not a folder", dst);
    } else if (opts->input_dir) {
        if (!(l->input_src = path_real(opts->input_dir)))
            rc = err_prefix("input folder");
        else if (!have)
            rc = (l->sandboxed ? mkdir(dst, 0755) : symlink(l->input_src, dst)) < 0
                     ? err_set("%s: %s", dst, strerror(errno)) : 0;
        else if (!l->sandboxed) {
            char *real = realpath(dst, NULL);
            if (!real || strcmp(real, l->input_src) != 0)
                rc = err_set("%s already exists and is not %s: without the sandbox it cannot "
                             "be replaced (remove it, or leave input_dir unset)", dst,
                             l->input_src);
            free(real);
        }
        if (rc == 0 && l->sandboxed)
            l->input_dst = have && S_ISLNK(st.st_mode) ? realpath(dst, NULL) : xstrdup(dst);
    } else if (have && l->sandboxed) {
        /* mounts follow symlinks: bind the real folder onto itself */
        l->input_src = realpath(dst, NULL);
        l->input_dst = xstrdup(l->input_src);
    }
    if (rc == 0 && l->sandboxed && l->input_src && !l->input_dst)
        rc = err_set("%s: dangling symlink", dst);
    free(dst);
    return rc;
}

/* A script that runs as SANDBOX_UID writes into the workspace: the folders
 * grove made (the workspace, working/, submission/) become that uid's.
 * What the script writes stays readable and removable by grove (root). */
static int hand_over(launch *l)
{
    static const char *const dirs[] = {"", "working", "submission"};
    for (size_t i = 0; i < sizeof dirs / sizeof *dirs; i++) {
        char *d = path_join(l->workdir, dirs[i]);
        int rc = lchown(d, SANDBOX_UID, SANDBOX_GID);
        int e = errno;
        free(d);
        if (rc < 0)
            return err_set("workspace %s/%s: chown to uid %d: %s", l->workdir, dirs[i],
                           SANDBOX_UID, strerror(e));
    }
    return 0;
}

static int prepare_launch(launch *l, const exec_opts *opts, const char *script)
{
    if (!opts->workdir || !dir_exists(opts->workdir))
        return err_set("workspace %s: not a folder (create it and write solution.py into it)",
                       opts->workdir ? opts->workdir : "(none)");
    if (!(l->workdir = path_real(opts->workdir)))
        return err_prefix("workspace");
    char *script_path = path_join(l->workdir, script);
    int have_script = file_exists(script_path);
    free(script_path);
    if (!have_script)
        return err_set("%s/%s: not found (write the script into the workspace first)",
                       l->workdir, script);
    if ((opts->python ? python_resolve(opts->python, &l->python)
                      : exec_find_python(&l->python)) < 0)
        return -1;
    if (choose_sandbox(opts->sandbox, &l->sandboxed) < 0 ||
        exec_workspace_prepare(l->workdir) < 0 || resolve_input(l, opts) < 0)
        return -1;
    l->home = path_join(l->workdir, "working");
    const char *tmp = getenv("TMPDIR");
    l->envp = env_build(opts, l->python, l->workdir, l->home,
                        l->sandboxed || !tmp || !*tmp ? "/tmp" : tmp);
    l->drop_root = l->sandboxed && sandbox_drops_root();
    l->argv = sandbox_argv(opts, l->sandboxed, l->python, l->workdir, script,
                           l->input_src, l->input_dst, l->drop_root ? &l->stage : NULL);
    return l->drop_root ? hand_over(l) : 0;
}

/* ---- the run on the loop ---- */

static void on_close(uv_handle_t *h)
{
    exec_run *r = h->data;
    assert(r->open_handles > 0); /* one close callback per handle opened */
    if (--r->open_handles > 0)
        return;
    if (r->cb && r->res)
        r->cb(r, r->res, r->data); /* the callback owns res now */
    else
        exec_result_free(r->res);
    free(r->log_path);
    free(r->script);
    free(r->workdir);
    free(r);
}

static void close_handles(exec_run *r)
{
    uv_close((uv_handle_t *)&r->sigchld, on_close);
    if (!r->spawned)
        return;
    uv_close((uv_handle_t *)&r->out, on_close);
    uv_close((uv_handle_t *)&r->limit, on_close);
    uv_close((uv_handle_t *)&r->grace, on_close);
    uv_close((uv_handle_t *)&r->drain, on_close);
    uv_close((uv_handle_t *)&r->quota, on_close);
}

/* Under the sandbox the wrapper's report on fd 3 (sandbox.c) is the
 * script's real wait status. bwrap itself reports a child killed by signal N
 * as exit status 128 + N, so when the wrapper could not report, such a
 * status is read back as the signal (a segfault must read as SIGSEGV). */
static void set_status(exec_result *res, const exec_run *r)
{
    int st = r->wrapper_status >= 0 ? r->wrapper_status : r->status;
    if (WIFSIGNALED(st)) {
        res->exit_code = -1;
        res->term_signal = WTERMSIG(st);
        return;
    }
    res->exit_code = WEXITSTATUS(st);
    /* without the wrapper's report (it was killed), bwrap's 128 + N is all
     * there is */
    if (r->sandboxed && r->wrapper_status < 0 && res->exit_code > 128 && res->exit_code < 128 + 32) {
        res->term_signal = res->exit_code - 128;
        res->exit_code = -1;
    }
}

/* What a limit did, in result fields and as a last line of the output. */
static void note_limits(exec_result *res, const exec_run *r)
{
    res->oom_killed = r->oom_kills > 0;
    res->disk_exceeded = r->disk_exceeded;
    res->procs_refused = r->procs_refused;
    if (r->oom_kills > 0)
        res->limit_note = xasprintf("%s: out of memory (limit %zu MB)",
                                    res->term_signal == SIGKILL ? "killed"
                                                                : "a child process was killed",
                                    r->mem_limit >> 20);
    else if (res->term_signal == SIGXFSZ && r->file_limit)
        res->limit_note = xasprintf("killed: a file reached the size limit (%zu MB)",
                                    r->file_limit >> 20);
    else if (r->disk_exceeded)
        res->limit_note = xasprintf("killed: disk quota exceeded: the workspace held %zu MB in "
                                    "%ld files (limit %zu MB, %ld files)", r->disk_use.bytes >> 20,
                                    r->disk_use.files, r->disk_limit >> 20, r->files_limit);
    else if (res->procs_refused)
        res->limit_note = xasprintf("%d forks refused: process limit reached (%ld processes "
                                    "and threads)", res->procs_refused, r->cg.pids_max);
    if (!res->limit_note)
        return;
    size_t n = strlen(res->output);
    char *out = xasprintf("%s%s[grove: %s]\n", res->output,
                          n && res->output[n - 1] != '\n' ? "\n" : "", res->limit_note);
    free(res->output);
    res->output = out;
}

static exec_result *build_result(exec_run *r)
{
    exec_result *res = xcalloc(1, sizeof *res);
    set_status(res, r);
    res->timed_out = r->timed_out;
    res->cancelled = r->cancelled;
    res->wall_s = r->t_exit - r->t0;
    res->cpu_s = (double)r->ru.ru_utime.tv_sec + (double)r->ru.ru_utime.tv_usec / 1e6 +
                 (double)r->ru.ru_stime.tv_sec + (double)r->ru.ru_stime.tv_usec / 1e6;
    res->peak_rss_kb = r->ru.ru_maxrss;
    res->output_bytes = r->cap.total;
    res->log_truncated = r->cap.log_truncated;
    res->output = capture_finish(&r->cap);
    res->log_path = xstrdup(r->log_path);
    res->sandboxed = r->sandboxed;
    note_limits(res, r);
    exec_parse_traceback(res->output, r->script, &res->exc_type, &res->exc_msg, &res->exc_line);
    /* bwrap's own failures (a mount it cannot make) are not the script's */
    if (r->sandboxed && res->exit_code == 1 && str_starts(res->output, "bwrap: ")) {
        size_t n = strcspn(res->output, "\n");
        res->error = xasprintf("the sandbox could not start: %.*s", (int)n, res->output);
    }
    return res;
}

static void maybe_finish(exec_run *r);

static void on_gone_poll(uv_timer_t *t)
{
    exec_run *r = t->data;
    maybe_finish(r);
}

/* The pipe's EOF means every process let go of it, which happens early in
 * exit, before a process is dead; and under the sandbox the namespace init
 * tears the namespace down after bwrap is reaped. The run is over when no
 * live process is left in its group (the init is in it and outlives every
 * process of its namespace). */
static void maybe_finish(exec_run *r)
{
    if (!r->exited || !r->eof || r->finishing)
        return;
    int live = r->cg.list_dir >= 0 ? cgroup_signal(&r->cg, 0, 0)
                                   : signal_group_except(r->pid, 0, 0);
    if (live > 0)
        cgroup_kill(&r->cg); /* a straggler forked while the last kill ran */
    if (live <= 0 && !r->cg_read) {
        r->oom_kills = cgroup_oom_kills(&r->cg);
        r->procs_refused = cgroup_pids_refused(&r->cg);
        r->cg_read = 1;
    }
    /* the cgroup folders go once empty; rmdir may lag the last exit */
    if ((live > 0 || cgroup_destroy(&r->cg) < 0) && r->gone_polls++ < GONE_POLLS) {
        uv_timer_start(&r->drain, on_gone_poll, GONE_POLL_MS, 0);
        return;
    }
    if (r->gone_polls > GONE_POLLS)
        log_warn("exec: processes of a finished run are still alive after SIGKILL");
    cgroup_forget(&r->cg);
    r->finishing = 1;
    assert(!r->res); /* the result is built once, for the one callback */
    r->res = build_result(r);
    close_handles(r);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)suggested;
    exec_run *r = h->data;
    *buf = uv_buf_init(r->buf, sizeof r->buf);
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    exec_run *r = s->data;
    if (nread > 0) {
        capture_feed(&r->cap, buf->base, (size_t)nread);
        return;
    }
    if (nread == 0)
        return; /* EAGAIN */
    uv_read_stop(s);
    r->eof = 1;
    uv_timer_stop(&r->drain);
    maybe_finish(r);
}

static void on_drain(uv_timer_t *t)
{
    exec_run *r = t->data;
    log_warn("exec: a process that left the run's process group still holds its output "
             "open; output after this point is not captured");
    uv_read_stop((uv_stream_t *)&r->out);
    r->eof = 1;
    maybe_finish(r);
}

/* Under the sandbox the wrapper wrote the script's rusage before exiting
 * (sandbox.c says why); without it (the wrapper was killed) bwrap's own
 * rusage is all there is. */
static void read_stats(exec_run *r)
{
    if (r->stats_fd < 0)
        return;
    char line[128];
    ssize_t n;
    do
        n = read(r->stats_fd, line, sizeof line - 1);
    while (n < 0 && errno == EINTR);
    close(r->stats_fd);
    r->stats_fd = -1;
    if (n <= 0)
        return;
    line[n] = 0;
    struct rusage ru = r->ru;
    if (sandbox_parse_stats(line, &ru, &r->wrapper_status) == 0)
        r->ru = ru;
}

static void on_sigchld(uv_signal_t *h, int signum)
{
    (void)signum;
    exec_run *r = h->data;
    if (r->exited || r->pid <= 0)
        return;
    siginfo_t si;
    memset(&si, 0, sizeof si);
    if (waitid(P_PID, (id_t)r->pid, &si, WEXITED | WNOHANG | WNOWAIT) < 0 || si.si_pid != r->pid)
        return;
    r->t_exit = clock_mono();
    /* The leader is a zombie until reaped, so its pid (the group id) cannot
     * be reused yet: this kill reaches only what is left of the run. */
    kill(-r->pid, SIGKILL);
    cgroup_kill(&r->cg);
    while (wait4(r->pid, &r->status, 0, &r->ru) < 0 && errno == EINTR)
        ;
    read_stats(r);
    r->exited = 1;
    uv_timer_stop(&r->limit);
    uv_timer_stop(&r->grace);
    if (!r->eof)
        uv_timer_start(&r->drain, on_drain, DRAIN_MS, 0);
    maybe_finish(r);
}

static void on_grace(uv_timer_t *t)
{
    exec_run *r = t->data;
    if (r->exited)
        return;
    kill(-r->pid, SIGKILL); /* under bwrap this takes the whole namespace */
    cgroup_kill(&r->cg);    /* and this whatever left the group */
}

/* SIGTERM to every process of the run. Under the sandbox, bwrap itself is
 * spared: it does not forward signals, and its death would SIGKILL the
 * sandbox at once, leaving the script no grace to save its work. */
static void terminate(exec_run *r)
{
    if (r->term_sent || r->exited)
        return;
    r->term_sent = 1;
    if (!r->sandboxed)
        kill(-r->pid, SIGTERM);
    if (cgroup_signal(&r->cg, SIGTERM, r->sandboxed ? r->pid : 0) < 0 && r->sandboxed)
        signal_group_except(r->pid, r->pid, SIGTERM);
    uv_timer_start(&r->grace, on_grace, (uint64_t)(r->grace_s * 1000), 0);
}

/* The disk quota: measure, kill the run at once when it is over (a grace
 * period would let it write on), else measure again after ten times what
 * this walk took (at least QUOTA_MS), so the walks cost under a tenth of a
 * core however large the workspace grows. */
static void on_quota(uv_timer_t *t)
{
    exec_run *r = t->data;
    if (r->exited)
        return;
    double t0 = clock_mono();
    if (quota_measure(&r->disk_use, r->workdir, r->disk_limit, r->files_limit)) {
        r->disk_exceeded = 1;
        kill(-r->pid, SIGKILL);
        cgroup_kill(&r->cg);
        return;
    }
    double took_ms = (clock_mono() - t0) * 1000;
    uv_timer_start(t, on_quota, took_ms * 10 > QUOTA_MS ? (uint64_t)(took_ms * 10) : QUOTA_MS, 0);
}

static void on_limit(uv_timer_t *t)
{
    exec_run *r = t->data;
    r->timed_out = 1;
    terminate(r);
}

void exec_cancel(exec_run *run)
{
    if (!run || run->finishing || run->exited)
        return;
    run->cancelled = 1;
    terminate(run);
}

static void init_timer(exec_run *r, uv_timer_t *t)
{
    uv_timer_init(r->loop, t);
    t->data = r;
    r->open_handles++;
}

/* After a successful fork: read the pipe and arm the timers. */
static int watch(exec_run *r, int read_fd, double timeout_s)
{
    uv_pipe_init(r->loop, &r->out, 0);
    r->out.data = r;
    r->open_handles++;
    init_timer(r, &r->limit);
    init_timer(r, &r->grace);
    init_timer(r, &r->drain);
    init_timer(r, &r->quota);
    r->spawned = 1;
    int rc = uv_pipe_open(&r->out, read_fd);
    if (rc == 0)
        rc = uv_read_start((uv_stream_t *)&r->out, on_alloc, on_read);
    if (rc < 0) {
        close(read_fd);
        return err_set("exec: watching the output pipe: %s", uv_strerror(rc));
    }
    if (timeout_s > 0)
        uv_timer_start(&r->limit, on_limit, (uint64_t)(timeout_s * 1000 + 0.5), 0);
    if (r->disk_limit || r->files_limit > 0)
        uv_timer_start(&r->quota, on_quota, QUOTA_MS, 0);
    return 0;
}

/* After a failure once SIGCHLD is watched: kill and reap whatever started,
 * then free the run from the close callbacks without calling back. */
static void abandon(exec_run *r)
{
    char *why = xstrdup(err_last()); /* the cleanup must not replace it */
    if (r->pid > 0) {
        kill(-r->pid, SIGKILL);
        cgroup_kill(&r->cg);
        while (waitpid(r->pid, NULL, 0) < 0 && errno == EINTR)
            ;
    }
    cgroup_destroy(&r->cg);
    cgroup_forget(&r->cg);
    err_set("%s", why);
    free(why);
    free(capture_finish(&r->cap));
    if (r->stats_fd >= 0)
        close(r->stats_fd);
    r->cb = NULL;
    r->finishing = 1;
    close_handles(r);
}

static exec_run *run_new(uv_loop_t *loop, const exec_opts *opts, const char *script,
                         exec_done_cb cb, void *data)
{
    exec_run *r = xcalloc(1, sizeof *r);
    r->loop = loop;
    r->cb = cb;
    r->data = data;
    r->script = xstrdup(script);
    r->grace_s = opts->kill_grace_s > 0 ? opts->kill_grace_s : 5.0;
    r->stats_fd = -1;
    r->wrapper_status = -1;
    r->mem_limit = opts->mem_limit;
    r->file_limit = opts->file_limit;
    r->disk_limit = opts->disk_limit;
    r->files_limit = opts->files_limit;
    /* the address makes the name unique among this process's live runs */
    char *name = xasprintf("grove-%d-%lx", (int)getpid(), (unsigned long)(uintptr_t)r);
    cgroup_setup(&r->cg, name, opts->max_procs ? opts->max_procs : 1024, opts->mem_limit);
    free(name);
    return r;
}

/* With the network allowed, the loopback is closed (netguard.c) unless
 * asked for; a run that cannot have it closed does not start. */
static int close_loopback(exec_run *r, const exec_opts *opts)
{
    if (!opts->allow_network || opts->allow_loopback)
        return 0;
    const char *dir = r->cg.kill_dir >= 0 ? r->cg.dirs[r->cg.kill_dir] : NULL;
    if (netguard_attach(dir) < 0)
        return err_set("the network is allowed, but the host's loopback cannot be closed to "
                       "the script here (%s; it needs root and a cgroup v2 folder): allow the "
                       "loopback too (exec.allow_loopback) or leave the network off",
                       err_last());
    return 0;
}

int exec_start(exec_run **out, uv_loop_t *loop, const exec_opts *opts,
               exec_done_cb cb, void *data)
{
    *out = NULL;
    const char *script = opts->script ? opts->script : "solution.py";
    launch l = {0};
    if (prepare_launch(&l, opts, script) < 0) {
        launch_free(&l);
        return -1;
    }
    exec_run *r = run_new(loop, opts, script, cb, data);
    r->sandboxed = l.sandboxed;
    r->log_path = path_join(l.workdir, "output.log");
    r->workdir = xstrdup(l.workdir);
    int fds[2] = {-1, -1}, sfds[2] = {-1, -1};
    if (close_loopback(r, opts) < 0 ||
        capture_open(&r->cap, r->log_path, opts->log_cap ? opts->log_cap : 64u << 20,
                     opts->head_chars ? opts->head_chars : 2500,
                     opts->tail_chars ? opts->tail_chars : 2500) < 0) {
        launch_free(&l);
        free(r->log_path);
        free(r->script);
        free(r->workdir);
        cgroup_destroy(&r->cg);
        cgroup_forget(&r->cg);
        free(r);
        return -1;
    }
    /* SIGCHLD is watched before the fork, so an exit cannot go unseen. */
    uv_signal_init(loop, &r->sigchld);
    r->sigchld.data = r;
    r->open_handles++;
    int rc = uv_signal_start(&r->sigchld, on_sigchld, SIGCHLD);
    if (rc < 0)
        err_set("exec: watching SIGCHLD: %s", uv_strerror(rc));
    else if (pipe2(fds, O_CLOEXEC) < 0 || (l.sandboxed && pipe2(sfds, O_CLOEXEC | O_NONBLOCK) < 0))
        rc = err_set("exec: pipe: %s", strerror(errno));
    r->stats_fd = sfds[0];
    spawn_req req = {.argv = l.argv, .envp = l.envp, .cwd = l.workdir, .out_fd = fds[1],
                     .stats_fd = sfds[1], .file_limit = opts->file_limit,
                     .join_fds = r->cg.join_fds, .n_join = r->cg.n,
                     .drop_root = l.drop_root, .stage = &l.stage,
                     /* the cgroup's cap counts what is used; RLIMIT_AS is the fallback */
                     .mem_limit = r->cg.mem_dir >= 0 ? 0 : opts->mem_limit};
    r->t0 = clock_mono();
    if (rc == 0 && (rc = spawn_process(&r->pid, &req)) < 0)
        close(fds[0]);
    if (fds[1] >= 0)
        close(fds[1]);
    if (sfds[1] >= 0)
        close(sfds[1]);
    cgroup_close_join(&r->cg);
    if (rc == 0)
        rc = watch(r, fds[0], opts->timeout_s);
    launch_free(&l);
    if (rc < 0) {
        abandon(r);
        return -1;
    }
    *out = r;
    return 0;
}

/* ---- sync wrapper and result ---- */

static void sync_done(exec_run *run, exec_result *res, void *data)
{
    (void)run;
    *(exec_result **)data = res;
}

int exec_run_sync(exec_result **out, const exec_opts *opts)
{
    *out = NULL;
    uv_loop_t loop;
    int rc = uv_loop_init(&loop);
    if (rc < 0)
        return err_set("exec: loop: %s", uv_strerror(rc));
    exec_run *run;
    rc = exec_start(&run, &loop, opts, sync_done, out);
    uv_run(&loop, UV_RUN_DEFAULT); /* also runs an abandoned run's close callbacks */
    uv_loop_close(&loop);
    return rc;
}

void exec_result_free(exec_result *res)
{
    if (!res)
        return;
    free(res->output);
    free(res->log_path);
    free(res->exc_type);
    free(res->exc_msg);
    free(res->error);
    free(res->limit_note);
    free(res);
}

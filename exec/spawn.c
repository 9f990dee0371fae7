/*
 * spawn.c: start one command line the way a candidate must run.
 *
 * Why not uv_spawn: a run needs an explicit argv and envp for bwrap (its own
 * environment is visible inside the sandbox as /proc/1/environ, so it must be
 * the scrubbed one), rlimits in the child, and wait4()'s rusage for CPU time
 * and peak RSS; uv_spawn offers none of the last two. So we fork/exec here and
 * let run.c watch the pipe and SIGCHLD on the loop.
 *
 * The fork/exec race is the one libuv guards against too: the parent must
 * know whether exec succeeded. A close-on-exec pipe carries the failing step
 * and errno from the child; EOF on it means the exec happened. Between fork
 * and exec the child only calls async-signal-safe functions; everything it
 * needs (argv, envp) is built before the fork.
 *
 * The "fork" is clone(CLONE_VM | CLONE_VFORK), as posix_spawn's: the child
 * borrows grove's memory on a stack of its own until it execs, and grove
 * waits that long. A real fork copies the page tables of all of grove's
 * memory and makes every page grove writes afterwards fault once, a cost
 * that grew with the search tree at every script run. Borrowing the memory
 * asks three things of the child, which it keeps: it writes nothing of
 * grove's (its locals live on its own stack); no handler of grove's runs in
 * it (signals are blocked across the clone, and the child sets every
 * handler to the default before unblocking them); and it changes its
 * credentials with raw system calls, since glibc's setresuid would make
 * grove's other threads change theirs too.
 */
#include "exec_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

enum { STEP_CGROUP = 1, STEP_SETSID, STEP_STDIO, STEP_RLIMIT, STEP_CHDIR, STEP_STAGE,
       STEP_DROP, STEP_EXEC };

static const char *step_name(int step)
{
    switch (step) {
    case STEP_CGROUP: return "join the run's cgroup";
    case STEP_SETSID: return "setsid";
    case STEP_STDIO: return "redirect stdin/stdout/stderr";
    case STEP_RLIMIT: return "set resource limits";
    case STEP_CHDIR: return "change into the workspace";
    case STEP_STAGE: return "stage the sandbox's binds for";
    case STEP_DROP: return "become uid 65534 to start";
    default: return "execute";
    }
}

static _Noreturn void child_fail(int errfd, int step)
{
    int msg[2] = {step, errno};
    ssize_t w = write(errfd, msg, sizeof msg);
    (void)w;
    _exit(127);
}

/* Every fd above 2 must be gone in the child: another run's pipe write end
 * leaking into this child would hold that run's output open until this one
 * ends. close_range marks them all close-on-exec in one call (Linux 5.11+);
 * older kernels get the loop. */
static void cloexec_rest(int first)
{
    if (close_range((unsigned)first, ~0U, CLOSE_RANGE_CLOEXEC) == 0)
        return;
    long max = sysconf(_SC_OPEN_MAX);
    if (max < 0 || max > 65536)
        max = 65536;
    for (int fd = first; fd < max; fd++)
        fcntl(fd, F_SETFD, FD_CLOEXEC);
}

/* "/proc/self/fd/N" into buf, without snprintf (the child may only make
 * async-signal-safe calls). */
static void fd_path(char buf[32], int fd)
{
    static const char head[] = "/proc/self/fd/";
    char digits[12];
    int n = 0;
    do
        digits[n++] = (char)('0' + fd % 10);
    while ((fd /= 10) > 0);
    memcpy(buf, head, sizeof head - 1);
    for (int i = 0; i < n; i++)
        buf[sizeof head - 1 + i] = digits[n - 1 - i];
    buf[sizeof head - 1 + n] = 0;
}

/* In a private mount namespace, a tmpfs at SANDBOX_STAGE_DIR holding a bind
 * of each staged source (exec_internal.h). The sources are opened first, in
 * the new namespace (a bind's source must be a mount of the caller's own),
 * and before the tmpfs could cover one of them. Only system calls. The
 * filesystem type "none" is ignored by the kernel for these mounts (valgrind
 * wants a string there). */
static int stage_binds(const sandbox_stage *st)
{
    int fds[SANDBOX_MAX_STAGE];
    if (unshare(CLONE_NEWNS) < 0 || mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) < 0)
        return -1;
    for (int i = 0; i < st->n; i++)
        if ((fds[i] = open(st->src[i], O_PATH | O_CLOEXEC)) < 0)
            return -1;
    if (mount("grove-stage", SANDBOX_STAGE_DIR, "tmpfs", MS_NOSUID | MS_NODEV,
              "mode=0755,size=64k") < 0)
        return -1;
    for (int i = 0; i < st->n; i++) {
        char via[32];
        fd_path(via, fds[i]);
        int fd = st->is_dir[i] ? mkdir(st->dst[i], 0755)
                               : open(st->dst[i], O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
        if (fd < 0 || (!st->is_dir[i] && close(fd) < 0) ||
            mount(via, st->dst[i], "none", MS_BIND | MS_REC, NULL) < 0)
            return -1;
        close(fds[i]);
    }
    return 0;
}

/* setgroups first: a process that kept root's supplementary groups would
 * still open root-group files. */
static int drop_root(void)
{
    /* raw calls: this process only (see the top of the file) */
    return syscall(SYS_setgroups, 0, NULL) < 0 ||
                   syscall(SYS_setresgid, SANDBOX_GID, SANDBOX_GID, SANDBOX_GID) < 0 ||
                   syscall(SYS_setresuid, SANDBOX_UID, SANDBOX_UID, SANDBOX_UID) < 0
               ? -1 : 0;
}

static _Noreturn void child_exec(const spawn_req *req, int errfd, pid_t parent)
{
    /* The parent's handlers and ignored signals (SIGPIPE) must not leak in. */
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    for (int s = 1; s < NSIG; s++)
        sigaction(s, &dfl, NULL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    /* Into the run's cgroups first, so every limit holds from here on and
     * everything this process starts is a member ("0" means the writer). */
    for (int i = 0; i < req->n_join; i++)
        if (write(req->join_fds[i], "0", 1) != 1)
            child_fail(errfd, STEP_CGROUP);
    /* A new session: the process group id is our pid (killable as a whole)
     * and no controlling terminal, so a Ctrl-C meant for grove is grove's. */
    if (setsid() < 0)
        child_fail(errfd, STEP_SETSID);
    int nul = open("/dev/null", O_RDWR);
    int out = req->out_fd >= 0 ? req->out_fd : nul;
    if (nul < 0 || dup2(nul, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0 ||
        (req->stats_fd >= 0 && dup2(req->stats_fd, 3) < 0))
        child_fail(errfd, STEP_STDIO);
    struct rlimit no_core = {0, 0};
    if (setrlimit(RLIMIT_CORE, &no_core) < 0)
        child_fail(errfd, STEP_RLIMIT);
    struct rlimit as = {req->mem_limit, req->mem_limit};
    struct rlimit fsize = {req->file_limit, req->file_limit};
    if ((req->mem_limit && setrlimit(RLIMIT_AS, &as) < 0) ||
        (req->file_limit && setrlimit(RLIMIT_FSIZE, &fsize) < 0))
        child_fail(errfd, STEP_RLIMIT);
    if (req->cwd && chdir(req->cwd) < 0)
        child_fail(errfd, STEP_CHDIR);
    if (req->stage && req->stage->n > 0 && stage_binds(req->stage) < 0)
        child_fail(errfd, STEP_STAGE);
    if (req->drop_root && drop_root() < 0)
        child_fail(errfd, STEP_DROP);
    /* Die with grove even when it is SIGKILLed and never gets to clean up
     * (bwrap has --die-with-parent; a bare run needs this). After the uid
     * change, which clears it. If grove died before this line, the parent
     * is already someone else: stop here. */
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
        _exit(127);
    cloexec_rest(req->stats_fd >= 0 ? 4 : 3);
    execve(req->argv[0], req->argv, req->envp);
    child_fail(errfd, STEP_EXEC);
}

/* AddressSanitizer cannot follow a child that runs on a stack of its own in
 * grove's memory (it reports false errors on the child's first return;
 * google/sanitizers#189), so a sanitized build forks as before: the same
 * child, only slower. */
#if defined(__SANITIZE_ADDRESS__)
#define SPAWN_BY_FORK 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SPAWN_BY_FORK 1
#endif
#endif

#ifdef SPAWN_BY_FORK
/* Start the child: its pid, or -1 with errno. */
static pid_t start_child(const spawn_req *req, int errfd)
{
    pid_t parent = getpid();
    pid_t p = fork();
    if (p == 0)
        child_exec(req, errfd, parent);
    return p;
}
#else
typedef struct child_args {
    const spawn_req *req;
    int errfd;
    pid_t parent;
} child_args;

static int child_main(void *arg)
{
    const child_args *a = arg;
    child_exec(a->req, a->errfd, a->parent);
}

#define CHILD_STACK (256 * 1024) /* the child's own, until it execs */

/* Start the child (see the top of the file): its pid, or -1 with errno. */
static pid_t start_child(const spawn_req *req, int errfd)
{
    void *stack = mmap(NULL, CHILD_STACK, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    if (stack == MAP_FAILED)
        return -1;
    child_args a = {req, errfd, getpid()};
    sigset_t all, old;
    sigfillset(&all);
    sigprocmask(SIG_SETMASK, &all, &old);
    pid_t p = clone(child_main, (char *)stack + CHILD_STACK, CLONE_VM | CLONE_VFORK | SIGCHLD,
                    &a);
    int e = errno;
    sigprocmask(SIG_SETMASK, &old, NULL);
    munmap(stack, CHILD_STACK); /* the child has exec'd or exited: CLONE_VFORK */
    errno = e;
    return p;
}
#endif

int spawn_process(pid_t *pid, const spawn_req *req)
{
    int errp[2];
    if (pipe2(errp, O_CLOEXEC) < 0)
        return err_set("spawn %s: pipe: %s", req->argv[0], strerror(errno));
    pid_t p = start_child(req, errp[1]);
    if (p < 0) {
        int e = errno;
        close(errp[0]);
        close(errp[1]);
        return err_set("spawn %s: fork: %s", req->argv[0], strerror(e));
    }
    close(errp[1]);
    int msg[2];
    ssize_t r;
    do
        r = read(errp[0], msg, sizeof msg);
    while (r < 0 && errno == EINTR);
    close(errp[0]);
    if (r == (ssize_t)sizeof msg) {
        while (waitpid(p, NULL, 0) < 0 && errno == EINTR)
            ;
        return err_set("cannot %s %s: %s", step_name(msg[0]),
                       msg[0] == STEP_CHDIR && req->cwd ? req->cwd
                       : msg[0] == STEP_CGROUP ? "(its cgroup.procs)" : req->argv[0],
                       strerror(msg[1]));
    }
    *pid = p;
    return 0;
}

int spawn_wait_quiet(char *const *argv, char *const *envp, int drop_root)
{
    spawn_req req = {.argv = argv, .envp = envp, .out_fd = -1, .stats_fd = -1,
                     .drop_root = drop_root};
    pid_t pid;
    if (spawn_process(&pid, &req) < 0)
        return -1;
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return err_set("waitpid %s: %s", argv[0], strerror(errno));
    return status;
}

/* The process group of /proc/PID/stat, or -1 (also for a zombie). The
 * command name in field 2 may hold spaces and parentheses, so fields are
 * counted from the last ')'. */
static pid_t proc_pgrp(const char *pid_name)
{
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%s/stat", pid_name);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return -1;
    buf[n] = 0;
    char *p = strrchr(buf, ')');
    char state;
    int ppid, pgrp;
    if (!p || sscanf(p + 1, " %c %d %d", &state, &ppid, &pgrp) != 3 || state == 'Z')
        return -1;
    return pgrp;
}

int signal_group_except(pid_t pgid, pid_t except, int sig)
{
    DIR *d = opendir("/proc");
    if (!d) {
        if (sig)
            kill(-pgid, sig); /* no /proc: the whole group, bwrap included */
        return 0;
    }
    int live = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        char *end;
        long pid = strtol(e->d_name, &end, 10);
        if (*end || pid <= 0 || pid == except || proc_pgrp(e->d_name) != pgid)
            continue;
        live++;
        if (sig)
            kill((pid_t)pid, sig);
    }
    closedir(d);
    return live;
}

/* ---- environment ---- */

char **env_build(const exec_opts *opts, const char *python, const char *cwd,
                 const char *home, const char *tmpdir)
{
    char **env = xcalloc(24, sizeof *env);
    int n = 0;
    /* The interpreter's own folder first: a venv's python finds its tools. */
    const char *slash = strrchr(python, '/');
    int dir_len = slash && slash != python ? (int)(slash - python) : 0;
    env[n++] = xasprintf("PATH=%.*s%s/usr/local/bin:/usr/bin:/bin", dir_len, python,
                         dir_len ? ":" : "");
    env[n++] = xasprintf("HOME=%s", home);
    if (cwd)
        env[n++] = xasprintf("PWD=%s", cwd); /* bwrap would set it; bare runs match */
    env[n++] = xasprintf("TMPDIR=%s", tmpdir);
    env[n++] = xstrdup("LANG=C.UTF-8");
    env[n++] = xstrdup("LC_ALL=C.UTF-8");
    env[n++] = xstrdup("PYTHONUNBUFFERED=1");
    /* Same hashes every run, so a re-run of a node behaves the same. */
    env[n++] = xstrdup("PYTHONHASHSEED=0");
    env[n++] = xstrdup("PYTHONDONTWRITEBYTECODE=1");
    if (opts->seed > 0)
        env[n++] = xasprintf("GROVE_SEED=%d", opts->seed);
    env[n++] = xstrdup("MPLBACKEND=Agg"); /* there is no display */
    char *gpus = exec_gpus_list(opts->gpus, opts->gpus ? opts->n_gpus : 0);
    env[n++] = xasprintf("CUDA_VISIBLE_DEVICES=%s", gpus);
    free(gpus);
    /* nvidia-smi's indices count in bus order; CUDA's own default would not */
    env[n++] = xstrdup("CUDA_DEVICE_ORDER=PCI_BUS_ID");
    if (opts->threads > 0) {
        static const char *const names[] = {"OMP_NUM_THREADS", "MKL_NUM_THREADS",
                                            "OPENBLAS_NUM_THREADS", "NUMEXPR_NUM_THREADS"};
        for (size_t i = 0; i < sizeof names / sizeof *names; i++)
            env[n++] = xasprintf("%s=%d", names[i], opts->threads);
    }
    env[n] = NULL;
    return env;
}

void strv_free(char **v)
{
    if (!v)
        return;
    for (char **p = v; *p; p++)
        free(*p);
    free(v);
}

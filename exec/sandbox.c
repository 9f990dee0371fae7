/*
 * sandbox.c: the bubblewrap command line of a run, and the one-time probe of
 * whether bubblewrap works on this machine.
 *
 * The sandbox, in the order bwrap applies it:
 *   - the script never runs as root. When grove is root, the spawned child
 *     becomes uid/gid 65534 (no groups) before it starts bwrap, so the
 *     script is 65534 on the host too, and root's 0600 files anywhere
 *     (/etc/shadow, keys, other users' secrets) stay closed to it; grove
 *     hands it the workspace folders (chown) and, being root, still reads
 *     and removes what it writes. bwrap then runs as 65534 as well and
 *     could not reach a bind source behind a folder closed to that uid
 *     (root's home, a 0700 temporary folder), so each source is staged
 *     first: the child, still root, binds it into a private tmpfs that
 *     bwrap can reach (spawn.c, stage_binds). When grove is not root, bwrap
 *     maps the script to grove's own uid, which owns nothing of root's;
 *   - a user namespace with every capability dropped (CapEff 0,
 *     no_new_privs). Without this, root launching bwrap keeps nearly all its
 *     capabilities inside;
 *   - new pid, ipc and uts namespaces, and the network namespace unless the
 *     run allows network (then only a private loopback exists);
 *   - --die-with-parent: if grove dies, the sandbox gets SIGKILL; killing the
 *     outer bwrap kills the namespace's init and so every process inside;
 *   - the host read-only (--ro-bind / /), a fresh /dev and /proc, a private
 *     /tmp; tmpfs over the homes (/home, /root, grove's $HOME: dotfiles with
 *     API keys, ssh keys) and /run, with the interpreter's installation bound
 *     back if it lives there. Connecting to a Unix socket needs no write
 *     access to its mount: a session bus or docker.sock there would run
 *     commands outside the sandbox;
 *   - tmpfs over each hidden folder (the competition's data and answers,
 *     grove's run data), then the workspace bound back read-write and input/
 *     bound read-only on top of it; the hidden folders are then remounted
 *     read-only, so a write there fails instead of vanishing into a tmpfs.
 *
 * CPU time and peak RSS: with --unshare-pid, bwrap exits as soon as its
 * namespace init reports the script's exit, without reaping that init, so
 * the script's rusage never reaches wait4() of bwrap. A few lines of Python
 * (the same interpreter, started isolated with -I -S, about 10 ms) therefore
 * stand between init and the script: fork, exec the script unchanged, wait4
 * it, write "utime_us stime_us maxrss_kb wait_status" to fd 3, exit with its
 * status (128 + N for a signal, as bwrap would report it). The wait status
 * on fd 3 is what run.c believes: bwrap's 128 + N cannot tell a SIGKILL from
 * sys.exit(137). The wrapper ignores SIGTERM so the script, not the wrapper,
 * gets the grace period.
 */
#include "exec_internal.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

typedef struct argv_b {
    char **v;
    size_t n, cap;
    sandbox_stage *stage; /* binds go through it (grove is root); NULL: direct */
} argv_b;

static void add(argv_b *a, const char *s)
{
    if (a->n + 2 > a->cap) {
        a->cap = a->cap ? a->cap * 2 : 32;
        a->v = xrealloc(a->v, a->cap * sizeof *a->v);
    }
    a->v[a->n++] = xstrdup(s);
    a->v[a->n] = NULL;
}

static void add3(argv_b *a, const char *flag, const char *x, const char *y)
{
    add(a, flag);
    add(a, x);
    if (y)
        add(a, y);
}

static const char *bwrap_path(void)
{
    static const char *const places[] = {"/usr/bin/bwrap", "/usr/local/bin/bwrap", "/bin/bwrap"};
    for (size_t i = 0; i < sizeof places / sizeof *places; i++)
        if (access(places[i], X_OK) == 0)
            return places[i];
    return NULL;
}

/* A bind of src (a real path) at dst. Where the script runs as SANDBOX_UID,
 * bwrap runs as that uid too and could not reach a source below a folder
 * closed to it (root's home, a mkdtemp folder): the bind then names the
 * source's staged copy, made by the spawned child (spawn.c). */
static void add_bind(argv_b *a, const char *flag, const char *src, const char *dst)
{
    sandbox_stage *st = a->stage;
    struct stat sb;
    if (!st || st->n == SANDBOX_MAX_STAGE || stat(src, &sb) < 0) {
        add3(a, flag, src, dst);
        return;
    }
    int i = st->n++;
    st->is_dir[i] = S_ISDIR(sb.st_mode);
    st->src[i] = xstrdup(src);
    st->dst[i] = xasprintf(SANDBOX_STAGE_DIR "/grove-bind-%d", i);
    add3(a, flag, st->dst[i], dst);
}

int sandbox_drops_root(void)
{
    return geteuid() == 0;
}

void sandbox_stage_release(sandbox_stage *st)
{
    for (int i = 0; i < st->n; i++) {
        free(st->src[i]);
        free(st->dst[i]);
    }
    memset(st, 0, sizeof *st);
}

/* The flags every sandboxed command gets, probe included. */
static void add_isolation(argv_b *a, int allow_network, size_t tmp_size)
{
    add(a, bwrap_path());
    add(a, "--unshare-user");
    add3(a, "--uid", "65534", NULL);
    add3(a, "--gid", "65534", NULL);
    add3(a, "--cap-drop", "ALL", NULL);
    add(a, "--unshare-pid");
    add(a, "--unshare-ipc");
    add(a, "--unshare-uts");
    if (!allow_network)
        add(a, "--unshare-net");
    add(a, "--die-with-parent");
    add3(a, "--ro-bind", "/", "/");
    add3(a, "--dev", "/dev", NULL);
    add3(a, "--proc", "/proc", NULL);
    if (tmp_size) { /* the disk quota holds for /tmp too */
        char num[32];
        snprintf(num, sizeof num, "%zu", tmp_size);
        add3(a, "--size", num, NULL);
    }
    add3(a, "--tmpfs", "/tmp", NULL);
}

/* Whether path p is folder dir or lies inside it (both real paths). */
static int path_within(const char *p, const char *dir)
{
    size_t n = strlen(dir);
    return strncmp(p, dir, n) == 0 && (p[n] == 0 || p[n] == '/' || (n == 1 && dir[0] == '/'));
}

/* The real paths of those of paths that exist, "/" never (hiding the whole
 * host is no one's intent). Mounts follow symlinks: a link is hidden by
 * hiding what it leads to. */
static void real_paths(argv_b *out, const char *const *paths)
{
    for (; paths && *paths; paths++) {
        char *p = realpath(*paths, NULL);
        if (p && strcmp(p, "/") != 0)
            add(out, p);
        free(p);
    }
}

/* Whether SANDBOX_UID (no groups but SANDBOX_GID) may pass through dir. */
static int open_to_sandbox(const struct stat *st)
{
    return st->st_uid == SANDBOX_UID ? (st->st_mode & S_IXUSR) != 0
           : st->st_gid == SANDBOX_GID ? (st->st_mode & S_IXGRP) != 0
                                       : (st->st_mode & S_IXOTH) != 0;
}

/* The topmost folder on the way to each of paths that SANDBOX_UID cannot
 * pass (a 0700 temporary folder, a home), added to dirs: bwrap, running as
 * that uid, could mount nothing below it. Hidden as a whole, which shows
 * the script nothing it could have read, it becomes a tmpfs bwrap can build
 * in, and what the script needs inside is bound back as for any hidden
 * folder. */
static void closed_ancestors(argv_b *dirs, const char *const *paths)
{
    for (; paths && *paths; paths++) {
        char *p = realpath(*paths, NULL);
        for (char *slash = p ? strchr(p + 1, '/') : NULL;; slash = strchr(slash + 1, '/')) {
            if (slash)
                *slash = 0;
            struct stat st;
            int closed = stat(p, &st) == 0 && S_ISDIR(st.st_mode) && !open_to_sandbox(&st);
            if (closed)
                add(dirs, p);
            if (!slash || closed)
                break;
            *slash = '/';
        }
        free(p);
    }
}

/* A tmpfs over each of dirs that is not inside another one; ro collects the
 * remounts that make them read-only once everything is mounted, so that a
 * write there fails instead of vanishing into the tmpfs. */
static void hide(argv_b *a, argv_b *ro, const argv_b *dirs)
{
    for (size_t i = 0; i < dirs->n; i++) {
        int inside = 0;
        for (size_t j = 0; j < dirs->n && !inside; j++)
            inside = j != i && path_within(dirs->v[i], dirs->v[j]) &&
                     (strcmp(dirs->v[i], dirs->v[j]) != 0 || j < i);
        if (!inside) {
            add3(a, "--tmpfs", dirs->v[i], NULL);
            add3(ro, "--remount-ro", dirs->v[i], NULL);
        }
    }
}

/* Show path (read-only) again where one of the hidden dirs covers it: the
 * folder up levels above it where that still lies strictly inside the
 * hidden folder and holds no hidden folder itself, else path alone. */
static void bind_back(argv_b *a, const argv_b *dirs, const char *path, int up)
{
    char *real = realpath(path, NULL);
    const char *dir = NULL;
    for (size_t i = 0; real && i < dirs->n && !dir; i++)
        if (path_within(real, dirs->v[i]))
            dir = dirs->v[i];
    if (dir) {
        char *top = xstrdup(real);
        for (int i = 0; i < up && strrchr(top, '/') != top; i++)
            *strrchr(top, '/') = 0;
        int folder = up > 0 && path_within(top, dir) && strcmp(top, dir) != 0;
        for (size_t i = 0; folder && i < dirs->n; i++)
            folder = !path_within(dirs->v[i], top); /* it would show a hidden one */
        const char *what = folder ? top : real;
        add_bind(a, "--ro-bind", what, what);
        free(top);
    }
    free(real);
}

/* An interpreter kept in a hidden folder (a pyenv, conda or venv in a home)
 * still runs: its installation (bin/..) is bound back, read-only, both the
 * one of the path as given (a venv finds itself by that path) and the one
 * of the file it leads to. */
static void add_interpreter(argv_b *a, const argv_b *dirs, const char *python)
{
    char *real = realpath(python, NULL);
    char *dir = xstrdup(python);
    char *slash = strrchr(dir, '/');
    if (slash && slash != dir) {
        *slash = 0;
        bind_back(a, dirs, dir, 1);
    }
    if (real)
        bind_back(a, dirs, real, 2);
    free(dir);
    free(real);
}

/* --dev /dev leaves out GPUs; a run given GPUs gets exactly their device
 * files, and the driver's shared ones that exist (a CUDA program opens
 * nvidiactl and nvidia-uvm; nvidia-caps holds MIG's capability files). */
static void add_gpus(argv_b *a, const exec_gpu *gpus, int n)
{
    static const char *const shared[] = {"/dev/nvidiactl", "/dev/nvidia-uvm",
                                         "/dev/nvidia-uvm-tools", "/dev/nvidia-modeset",
                                         "/dev/nvidia-caps"};
    if (!gpus || n <= 0)
        return;
    for (int i = 0; i < n; i++) {
        char dev[32];
        snprintf(dev, sizeof dev, "/dev/nvidia%d", gpus[i].minor);
        if (access(dev, F_OK) == 0)
            add3(a, "--dev-bind", dev, dev);
    }
    for (size_t i = 0; i < sizeof shared / sizeof *shared; i++)
        if (access(shared[i], F_OK) == 0)
            add3(a, "--dev-bind", shared[i], shared[i]);
}

/* The wrapper makes itself non-dumpable before the fork, so the script (same
 * uid inside) cannot open /proc/<wrapper>/fd/3 and forge the stats line; the
 * script's exec makes the script itself dumpable again. */
static const char wrapper[] =
    "import os, signal, sys\n"
    "try:\n"
    "    import ctypes\n"
    "    ctypes.CDLL(None).prctl(4, 0, 0, 0, 0)\n"
    "except Exception:\n"
    "    pass\n"
    "pid = os.fork()\n"
    "if pid == 0:\n"
    "    os.close(3)\n"
    "    os.execv(sys.argv[1], sys.argv[1:])\n"
    "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
    "_, st, ru = os.wait4(pid, 0)\n"
    "os.write(3, b'%d %d %d %d\\n' % (ru.ru_utime * 1e6, ru.ru_stime * 1e6, ru.ru_maxrss, st))\n"
    "os._exit(128 + os.WTERMSIG(st) if os.WIFSIGNALED(st) else os.WEXITSTATUS(st))\n";

int sandbox_parse_stats(const char *line, struct rusage *ru, int *status)
{
    long long ut, st, rss;
    int ws;
    if (sscanf(line, "%lld %lld %lld %d", &ut, &st, &rss, &ws) != 4 || ut < 0 || st < 0 ||
        rss < 0 || ws < 0)
        return -1;
    ru->ru_utime.tv_sec = (time_t)(ut / 1000000);
    ru->ru_utime.tv_usec = (suseconds_t)(ut % 1000000);
    ru->ru_stime.tv_sec = (time_t)(st / 1000000);
    ru->ru_stime.tv_usec = (suseconds_t)(st % 1000000);
    ru->ru_maxrss = (long)rss;
    *status = ws;
    return 0;
}

char **sandbox_argv(const exec_opts *opts, int sandboxed, const char *python,
                    const char *workdir, const char *script, const char *input_src,
                    const char *input_dst, sandbox_stage *stage)
{
    argv_b a = {.stage = stage};
    if (sandboxed) {
        add_isolation(&a, opts->allow_network, opts->disk_limit);
        /* the host's private folders, then the run's own */
        argv_b dirs = {0}, hidden = {0};
        static const char *const host_private[] = {"/home", "/root", "/run", NULL};
        const char *home = getenv("HOME");
        real_paths(&dirs, host_private);
        real_paths(&dirs, (const char *const[]){home && *home ? home : "/", NULL});
        real_paths(&dirs, opts->hide_paths);
        if (a.stage) {
            const char *const need[] = {workdir, python, "/etc/resolv.conf", NULL};
            closed_ancestors(&dirs, need);
            closed_ancestors(&dirs, opts->hide_paths);
        }
        hide(&a, &hidden, &dirs);
        add_interpreter(&a, &dirs, python);
        if (opts->allow_network) /* often a link into /run/systemd/resolve */
            bind_back(&a, &dirs, "/etc/resolv.conf", 0);
        strv_free(dirs.v);
        add_gpus(&a, opts->gpus, opts->n_gpus);
        add_bind(&a, "--bind", workdir, workdir);
        if (input_src)
            add_bind(&a, "--ro-bind", input_src, input_dst);
        for (size_t i = 0; i < hidden.n; i++)
            add(&a, hidden.v[i]);
        strv_free(hidden.v);
        add3(&a, "--chdir", workdir, NULL);
        add(&a, "--");
        add3(&a, python, "-I", "-S");
        add3(&a, "-c", wrapper, NULL);
    }
    add(&a, python);
    add(&a, script);
    return a.v;
}

/* Cache: whether bwrap works is a fact about the machine, probed once per
 * process (about 20 ms) and kept with the reason it failed. */
static int sandbox_ok = -1;
static char sandbox_why[512];

int exec_sandbox_available(void)
{
    if (sandbox_ok >= 0)
        return sandbox_ok;
    sandbox_ok = 0;
    if (!bwrap_path()) {
        snprintf(sandbox_why, sizeof sandbox_why,
                 "bwrap not found (install bubblewrap: scripts/setup)");
        return 0;
    }
    argv_b a = {0};
    add_isolation(&a, 0, 0);
    add3(&a, "--", "/bin/true", NULL);
    char *envp[] = {"PATH=/usr/bin:/bin", NULL};
    int status = spawn_wait_quiet(a.v, envp, sandbox_drops_root());
    strv_free(a.v);
    if (status < 0)
        snprintf(sandbox_why, sizeof sandbox_why, "%s", err_last());
    else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        snprintf(sandbox_why, sizeof sandbox_why,
                 "bwrap exits with status %d here (user namespaces disabled? "
                 "try: bwrap --unshare-user --ro-bind / / true)",
                 WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
    else
        sandbox_ok = 1;
    return sandbox_ok;
}

const char *exec_sandbox_why(void)
{
    return sandbox_why;
}

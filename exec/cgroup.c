/*
 * cgroup.c: one cgroup per run, for what a process group cannot do.
 *
 * A process group is left with one setsid() call, RLIMIT_NPROC does nothing
 * when root starts the run, and RLIMIT_AS counts address space rather than
 * memory (numpy and torch reserve far more than they touch). A cgroup fixes
 * all three: membership is inherited and cannot be left without privilege,
 * `pids.max` bounds processes and threads (a fork bomb gets EAGAIN), the
 * memory controller bounds what is really used, and `cgroup.kill` (v2) ends
 * every member at once, double-forked daemons included.
 *
 * Layout: each run gets a child cgroup "grove-<pid>-<n>" under grove's OWN
 * cgroup in every hierarchy it uses, read from /proc/self/cgroup and located
 * through /proc/self/mountinfo (never /sys/fs/cgroup by assumption):
 *   - pure v2: one child in the unified hierarchy, with pids/memory when
 *     grove's cgroup delegates them (cgroup.subtree_control);
 *   - hybrid (v1 controllers plus a controller-less cgroup2 mount): a child
 *     in the v1 `pids` and `memory` hierarchies for the limits, and one in
 *     the cgroup2 mount for cgroup.kill and the member list.
 * The forked child writes itself into each (fds opened here beforehand), so
 * the limits hold from its first instruction. Nothing is ever moved out of
 * grove's own cgroup except that child, into its own cgroup.
 *
 * Where a hierarchy is missing or not writable (not root, no delegation) the
 * run goes on without that part and one warning per process says what is
 * lost; the process-group kill in run.c still works.
 */
#include "exec_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Cache: where grove's own cgroups are, found once per process (the mounts
 * and grove's membership do not change while it runs). Never freed. */
static struct {
    int done;
    char *v2;     /* grove's cgroup in the unified hierarchy, or NULL */
    char *pids;   /* grove's cgroup in the v1 pids hierarchy, or NULL */
    char *memory; /* grove's cgroup in the v1 memory hierarchy, or NULL */
    char *v2_ctl; /* v2's cgroup.subtree_control as last read, or NULL */
    int tried_pids, tried_memory; /* enabling was tried (once per process) */
} own;

/* Whether `list` (words separated by commas, spaces or newlines: v1 super
 * options, /proc/self/cgroup, cgroup.subtree_control) holds `word`. */
static int has_word(const char *list, const char *word)
{
    size_t n = strlen(word);
    for (const char *p = list; p && *p;) {
        size_t len = strcspn(p, ", \n");
        if (len == n && strncmp(p, word, n) == 0)
            return 1;
        p += len + (p[len] != 0);
    }
    return 0;
}

/* The mount of a hierarchy: cgroup2 when `controller` is NULL, else the v1
 * mount whose super options name it. Returns its mount point and the
 * hierarchy path at its root (both the caller's), or -1. */
static int find_mount(const char *mountinfo, const char *controller, char **point, char **root)
{
    for (const char *line = mountinfo; *line; line += strcspn(line, "\n") + (line[strcspn(line, "\n")] != 0)) {
        char r[1024], mp[1024], type[64], super[1024];
        const char *dash = strstr(line, " - ");
        if (!dash || dash - line > (long)strcspn(line, "\n") ||
            sscanf(line, "%*s %*s %*s %1023s %1023s", r, mp) != 2 ||
            sscanf(dash, " - %63s %*s %1023s", type, super) != 2)
            continue;
        if (controller ? strcmp(type, "cgroup") == 0 && has_word(super, controller)
                       : strcmp(type, "cgroup2") == 0) {
            *point = xstrdup(mp);
            *root = xstrdup(r);
            return 0;
        }
    }
    return -1;
}

/* grove's own folder in one hierarchy: mount point + its path in
 * /proc/self/cgroup, less the mount's root (a container's bind mount). */
static char *own_dir(const char *mountinfo, const char *cgroups, const char *controller)
{
    char *point, *root, *dir = NULL;
    if (find_mount(mountinfo, controller, &point, &root) < 0)
        return NULL;
    for (const char *line = cgroups; *line; line += strcspn(line, "\n") + (line[strcspn(line, "\n")] != 0)) {
        const char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
        size_t len = strcspn(line, "\n");
        if (!c2 || c2 - line > (long)len)
            continue;
        char *ctl = xstrndup(c1 + 1, (size_t)(c2 - c1 - 1));
        int match = controller ? has_word(ctl, controller) : (*ctl == 0 && strncmp(line, "0:", 2) == 0);
        free(ctl);
        if (!match)
            continue;
        char *path = xstrndup(c2 + 1, len - (size_t)(c2 + 1 - line));
        const char *rel = path;
        if (strcmp(root, "/") != 0 && str_starts(path, root))
            rel = path + strlen(root);
        dir = xasprintf("%s%s", point, rel);
        free(path);
        break;
    }
    free(point);
    free(root);
    return dir;
}

/* Remove the empty run cgroups a grove that died left under `dir`: names
 * "grove-PID-..." whose PID is gone. A busy one stays (rmdir refuses). */
static void sweep_stale(const char *dir)
{
    DIR *d = dir ? opendir(dir) : NULL;
    struct dirent *e;
    while (d && (e = readdir(d))) {
        int pid = 0;
        if (sscanf(e->d_name, "grove-%d-", &pid) != 1 || pid <= 0 ||
            (kill(pid, 0) == 0 || errno != ESRCH))
            continue;
        char *path = path_join(dir, e->d_name);
        rmdir(path);
        free(path);
    }
    if (d)
        closedir(d);
}

static void find_own(void)
{
    if (own.done)
        return;
    own.done = 1;
    char *mi = NULL, *cg = NULL;
    if (file_read("/proc/self/mountinfo", &mi, NULL) == 0 &&
        file_read("/proc/self/cgroup", &cg, NULL) == 0) {
        own.v2 = own_dir(mi, cg, NULL);
        own.pids = own_dir(mi, cg, "pids");
        own.memory = own_dir(mi, cg, "memory");
        sweep_stale(own.v2);
        sweep_stale(own.pids);
        sweep_stale(own.memory);
    }
    free(mi);
    free(cg);
}

/* Write `value` to DIR/NAME. < 0 with err_last() naming the file. */
static int knob_write(const char *dir, const char *name, const char *value)
{
    char *path = path_join(dir, name);
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    ssize_t w = -1;
    if (fd >= 0)
        w = write(fd, value, strlen(value));
    int rc = w == (ssize_t)strlen(value) ? 0
             : err_set("%s: %s", path, strerror(fd < 0 || w < 0 ? errno : EIO));
    if (fd >= 0)
        close(fd);
    free(path);
    return rc;
}

/* The number after `key` in DIR/NAME ("oom_kill 1", "max 3"); 0 if absent. */
static long knob_field(const char *dir, const char *name, const char *key)
{
    char *path = path_join(dir, name), *text = NULL;
    long v = 0;
    if (file_read(path, &text, NULL) == 0) {
        size_t k = strlen(key);
        for (const char *p = text; *p; p += strcspn(p, "\n") + (p[strcspn(p, "\n")] != 0))
            if (strncmp(p, key, k) == 0 && p[k] == ' ')
                v = atol(p + k + 1);
    }
    free(text);
    free(path);
    return v;
}

static void warn_once(const char *what)
{
    /* Cache: one warning per process; the machine's cgroups do not change. */
    static int warned;
    if (!warned++)
        log_warn("exec: %s (%s); runs go on without it", what, err_last());
}

/* Make parent/name; returns the new folder (caller's) or NULL. */
static char *make_child(const char *parent, const char *name)
{
    char *dir = path_join(parent, name);
    if (mkdir(dir, 0755) == 0)
        return dir;
    err_set("%s: %s", dir, strerror(errno));
    free(dir);
    return NULL;
}

static int add_dir(cgroup_run *cg, char *dir)
{
    cg->dirs[cg->n] = dir;
    return cg->n++;
}

/* Drop the last folder added (a limit could not be written to it). */
static void drop_last(cgroup_run *cg)
{
    rmdir(cg->dirs[--cg->n]);
    free(cg->dirs[cg->n]);
    cg->dirs[cg->n] = NULL;
}

static void setup_v2(cgroup_run *cg, const char *name, long pids_max, size_t mem_limit)
{
    char *dir = make_child(own.v2, name);
    if (!dir)
        return warn_once("cannot create a cgroup for the run (no cgroup.kill, no limits)");
    int i = add_dir(cg, dir);
    cg->list_dir = cg->kill_dir = i;
    /* Controllers reach the child only if grove's cgroup delegates them;
     * enabling them ourselves works only where grove's cgroup holds no
     * process (the root of a container's namespace), so failure is quiet.
     * Read, and enabling tried, once per process (cached in `own`): where
     * it failed it fails again, and the file was read and written for
     * every script. */
    char *sub = path_join(own.v2, "cgroup.subtree_control");
    int want_pids = pids_max > 0 && !own.tried_pids, want_mem = mem_limit && !own.tried_memory;
    if (!own.v2_ctl || want_pids || want_mem) {
        if (!own.v2_ctl && file_read(sub, &own.v2_ctl, NULL) < 0)
            own.v2_ctl = xstrdup("");
        own.tried_pids |= want_pids;
        own.tried_memory |= want_mem;
        if ((want_pids && !has_word(own.v2_ctl, "pids") &&
             knob_write(own.v2, "cgroup.subtree_control", "+pids") == 0) |
            (want_mem && !has_word(own.v2_ctl, "memory") &&
             knob_write(own.v2, "cgroup.subtree_control", "+memory") == 0)) {
            free(own.v2_ctl);
            if (file_read(sub, &own.v2_ctl, NULL) < 0)
                own.v2_ctl = xstrdup("");
        }
    }
    free(sub);
    const char *ctl = own.v2_ctl;
    char num[32];
    if (pids_max > 0) {
        snprintf(num, sizeof num, "%ld", pids_max);
        if (has_word(ctl, "pids") && knob_write(dir, "pids.max", num) == 0)
            cg->pids_dir = i;
        else if (own.pids == NULL)
            warn_once("no pids controller delegated to grove's cgroup: no process limit");
    }
    if (mem_limit) {
        snprintf(num, sizeof num, "%zu", mem_limit);
        if (has_word(ctl, "memory") && knob_write(dir, "memory.max", num) == 0) {
            knob_write(dir, "memory.swap.max", "0"); /* absent without swap: fine */
            cg->mem_dir = i;
            cg->mem_v2 = 1;
        }
    }
}

static void setup_v1(cgroup_run *cg, const char *name, long pids_max, size_t mem_limit)
{
    char num[32];
    char *dir;
    if (pids_max > 0 && cg->pids_dir < 0 && own.pids) {
        snprintf(num, sizeof num, "%ld", pids_max);
        if (!(dir = make_child(own.pids, name)))
            warn_once("cannot create a pids cgroup: no process limit");
        else if (add_dir(cg, dir) >= 0 && knob_write(dir, "pids.max", num) < 0) {
            warn_once("cannot set pids.max: no process limit");
            drop_last(cg);
        } else {
            cg->pids_dir = cg->n - 1;
        }
    }
    if (mem_limit && cg->mem_dir < 0 && own.memory) {
        snprintf(num, sizeof num, "%zu", mem_limit);
        if (!(dir = make_child(own.memory, name)))
            warn_once("cannot create a memory cgroup: the memory cap falls back to RLIMIT_AS");
        else if (add_dir(cg, dir) >= 0 && knob_write(dir, "memory.limit_in_bytes", num) < 0) {
            warn_once("cannot set memory.limit_in_bytes: the memory cap falls back to RLIMIT_AS");
            drop_last(cg);
        } else {
            knob_write(dir, "memory.memsw.limit_in_bytes", num); /* no swap either, if accounted */
            cg->mem_dir = cg->n - 1;
        }
    }
    if (cg->list_dir < 0 && cg->n > 0)
        cg->list_dir = 0;
}

void cgroup_setup(cgroup_run *cg, const char *name, long pids_max, size_t mem_limit)
{
    memset(cg, 0, sizeof *cg);
    cg->list_dir = cg->kill_dir = cg->pids_dir = cg->mem_dir = -1;
    cg->pids_max = pids_max;
    cg->mem_limit = mem_limit;
    for (int i = 0; i < CGROUP_MAX_DIRS; i++)
        cg->join_fds[i] = -1;
    find_own();
    if (own.v2)
        setup_v2(cg, name, pids_max, mem_limit);
    setup_v1(cg, name, pids_max, mem_limit);
    for (int i = 0; i < cg->n; i++) {
        char *procs = path_join(cg->dirs[i], "cgroup.procs");
        cg->join_fds[i] = open(procs, O_WRONLY | O_CLOEXEC);
        if (cg->join_fds[i] < 0) {
            /* a cgroup the child cannot join limits nothing: none at all */
            err_set("%s: %s", procs, strerror(errno));
            warn_once("cannot join a cgroup made for the run");
            cgroup_destroy(cg);
            cgroup_forget(cg);
        }
        free(procs);
        if (cg->n == 0)
            break;
    }
}

void cgroup_close_join(cgroup_run *cg)
{
    for (int i = 0; i < CGROUP_MAX_DIRS; i++) {
        if (cg->join_fds[i] >= 0)
            close(cg->join_fds[i]);
        cg->join_fds[i] = -1;
    }
}

int cgroup_signal(const cgroup_run *cg, int sig, pid_t except)
{
    if (cg->list_dir < 0)
        return -1;
    if (!cg->dirs[cg->list_dir])
        return 0; /* removed: it was empty */
    char *path = path_join(cg->dirs[cg->list_dir], "cgroup.procs"), *text = NULL;
    int rc = file_read(path, &text, NULL);
    free(path);
    if (rc < 0)
        return -1;
    int n = 0;
    for (char *p = text; *p;) {
        char *end;
        long pid = strtol(p, &end, 10);
        if (end == p)
            break;
        p = end + (*end == '\n');
        if (pid <= 0 || pid == except)
            continue;
        n++;
        if (sig)
            kill((pid_t)pid, sig);
    }
    free(text);
    return n;
}

void cgroup_kill(const cgroup_run *cg)
{
    if (cg->kill_dir >= 0 && cg->dirs[cg->kill_dir] && knob_write(cg->dirs[cg->kill_dir], "cgroup.kill", "1") == 0)
        return;
    /* No cgroup.kill (v1 only, or a kernel before 5.14): kill the members
     * one by one, a few rounds, since a member may fork while we read; the
     * pids limit keeps that race finite. */
    for (int round = 0; round < 8 && cgroup_signal(cg, SIGKILL, 0) > 0; round++)
        ;
}

int cgroup_oom_kills(const cgroup_run *cg)
{
    if (cg->mem_dir < 0 || !cg->dirs[cg->mem_dir])
        return 0;
    return (int)knob_field(cg->dirs[cg->mem_dir], cg->mem_v2 ? "memory.events" : "memory.oom_control",
                           "oom_kill");
}

int cgroup_pids_refused(const cgroup_run *cg)
{
    return cg->pids_dir < 0 || !cg->dirs[cg->pids_dir] ? 0 : (int)knob_field(cg->dirs[cg->pids_dir], "pids.events", "max");
}

int cgroup_destroy(cgroup_run *cg)
{
    cgroup_close_join(cg);
    int busy = 0;
    for (int i = 0; i < cg->n; i++) {
        if (!cg->dirs[i])
            continue;
        if (rmdir(cg->dirs[i]) < 0 && errno == EBUSY) {
            busy = 1;
            continue;
        }
        free(cg->dirs[i]);
        cg->dirs[i] = NULL;
    }
    return busy ? -1 : 0;
}

void cgroup_forget(cgroup_run *cg)
{
    for (int i = 0; i < cg->n; i++) {
        if (cg->dirs[i])
            log_warn("exec: %s is still busy; left behind", cg->dirs[i]);
        free(cg->dirs[i]);
        cg->dirs[i] = NULL;
    }
    cg->n = 0;
    cg->list_dir = cg->kill_dir = cg->pids_dir = cg->mem_dir = -1;
}

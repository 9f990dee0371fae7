/*
 * subproc.c: run a short command to completion with a deadline.
 *
 * posix_spawnp starts the command in a process group of its own, with stdout
 * and stderr on two pipes and every signal at its default. The parent reads
 * both pipes with poll() until they close or the deadline passes, then reaps
 * the child; past the deadline the whole group gets SIGKILL (a client that
 * hangs on a dead server may have children of its own) and the result says
 * timed_out. waitpid names the one pid it started, so a libuv loop's SIGCHLD
 * handling of its own children is never disturbed: libuv reaps only the pids
 * it spawned, and this code only its own.
 */
#include "subproc.h"

#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

typedef struct stream {
    int fd;
    sb buf;
} stream;

static void stream_read(stream *s, size_t cap)
{
    char chunk[4096];
    ssize_t n = read(s->fd, chunk, sizeof chunk);
    if (n < 0 && (errno == EINTR || errno == EAGAIN))
        return;
    if (n <= 0) {
        close(s->fd);
        s->fd = -1;
        return;
    }
    size_t room = s->buf.len < cap ? cap - s->buf.len : 0;
    sb_append(&s->buf, chunk, (size_t)n < room ? (size_t)n : room);
}

static int spawn(pid_t *pid, char *const argv[], int out_fd, int err_fd)
{
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t at;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, out_fd, 1);
    posix_spawn_file_actions_adddup2(&fa, err_fd, 2);
    posix_spawnattr_init(&at);
    sigset_t all, none;
    sigfillset(&all);
    sigemptyset(&none);
    posix_spawnattr_setsigdefault(&at, &all);
    posix_spawnattr_setsigmask(&at, &none);
    posix_spawnattr_setpgroup(&at, 0);
    posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK |
                                      POSIX_SPAWN_SETPGROUP);
    int rc = posix_spawnp(pid, argv[0], &fa, &at, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&at);
    if (rc == ENOENT)
        return err_set("'%s' not found on PATH", argv[0]);
    if (rc != 0)
        return err_set("cannot start '%s': %s", argv[0], strerror(rc));
    return 0;
}

/* Read both streams until they close or the deadline passes. */
static void drain(stream s[2], double deadline, size_t cap)
{
    while (s[0].fd >= 0 || s[1].fd >= 0) {
        double left = deadline - clock_mono();
        if (left <= 0)
            return;
        struct pollfd p[2];
        int np = 0;
        for (int i = 0; i < 2; i++)
            if (s[i].fd >= 0)
                p[np++] = (struct pollfd){.fd = s[i].fd, .events = POLLIN};
        int rc = poll(p, (nfds_t)np, (int)(left * 1000) + 1);
        if (rc < 0 && errno != EINTR)
            return;
        for (int i = 0, k = 0; rc > 0 && i < 2; i++) {
            if (s[i].fd < 0)
                continue;
            if (p[k++].revents)
                stream_read(&s[i], cap);
        }
    }
}

/* Reap the child, killing its group once the deadline has passed. */
static int reap(pid_t pid, double deadline, int *timed_out)
{
    int status = 0;
    for (;;) {
        pid_t w = waitpid(pid, &status, WNOHANG);
        if (w == pid)
            break;
        if (w < 0 && errno != EINTR)
            return -1;
        if (clock_mono() >= deadline) {
            *timed_out = 1;
            kill(-pid, SIGKILL);
            while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                ;
            break;
        }
        nanosleep(&(struct timespec){.tv_nsec = 5 * 1000 * 1000}, NULL);
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int subproc_run(subproc_result *r, char *const argv[], double timeout_s, size_t cap)
{
    memset(r, 0, sizeof *r);
    int out[2] = {-1, -1}, err[2] = {-1, -1};
    if (pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) {
        err_set("cannot run '%s': pipe: %s", argv[0], strerror(errno));
        goto fail;
    }
    pid_t pid;
    if (spawn(&pid, argv, out[1], err[1]) != 0)
        goto fail;
    close(out[1]);
    close(err[1]);
    out[1] = err[1] = -1;
    double deadline = clock_mono() + timeout_s;
    stream s[2] = {{.fd = out[0]}, {.fd = err[0]}};
    drain(s, deadline, cap);
    r->exit_code = reap(pid, deadline, &r->timed_out);
    for (int i = 0; i < 2; i++)
        if (s[i].fd >= 0)
            close(s[i].fd);
    r->out = sb_steal(&s[0].buf);
    r->err = sb_steal(&s[1].buf);
    return 0;
fail:
    for (int i = 0; i < 2; i++) {
        if (out[i] >= 0)
            close(out[i]);
        if (err[i] >= 0)
            close(err[i]);
    }
    return -1;
}

void subproc_result_free(subproc_result *r)
{
    free(r->out);
    free(r->err);
    r->out = r->err = NULL;
}

void subproc_first_line(char *buf, size_t n, const char *s)
{
    if (n == 0)
        return;
    buf[0] = '\0';
    if (!s)
        return;
    while (*s == '\n' || *s == ' ')
        s++;
    size_t len = strcspn(s, "\n");
    if (len > n - 1)
        len = n - 1;
    memcpy(buf, s, len);
    buf[len] = '\0';
}

int subproc_on_path(const char *name)
{
    const char *path = getenv("PATH");
    if (!path || strchr(name, '/'))
        return access(name, X_OK) == 0;
    sb dir = {0};
    int found = 0;
    while (!found) {
        size_t len = strcspn(path, ":");
        sb_reset(&dir);
        sb_append(&dir, len ? path : ".", len ? len : 1);
        sb_printf(&dir, "/%s", name);
        struct stat st;
        found = stat(sb_str(&dir), &st) == 0 && S_ISREG(st.st_mode) &&
                access(sb_str(&dir), X_OK) == 0;
        if (path[len] == '\0')
            break;
        path += len + 1;
    }
    sb_free(&dir);
    return found;
}

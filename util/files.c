/*
 * files.c: whole-file reads, atomic writes, folder helpers and clocks.
 *
 * Writes that matter (node files, run state) go through file_write: a temp
 * file beside the target, fsync, rename, fsync of the folder, so a SIGKILL at
 * any point leaves either the old or the new contents, never half of one.
 */
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int file_read(const char *path, char **out, size_t *len)
{
    *out = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return err_set("%s: %s", path, strerror(errno));
    sb s = {0};
    char buf[65536];
    for (;;) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int e = errno;
            close(fd);
            sb_free(&s);
            return err_set("%s: read: %s", path, strerror(e));
        }
        if (n == 0)
            break;
        sb_append(&s, buf, (size_t)n);
    }
    close(fd);
    if (len)
        *len = s.len;
    *out = sb_steal(&s);
    return 0;
}

static int write_all(int fd, const void *data, size_t len)
{
    const char *p = data;
    while (len) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

static void fsync_dir_of(const char *path)
{
    char *dir = xstrdup(path);
    char *slash = strrchr(dir, '/');
    if (slash)
        *(slash == dir ? slash + 1 : slash) = 0;
    int fd = open(slash ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
    free(dir);
}

int file_write(const char *path, const void *data, size_t len)
{
    char *tmp = xasprintf("%s.tmp.%ld", path, (long)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        err_set("%s: %s", path, strerror(errno));
        free(tmp);
        return -1;
    }
    if (write_all(fd, data, len) < 0 || fsync(fd) < 0) {
        err_set("%s: write: %s", path, strerror(errno));
        close(fd);
        unlink(tmp);
        free(tmp);
        return -1;
    }
    close(fd);
    if (rename(tmp, path) < 0) {
        err_set("%s: rename: %s", path, strerror(errno));
        unlink(tmp);
        free(tmp);
        return -1;
    }
    free(tmp);
    fsync_dir_of(path);
    return 0;
}

int file_write_str(const char *path, const char *text)
{
    return file_write(path, text, strlen(text));
}

int file_append(const char *path, const void *data, size_t len)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0)
        return err_set("%s: %s", path, strerror(errno));
    int rc = write_all(fd, data, len);
    if (rc == 0)
        rc = fsync(fd);
    if (rc < 0)
        err_set("%s: append: %s", path, strerror(errno));
    close(fd);
    return rc < 0 ? -1 : 0;
}

int file_copy(const char *src, const char *dst)
{
    int in = open(src, O_RDONLY | O_CLOEXEC);
    if (in < 0)
        return err_set("%s: %s", src, strerror(errno));
    int out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (out < 0) {
        close(in);
        return err_set("%s: %s", dst, strerror(errno));
    }
    char buf[65536];
    int rc = 0;
    for (;;) {
        ssize_t n = read(in, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (n < 0)
                rc = err_set("%s: read: %s", src, strerror(errno));
            break;
        }
        if (write_all(out, buf, (size_t)n) < 0) {
            rc = err_set("%s: write: %s", dst, strerror(errno));
            break;
        }
    }
    close(in);
    if (close(out) < 0 && rc == 0)
        rc = err_set("%s: close: %s", dst, strerror(errno));
    return rc;
}

int file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

int dir_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int mkdir_p(const char *path, mode_t mode)
{
    /* The folder itself first: its parent nearly always exists (a node's
     * workspace, a cache entry), and trying every prefix from the root made
     * a dozen failed mkdir calls for each one made. */
    if (mkdir(path, mode) == 0)
        return 0;
    if (errno == EEXIST)
        return dir_exists(path) ? 0 : err_set("mkdir %s: exists and is not a folder", path);
    if (errno != ENOENT)
        return err_set("mkdir %s: %s", path, strerror(errno));
    /* a parent is missing: make it, then this */
    char *parent = xstrdup(path);
    size_t n = strlen(parent);
    while (n > 1 && parent[n - 1] == '/')
        parent[--n] = 0;
    char *slash = strrchr(parent, '/');
    int rc;
    if (!slash || slash == parent) {
        rc = err_set("mkdir %s: %s", path, strerror(ENOENT));
    } else {
        *slash = 0;
        rc = mkdir_p(parent, mode);
        if (rc == 0 && mkdir(path, mode) < 0 && errno != EEXIST)
            rc = err_set("mkdir %s: %s", path, strerror(errno));
        else if (rc == 0 && !dir_exists(path))
            rc = err_set("mkdir %s: exists and is not a folder", path);
    }
    free(parent);
    return rc;
}

int rm_rf(const char *path)
{
    struct stat st;
    if (lstat(path, &st) < 0)
        return errno == ENOENT ? 0 : err_set("%s: %s", path, strerror(errno));
    if (S_ISDIR(st.st_mode)) {
        /* a read-only folder (input/ of a workspace) must become writable first */
        chmod(path, st.st_mode | S_IRWXU);
        DIR *d = opendir(path);
        if (!d)
            return err_set("%s: %s", path, strerror(errno));
        struct dirent *e;
        int rc = 0;
        while ((e = readdir(d))) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                continue;
            char *child = path_join(path, e->d_name);
            if (rm_rf(child) < 0)
                rc = -1;
            free(child);
        }
        closedir(d);
        if (rc == 0 && rmdir(path) < 0)
            rc = err_set("rmdir %s: %s", path, strerror(errno));
        return rc;
    }
    if (unlink(path) < 0 && errno != ENOENT)
        return err_set("unlink %s: %s", path, strerror(errno));
    return 0;
}

char *path_join(const char *a, const char *b)
{
    if (!a || !*a)
        return xstrdup(b);
    if (b[0] == '/')
        return xstrdup(b);
    size_t n = strlen(a);
    return xasprintf("%s%s%s", a, a[n - 1] == '/' ? "" : "/", b);
}

char *path_real(const char *path)
{
    char *r = realpath(path, NULL);
    if (!r)
        err_set("%s: %s", path, strerror(errno));
    return r;
}

void env_scrub(const char *name)
{
    char *v = getenv(name);
    if (!v)
        return;
    memset(v, '*', strlen(v));
    unsetenv(name);
}

double clock_mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double clock_wall(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void clock_iso8601(char *buf, size_t n, double wall)
{
    time_t t = (time_t)wall;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

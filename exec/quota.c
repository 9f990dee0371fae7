/*
 * quota.c: how much of the disk a run's workspace holds, for the disk and
 * file-count quota that run.c checks while a script runs.
 *
 * Why a walk and not a filesystem quota: project quotas need XFS or ext4
 * mounted with them, a loop-mounted image per node needs root, mkfs and
 * seconds per node, and a tmpfs would put the workspace (checkpoints of
 * gigabytes) in memory. A walk works on any filesystem, as any user; its
 * cost is one fstatat per file, and run.c spaces the walks by ten times
 * what the last one took. What it cannot do is stop a write as it happens:
 * between two walks a script can write what the disk takes in that time
 * (a single file is held to exec_opts.file_limit by RLIMIT_FSIZE). The
 * sandbox's private /tmp is a tmpfs capped at the same size (sandbox.c).
 *
 * The walk counts allocated blocks (a sparse file costs what it uses),
 * follows no symbolic link, leaves input/ at the top out (the competition's
 * data, bound or linked in) and gives up as soon as either limit is passed.
 */
#include "exec_internal.h"

#include <dirent.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum { MAX_DEPTH = 64 };

static int over(const quota_use *u, size_t max_bytes, long max_files)
{
    return (max_bytes && u->bytes > max_bytes) || (max_files > 0 && u->files > max_files);
}

static void walk(int dirfd, int depth, int top, quota_use *u, size_t max_bytes, long max_files)
{
    DIR *d = fdopendir(dirfd);
    if (!d) {
        close(dirfd);
        return;
    }
    struct dirent *e;
    while (!over(u, max_bytes, max_files) && (e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") ||
            (top && !strcmp(e->d_name, "input")))
            continue;
        struct stat st;
        if (fstatat(dirfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
            continue; /* gone since readdir */
        u->files++;
        u->bytes += (size_t)st.st_blocks * 512;
        if (!S_ISDIR(st.st_mode) || depth >= MAX_DEPTH)
            continue;
        int fd = openat(dirfd, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd >= 0)
            walk(fd, depth + 1, 0, u, max_bytes, max_files);
    }
    closedir(d);
}

int quota_measure(quota_use *u, const char *workdir, size_t max_bytes, long max_files)
{
    memset(u, 0, sizeof *u);
    int fd = open(workdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    walk(fd, 0, 1, u, max_bytes, max_files);
    return over(u, max_bytes, max_files);
}

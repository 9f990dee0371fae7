/*
 * fixture.h: shared helpers of the exec tests that run real processes:
 * temporary workspaces holding a given script, the mode a test binary runs
 * in (bare or sandbox; argv[1]), and process inspection through /proc.
 */
#ifndef GROVE_TEST_EXEC_FIXTURE_H
#define GROVE_TEST_EXEC_FIXTURE_H

#include "check.h"
#include "exec.h"
#include "util.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char fx_base[] = "/tmp/grove-exec-test-XXXXXX";
static int fx_mode = EXEC_SANDBOX_OFF;

/* argv[1] is "bare" or "sandbox"; a sandbox run where bwrap cannot run
 * exits 77, which meson counts as skipped. */
static inline void fx_init(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "sandbox") == 0) {
        fx_mode = EXEC_SANDBOX_ON;
        if (!exec_sandbox_available()) {
            printf("SKIP: bubblewrap cannot run here\n");
            exit(77);
        }
    }
    if (!mkdtemp(fx_base)) {
        perror("mkdtemp");
        exit(1);
    }
}

static inline void fx_cleanup(void) { rm_rf(fx_base); }

/* A workspace fx_base/NAME holding solution.py; caller frees the path. */
static inline char *fx_workspace(const char *name, const char *script)
{
    char *ws = path_join(fx_base, name);
    CHECK(exec_workspace_prepare(ws) == 0);
    char *py = path_join(ws, "solution.py");
    CHECK(file_write_str(py, script) == 0);
    free(py);
    return ws;
}

static inline exec_opts fx_opts(const char *ws)
{
    exec_opts o = {0};
    o.python = "/usr/bin/python3";
    o.workdir = ws;
    o.sandbox = fx_mode;
    o.timeout_s = 60;
    return o;
}

/* Run to completion; fails the test (and returns NULL) if it cannot start. */
static inline exec_result *fx_run(const exec_opts *o)
{
    exec_result *r = NULL;
    int rc = exec_run_sync(&r, o);
    CHECK_MSG(rc == 0 && r, "exec_run_sync: %s", err_last());
    if (r)
        CHECK(r->sandboxed == (fx_mode == EXEC_SANDBOX_ON));
    return r;
}

/* Alive means present and not a zombie (an orphan's zombie waits for PID 1,
 * which on this machine reaps late). */
static inline int fx_pid_alive(pid_t pid)
{
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    char *p = strrchr(buf, ')');
    return p && p[1] == ' ' && p[2] != 'Z' && p[2] != 'X';
}

/* Pids (up to max) whose command line is exactly "sleep TOKEN". */
static inline int fx_find_sleepers(const char *token, pid_t *out, int max)
{
    int n = 0;
    DIR *d = opendir("/proc");
    struct dirent *e;
    while (d && (e = readdir(d)) && n < max) {
        int pid = atoi(e->d_name);
        if (pid <= 0)
            continue;
        char path[64], buf[256] = {0};
        snprintf(path, sizeof path, "/proc/%d/cmdline", pid);
        FILE *f = fopen(path, "r");
        if (!f)
            continue;
        size_t len = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
        if (len > 6 && strcmp(buf, "sleep") == 0 && strcmp(buf + 6, token) == 0 &&
            fx_pid_alive(pid))
            out[n++] = pid;
    }
    if (d)
        closedir(d);
    return n;
}

/* A field of /proc/self/status in kB (VmRSS, VmHWM). */
static inline long fx_self_kb(const char *field)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long v = -1;
    size_t k = strlen(field);
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, field, k) == 0 && line[k] == ':')
            v = atol(line + k + 1);
    if (f)
        fclose(f);
    return v;
}

#endif

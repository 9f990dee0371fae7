/*
 * bench_exec.c: what exec adds per run, against a bare fork+exec+wait of the
 * same command, both measured in this process in the same run.
 *
 *   bench_exec [N] [COMMAND]     (default: 200 runs of /bin/true)
 *
 * COMMAND stands in for the interpreter: exec runs `COMMAND solution.py`
 * (/bin/true ignores its argument), so the figures are exec's own cost:
 * option checks, output.log, the pipe on the loop, SIGCHLD, the result, and
 * with the sandbox, bubblewrap's namespaces and mounts plus the rusage
 * wrapper (which /bin/true also stands in for). Give /usr/bin/python3 to
 * see it with a real interpreter start. Prints the median of N of each and
 * the ratios.
 */
#include "exec.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static double bare_once(const char *cmd, const char *dir)
{
    double t0 = clock_mono();
    pid_t pid = fork();
    if (pid == 0) {
        if (chdir(dir) < 0)
            _exit(127);
        execl(cmd, cmd, "solution.py", (char *)NULL);
        _exit(127);
    }
    int status;
    waitpid(pid, &status, 0);
    return clock_mono() - t0;
}

static double exec_once(const exec_opts *o)
{
    double t0 = clock_mono();
    exec_result *r = NULL;
    if (exec_run_sync(&r, o) < 0 || r->exit_code != 0) {
        fprintf(stderr, "bench_exec: run failed: %s\n", r ? r->output : err_last());
        exit(1);
    }
    exec_result_free(r);
    return clock_mono() - t0;
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 200;
    const char *cmd = argc > 2 ? argv[2] : "/bin/true";
    if (n < 1)
        n = 200;
    char dir[] = "/tmp/grove-bench-exec-XXXXXX";
    if (!mkdtemp(dir) || exec_workspace_prepare(dir) < 0) {
        fprintf(stderr, "bench_exec: workspace: %s\n", err_last());
        return 1;
    }
    char *script = path_join(dir, "solution.py");
    file_write_str(script, "pass\n");
    exec_opts o = {.python = cmd, .workdir = dir, .sandbox = EXEC_SANDBOX_OFF, .timeout_s = 60};
    int sandbox = exec_sandbox_available();
    double *bare = xcalloc((size_t)n, sizeof *bare), *plain = xcalloc((size_t)n, sizeof *plain),
           *boxed = xcalloc((size_t)n, sizeof *boxed);
    /* interleaved, so a change in the machine's load hits all three alike */
    for (int i = 0; i < n; i++) {
        bare[i] = bare_once(cmd, dir);
        o.sandbox = EXEC_SANDBOX_OFF;
        plain[i] = exec_once(&o);
        if (sandbox) {
            o.sandbox = EXEC_SANDBOX_ON;
            boxed[i] = exec_once(&o);
        }
    }
    double mb = median(bare, n), mp = median(plain, n);
    printf("exec overhead, median of %d runs of `%s solution.py`:\n", n, cmd);
    printf("  fork+exec+wait        %8.3f ms\n", mb * 1e3);
    printf("  exec, no sandbox      %8.3f ms   %.2fx\n", mp * 1e3, mp / mb);
    if (sandbox) {
        double ms = median(boxed, n);
        printf("  exec, bubblewrap      %8.3f ms   %.2fx\n", ms * 1e3, ms / mb);
    } else {
        printf("  exec, bubblewrap      (bubblewrap cannot run here)\n");
    }
    free(bare), free(plain), free(boxed), free(script);
    rm_rf(dir);
    return 0;
}

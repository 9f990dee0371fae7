/*
 * test_exec_limits.c: the limits of a run, bare or sandboxed (argv[1]):
 *   - a script past its timeout that ignores SIGTERM and leaves sleepers
 *     behind (a child, and a double-forked grandchild; sandboxed it also
 *     calls setsid to leave the process group): the run ends after timeout
 *     + grace, and every one of those pids is gone, checked on the host;
 *   - 200 MB of output: output.log stops at its cap, the runner's own memory
 *     does not grow;
 *   - 8 runs of `sleep 1` at once on one loop finish in about 1 s.
 */
#include "fixture.h"

#include <signal.h>

static const char sleepers_script[] =
    "import os, signal, time\n"
    "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
    "def sleeper(detach):\n"
    "    if os.fork() == 0:\n"
    "        if detach:\n"
    "            if os.fork() != 0:\n"
    "                os._exit(0)\n"
    "            %s\n"
    "        os.execv('/bin/sleep', ['sleep', '%s'])\n"
    "sleeper(False)\n"
    "sleeper(True)\n"
    "print('started', flush=True)\n"
    "time.sleep(60)\n";

typedef struct seen {
    const char *token;
    pid_t pids[8];
    int n;
    exec_result *res;
} seen;

static void on_look(uv_timer_t *t)
{
    seen *s = t->data;
    s->n = fx_find_sleepers(s->token, s->pids, 8);
}

static void on_done(exec_run *run, exec_result *res, void *data)
{
    (void)run;
    ((seen *)data)->res = res;
}

static void test_timeout_kills_all(void)
{
    char token[32], *script;
    snprintf(token, sizeof token, "%d.25", 900000 + (int)getpid() % 90000);
    script = xasprintf(sleepers_script, fx_mode == EXEC_SANDBOX_ON ? "os.setsid()" : "pass", token);
    char *ws = fx_workspace("timeout", script);
    exec_opts o = fx_opts(ws);
    o.timeout_s = 1.5;
    o.kill_grace_s = 0.5;
    uv_loop_t loop;
    uv_loop_init(&loop);
    seen s = {.token = token};
    exec_run *run;
    double t0 = clock_mono();
    CHECK(exec_start(&run, &loop, &o, on_done, &s) == 0);
    uv_timer_t look;
    uv_timer_init(&loop, &look);
    look.data = &s;
    uv_timer_start(&look, on_look, 1000, 0);
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_close((uv_handle_t *)&look, NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
    double took = clock_mono() - t0;
    exec_result *r = s.res;
    CHECK_MSG(s.n == 2, "found %d sleepers while running", s.n);
    CHECK(r && r->timed_out && !r->cancelled);
    CHECK(r && r->term_signal == SIGKILL); /* it ignored SIGTERM */
    CHECK_MSG(r && r->wall_s >= 1.95 && r->wall_s < 3.0, "wall %.3f", r ? r->wall_s : 0);
    CHECK(took < 3.5);
    CHECK(r && strcmp(r->output, "started\n") == 0);
    for (int i = 0; i < s.n; i++)
        CHECK_MSG(!fx_pid_alive(s.pids[i]), "pid %d outlived its run", (int)s.pids[i]);
    if (s.n < 2 || (r && !r->timed_out))
        fprintf(stderr, "output: %s\n", r ? r->output : "(none)");
    exec_result_free(r);
    free(script);
    free(ws);
}

static void test_200mb(void)
{
    char *ws = fx_workspace("flood",
        "import sys\n"
        "line = b'0123456789' * 99 + b'\\n'\n"
        "chunk = line * 1000\n"
        "print('first line')\n"
        "for i in range(200):\n"
        "    sys.stdout.buffer.write(chunk)\n"
        "sys.stdout.buffer.flush()\n"
        "print('last line')\n");
    exec_opts o = fx_opts(ws);
    o.log_cap = 1 << 20;
    long rss0 = fx_self_kb("VmRSS"), hwm0 = fx_self_kb("VmHWM");
    exec_result *r = fx_run(&o);
    long rss1 = fx_self_kb("VmRSS"), hwm1 = fx_self_kb("VmHWM");
    if (r) {
        CHECK(r->exit_code == 0);
        CHECK(r->output_bytes == 11 + 200u * 1000 * 991 + 10);
        CHECK(r->log_truncated);
        CHECK(str_starts(r->output, "first line\n0123456789"));
        CHECK(str_ends(r->output, "0123456789\nlast line\n"));
        CHECK(strstr(r->output, "characters truncated]") != NULL);
        CHECK(strlen(r->output) < 5200);
        char *log = NULL;
        size_t len = 0;
        CHECK(file_read(r->log_path, &log, &len) == 0);
        CHECK_MSG(len > (1u << 20) && len < (1u << 20) + 512, "log is %zu bytes", len);
        CHECK(log && strstr(log + (1 << 20) - 100, "output.log cut here") != NULL);
        free(log);
    }
    CHECK_MSG(rss1 - rss0 < 16 * 1024 && hwm1 - hwm0 < 16 * 1024,
              "runner grew: rss %ld -> %ld kB, peak %ld -> %ld kB", rss0, rss1, hwm0, hwm1);
    exec_result_free(r);
    free(ws);
}

typedef struct many {
    int done;
    double wall[8];
    int ok[8];
} many;

static void on_many(exec_run *run, exec_result *res, void *data)
{
    (void)run;
    many *m = data;
    m->wall[m->done] = res->wall_s;
    m->ok[m->done] = res->exit_code == 0 && strcmp(res->output, "slept\n") == 0;
    m->done++;
    exec_result_free(res);
}

static void test_eight_at_once(void)
{
    /* one run alone first: the yardstick, on this machine under its load */
    char *one = fx_workspace("single", "import time\ntime.sleep(1)\nprint('slept')\n");
    exec_opts o1 = fx_opts(one);
    double t1 = clock_mono();
    exec_result_free(fx_run(&o1));
    double single = clock_mono() - t1;
    free(one);

    uv_loop_t loop;
    uv_loop_init(&loop);
    many m = {0};
    char *ws[8];
    double t0 = clock_mono();
    for (int i = 0; i < 8; i++) {
        char name[16];
        snprintf(name, sizeof name, "par%d", i);
        ws[i] = fx_workspace(name, "import time\ntime.sleep(1)\nprint('slept')\n");
        exec_opts o = fx_opts(ws[i]);
        exec_run *run;
        CHECK(exec_start(&run, &loop, &o, on_many, &m) == 0);
    }
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
    double took = clock_mono() - t0;
    CHECK(m.done == 8);
    for (int i = 0; i < m.done; i++)
        CHECK(m.ok[i] && m.wall[i] >= 1.0);
    CHECK_MSG(took < single + 1.5, "8 runs of 1 s took %.2f s, one took %.2f s", took, single);
    printf("8 runs of sleep 1 at once: %.2f s (one alone: %.2f s)\n", took, single);
    for (int i = 0; i < 8; i++)
        free(ws[i]);
}

int main(int argc, char **argv)
{
    fx_init(argc, argv);
    test_timeout_kills_all();
    test_200mb();
    test_eight_at_once();
    fx_cleanup();
    return check_done(fx_mode == EXEC_SANDBOX_ON ? "exec limits (sandbox)" : "exec limits (bare)");
}

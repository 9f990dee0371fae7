/*
 * test_exec.c: one real run per behaviour, bare or sandboxed (argv[1]):
 * output and result fields, a ValueError parsed, a signal death, stdin,
 * output of child processes and C-level writes, non-UTF-8 bytes, the memory
 * cap, cancel, the scrubbed environment (with a fake API key in our own
 * exec-time environment), and the errors for a missing interpreter/script.
 */
#include "fixture.h"

#include <signal.h>

#define CANARY "sk-grove-canary-4f1d2e9a7b"

static void test_hello(void)
{
    char *ws = fx_workspace("hello", "import sys\nprint('hello')\nprint('to stderr', file=sys.stderr)\n");
    exec_opts o = fx_opts(ws);
    exec_result *r = fx_run(&o);
    if (r) {
        CHECK(r->exit_code == 0 && r->term_signal == 0);
        CHECK_STR(r->output, "hello\nto stderr\n");
        CHECK(r->output_bytes == 16);
        CHECK(!r->timed_out && !r->cancelled && !r->log_truncated && !r->error);
        CHECK(r->wall_s > 0 && r->wall_s < 10);
        CHECK(r->cpu_s > 0);
        CHECK(r->peak_rss_kb > 1000);
        CHECK(r->exc_type == NULL && r->exc_line == 0);
        char *log = NULL;
        CHECK(file_read(r->log_path, &log, NULL) == 0);
        CHECK_STR(log, "hello\nto stderr\n");
        free(log);
    }
    exec_result_free(r);
    free(ws);
}

static void test_value_error(void)
{
    char *ws = fx_workspace("valueerror", "import math\n\ndef f(s):\n    return int(s)\n\n"
                                          "print('start')\nf('abc')\n");
    exec_opts o = fx_opts(ws);
    exec_result *r = fx_run(&o);
    if (r) {
        CHECK(r->exit_code == 1);
        CHECK_STR(r->exc_type, "ValueError");
        CHECK_STR(r->exc_msg, "invalid literal for int() with base 10: 'abc'");
        CHECK(r->exc_line == 4);
        CHECK(strncmp(r->output, "start\nTraceback", 15) == 0);
    }
    exec_result_free(r);
    free(ws);
}

static void test_signal_death(void)
{
    char *ws = fx_workspace("segv", "import os, signal\nprint('bye', flush=True)\n"
                                    "os.kill(os.getpid(), signal.SIGSEGV)\n");
    exec_opts o = fx_opts(ws);
    exec_result *r = fx_run(&o);
    if (r) {
        CHECK(r->exit_code == -1);
        CHECK_MSG(r->term_signal == SIGSEGV, "signal %d", r->term_signal);
    }
    exec_result_free(r);
    free(ws);
}

/* fd-level merge: a child process and raw writes to fds 1 and 2 all land,
 * in order; stdin is /dev/null; bytes that are not UTF-8 are replaced in
 * memory and kept as they are on disk. */
static void test_fd_level_output(void)
{
    char *ws = fx_workspace("fds",
        "import os, subprocess, sys\n"
        "print('stdin:', repr(sys.stdin.read()))\n"
        "os.write(1, b'raw1\\n')\nos.write(2, b'raw2\\n')\n"
        "subprocess.run(['/bin/sh', '-c', 'echo child-out; echo child-err >&2'])\n"
        "sys.stdout.buffer.write(b'bad:\\xff\\xfe\\x00:end\\n')\n");
    exec_opts o = fx_opts(ws);
    exec_result *r = fx_run(&o);
    if (r) {
        CHECK(r->exit_code == 0);
        CHECK_STR(r->output, "stdin: ''\nraw1\nraw2\nchild-out\nchild-err\n"
                             "bad:\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD:end\n");
        char *log = NULL;
        size_t len = 0;
        CHECK(file_read(r->log_path, &log, &len) == 0);
        CHECK(log && len == r->output_bytes && memmem(log, len, "bad:\xff\xfe\x00:end", 11));
        free(log);
    }
    exec_result_free(r);
    free(ws);
}

static void test_mem_limit(void)
{
    char *ws = fx_workspace("mem", "x = bytearray(2 << 30)\nprint('allocated')\n");
    exec_opts o = fx_opts(ws);
    o.mem_limit = 512u << 20;
    exec_result *r = fx_run(&o);
    if (r && r->oom_killed) {
        /* a memory cgroup: the kernel's OOM killer, said plainly */
        CHECK(r->term_signal == SIGKILL && r->exit_code == -1);
        CHECK_STR(r->limit_note, "killed: out of memory (limit 512 MB)");
        CHECK(str_ends(r->output, "[grove: killed: out of memory (limit 512 MB)]\n"));
    } else if (r) {
        /* RLIMIT_AS, where no memory cgroup can be made */
        CHECK(r->exit_code == 1);
        CHECK_STR(r->exc_type, "MemoryError");
        CHECK(r->exc_line == 1);
        CHECK(r->limit_note == NULL);
    }
    if (r)
        CHECK(strstr(r->output, "allocated") == NULL);
    exec_result_free(r);
    free(ws);
}

typedef struct cancel_ctx {
    exec_run *run;
    char *log;
} cancel_ctx;

/* Cancel once the script is surely running: it has printed. */
static void on_cancel_timer(uv_timer_t *t)
{
    cancel_ctx *c = t->data;
    char *text = NULL;
    if (file_read(c->log, &text, NULL) == 0 && strstr(text, "waiting\n")) { /* print writes the newline apart */
        exec_cancel(c->run);
        exec_cancel(c->run); /* twice is harmless */
        uv_timer_stop(t);
    }
    free(text);
}
static void on_cancel_done(exec_run *run, exec_result *res, void *data)
{
    (void)run;
    *(exec_result **)data = res;
}

static void test_cancel(void)
{
    char *ws = fx_workspace("cancel", "import time\nprint('waiting', flush=True)\ntime.sleep(30)\n");
    exec_opts o = fx_opts(ws);
    uv_loop_t loop;
    uv_loop_init(&loop);
    cancel_ctx c = {.log = path_join(ws, "output.log")};
    exec_result *r = NULL;
    CHECK(exec_start(&c.run, &loop, &o, on_cancel_done, &r) == 0);
    uv_timer_t t;
    uv_timer_init(&loop, &t);
    t.data = &c;
    /* the loop's clock was read before exec_start (which may take a few ms
     * under load): read it again, so the 20 ms count from now */
    uv_update_time(&loop);
    uv_timer_start(&t, on_cancel_timer, 20, 20);
    uv_unref((uv_handle_t *)&t);
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_close((uv_handle_t *)&t, NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK(uv_loop_close(&loop) == 0);
    CHECK(r && r->cancelled && !r->timed_out);
    CHECK(r && r->term_signal == SIGTERM);
    /* at least the timer's 20 ms, less the loop clock's 1 ms truncation */
    CHECK_MSG(r && r->wall_s > 0.019 && r->wall_s < 3, "wall %.4f s", r ? r->wall_s : -1);
    CHECK_MSG(r && strcmp(r->output, "waiting\n") == 0, "output: %s", r ? r->output : "");
    exec_result_free(r);
    free(c.log);
    free(ws);
}

/* The script looks for the canary in its environment and, sandboxed, in
 * every /proc/N/environ it can see (bwrap's own included). */
static void test_env_scrubbed(void)
{
    char *ws = fx_workspace("env",
        "import os, glob\n"
        "print('KEYS', ' '.join(sorted(os.environ)))\n"
        "print('SEED', os.environ.get('GROVE_SEED'))\n"
        "print('ENVIRON_LEAK', 'sk-grove' in repr(dict(os.environ)))\n"
        "seen = []\n"
        "for p in glob.glob('/proc/[0-9]*/environ'):\n"
        "    try:\n"
        "        if b'sk-grove' in open(p, 'rb').read(): seen.append(p)\n"
        "    except OSError: pass\n"
        "print('PROC_LEAKS', seen)\n");
    exec_opts o = fx_opts(ws);
    o.threads = 3;
    exec_result *r = fx_run(&o);
    if (r) {
        CHECK(strstr(r->output, "ENVIRON_LEAK False\n") != NULL);
        CHECK(strstr(r->output, "KEYS CUDA_DEVICE_ORDER CUDA_VISIBLE_DEVICES HOME LANG LC_ALL MKL_NUM_THREADS "
                                "MPLBACKEND NUMEXPR_NUM_THREADS OMP_NUM_THREADS "
                                "OPENBLAS_NUM_THREADS PATH PWD PYTHONDONTWRITEBYTECODE "
                                "PYTHONHASHSEED PYTHONUNBUFFERED TMPDIR\n") != NULL);
        /* bare, the script is root beside us and can read our environ: only
         * the sandbox can promise /proc shows nothing */
        if (fx_mode == EXEC_SANDBOX_ON)
            CHECK(strstr(r->output, "PROC_LEAKS []\n") != NULL);
        CHECK(strstr(r->output, CANARY) == NULL);
        if (strstr(r->output, "KEYS") == NULL)
            fprintf(stderr, "output:\n%s\n", r->output);
    }
    exec_result_free(r);
    /* a seed (the final selection's extra runs) is GROVE_SEED, nothing else */
    o.seed = 7;
    r = fx_run(&o);
    if (r)
        CHECK(strstr(r->output, "KEYS CUDA_DEVICE_ORDER CUDA_VISIBLE_DEVICES GROVE_SEED HOME ") &&
              strstr(r->output, "SEED 7\n") && strstr(r->output, "ENVIRON_LEAK False\n"));
    exec_result_free(r);
    free(ws);
}

static void test_start_errors(void)
{
    char *ws = fx_workspace("errors", "print(1)\n");
    exec_opts o = fx_opts(ws);
    o.python = "/nonexistent/bin/python3";
    exec_result *r = NULL;
    CHECK(exec_run_sync(&r, &o) < 0 && r == NULL);
    CHECK(strstr(err_last(), "/nonexistent/bin/python3: not found") != NULL);
    CHECK(strstr(err_last(), "--python") != NULL);

    o = fx_opts(ws);
    o.script = "missing.py";
    CHECK(exec_run_sync(&r, &o) < 0 && r == NULL);
    CHECK(strstr(err_last(), "missing.py: not found") != NULL);

    setenv("GROVE_PYTHON", "/nonexistent/python", 1);
    char *py = NULL;
    CHECK(exec_find_python(&py) < 0 && py == NULL);
    CHECK(strstr(err_last(), "GROVE_PYTHON") && strstr(err_last(), "/nonexistent/python"));
    unsetenv("GROVE_PYTHON");
    CHECK(exec_find_python(&py) == 0);
    CHECK_STR(py, "/usr/bin/python3");
    free(py);
    free(ws);
}

int main(int argc, char **argv)
{
    /* The canary must be in our exec-time environment (what
     * /proc/self/environ shows), not just setenv'd: re-exec with it. */
    if (!getenv("OPENAI_API_KEY")) {
        setenv("OPENAI_API_KEY", CANARY, 1);
        execv("/proc/self/exe", argv);
        perror("re-exec");
        return 1;
    }
    fx_init(argc, argv);
    test_hello();
    test_value_error();
    test_signal_death();
    test_fd_level_output();
    test_mem_limit();
    test_cancel();
    test_env_scrubbed();
    test_start_errors();
    fx_cleanup();
    return check_done(fx_mode == EXEC_SANDBOX_ON ? "exec (sandbox)" : "exec (bare)");
}

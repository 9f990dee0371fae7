/*
 * test_bench_slurm.c: the Slurm backend of `grove bench` against a real
 * Slurm: scripts/slurm-local starts munged + slurmctld + slurmd on loopback
 * in a temporary folder, the test submits arrays of tiny stand-in jobs
 * (/bin/sh one-liners) through bench_backend_slurm and checks what poll()
 * makes of them, then stops the cluster (also when a check fails, on
 * SIGTERM from meson's timeout, and on its own alarm).
 *
 *   array A  exit 0, exit 3, SIGKILL, sleep past --time=1   -> DONE 0, DONE 3,
 *            DONE 137, LOST TIMEOUT (Slurm ends it 60-90 s in); quotes in an
 *            argv and a newline in a competition id reach the script intact
 *   array B  three sleeps, one at a time; the backend is dropped without a
 *            cancel (a crash), a new one on the same state folder adopts
 *            the three instead of submitting them again, cancels them: LOST
 *            CANCELLED, including the two that never started
 *   array C  one sleep; a backend that never started cancels it from the
 *            state file (a cancel after a crash)
 *   --gres=gpu:1 on a cluster without GPUs: start() fails with sbatch's words
 *   check(): passes; fails naming the fix with no sbatch on PATH, with a
 *   controller that is frozen (SIGSTOP: no answer, bounded by the deadline)
 *   and with one that is stopped
 *
 * Needs root and Debian's slurm-wlm + munge (scripts/setup). A cluster that
 * does not start is a failure, never a skip. Slurm's ports are fixed: no
 * other cluster may run meanwhile, so meson runs this and e2e_bench_slurm.py
 * one after the other, in one test (slurm_tests.py).
 */
#include "bench_slurm_int.h"
#include "check.h"
#include "util.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static char cluster[256];
static char script[512];

/* Stop the cluster with only async-signal-safe calls (also from a handler). */
static void stop_cluster(void)
{
    if (!cluster[0])
        return;
    pid_t p = fork();
    if (p == 0) {
        char *argv[] = {script, "stop", cluster, NULL};
        execv(script, argv);
        _exit(127);
    }
    int st;
    while (p > 0 && waitpid(p, &st, 0) < 0)
        ;
    cluster[0] = '\0';
}

static void on_signal(int sig)
{
    (void)sig;
    static const char msg[] = "test_bench_slurm: stopped by a signal, stopping the cluster\n";
    ssize_t w = write(2, msg, sizeof msg - 1);
    (void)w;
    stop_cluster();
    _exit(1);
}

static int run_script(const char *cmd)
{
    char *argv[] = {script, (char *)cmd, cluster, NULL};
    subproc_result r;
    int rc = subproc_run(&r, argv, 90, 1 << 16);
    if (rc == 0 && (r.exit_code != 0 || r.timed_out)) {
        fprintf(stderr, "slurm-local %s failed (exit %d)\n%s%s", cmd, r.exit_code, r.out, r.err);
        rc = -1;
    }
    subproc_result_free(&r);
    return rc;
}

static int start_cluster(void)
{
    const char *src = getenv("GROVE_SRC");
    snprintf(script, sizeof script, "%s/scripts/slurm-local", src ? src : ".");
    snprintf(cluster, sizeof cluster, "/tmp/grove-slurm-test.XXXXXX");
    if (!mkdtemp(cluster))
        return -1;
    atexit(stop_cluster);
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    signal(SIGALRM, on_signal);
    alarm(280);
    double t0 = clock_mono();
    if (run_script("start") != 0)
        return -1;
    printf("cluster up in %.2f s (%s)\n", clock_mono() - t0, cluster);
    char *conf = path_join(cluster, "slurm.conf");
    setenv("SLURM_CONF", conf, 1);
    free(conf);
    return 0;
}

/* ---- jobs ------------------------------------------------------------ */

typedef struct fixture {
    char *bench;      /* the bench folder */
    char *state;      /* its backend state folder */
    bench_job jobs[4];
    char *dirs[4], *logs[4];
    char *argv[4][4];
    int n;
} fixture;

static void fixture_init(fixture *f, const char *name, const char *const *cmds, int n)
{
    memset(f, 0, sizeof *f);
    f->bench = xasprintf("%s/%s", cluster, name);
    f->state = xasprintf("%s/state", f->bench);
    f->n = n;
    for (int i = 0; i < n; i++) {
        f->dirs[i] = xasprintf("%s/runs/job%d", f->bench, i);
        f->logs[i] = xasprintf("%s/log.txt", f->dirs[i]);
        mkdir_p(f->dirs[i], 0755);
        f->argv[i][0] = "/bin/sh";
        f->argv[i][1] = "-c";
        f->argv[i][2] = (char *)cmds[i];
        f->jobs[i] = (bench_job){.comp_id = "stand-in", .seed = i, .run_dir = f->dirs[i],
                                 .log_path = f->logs[i], .argv = f->argv[i], .cpus = 1};
    }
}

static void fixture_free(fixture *f)
{
    for (int i = 0; i < f->n; i++) {
        free(f->dirs[i]);
        free(f->logs[i]);
    }
    free(f->bench);
    free(f->state);
}

static bench_backend_opts opts_for(const fixture *f)
{
    return (bench_backend_opts){.state_dir = f->state};
}

static int all_over(const bench_job_status *st, int n)
{
    for (int i = 0; i < n; i++)
        if (st[i].state == BENCH_JOB_PENDING || st[i].state == BENCH_JOB_RUNNING)
            return 0;
    return 1;
}

static double max_poll_s;

/* poll every 0.5 s until every job is over or the deadline passes */
static void poll_until_over(bench_backend *b, bench_job_status *st, int n, double limit_s)
{
    double end = clock_mono() + limit_s;
    while (clock_mono() < end) {
        double t0 = clock_mono();
        if (bench_backend_slurm.poll(b, st, n) != 0)
            fprintf(stderr, "poll: %s\n", err_last());
        double dt = clock_mono() - t0;
        max_poll_s = dt > max_poll_s ? dt : max_poll_s;
        if (all_over(st, n))
            return;
        usleep(500 * 1000);
    }
}

static int count_lines(const char *path, const char *prefix)
{
    char *text;
    if (file_read(path, &text, NULL) != 0)
        return -1;
    int n = 0;
    for (char *p = text; p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
        n += str_starts(p, prefix);
    free(text);
    return n;
}

/* ---- the checks -------------------------------------------------------- */

static void test_resource_args(void)
{
    bench_job j = {.cpus = 4, .mem_mb = 8192, .n_gpus = 2, .time_limit_s = 3600};
    bench_job k = {.cpus = 2, .time_limit_s = 4 * 3600};
    bench_job jobs[2] = {j, k};
    int pick[2] = {0, 1};
    bench_backend_opts o = {.partition = "gpu", .account = "ml", .parallel = 3};
    char *argv[8] = {0};
    int n = slurm_resource_args(argv, &o, jobs, pick, 2);
    const char *want[] = {"--array=0-1%3", "--cpus-per-task=4", "--mem=8192", "--gres=gpu:2",
                          "--time=300", /* 4 h + a quarter */
                          "--partition=gpu", "--account=ml"};
    CHECK(n == 7);
    for (int i = 0; i < n && i < 7; i++)
        CHECK_STR(argv[i], want[i]);
    for (int i = 0; i < n; i++)
        free(argv[i]);
    bench_job small = {.cpus = 1, .time_limit_s = 600};
    o = (bench_backend_opts){0};
    n = slurm_resource_args(argv, &o, &small, pick, 1);
    CHECK(n == 3);
    CHECK_STR(argv[0], "--array=0-0");
    CHECK_STR(argv[2], "--time=40"); /* 10 min + at least half an hour */
    for (int i = 0; i < n; i++)
        free(argv[i]);
}

static const char *const a_cmds[] = {
    "echo \"it's\" hello from task $SLURM_ARRAY_TASK_ID; exit 0", "exit 3", "kill -9 $$",
    "sleep 600"};

static bench_backend *start_a(fixture *a)
{
    fixture_init(a, "benchA", a_cmds, 4);
    a->jobs[0].comp_id = "stand-in\nexit 9"; /* must stay inside the script's comment */
    char *args[] = {"--time=1", NULL};
    bench_backend_opts o = opts_for(a);
    o.slurm_args = args;
    bench_backend *b = bench_backend_slurm.create(&o);
    int rc = bench_backend_slurm.start(b, a->jobs, 4);
    CHECK_MSG(rc == 0, "%s", err_last());
    char *tsv = path_join(a->state, "slurm-jobs.tsv");
    CHECK(count_lines(tsv, "task\t") == 4);
    free(tsv);
    return b;
}

static void finish_a(bench_backend *b, fixture *a)
{
    bench_job_status st[4];
    memset(st, 0, sizeof st);
    poll_until_over(b, st, 4, 150);
    CHECK(st[0].state == BENCH_JOB_DONE && st[0].exit_code == 0);
    CHECK(st[1].state == BENCH_JOB_DONE && st[1].exit_code == 3);
    CHECK_MSG(st[2].state == BENCH_JOB_DONE && st[2].exit_code == 137, "%d %d %s",
              st[2].state, st[2].exit_code, st[2].why);
    CHECK_MSG(st[3].state == BENCH_JOB_LOST && strstr(st[3].why, "TIMEOUT") == st[3].why,
              "%d %s", st[3].state, st[3].why);
    for (int i = 0; i < 4; i++)
        printf("A[%d]: state %d exit %d %s\n", i, st[i].state, st[i].exit_code, st[i].why);
    char *log;
    CHECK(file_read(a->logs[0], &log, NULL) == 0 && strstr(log, "it's hello from task 0"));
    free(log);
    bench_backend_slurm.destroy(b);
}

/* B: submit, crash, adopt, cancel */
static void test_adopt_cancel(void)
{
    static const char *const cmds[] = {"sleep 300", "sleep 301", "sleep 302"};
    fixture f;
    fixture_init(&f, "benchB", cmds, 3);
    bench_backend_opts o = opts_for(&f);
    o.parallel = 1;
    bench_backend *b = bench_backend_slurm.create(&o);
    CHECK_MSG(bench_backend_slurm.start(b, f.jobs, 3) == 0, "%s", err_last());
    bench_backend_slurm.destroy(b); /* no cancel: grove died */

    b = bench_backend_slurm.create(&o);
    CHECK_MSG(bench_backend_slurm.start(b, f.jobs, 3) == 0, "%s", err_last());
    char *tsv = path_join(f.state, "slurm-jobs.tsv");
    CHECK_MSG(count_lines(tsv, "array\t") == 1, "the adopted tasks were submitted again");
    bench_job_status st[3];
    memset(st, 0, sizeof st);
    CHECK(bench_backend_slurm.poll(b, st, 3) == 0);
    CHECK(!all_over(st, 3));
    bench_backend_slurm.cancel(b);
    poll_until_over(b, st, 3, 30);
    for (int i = 0; i < 3; i++)
        CHECK_MSG(st[i].state == BENCH_JOB_LOST && strstr(st[i].why, "CANCELLED") == st[i].why,
                  "B[%d]: %d %s", i, st[i].state, st[i].why);
    bench_backend_slurm.destroy(b);
    free(tsv);
    fixture_free(&f);
}

/* C: a backend that never started cancels the bench's arrays */
static void test_cancel_after_crash(void)
{
    static const char *const cmds[] = {"sleep 300"};
    fixture f;
    fixture_init(&f, "benchC", cmds, 1);
    bench_backend_opts o = opts_for(&f);
    bench_backend *b = bench_backend_slurm.create(&o);
    CHECK_MSG(bench_backend_slurm.start(b, f.jobs, 1) == 0, "%s", err_last());
    bench_backend_slurm.destroy(b);
    b = bench_backend_slurm.create(&o);
    bench_backend_slurm.cancel(b);
    bench_backend_slurm.destroy(b);
    /* a resumed backend finds nothing to adopt and the record says CANCELLED */
    slurm_state s;
    CHECK(slurm_state_load(&s, f.state) == 0 && s.n_arrays == 1);
    char id[32];
    snprintf(id, sizeof id, "%ld", s.n_arrays ? s.arrays[0] : 0);
    char *argv[] = {"squeue", "-h", "-t", "all", "-j", id, "-o", "%T", NULL};
    subproc_result r = {0};
    int cancelled = 0;
    for (int i = 0; i < 20 && !cancelled; i++, usleep(250 * 1000)) {
        subproc_result_free(&r);
        cancelled = slurm_cmd(&r, argv, 10) == 0 && strstr(r.out, "CANCELLED");
    }
    CHECK_MSG(cancelled, "squeue says '%s'", r.out ? r.out : "");
    subproc_result_free(&r);
    slurm_state_free(&s);
    fixture_free(&f);
}

static void test_no_gpus_here(void)
{
    static const char *const cmds[] = {"true"};
    fixture f;
    fixture_init(&f, "benchG", cmds, 1);
    f.jobs[0].n_gpus = 1;
    bench_backend_opts o = opts_for(&f);
    bench_backend *b = bench_backend_slurm.create(&o);
    CHECK(bench_backend_slurm.start(b, f.jobs, 1) == -1);
    CHECK_MSG(strstr(err_last(), "sbatch") && strstr(err_last(), "gres"), "%s", err_last());
    printf("--gres on a cluster without GPUs: %s\n", err_last());
    bench_backend_slurm.destroy(b);
    fixture_free(&f);
}

static void test_check_no_sbatch(void)
{
    bench_backend_opts o = {0}; /* as grove bench calls it: no bench folder yet */
    char *path = xstrdup(getenv("PATH"));
    setenv("PATH", "/nonexistent", 1);
    CHECK(bench_backend_slurm.check(&o) == -1);
    CHECK_MSG(strstr(err_last(), "'sbatch' not found on PATH") && strstr(err_last(), "--backend"),
              "%s", err_last());
    setenv("PATH", path, 1);
    free(path);
    o.partition = "two words";
    CHECK(bench_backend_slurm.check(&o) == -1);
    CHECK_MSG(strstr(err_last(), "--partition"), "%s", err_last());
}

static pid_t ctld_pid(void)
{
    char *path = path_join(cluster, "slurmctld.pid"), *text = NULL;
    pid_t p = file_read(path, &text, NULL) == 0 ? (pid_t)atoi(text) : 0;
    free(text);
    free(path);
    return p;
}

/* A frozen controller: check() and poll() give up at their deadline, and
 * poll() does not ask again at once. */
static void test_frozen_controller(bench_backend *a)
{
    bench_backend_opts o = {0};
    pid_t p = ctld_pid();
    CHECK(p > 0 && kill(p, SIGSTOP) == 0);
    double t0 = clock_mono();
    int rc = bench_backend_slurm.check(&o);
    double dt = clock_mono() - t0;
    CHECK(rc == -1 && strstr(err_last(), "does not answer"));
    CHECK_MSG(dt < 15, "check() took %.1f s", dt);
    printf("check() with a frozen controller: %.1f s: %s\n", dt, err_last());
    bench_job_status st[4];
    memset(st, 0, sizeof st);
    t0 = clock_mono();
    rc = bench_backend_slurm.poll(a, st, 4);
    double first = clock_mono() - t0;
    t0 = clock_mono();
    int rc2 = bench_backend_slurm.poll(a, st, 4);
    double second = clock_mono() - t0;
    kill(p, SIGCONT);
    printf("poll() with a frozen controller: %.1f s (rc %d), then %.3f s (rc %d)\n", first, rc,
           second, rc2);
    CHECK(first < 15 && second < 1.0);
}

static void test_stopped_controller(void)
{
    bench_backend_opts o = {0};
    stop_cluster();
    double t0 = clock_mono();
    CHECK(bench_backend_slurm.check(&o) == -1);
    CHECK_MSG(strstr(err_last(), "does not answer") && strstr(err_last(), "SLURM_CONF"), "%s",
              err_last());
    printf("check() with the controller stopped: %.1f s: %s\n", clock_mono() - t0, err_last());
}

int main(void)
{
    test_resource_args();
    test_check_no_sbatch();
    if (start_cluster() != 0) {
        fprintf(stderr, "test_bench_slurm: the Slurm cluster did not start (needs root and "
                        "scripts/setup's slurm-wlm + munge)\n");
        return 1;
    }
    bench_backend_opts o = {0};
    CHECK_MSG(bench_backend_slurm.check(&o) == 0, "%s", err_last());
    fixture a;
    bench_backend *b = start_a(&a);
    test_adopt_cancel();
    test_cancel_after_crash();
    test_no_gpus_here();
    test_frozen_controller(b);
    finish_a(b, &a);
    fixture_free(&a);
    printf("longest poll() on a healthy controller: %.3f s\n", max_poll_s);
    char *dir = xstrdup(cluster);
    test_stopped_controller();
    if (check_failures == 0) /* kept for a look when something failed */
        rm_rf(dir);
    free(dir);
    return check_done("bench_slurm");
}

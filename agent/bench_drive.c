/*
 * bench_drive.c: one session of a bench: every (competition, seed) run that
 * still needs work goes to the backend, and this loop watches it to the end.
 *
 * The runs decide nothing here: each is an ordinary `grove run` (or
 * `grove run --resume`) whose folder says what it needs (bench_plan.c). The
 * driver's only record is BENCH/jobs.json, how each job's last process
 * ended (exit code and the backend's why), which the report uses to name
 * the reason of a run that never finished. Losing it loses no run.
 *
 * A timer polls the backend once a second: each job that ended since is
 * recorded, its medal (if any) counted, and the progress line redrawn (live
 * at the bottom of a terminal through status_line.h, so warnings print above
 * it; a new line on each change otherwise; none with --quiet). SIGINT or
 * SIGTERM cancels every job through the backend; the runs stop with their
 * journals intact, so `grove bench --resume` continues them. At the end the
 * driver prints its own cost: the CPU this process used (the orchestration)
 * against the wall time.
 */
#include "bench_driver.h"
#include "config.h"
#include "status_line.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <unistd.h>

typedef struct drive {
    const bench_plan *p;
    const bench_backend_ops *ops;
    bench_backend *b;
    uv_loop_t *loop;
    int n;               /* jobs of this session */
    bench_job *jobs;
    int *index;          /* plan job of each */
    bench_job_status *st, *seen;
    int n_plan, kept, medals, ended, failed;
    int gold, silver, bronze;  /* the medals by kind */
    int interrupted, tty, quiet;
    status_line *status;       /* the live line on a terminal, else NULL */
    char last_line[200];
    double started;
    cJSON *record;       /* jobs.json */
    uv_timer_t tick;
    uv_signal_t sigint, sigterm;
} drive;

/* Count the run's medal (if any) by kind. */
static void count_medal(drive *d, const char *run_dir, const char *comp, int seed)
{
    cJSON *rep = bench_report_one(run_dir, comp, seed, NULL);
    d->medals += cJSON_IsTrue(cJSON_GetObjectItem(rep, "any_medal"));
    d->gold += cJSON_IsTrue(cJSON_GetObjectItem(rep, "gold_medal"));
    d->silver += cJSON_IsTrue(cJSON_GetObjectItem(rep, "silver_medal"));
    d->bronze += cJSON_IsTrue(cJSON_GetObjectItem(rep, "bronze_medal"));
    cJSON_Delete(rep);
}

static void save_record(drive *d)
{
    char *path = path_join(d->p->dir, "jobs.json");
    char *text = cJSON_Print(d->record);
    if (file_write_str(path, text) < 0)
        log_warn("%s", err_last());
    cJSON_free(text);
    free(path);
}

/* Job k of this session ended: record how, and count its medal. */
static void job_ended(drive *d, int k)
{
    const bench_job_status *s = &d->st[k];
    const bench_job *j = &d->jobs[k];
    cJSON *e = cJSON_CreateObject();
    cJSON_AddNumberToObject(e, "exit_code", s->exit_code);
    cJSON_AddStringToObject(e, "state", s->state == BENCH_JOB_LOST ? "lost" : "done");
    if (s->why[0])
        cJSON_AddStringToObject(e, "why", s->why);
    char at[32];
    clock_iso8601(at, sizeof at, clock_wall());
    cJSON_AddStringToObject(e, "ended_at", at);
    const char *name = strrchr(j->run_dir, '/') + 1;
    cJSON_DeleteItemFromObjectCaseSensitive(d->record, name);
    cJSON_AddItemToObject(d->record, name, e);
    save_record(d);
    d->ended++;
    if (bench_plan_need(d->p, d->index[k]) != BENCH_NEED_NOTHING)
        d->failed++;
    count_medal(d, j->run_dir, j->comp_id, j->seed);
}

static void progress_line(const drive *d, char *line, size_t n)
{
    int running = 0;
    for (int k = 0; k < d->n; k++)
        running += d->st[k].state == BENCH_JOB_RUNNING;
    char el[32];
    status_line_duration(el, sizeof el, clock_mono() - d->started);
    snprintf(line, n, "bench: %d/%d runs done, %d running, %d left | medals %d (gold %d, "
             "silver %d, bronze %d) | %s elapsed", d->kept + d->ended, d->n_plan, running,
             d->n - d->ended - running, d->medals, d->gold, d->silver, d->bronze, el);
}

static void render(void *data, int compact, sb *out)
{
    (void)compact;
    char line[200];
    progress_line(data, line, sizeof line);
    sb_puts(out, line);
}

/* The live line is redrawn by its own timer (the elapsed time moves); the
 * last one stays on the screen as a plain line. */
static void progress(drive *d, int final)
{
    char line[200];
    progress_line(d, line, sizeof line);
    if (d->tty && !final) {
        status_line_refresh(d->status);
        return;
    }
    status_line_stop(d->status);
    d->status = NULL;
    if (final || (!d->tty && !d->quiet && strncmp(line, d->last_line, strcspn(line, "|"))))
        printf("%s\n", line);
    snprintf(d->last_line, sizeof d->last_line, "%s", line);
    fflush(stdout);
}

static void on_closed(uv_handle_t *h)
{
    (void)h;
}

static void finish(drive *d)
{
    uv_timer_stop(&d->tick);
    uv_close((uv_handle_t *)&d->tick, on_closed);
    uv_close((uv_handle_t *)&d->sigint, on_closed);
    uv_close((uv_handle_t *)&d->sigterm, on_closed);
    d->ops->destroy(d->b);
    d->b = NULL;
}

static void on_tick(uv_timer_t *t)
{
    drive *d = t->data;
    if (d->ops->poll(d->b, d->st, d->n) < 0)
        log_warn("bench: %s (states kept as they were)", err_last());
    int live = 0;
    for (int k = 0; k < d->n; k++) {
        int over = d->st[k].state == BENCH_JOB_DONE || d->st[k].state == BENCH_JOB_LOST;
        if (over && d->seen[k].state != d->st[k].state)
            job_ended(d, k);
        live += !over;
        d->seen[k] = d->st[k];
    }
    progress(d, !live);
    if (!live)
        finish(d);
}

static void on_signal(uv_signal_t *s, int signum)
{
    drive *d = s->data;
    if (!d->interrupted)
        fprintf(stderr, "\ngrove bench: %s: stopping every run; `grove bench --resume %s` "
                "continues\n", signum == SIGINT ? "interrupted" : "terminated", d->p->dir);
    d->interrupted = signum;
    d->ops->cancel(d->b);
}

/* The jobs of this session: every plan job that needs work. */
static void plan_jobs(drive *d, const char *exe)
{
    d->n_plan = bench_plan_jobs(d->p);
    d->jobs = xcalloc((size_t)d->n_plan + 1, sizeof *d->jobs);
    d->index = xcalloc((size_t)d->n_plan + 1, sizeof *d->index);
    for (int i = 0; i < d->n_plan; i++) {
        bench_need need = bench_plan_need(d->p, i);
        char *run_dir = bench_plan_run_dir(d->p, i);
        int seed;
        const char *comp = bench_plan_comp(d->p, i, &seed);
        if (need == BENCH_NEED_NOTHING) {
            d->kept++;
            count_medal(d, run_dir, comp, seed);
            free(run_dir);
            continue;
        }
        if (need == BENCH_NEED_START)
            rm_rf(run_dir); /* a folder killed before its config.json holds nothing */
        bench_job *j = &d->jobs[d->n];
        d->index[d->n++] = i;
        j->comp_id = comp;
        j->seed = seed;
        j->run_dir = run_dir;
        j->log_path = bench_plan_log(d->p, i);
        j->argv = bench_plan_argv(d->p, i, need, exe);
        j->cpus = d->p->workers;
        j->time_limit_s = d->p->time_limit;
    }
}

static cJSON *load_record(const char *dir)
{
    char *path = path_join(dir, "jobs.json");
    char *text = NULL;
    cJSON *o = file_read(path, &text, NULL) == 0 ? cJSON_Parse(text) : NULL;
    free(text);
    free(path);
    return cJSON_IsObject(o) ? o : (cJSON_Delete(o), cJSON_CreateObject());
}

/* What the orchestration cost: this process's own CPU time against the wall
 * time (the runs' CPU is theirs: a run's scripts live in their own cgroups
 * and sessions, so getrusage's children figure would not see them). */
static void print_costs(const drive *d)
{
    struct rusage self;
    getrusage(RUSAGE_SELF, &self);
    double wall = clock_mono() - d->started;
    double me = (double)self.ru_utime.tv_sec + self.ru_utime.tv_usec / 1e6 +
                (double)self.ru_stime.tv_sec + self.ru_stime.tv_usec / 1e6;
    printf("bench: %d runs in %.1fs; orchestration %.3fs CPU (%.3f%% of the wall time)\n", d->n,
           wall, me, wall > 0 ? 100 * me / wall : 0);
}

static void free_drive(drive *d)
{
    for (int k = 0; k < d->n; k++) {
        free((char *)d->jobs[k].run_dir);
        free((char *)d->jobs[k].log_path);
        bench_argv_free((char **)d->jobs[k].argv);
    }
    free(d->jobs);
    free(d->index);
    free(d->st);
    free(d->seen);
    cJSON_Delete(d->record);
}

static int make_folders(const bench_plan *p)
{
    static const char *const sub[] = {"runs", "logs", "backend"};
    for (size_t i = 0; i < 3; i++) {
        char *dir = path_join(p->dir, sub[i]);
        int rc = mkdir_p(dir, 0755);
        free(dir);
        if (rc < 0)
            return -1;
    }
    return 0;
}

/* `grove bench ... --quiet` passes --quiet to its runs and quiets its own
 * line too. */
static int wants_quiet(const bench_plan *p)
{
    for (int i = 0; i < p->n_run_args; i++)
        if (!strcmp(p->run_args[i], "--quiet"))
            return 1;
    return 0;
}

/* One driver per bench folder: a second `grove bench --resume` would start
 * the same runs again, and clear folders the first is making. The flock
 * goes with the process, however it ends. */
static int lock_bench(const bench_plan *p)
{
    char *path = path_join(p->dir, ".bench.lock");
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    int rc = fd;
    if (fd < 0)
        rc = err_set("%s: %s", path, strerror(errno));
    else if (flock(fd, LOCK_EX | LOCK_NB) < 0)
        rc = err_set("another grove bench is driving %s (wait for it, or stop it first)", p->dir);
    if (rc < 0 && fd >= 0)
        close(fd);
    free(path);
    return rc;
}

int bench_drive(const bench_plan *p, const bench_backend_ops *ops, bench_backend_opts *o)
{
    char exe[4096];
    ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (len <= 0)
        return err_set("bench: cannot find grove's own binary (/proc/self/exe)"), 1;
    exe[len] = 0;
    int lock = make_folders(p) < 0 ? -1 : lock_bench(p);
    if (lock < 0)
        return fprintf(stderr, "grove bench: %s\n", err_last()), 1;
    drive d;
    memset(&d, 0, sizeof d);
    d.p = p;
    d.ops = ops;
    d.loop = o->loop;
    d.started = clock_mono();
    d.quiet = wants_quiet(p);
    d.tty = !d.quiet && status_line_is_live();
    d.record = load_record(p->dir);
    plan_jobs(&d, exe);
    d.st = xcalloc((size_t)d.n + 1, sizeof *d.st);
    d.seen = xcalloc((size_t)d.n + 1, sizeof *d.seen);
    printf("grove bench: %s: %d competitions x %d seeds = %d runs; %d finished already, %d to "
           "run (%s backend)\n", p->dir, p->n_comps, p->seeds, d.n_plan, d.kept, d.n, ops->name);
    int rc = 0;
    if (d.n && (!(d.b = ops->create(o)) || ops->start(d.b, d.jobs, d.n) < 0)) {
        fprintf(stderr, "grove bench: %s\n", err_last());
        if (d.b)
            ops->destroy(d.b);
        rc = 1;
    } else if (d.n && o->detach) {
        /* the jobs live in the backend's queue (Slurm) without grove */
        printf("grove bench: %d runs submitted; `grove bench --resume %s` watches them to the "
               "end\n", d.n, p->dir);
        ops->destroy(d.b);
    } else if (d.n) {
        uv_timer_init(d.loop, &d.tick);
        uv_signal_init(d.loop, &d.sigint);
        uv_signal_init(d.loop, &d.sigterm);
        d.tick.data = d.sigint.data = d.sigterm.data = &d;
        uv_signal_start(&d.sigint, on_signal, SIGINT);
        uv_signal_start(&d.sigterm, on_signal, SIGTERM);
        uv_timer_start(&d.tick, on_tick, 200, 1000);
        if (d.tty)
            d.status = status_line_start(d.loop, 0, 1, 0, render, &d);
        uv_run(d.loop, UV_RUN_DEFAULT);
        status_line_stop(d.status); /* a way out that drew no final line */
        d.status = NULL;
        print_costs(&d);
        rc = d.interrupted ? 128 + d.interrupted : d.failed ? 1 : 0;
    }
    uv_run(d.loop, UV_RUN_DEFAULT); /* the backend's closing handles */
    free_drive(&d);
    close(lock);
    return rc;
}

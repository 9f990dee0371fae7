/*
 * report_live.c: the page a `grove run` keeps in its run folder.
 *
 * After each committed node (at most every REPORT_LIVE_INTERVAL_S seconds)
 * and once at the end, the run writes status.json, what only the running
 * process knows (its state, why it stopped, what is in flight, this
 * session's LLM totals), then report.html from the folder, as
 * `grove report RUN --html` would. The page's own modification time says
 * when it was last written, the last writer's CPU time how long to wait
 * (too_soon). A SIGKILL
 * leaves status.json saying "running" with no lock held, which the page
 * shows as a killed run.
 *
 * The page holds every node's script, plan and output, read back from the
 * journal: at 10,000 nodes that is tens of megabytes built and dropped at
 * each refresh. A child process writes it (fork, then report_html_run), so
 * the run's own process neither waits for it nor keeps the high-water mark
 * of its memory; one writer at a time, reaped with wait4 for what it cost,
 * which status.json reports ("page_writer") and the interval follows.
 * The child holds no lock (it closes its copy of the run's lock, so a kill
 * of grove frees the run at once), dies with grove, and leaves grove's
 * signals to grove. The final page is written the same way, waited for.
 */
#include "report_html.h"
#include "report_int.h"
#include "run.h"
#include "util.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static int write_status(const run_ctx *r, int final)
{
    cJSON *st = cJSON_CreateObject();
    double now = clock_wall();
    cJSON_AddStringToObject(st, "state", final ? "finished" : "running");
    if (r->stop_reason)
        cJSON_AddStringToObject(st, "stop_reason", r->stop_reason);
    cJSON_AddNumberToObject(st, "exit_code", r->exit_code);
    cJSON_AddNumberToObject(st, "pid", (double)getpid());
    cJSON_AddNumberToObject(st, "updated_at", now);
    cJSON_AddNumberToObject(st, "session_started_at", now - (clock_mono() - r->started));
    cJSON_AddBoolToObject(st, "resumed", r->resumed);
    cJSON_AddNumberToObject(st, "steps", r->steps);
    cJSON_AddNumberToObject(st, "workers", r->workers);
    cJSON_AddNumberToObject(st, "time_limit_s", r->time_limit);
    cJSON_AddNumberToObject(st, "time_left_s", run_total_left(r));
    cJSON_AddItemToObject(st, "inflight", inflight_list(r));
    cJSON *llm = cJSON_AddObjectToObject(st, "llm");
    cJSON_AddNumberToObject(llm, "requests", (double)r->n_requests);
    cJSON_AddNumberToObject(llm, "input_tokens", (double)r->spent.input_tokens);
    cJSON_AddNumberToObject(llm, "output_tokens", (double)r->spent.output_tokens);
    cJSON_AddNumberToObject(llm, "cached_tokens", (double)r->spent.cached_tokens);
    if (r->spent.cost_known)
        cJSON_AddNumberToObject(llm, "cost_usd", r->spent.cost_usd);
    else
        cJSON_AddNullToObject(llm, "cost_usd");
    cJSON *pw = cJSON_AddObjectToObject(st, "page_writer");
    cJSON_AddNumberToObject(pw, "pages", r->page_writes);
    cJSON_AddNumberToObject(pw, "cpu_s", r->page_cpu_s);
    cJSON_AddNumberToObject(pw, "max_rss_mb", r->page_max_rss_kb / 1024.0);
    return json_file_save(r->run_dir, "status.json", st);
}

static double mtime(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (double)st.st_mtim.tv_sec + st.st_mtim.tv_nsec * 1e-9 : -1;
}

/* 1 when the page was written too recently to write it again: within
 * REPORT_LIVE_INTERVAL_S, or within 100 times the CPU time the last writer
 * took, which keeps a large run's pages under about 1% of a CPU. CPU time,
 * not the writer's wall time: on a loaded machine the wall time stretches
 * with the load, and the page would go stale for it. */
static int too_soon(const run_ctx *r, const char *page)
{
    double page_t = mtime(page);
    if (page_t < 0)
        return 0;
    double took = r->page_last_cpu_s;
    double interval = took * 100 > REPORT_LIVE_INTERVAL_S ? took * 100 : REPORT_LIVE_INTERVAL_S;
    return clock_wall() - page_t < interval;
}

/* Collect the page writer when it has ended (block: wait for it): its CPU
 * time and peak memory into r, a warning when it failed. 1 while it runs. */
static int reap_writer(run_ctx *r, int block)
{
    if (r->page_pid <= 0)
        return 0;
    int status = 0;
    struct rusage ru;
    pid_t p;
    do
        p = wait4(r->page_pid, &status, block ? 0 : WNOHANG, &ru);
    while (p < 0 && errno == EINTR);
    if (p == 0)
        return 1;
    r->page_pid = 0;
    if (p < 0)
        return 0;
    r->page_writes++;
    r->page_last_cpu_s = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec * 1e-6 + ru.ru_stime.tv_sec +
                         ru.ru_stime.tv_usec * 1e-6;
    r->page_cpu_s += r->page_last_cpu_s;
    if (ru.ru_maxrss > r->page_max_rss_kb)
        r->page_max_rss_kb = ru.ru_maxrss;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        log_warn("report: the page writer (pid %d) failed; %s is not up to date", (int)p,
                 "report.html");
    return 0;
}

/* In the page writer: let go of what is grove's, then write the page.
 * page is this process's copy of the caller's string, freed here: a
 * _Noreturn function need not keep the caller's registers, so nothing else
 * may still point to it at _exit (valgrind counted it as lost). */
static _Noreturn void writer_main(const run_ctx *r, char *page, pid_t grove)
{
    /* grove's handlers would report a Ctrl-C to grove's loop a second time */
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    signal(SIGCHLD, SIG_DFL);
    if (r->lock_fd >= 0)
        close(r->lock_fd);
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != grove) {
        free(page);
        _exit(1);
    }
    int rc = report_html_run(r->run_dir, page);
    if (rc < 0)
        log_warn("report: %s", err_last());
    free(page);
    _exit(rc < 0 ? 1 : 0); /* not exit(): grove's stdio buffers are grove's to flush */
}

/* Start the page writer (final: and wait for it); in this process when no
 * child can be made. */
static void write_page(run_ctx *r, char *page, int final)
{
    pid_t grove = getpid();
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0)
        writer_main(r, page, grove);
    if (pid < 0) {
        if (report_html_run(r->run_dir, page) < 0)
            log_warn("report: %s", err_last());
        return;
    }
    r->page_pid = pid;
    if (final)
        reap_writer(r, 1);
}

void report_live_update(run_ctx *r, int final)
{
    if (reap_writer(r, final) && !final)
        return; /* the last page is still being written */
    char *page = path_join(r->run_dir, "report.html");
    if (final || !too_soon(r, page)) {
        if (write_status(r, final) < 0)
            log_warn("report: %s", err_last());
        else
            write_page(r, page, final);
        if (final && file_exists(page))
            printf("report: %s\n", page);
    }
    free(page);
}

/*
 * report_live.c: the page a `grove run` keeps in its run folder.
 *
 * After each committed node (at most every REPORT_LIVE_INTERVAL_S seconds)
 * and once at the end, the run writes status.json, what only the running
 * process knows (its state, why it stopped, what is in flight, this
 * session's LLM totals), then report.html from the folder, as
 * `grove report RUN --html` would. The interval is kept without state: the
 * page's own modification time says when it was last written (too_soon). A SIGKILL
 * leaves status.json saying "running" with no lock held, which the page
 * shows as a killed run.
 */
#include "report_html.h"
#include "report_int.h"
#include "run.h"
#include "util.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static cJSON *inflight(const run_ctx *r)
{
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = 0; i < search_tree_count(r->tree); i++) {
        const search_node *n = search_tree_at(r->tree, i);
        if (n->state == NODE_DONE)
            continue;
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "id", n->id);
        cJSON_AddStringToObject(o, "stage", search_stage_name(n->stage));
        if (n->parent >= 0)
            cJSON_AddNumberToObject(o, "parent", n->parent);
        else
            cJSON_AddNullToObject(o, "parent");
        cJSON_AddNumberToObject(o, "created_at", n->created_at);
        cJSON_AddItemToArray(arr, o);
    }
    return arr;
}

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
    cJSON_AddItemToObject(st, "inflight", inflight(r));
    cJSON *llm = cJSON_AddObjectToObject(st, "llm");
    cJSON_AddNumberToObject(llm, "requests", (double)r->n_requests);
    cJSON_AddNumberToObject(llm, "input_tokens", (double)r->spent.input_tokens);
    cJSON_AddNumberToObject(llm, "output_tokens", (double)r->spent.output_tokens);
    cJSON_AddNumberToObject(llm, "cached_tokens", (double)r->spent.cached_tokens);
    if (r->spent.cost_known)
        cJSON_AddNumberToObject(llm, "cost_usd", r->spent.cost_usd);
    else
        cJSON_AddNullToObject(llm, "cost_usd");
    char *text = cJSON_Print(st);
    cJSON_Delete(st);
    char *path = path_join(r->run_dir, "status.json");
    int rc = file_write_str(path, text);
    free(path);
    cJSON_free(text);
    return rc;
}

static double mtime(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (double)st.st_mtim.tv_sec + st.st_mtim.tv_nsec * 1e-9 : -1;
}

/* 1 when the page was written too recently to write it again: within
 * REPORT_LIVE_INTERVAL_S, or within 20 times what writing it took last time
 * (status.json is written just before the page, so the gap between their
 * modification times is that), which keeps a large run's refreshes under
 * about 5% of the loop's time. */
static int too_soon(const char *page, const char *status)
{
    double page_t = mtime(page), status_t = mtime(status);
    if (page_t < 0)
        return 0;
    double took = status_t >= 0 && page_t >= status_t ? page_t - status_t : 0;
    double interval = took * 20 > REPORT_LIVE_INTERVAL_S ? took * 20 : REPORT_LIVE_INTERVAL_S;
    return clock_wall() - page_t < interval;
}

void report_live_update(run_ctx *r, int final)
{
    char *page = path_join(r->run_dir, "report.html");
    char *status = path_join(r->run_dir, "status.json");
    if (final || !too_soon(page, status)) {
        if (write_status(r, final) < 0 || report_html_run(r->run_dir, page) < 0)
            log_warn("report: %s", err_last());
        else if (final)
            printf("report: %s\n", page);
    }
    free(status);
    free(page);
}

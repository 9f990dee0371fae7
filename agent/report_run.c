/*
 * report_run.c: the data of a run's page, gathered from the run folder and
 * its git repository only, so it works for a finished, a running and a
 * killed run alike:
 *
 *   config.json (task commit)  the run's configuration
 *   node/<id> commits          node.json as written (every field, those a
 *                              later grove adds included), solution.py,
 *                              plan.md, output.txt, review.md
 *   refs/heads/best            the best node
 *   status.json                what the run said last (report_live.c):
 *                              running or finished, why it stopped, in flight
 *   .grove.lock                held while a grove works on the run: read from
 *                              /proc/locks, never taken, so a report cannot
 *                              keep a run from starting
 *   inflight.json              nodes started and not committed
 *   best/                      the final submission's code and grade.json
 *   final/<id>/                nodes re-run on the full data at the end
 *   finished.json              written by a run as its last act (grove bench)
 *   selection.json             the final selection: finalists with search and
 *                              hidden-holdout scores, the pick and why
 *   analysis.json              the selection analysis, where a run made one:
 *                              the K best nodes by search score graded on the
 *                              test answers, the oracle and the regret
 *
 * The state shown: "running" while the lock is held (but for the run's own
 * last page, which it writes before letting go); "finished" when the last
 * status says so; "killed" when it says running but nobody holds the
 * lock (a SIGKILL, a crash, a power cut); "stopped" when there is no status.
 */
#include "report_int.h"
#include "journal.h"
#include "util.h"

#include <dirent.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

typedef struct gather {
    report_pool *pool;
    sb nodes;         /* the nodes' JSON array, as text */
    report_facts *facts; /* or NULL */
    char *final_code; /* best/solution.py, to find the node it came from */
    int final_node;
} gather;

void report_facts_free(report_facts *f)
{
    free(f->nodes);
    f->nodes = NULL;
    f->n = 0;
}

static void add_fact(report_facts *f, const cJSON *nj)
{
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(nj, "id");
    const cJSON *score = cJSON_GetObjectItemCaseSensitive(nj, "score");
    if (!cJSON_IsNumber(id))
        return;
    f->nodes = xrealloc(f->nodes, (size_t)(f->n + 1) * sizeof *f->nodes);
    f->nodes[f->n++] = (report_node_fact){
        id->valueint, cJSON_IsNumber(score) ? score->valuedouble : NAN,
        cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(nj, "is_buggy"))};
}

static int add_node(const cJSON *nj, const journal_node_files *f, void *data)
{
    gather *g = data;
    cJSON *o = cJSON_Duplicate(nj, 1);
    cJSON_AddItemToObject(o, "code", report_pool_text(g->pool, f->solution));
    cJSON_AddItemToObject(o, "plan", report_pool_text(g->pool, f->plan));
    cJSON_AddItemToObject(o, "output", report_pool_text(g->pool, f->output));
    cJSON_AddItemToObject(o, "review", report_pool_text(g->pool, f->review));
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(nj, "id");
    if (g->final_code && f->solution && g->final_node < 0 && cJSON_IsNumber(id) &&
        strcmp(g->final_code, f->solution) == 0)
        g->final_node = id->valueint;
    if (g->facts)
        add_fact(g->facts, nj);
    char *text = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    if (!text)
        return err_set("report: out of memory printing a node");
    sb_puts(&g->nodes, g->nodes.len > 1 ? "," : "");
    sb_puts(&g->nodes, text);
    cJSON_free(text);
    return 0;
}

/* 1 when some process holds a lock on `path` (per /proc/locks). */
static int lock_held(const char *path)
{
    struct stat st;
    FILE *f = fopen("/proc/locks", "r");
    int held = 0;
    if (f && stat(path, &st) == 0) {
        char line[256];
        while (!held && fgets(line, sizeof line, f)) {
            unsigned maj, min;
            unsigned long ino;
            char kind[16];
            /* "1: FLOCK  ADVISORY  WRITE 1234 fd:01:5678 0 EOF"; waiters
             * ("1: -> FLOCK ...") hold nothing */
            if (sscanf(line, "%*d: %15s %*s %*s %*d %x:%x:%lu", kind, &maj, &min, &ino) == 4 &&
                strcmp(kind, "->") != 0 && ino == (unsigned long)st.st_ino &&
                maj == major(st.st_dev) && min == minor(st.st_dev))
                held = 1;
        }
    }
    if (f)
        fclose(f);
    return held;
}

static cJSON *status_of(const char *run_dir)
{
    char *path = path_join(run_dir, "status.json");
    cJSON *st = report_read_json(path);
    free(path);
    if (!cJSON_IsObject(st)) {
        cJSON_Delete(st);
        st = cJSON_CreateObject();
    }
    const cJSON *said = cJSON_GetObjectItemCaseSensitive(st, "state");
    const char *last = cJSON_IsString(said) ? said->valuestring : NULL;
    char *lock = path_join(run_dir, ".grove.lock");
    char *finished = path_join(run_dir, "finished.json");
    /* the run writes its last page itself, still holding its lock, through
     * a child process (report_live.c): the run is this process or its parent */
    const cJSON *pid = cJSON_GetObjectItemCaseSensitive(st, "pid");
    int own_end = last && strcmp(last, "finished") == 0 && cJSON_IsNumber(pid) &&
                  ((pid_t)pid->valuedouble == getpid() || (pid_t)pid->valuedouble == getppid());
    const char *state;
    if (!own_end && lock_held(lock))
        state = "running";
    else if ((last && strcmp(last, "finished") == 0) || file_exists(finished))
        state = "finished";
    else if (last)
        state = "killed";
    else
        state = "stopped";
    free(lock);
    free(finished);
    cJSON_DeleteItemFromObjectCaseSensitive(st, "recorded_state");
    cJSON_AddStringToObject(st, "recorded_state", last ? last : "none");
    cJSON_DeleteItemFromObjectCaseSensitive(st, "state");
    cJSON_AddStringToObject(st, "state", state);
    char *inflight = path_join(run_dir, "inflight.json");
    cJSON *in = report_read_json(inflight);
    free(inflight);
    cJSON_AddItemToObject(st, "inflight_file", in ? in : cJSON_CreateArray());
    return st;
}

static int cmp_int(const void *a, const void *b)
{
    return *(const int *)a - *(const int *)b;
}

/* Ids of the nodes re-run on the full data (final/<id>/), ascending. */
static cJSON *reruns(const char *run_dir)
{
    char *path = path_join(run_dir, "final");
    DIR *d = opendir(path);
    free(path);
    int ids[256], n = 0;
    for (struct dirent *e; d && n < 256 && (e = readdir(d));) {
        char *end;
        long id = strtol(e->d_name, &end, 10);
        if (e->d_name[0] >= '0' && e->d_name[0] <= '9' && !*end)
            ids[n++] = (int)id;
    }
    if (d)
        closedir(d);
    qsort(ids, (size_t)n, sizeof *ids, cmp_int);
    return cJSON_CreateIntArray(ids, n);
}

static cJSON *task_config(journal *j)
{
    char *text = NULL;
    if (journal_read_file(j, -1, "config.json", &text) < 0)
        return NULL;
    cJSON *cfg = cJSON_Parse(text);
    free(text);
    return cJSON_IsObject(cfg) ? cfg : (cJSON_Delete(cfg), NULL);
}

cJSON *report_run_data(const char *run_dir, report_pool *pool, report_facts *facts)
{
    journal *j = NULL;
    if (journal_open_read(&j, run_dir) < 0) {
        err_prefix("%s is not a grove run folder", run_dir);
        return NULL;
    }
    cJSON *cfg = task_config(j);
    if (!cfg) {
        journal_free(j);
        err_set("%s: the task commit has no readable config.json (is it a grove run folder?)",
                run_dir);
        return NULL;
    }
    cJSON *data = cJSON_CreateObject();
    char *abs = path_real(run_dir);
    cJSON_AddStringToObject(data, "run_dir", abs ? abs : run_dir);
    cJSON_AddStringToObject(data, "name", report_base_name(abs ? abs : run_dir));
    cJSON_AddItemToObject(data, "config", cfg);
    cJSON_AddItemToObject(data, "status", status_of(run_dir));

    gather g = {pool, {0}, facts, NULL, -1};
    sb_puts(&g.nodes, "[");
    char *best_dir = path_join(run_dir, "best");
    char *sol = path_join(best_dir, "solution.py");
    file_read(sol, &g.final_code, NULL);
    int rc = journal_load(j, add_node, &g);
    sb_puts(&g.nodes, "]");
    cJSON_AddItemToObject(data, "nodes", cJSON_CreateRaw(sb_str(&g.nodes)));
    sb_free(&g.nodes);
    if (rc < 0) {
        /* said now: the optional files read below would overwrite why */
        err_prefix("%s", run_dir);
        free(g.final_code);
        free(sol);
        free(best_dir);
        free(abs);
        journal_free(j);
        cJSON_Delete(data);
        return NULL;
    }
    int best;
    if (journal_best_id(j, &best) == 0)
        cJSON_AddNumberToObject(data, "best", best);
    else
        cJSON_AddNullToObject(data, "best");

    cJSON *fin = cJSON_AddObjectToObject(data, "final");
    if (g.final_node >= 0)
        cJSON_AddNumberToObject(fin, "node", g.final_node);
    char *grade_path = path_join(best_dir, "grade.json");
    cJSON *grade = report_read_json(grade_path);
    if (grade)
        cJSON_AddItemToObject(fin, "grade", grade);
    cJSON_AddItemToObject(fin, "reruns", reruns(run_dir));
    static const struct { const char *file, *key; } extra[] = {
        {"analysis.json", "analysis"}, {"finished.json", "finished"},
        {"selection.json", "selection"}};
    for (size_t i = 0; i < sizeof extra / sizeof *extra; i++) {
        char *path = path_join(run_dir, extra[i].file);
        cJSON *o = report_read_json(path);
        free(path);
        if (o)
            cJSON_AddItemToObject(data, extra[i].key, o);
    }
    cJSON_AddNumberToObject(data, "generated_at", clock_wall());
    cJSON_AddStringToObject(data, "grove_version", GROVE_VERSION);
    free(grade_path);
    free(g.final_code);
    free(sol);
    free(best_dir);
    free(abs);
    journal_free(j);
    return data;
}

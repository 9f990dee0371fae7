/*
 * node_io.c: a node's files in the journal (node.json, the commit subject),
 * the exported views journal.jsonl and journal.json, and the in-flight list
 * used by --resume.
 *
 * node.json carries everything needed to rebuild the search tree, so a run
 * can be resumed from the git repository alone; times are kept both as epoch
 * seconds (exact) and ISO 8601 (for people).
 *
 * The views are for people and tools; the git refs are the journal. A
 * finished node adds one line to journal.jsonl (what changed, nothing
 * more), so a node costs the same at 10,000 nodes as at 10. journal.json,
 * the whole tree in one file, is rewritten only when the count of finished
 * nodes doubles and at the end of each session; a resume rewrites both from
 * the refs, so a kill between a commit and its line loses nothing.
 */
#include "run.h"
#include "util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* cJSON prints a number with 15 digits whenever that reads back within an
 * epsilon of it, so a score could come back from node.json one ulp off
 * after a resume (and rank differently against a near tie). The shortest
 * of 15, 16 or 17 digits that reads back exactly is written instead. */
static void add_num_or_null(cJSON *o, const char *k, int present, double v)
{
    if (!(present && isfinite(v))) {
        cJSON_AddNullToObject(o, k);
        return;
    }
    char buf[32];
    for (int digits = 15; digits <= 17; digits++) {
        snprintf(buf, sizeof buf, "%.*g", digits, v);
        if (strtod(buf, NULL) == v)
            break;
    }
    cJSON_AddRawToObject(o, k, buf);
}

static void add_time(cJSON *o, const char *k, double t)
{
    char iso[32], key[64];
    add_num_or_null(o, k, t > 0, t);
    snprintf(key, sizeof key, "%s_iso", k);
    if (t > 0) {
        clock_iso8601(iso, sizeof iso, t);
        cJSON_AddStringToObject(o, key, iso);
    }
}

static cJSON *node_json_obj(const search_node *n, const char *model)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "id", n->id);
    cJSON_AddNumberToObject(o, "step", n->step);
    cJSON_AddStringToObject(o, "stage", search_stage_name(n->stage));
    add_num_or_null(o, "parent", n->parent >= 0, n->parent);
    if (n->parent2 >= 0)
        cJSON_AddNumberToObject(o, "parent2", n->parent2);
    if (n->n_members > 0) {
        cJSON_AddItemToObject(o, "members", cJSON_CreateIntArray(n->members, n->n_members));
        cJSON_AddItemToObject(o, "weights", cJSON_CreateDoubleArray(n->weights, n->n_members));
    }
    add_num_or_null(o, "score", n->has_score, n->score);
    add_num_or_null(o, "self_score", n->has_self_score, n->self_score);
    cJSON_AddBoolToObject(o, "is_buggy", n->is_buggy);
    if (n->bug_reason)
        cJSON_AddStringToObject(o, "bug_reason", n->bug_reason);
    if (n->exc_type)
        cJSON_AddStringToObject(o, "exception", n->exc_type);
    if (n->summary)
        cJSON_AddStringToObject(o, "summary", n->summary);
    cJSON_AddNumberToObject(o, "debug_depth", n->debug_depth);
    add_num_or_null(o, "exec_time", 1, n->exec_time);
    if (model)
        cJSON_AddStringToObject(o, "model", model);
    cJSON_AddNumberToObject(o, "tokens_in", (double)n->tokens_in);
    cJSON_AddNumberToObject(o, "tokens_out", (double)n->tokens_out);
    add_num_or_null(o, "cost", n->cost_known, n->cost);
    add_time(o, "created_at", n->created_at);
    add_time(o, "started_at", n->started_at);
    add_time(o, "finished_at", n->finished_at);
    return o;
}

char *node_to_json(const search_node *n, const char *model)
{
    cJSON *o = node_json_obj(n, model);
    char *s = utf8_fix(cJSON_Print(o));
    cJSON_Delete(o);
    char *out = xasprintf("%s\n", s);
    cJSON_free(s);
    return out;
}

static double num(const cJSON *j, const char *k, int *present)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, k);
    if (present)
        *present = cJSON_IsNumber(v);
    return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

static const char *str(const cJSON *j, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, k);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* An ensemble's "members" and "weights": two arrays of numbers, as long. */
static int members_from_json(search_tree *t, int id, const cJSON *j)
{
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(j, "members");
    const cJSON *w = cJSON_GetObjectItemCaseSensitive(j, "weights");
    int n = cJSON_IsArray(m) && cJSON_IsArray(w) ? cJSON_GetArraySize(m) : 0;
    if (n < 1 || cJSON_GetArraySize(w) != n)
        return err_set("node.json: an ensemble needs 'members' and 'weights', two arrays of "
                       "the same length");
    int *ids = xcalloc((size_t)n, sizeof *ids);
    double *ws = xcalloc((size_t)n, sizeof *ws);
    for (int i = 0; i < n; i++) {
        const cJSON *a = cJSON_GetArrayItem(m, i), *b = cJSON_GetArrayItem(w, i);
        ids[i] = cJSON_IsNumber(a) ? a->valueint : -1;
        ws[i] = cJSON_IsNumber(b) ? b->valuedouble : -1;
    }
    int rc = search_tree_set_members(t, id, ids, ws, n);
    free(ids);
    free(ws);
    return rc;
}

int node_from_json(search_tree *t, const cJSON *j, const char *code, const char *plan,
                   const char *output)
{
    int has_id, has_parent;
    double id = num(j, "id", &has_id);
    double parent = num(j, "parent", &has_parent);
    search_stage stage;
    const char *sname = str(j, "stage");
    if (!has_id || !sname || search_stage_parse(sname, &stage) < 0)
        return err_set("node.json: missing or invalid 'id' or 'stage'");
    int has_parent2;
    double parent2 = num(j, "parent2", &has_parent2);
    if (search_tree_add_with_id(t, (int)id, stage, has_parent ? (int)parent : -1) < 0 ||
        search_tree_set_parent2(t, (int)id, has_parent2 ? (int)parent2 : -1) < 0)
        return err_prefix("node %d", (int)id);
    if (stage == STAGE_ENSEMBLE && members_from_json(t, (int)id, j) < 0)
        return err_prefix("node %d", (int)id);
    search_node *n = search_tree_node(t, (int)id);
    n->step = (int)num(j, "step", NULL);
    search_node_set(&n->code, code);
    search_node_set(&n->plan, plan);
    search_node_set(&n->output, output);
    search_node_set(&n->summary, str(j, "summary"));
    search_node_set(&n->exc_type, str(j, "exception"));
    n->self_score = num(j, "self_score", &n->has_self_score);
    n->exec_time = num(j, "exec_time", NULL);
    n->tokens_in = (long)num(j, "tokens_in", NULL);
    n->tokens_out = (long)num(j, "tokens_out", NULL);
    n->cost = num(j, "cost", &n->cost_known);
    n->created_at = num(j, "created_at", NULL);
    n->started_at = num(j, "started_at", NULL);
    int has_score;
    double score = num(j, "score", &has_score);
    const cJSON *buggy = cJSON_GetObjectItemCaseSensitive(j, "is_buggy");
    search_node_finish(t, (int)id, cJSON_IsTrue(buggy), str(j, "bug_reason"), has_score, score,
                       num(j, "finished_at", NULL));
    return 0;
}

char *node_subject(const search_node *n, const char *score_label)
{
    sb s = {0};
    sb_printf(&s, "%s %d", search_stage_name(n->stage), n->id);
    if (n->parent >= 0)
        sb_printf(&s, "<-%d", n->parent);
    if (n->parent2 >= 0)
        sb_printf(&s, "+%d", n->parent2);
    char *summary = search_plan_summary(n->plan ? n->plan : "", 60);
    sb_printf(&s, ": %s | ", *summary ? summary : "(no plan)");
    free(summary);
    if (n->is_buggy)
        sb_printf(&s, "buggy: %s", n->bug_reason ? n->bug_reason : "failed");
    else if (n->has_score)
        sb_printf(&s, "%s %.4f", score_label, n->score);
    else
        sb_puts(&s, "no score");
    /* a subject is one line */
    for (char *p = s.buf; p && *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
    if (s.len > 200) {
        s.len = 197;
        while (s.len && (s.buf[s.len] & 0xC0) == 0x80)
            s.len--;
        s.buf[s.len] = 0;
        sb_puts(&s, "...");
    }
    return sb_steal(&s);
}

/* A node as journal.json and journal.jsonl list it: node.json's fields,
 * its plan and code, and (with_children) its children's ids. */
static cJSON *node_export_obj(const search_node *n, int with_children)
{
    cJSON *o = node_json_obj(n, NULL);
    cJSON_AddStringToObject(o, "plan", n->plan ? n->plan : "");
    cJSON_AddStringToObject(o, "code", n->code ? n->code : "");
    if (with_children) {
        cJSON *kids = cJSON_AddArrayToObject(o, "children");
        for (int k = 0; k < n->n_children; k++)
            cJSON_AddItemToArray(kids, cJSON_CreateNumber(n->children[k]));
    }
    return o;
}

int node_export_journal(const search_tree *t, const char *run_dir)
{
    /* Printed a node at a time into one buffer: a cJSON tree of every node
     * and its printed copy at once were several times the file's size at
     * the top of the run's memory. */
    int best = search_tree_best(t);
    sb out = {0};
    sb_printf(&out, "{\n\t\"lower_is_better\":\t%s,\n\t\"best\":\t",
              search_tree_lower_is_better(t) ? "true" : "false");
    if (best >= 0)
        sb_printf(&out, "%d", best);
    else
        sb_puts(&out, "null");
    sb_puts(&out, ",\n\t\"nodes\":\t[");
    int first = 1;
    for (size_t i = 0; i < search_tree_count(t); i++) {
        const search_node *n = search_tree_at(t, i);
        if (n->state != NODE_DONE)
            continue;
        cJSON *o = node_export_obj(n, 1);
        char *text = utf8_fix(cJSON_Print(o));
        cJSON_Delete(o);
        sb_puts(&out, first ? "\n" : ",\n");
        sb_puts(&out, text);
        cJSON_free(text);
        first = 0;
    }
    sb_puts(&out, "]\n}\n");
    char *path = path_join(run_dir, "journal.json");
    int rc = file_write(path, out.buf, out.len);
    free(path);
    sb_free(&out);
    return rc;
}

/* One line of journal.jsonl (caller frees): the node without its children,
 * which come later and are found through their "parent". */
static char *jsonl_line(const search_node *n)
{
    cJSON *o = node_export_obj(n, 0);
    char *s = utf8_fix(cJSON_PrintUnformatted(o));
    cJSON_Delete(o);
    char *line = xasprintf("%s\n", s);
    cJSON_free(s);
    return line;
}

int node_journal_rewrite(const search_tree *t, const char *run_dir)
{
    sb all = {0};
    for (size_t i = 0; i < search_tree_count(t); i++) {
        const search_node *n = search_tree_at(t, i);
        if (n->state != NODE_DONE)
            continue;
        char *line = jsonl_line(n);
        sb_puts(&all, line);
        free(line);
    }
    char *path = path_join(run_dir, "journal.jsonl");
    int rc = file_write(path, all.buf ? all.buf : "", all.len);
    free(path);
    sb_free(&all);
    return rc < 0 ? -1 : node_export_journal(t, run_dir);
}

/* 1 when count is a power of two: journal.json is rewritten at 1, 2, 4, ...
 * finished nodes, so its rewrites cost at most twice one export per node
 * whatever the tree's size, and it lags the log by at most half the run. */
static int compaction_due(size_t count)
{
    return count > 0 && (count & (count - 1)) == 0;
}

int node_journal_append(const search_tree *t, const search_node *n, const char *run_dir)
{
    char *line = jsonl_line(n);
    char *path = path_join(run_dir, "journal.jsonl");
    int rc = file_append(path, line, strlen(line));
    free(path);
    free(line);
    if (rc < 0)
        return -1;
    return compaction_due(search_tree_count_state(t, NODE_DONE))
               ? node_export_journal(t, run_dir)
               : 0;
}

cJSON *inflight_list(const run_ctx *r)
{
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = search_tree_first_open(r->tree); i < search_tree_count(r->tree); i++) {
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
        if (n->parent2 >= 0)
            cJSON_AddNumberToObject(o, "parent2", n->parent2);
        cJSON_AddNumberToObject(o, "created_at", n->created_at);
        cJSON_AddItemToArray(arr, o);
    }
    return arr;
}

int inflight_save(const run_ctx *r)
{
    cJSON *arr = inflight_list(r);
    char *text = cJSON_PrintUnformatted(arr);
    cJSON_Delete(arr);
    char *path = path_join(r->run_dir, "inflight.json");
    int rc = file_write_str(path, text);
    free(path);
    cJSON_free(text);
    return rc;
}

int inflight_load(const char *run_dir, int **ids, int **stages, int **parents, int **parents2,
                  int *n)
{
    *ids = *stages = *parents = *parents2 = NULL;
    *n = 0;
    char *path = path_join(run_dir, "inflight.json");
    char *text = NULL;
    int rc = file_read(path, &text, NULL);
    free(path);
    if (rc < 0)
        return 0; /* none recorded */
    cJSON *arr = cJSON_Parse(text);
    free(text);
    int count = cJSON_IsArray(arr) ? cJSON_GetArraySize(arr) : 0;
    *ids = xcalloc((size_t)count + 1, sizeof **ids);
    *stages = xcalloc((size_t)count + 1, sizeof **stages);
    *parents = xcalloc((size_t)count + 1, sizeof **parents);
    *parents2 = xcalloc((size_t)count + 1, sizeof **parents2);
    const cJSON *o;
    cJSON_ArrayForEach(o, arr) {
        search_stage st;
        const char *sname = str(o, "stage");
        int has_id;
        double id = num(o, "id", &has_id);
        if (!has_id || !sname || search_stage_parse(sname, &st) < 0)
            continue;
        (*ids)[*n] = (int)id;
        (*stages)[*n] = (int)st;
        int has_parent; /* null for a draft (-1 before 2026-12) */
        double parent = num(o, "parent", &has_parent);
        (*parents)[*n] = has_parent ? (int)parent : -1;
        int has_parent2;
        double parent2 = num(o, "parent2", &has_parent2);
        (*parents2)[*n] = has_parent2 ? (int)parent2 : -1;
        (*n)++;
    }
    cJSON_Delete(arr);
    return 0;
}

/*
 * tree_view.c: the aligned ASCII tree of `grove tree` and of the end of a run.
 *
 *   id    stage     score      time   
 *   0     draft     0.8012     12.3s
 *   ├─ 3  improve   0.8123 *   10.1s
 *   1     draft     buggy      2.0s   KeyError
 *   └─ 4  debug     0.7990     11.0s
 *
 * Drafts are roots; children are indented under their parent in id order.
 */
#include "run.h"
#include "util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* A buggy node's note for the tree's last column: an absolute path in it
 * shortened to its file name, so "invalid submission: /tmp/runs/x/nodes/1/
 * submission/submission.csv: missing required column 'survived'" shows the
 * reason, not the folders; one line, at most 100 characters. */
static void put_note(sb *out, const char *note)
{
    size_t start = out->len;
    for (const char *p = note; *p; p++) {
        if (*p == '/' && (p == note || p[-1] == ' ')) {
            const char *end = p + strcspn(p, " :,;)");
            const char *base = p;
            for (const char *q = p; q < end; q++)
                if (*q == '/' && q + 1 < end)
                    base = q + 1;
            p = base;
        }
        sb_putc(out, *p == '\n' || *p == '\t' ? ' ' : *p);
        if (out->len - start >= 100 && p[1]) {
            while (out->len > start && (out->buf[out->len - 1] & 0xC0) == 0x80)
                out->len--; /* never half a character */
            out->buf[out->len] = 0;
            sb_puts(out, "...");
            return;
        }
    }
}

/* The note of a finalist: "final pick, hidden 0.81922" or "finalist, ...". */
static void finalist_note(sb *out, const tree_marks *m, int id)
{
    for (int i = 0; m && i < m->n; i++) {
        if (m->ids[i] != id)
            continue;
        sb_puts(out, id == m->pick ? "final pick" : "finalist");
        if (!isnan(m->hidden[i]))
            sb_printf(out, ", hidden %.5f", m->hidden[i]);
        return;
    }
}

static void row(sb *out, const search_tree *t, const search_node *n, const char *prefix,
                int last, int depth, int best, const tree_marks *m)
{
    sb label = {0};
    if (depth)
        sb_printf(&label, "%s%s ", prefix, last ? "`-" : "|-");
    sb_printf(&label, "%d", n->id);
    char score[48];
    if (n->state != NODE_DONE)
        snprintf(score, sizeof score, "%s", n->state == NODE_RUNNING ? "running" : "pending");
    else if (n->is_buggy)
        snprintf(score, sizeof score, "buggy");
    else if (n->has_score)
        snprintf(score, sizeof score, "%.5f", n->score);
    else
        snprintf(score, sizeof score, "-");
    char time[32];
    snprintf(time, sizeof time, "%.1fs", n->exec_time);
    sb members = {0}; /* an ensemble's note: what it blends */
    for (int k = 0; k < n->n_members; k++)
        sb_printf(&members, "%s%d", k ? "+" : "blend of ", n->members[k]);
    const char *note = n->is_buggy ? (n->exc_type ? n->exc_type : n->bug_reason ? n->bug_reason : "")
                                   : n->n_members ? sb_str(&members) : "";
    sb_printf(out, "%-24s %-9s %-12s %-2s %8s  ", sb_str(&label), search_stage_name(n->stage),
              score, n->id == best ? "*" : "", time);
    put_note(out, note);
    if (!n->is_buggy)
        finalist_note(out, m, n->id);
    sb_putc(out, '\n');
    sb_free(&label);
    sb_free(&members);
    char *child_prefix = depth ? xasprintf("%s%s", prefix, last ? "   " : "|  ") : xstrdup("");
    for (int k = 0; k < n->n_children; k++) {
        const search_node *c = search_tree_node(t, n->children[k]);
        if (c)
            row(out, t, c, child_prefix, k == n->n_children - 1, depth + 1, best, m);
    }
    free(child_prefix);
}

static int load_view_node(const cJSON *nj, const journal_node_files *f, void *data)
{
    return node_from_json(data, nj, f->solution, f->plan, f->output);
}

char *tree_render(const search_tree *t, const char *score_label)
{
    return tree_render_marked(t, score_label, NULL, NULL);
}

char *tree_render_marked(const search_tree *t, const char *score_label, const tree_marks *m,
                         const char *reason)
{
    sb out = {0};
    int best = search_tree_best(t);
    sb_printf(&out, "%-24s %-9s %-12s %-2s %8s  %s\n", "node", "stage", score_label, "", "time",
              "note");
    for (size_t i = 0; i < search_tree_count(t); i++) {
        const search_node *n = search_tree_at(t, i);
        if (n->parent < 0 || !search_tree_node(t, n->parent))
            row(&out, t, n, "", 1, 0, best, m);
    }
    if (best >= 0)
        sb_printf(&out, "best: node %d, %s %.5f\n", best, score_label,
                  search_tree_node(t, best)->score);
    else
        sb_puts(&out, "best: none yet (no node has a valid score)\n");
    if (m && m->pick >= 0)
        sb_printf(&out, "final selection: %s\n", reason ? reason : "");
    return sb_steal(&out);
}

static cJSON *read_selection(const char *run_dir)
{
    char *path = path_join(run_dir, "selection.json"), *text = NULL;
    cJSON *j = file_read(path, &text, NULL) == 0 ? cJSON_Parse(text) : NULL;
    free(text);
    free(path);
    return j;
}

static double num_or_nan(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

int tree_marks_load(tree_marks *m, const char *run_dir)
{
    memset(m, 0, sizeof *m);
    m->pick = -1;
    cJSON *j = read_selection(run_dir);
    const cJSON *fs = cJSON_GetObjectItemCaseSensitive(j, "finalists");
    if (!cJSON_IsArray(fs)) {
        cJSON_Delete(j);
        return 1;
    }
    int n = cJSON_GetArraySize(fs);
    m->ids = xcalloc((size_t)n + 1, sizeof *m->ids);
    m->hidden = xcalloc((size_t)n + 1, sizeof *m->hidden);
    const cJSON *f;
    cJSON_ArrayForEach(f, fs) {
        m->ids[m->n] = (int)num_or_nan(f, "id");
        m->hidden[m->n++] = num_or_nan(f, "hidden_score");
    }
    double pick = num_or_nan(j, "pick");
    m->pick = isnan(pick) ? -1 : (int)pick;
    cJSON_Delete(j);
    return 0;
}

void tree_marks_free(tree_marks *m)
{
    free(m->ids);
    free(m->hidden);
    memset(m, 0, sizeof *m);
}

char *tree_selection_text(const char *run_dir, int id)
{
    cJSON *j = read_selection(run_dir);
    const cJSON *f, *hit = NULL;
    cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(j, "finalists"))
        if (num_or_nan(f, "id") == id)
            hit = f;
    char *out = NULL;
    if (hit) {
        sb s = {0};
        sb_printf(&s, "finalist %.0f of %d (by search score): search %.5f", num_or_nan(hit, "rank"),
                  cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(j, "finalists")),
                  num_or_nan(hit, "search_score"));
        double h = num_or_nan(hit, "hidden_score"), sd = num_or_nan(hit, "hidden_sd");
        if (!isnan(h))
            sb_printf(&s, ", hidden holdout %.5f", h);
        if (!isnan(sd))
            sb_printf(&s, " (sd %.5f over its seed runs)", sd);
        const char *err = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(hit, "error"));
        if (err)
            sb_printf(&s, "\nhidden-holdout run failed: %s", err);
        const char *why = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "reason"));
        if (num_or_nan(j, "pick") == id)
            sb_printf(&s, "\nthe final pick: %s", why ? why : "");
        sb_putc(&s, '\n');
        out = sb_steal(&s);
    }
    cJSON_Delete(j);
    return out;
}

int run_open_view(const char *run_dir, journal **j, search_tree **t, char **metric)
{
    *j = NULL;
    *t = NULL;
    *metric = NULL;
    if (journal_open_read(j, run_dir) < 0)
        return err_prefix("%s is not a grove run folder", run_dir);
    char *cfg_text = NULL;
    if (journal_read_file(*j, -1, "config.json", &cfg_text) < 0) {
        journal_free(*j);
        *j = NULL;
        return err_prefix("%s", run_dir);
    }
    cJSON *cfg = cJSON_Parse(cfg_text);
    free(cfg_text);
    const cJSON *lib = cJSON_GetObjectItemCaseSensitive(cfg, "lower_is_better");
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(cfg, "metric");
    *metric = xstrdup(cJSON_IsString(m) ? m->valuestring : "score");
    *t = search_tree_new(cJSON_IsTrue(lib));
    cJSON_Delete(cfg);
    if (journal_load(*j, load_view_node, *t) < 0) {
        search_tree_free(*t);
        journal_free(*j);
        free(*metric);
        *t = NULL;
        *j = NULL;
        *metric = NULL;
        return -1;
    }
    return 0;
}

/*
 * run_prompt.c: what a node's LLM request carries: the rendered prompt
 * (templates from prompts/ filled with the task, data preview, memory, parent
 * code and output, time and steps left) and the structured context that the
 * builtin coder reads instead of prose.
 */
#include "config.h"
#include "run.h"
#include "util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Every variable render fills (run_setup checks the templates use no other). */
const char *const run_prompt_vars[] = {
    "task_description", "data_preview", "memory", "parent_code", "parent_output",
    "exception", "time_left", "steps_left", "exec_timeout", "packages",
    "python_version", "metric_name", "metric_direction", "scoring_mode", "code", "output",
    "parent_plan", "parent2_plan", "parent2_code", "failures",
    "hardware",
};
const size_t run_n_prompt_vars = sizeof run_prompt_vars / sizeof run_prompt_vars[0];

static char *exception_text(const search_node *parent)
{
    if (!parent || !parent->is_buggy)
        return xstrdup("");
    return xasprintf("%s", parent->bug_reason ? parent->bug_reason : "the script failed");
}

/* Render template `name` for node n. Never NULL: a render error (which
 * prompts_check at start rules out) becomes the message itself. */
char *run_render(run_ctx *r, const char *name, const search_node *n, const char *code,
                 const char *output)
{
    const search_node *parent = n->parent >= 0 ? search_tree_node(r->tree, n->parent) : NULL;
    const search_node *parent2 = n->parent2 >= 0 ? search_tree_node(r->tree, n->parent2) : NULL;
    char tl[32], et[32], steps[32];
    double left = run_time_left(r);
    config_format_duration(tl, sizeof tl, left);
    config_format_duration(et, sizeof et, fmin(r->cfg.exec_timeout, left));
    snprintf(steps, sizeof steps, "%d", r->steps - search_tree_steps(r->tree));
    char *memory = search_memory(r->tree, (size_t)r->cfg.memory_chars);
    char *failures = n->stage == STAGE_DEBUG
                         ? search_memory_failures(r->tree, n->id, (size_t)r->cfg.memory_chars)
                         : xstrdup("");
    char *exc = exception_text(parent);
    const prompt_var vars[] = {
        {"task_description", r->description},
        {"data_preview", r->preview},
        {"memory", memory},
        {"parent_code", parent ? parent->code : ""},
        {"parent_output", parent ? parent->output : ""},
        {"exception", exc},
        {"time_left", tl},
        {"steps_left", steps},
        {"exec_timeout", et},
        {"packages", r->packages},
        {"python_version", r->python_version},
        {"metric_name", r->metric_name},
        {"metric_direction", r->lower_is_better ? "lower is better" : "higher is better"},
        {"scoring_mode", r->holdout ? "holdout" : "self-report"},
        {"code", code ? code : ""},
        {"output", output ? output : ""},
        {"parent_plan", parent && parent->plan ? parent->plan : ""},
        {"parent2_plan", parent2 && parent2->plan ? parent2->plan : ""},
        {"parent2_code", parent2 && parent2->code ? parent2->code : ""},
        {"failures", failures},
        {"hardware", r->hardware ? r->hardware : ""},
    };
    char *out = NULL;
    if (prompts_render(&out, r->prompts, name, vars, sizeof vars / sizeof vars[0]) < 0) {
        log_error("prompt %s: %s", name, err_last());
        out = xasprintf("(prompt %s could not be rendered: %s)", name, err_last());
    }
    free(memory);
    free(failures);
    free(exc);
    return out;
}

static const char *task_name(bench_task t)
{
    switch (t) {
    case TASK_BINARY: return "binary";
    case TASK_MULTICLASS: return "multiclass";
    case TASK_REGRESSION: return "regression";
    default: return "other";
    }
}

static cJSON *competition_json(const run_ctx *r)
{
    cJSON *c = cJSON_CreateObject();
    cJSON_AddStringToObject(c, "id", r->comp_id);
    cJSON_AddStringToObject(c, "metric", r->metric_name);
    cJSON_AddBoolToObject(c, "lower_is_better", r->lower_is_better);
    const bench_competition *b = r->comp;
    cJSON_AddStringToObject(c, "task", b ? task_name(b->task) : "other");
    cJSON_AddStringToObject(c, "modality", r->modality ? r->modality : "tabular");
    if (!b)
        return c;
    if (b->train_file)
        cJSON_AddStringToObject(c, "train_file", b->train_file);
    if (b->test_file)
        cJSON_AddStringToObject(c, "test_file", b->test_file);
    if (b->sample_submission)
        cJSON_AddStringToObject(c, "sample_submission", b->sample_submission);
    if (b->id_col)
        cJSON_AddStringToObject(c, "id_col", b->id_col);
    if (b->label_col)
        cJSON_AddStringToObject(c, "label_col", b->label_col);
    cJSON *targets = cJSON_AddArrayToObject(c, "target_cols");
    if (b->target_cols) {
        const char *p = b->target_cols;
        while (*p) {
            const char *comma = strchr(p, ',');
            size_t len = comma ? (size_t)(comma - p) : strlen(p);
            char *t = xstrndup(p, len);
            cJSON_AddItemToArray(targets, cJSON_CreateString(t));
            free(t);
            p += len + (comma ? 1 : 0);
        }
    }
    return c;
}

/* Another good node's code for an improve, to offer an ensembling idea: the
 * best good node other than the parent. */
static const char *other_code(const run_ctx *r, int parent)
{
    int top[2];
    size_t k = search_tree_ranked(r->tree, top, 2);
    int id = k > 0 && top[0] != parent ? top[0] : k > 1 ? top[1] : -1;
    const search_node *best = id >= 0 ? search_tree_node(r->tree, id) : NULL;
    return best ? best->code : NULL;
}

cJSON *run_context(run_ctx *r, const search_node *n)
{
    cJSON *c = cJSON_CreateObject();
    cJSON_AddStringToObject(c, "action", search_stage_name(n->stage));
    cJSON_AddNumberToObject(c, "node", n->id);
    cJSON_AddNumberToObject(c, "parent", n->parent);
    /* drafts before n: all of them less those from n on (few: n is new) */
    int drafts = search_tree_count_stage(r->tree, STAGE_DRAFT);
    for (size_t i = search_tree_count(r->tree); i-- > 0;) {
        const search_node *m = search_tree_at(r->tree, i);
        if (m->id < n->id)
            break;
        drafts -= m->stage == STAGE_DRAFT;
    }
    cJSON_AddNumberToObject(c, "n_drafts", drafts);
    cJSON_AddItemToObject(c, "competition", competition_json(r));
    cJSON_AddNumberToObject(c, "exec_timeout_s", r->cfg.exec_timeout);
    const search_node *p = n->parent >= 0 ? search_tree_node(r->tree, n->parent) : NULL;
    if (!p) {
        cJSON_AddNullToObject(c, "exception");
        return c;
    }
    cJSON_AddNumberToObject(c, "n_children", p->n_children > 0 ? p->n_children - 1 : 0);
    cJSON_AddStringToObject(c, "parent_code", p->code ? p->code : "");
    cJSON_AddStringToObject(c, "parent_output", p->output ? p->output : "");
    if (p->is_buggy) {
        cJSON *e = cJSON_AddObjectToObject(c, "exception");
        cJSON_AddStringToObject(e, "type", p->exc_type ? p->exc_type : "");
        cJSON_AddStringToObject(e, "message", p->bug_reason ? p->bug_reason : "");
        cJSON_AddNumberToObject(e, "line", 0);
    } else {
        cJSON_AddNullToObject(c, "exception");
    }
    const char *other = n->stage == STAGE_IMPROVE ? other_code(r, n->parent) : NULL;
    if (other)
        cJSON_AddStringToObject(c, "other_code", other);
    const search_node *p2 = n->parent2 >= 0 ? search_tree_node(r->tree, n->parent2) : NULL;
    if (p2) {
        cJSON_AddNumberToObject(c, "parent2", p2->id);
        cJSON_AddStringToObject(c, "parent2_code", p2->code ? p2->code : "");
    }
    return c;
}

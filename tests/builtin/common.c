/*
 * common.c: helpers for the builtin coder's tests (see common.h).
 *
 * Data for each competition kind is generated once per process into a
 * scratch folder; each script run gets its own workspace with input/ a
 * symlink to that data, plus working/ and submission/, like exec/ gives a
 * real node. Submissions are read back with bench's CSV reader.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "builtin.h"
#include "common.h"
#include "util.h"

static char scratch[] = "/tmp/grove-builtin-test-XXXXXX";
static int scratch_made;
static int n_workspaces;

static const char *scratch_dir(void)
{
    if (!scratch_made && mkdtemp(scratch))
        scratch_made = 1;
    return scratch;
}

void t_cleanup(void)
{
    if (scratch_made && !getenv("GROVE_KEEP_TEST_FILES"))
        rm_rf(scratch);
}

cJSON *t_competition(const char *kind)
{
    cJSON *c = cJSON_CreateObject();
    cJSON_AddStringToObject(c, "id", kind);
    const char *task = "binary", *metric = "auc", *id = "id", *label = "target";
    const char *targets[3] = {"target", NULL, NULL};
    if (strcmp(kind, "multiclass") == 0) {
        task = "multiclass", metric = "logloss", label = "species";
        targets[0] = "ant", targets[1] = "bee", targets[2] = "cat";
    } else if (strcmp(kind, "regression") == 0) {
        task = "regression", metric = "rmsle", label = targets[0] = "price";
    } else if (strcmp(kind, "text") == 0) {
        label = targets[0] = "label";
        cJSON_AddStringToObject(c, "modality", "text");
    } else if (strcmp(kind, "image") == 0) {
        task = "multiclass", metric = "logloss", id = "image_id", label = "shape";
        targets[0] = "bar", targets[1] = "flat", targets[2] = "diag";
        cJSON_AddStringToObject(c, "modality", "image");
    }
    cJSON_AddStringToObject(c, "metric", metric);
    cJSON_AddBoolToObject(c, "lower_is_better", metric[0] != 'a');
    cJSON_AddStringToObject(c, "task", task);
    cJSON_AddStringToObject(c, "train_file", "train.csv");
    cJSON_AddStringToObject(c, "test_file", "test.csv");
    cJSON_AddStringToObject(c, "sample_submission", "sample_submission.csv");
    cJSON_AddStringToObject(c, "id_col", id);
    cJSON_AddStringToObject(c, "label_col", label);
    cJSON *t = cJSON_AddArrayToObject(c, "target_cols");
    for (int i = 0; i < 3 && targets[i]; i++)
        cJSON_AddItemToArray(t, cJSON_CreateString(targets[i]));
    return c;
}

cJSON *t_context(const char *action, const char *kind, int n_drafts)
{
    cJSON *ctx = cJSON_CreateObject();
    cJSON_AddStringToObject(ctx, "action", action);
    cJSON_AddNumberToObject(ctx, "node", n_drafts);
    cJSON_AddNumberToObject(ctx, "parent", -1);
    cJSON_AddNumberToObject(ctx, "n_drafts", n_drafts);
    cJSON_AddNumberToObject(ctx, "n_children", 0);
    cJSON_AddItemToObject(ctx, "competition", t_competition(kind));
    cJSON_AddNumberToObject(ctx, "exec_timeout_s", 600);
    return ctx;
}

char *t_reply(const cJSON *ctx, unsigned long seed)
{
    llm_request req = {.context = ctx, .tag = "test"};
    char *text = NULL;
    if (builtin_reply(&req, seed, &text) < 0) {
        fprintf(stderr, "builtin_reply failed: %s\n", err_last());
        return NULL;
    }
    return text;
}

char *t_python_block(const char *reply)
{
    const char *open = reply ? strstr(reply, "```python\n") : NULL;
    if (!open || strstr(open + 1, "```python\n"))
        return NULL;
    open += strlen("```python\n");
    const char *close = strstr(open, "\n```");
    return close ? xstrndup(open, (size_t)(close - open) + 1) : NULL;
}

char *t_code(const cJSON *ctx, unsigned long seed)
{
    char *reply = t_reply(ctx, seed);
    char *code = t_python_block(reply);
    free(reply);
    return code;
}

cJSON *t_config(const char *code)
{
    static const char tag[] = "# grove-builtin: ";
    if (!code || strncmp(code, tag, sizeof tag - 1) != 0)
        return NULL;
    const char *at = code + sizeof tag - 1;
    return cJSON_ParseWithLength(at, strcspn(at, "\n"));
}

int t_config_diff(const cJSON *a, const cJSON *b)
{
    int n = 0;
    const cJSON *x;
    cJSON_ArrayForEach(x, a) {
        const cJSON *y = cJSON_GetObjectItemCaseSensitive(b, x->string);
        if (strcmp(x->string, "params") == 0 && cJSON_IsObject(y)) {
            const cJSON *p;
            cJSON_ArrayForEach(p, x)
                n += !cJSON_Compare(p, cJSON_GetObjectItemCaseSensitive(y, p->string), 1);
        } else if (strcmp(x->string, "features") == 0 && cJSON_IsArray(y)) {
            n += abs(cJSON_GetArraySize(x) - cJSON_GetArraySize(y)) +
                 (cJSON_GetArraySize(x) == cJSON_GetArraySize(y) && !cJSON_Compare(x, y, 1));
        } else {
            n += !y || !cJSON_Compare(x, y, 1);
        }
    }
    cJSON_ArrayForEach(x, b)
        n += !cJSON_GetObjectItemCaseSensitive(a, x->string);
    return n;
}

static int sh(const char *cmd)
{
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* input/ data for a kind, generated on first use. */
static char *data_dir(const char *kind)
{
    char *dir = xasprintf("%s/data-%s", scratch_dir(), kind);
    if (!dir_exists(dir)) {
        const char *src = getenv("GROVE_SRC") ? getenv("GROVE_SRC") : ".";
        char *cmd = xasprintf("/usr/bin/python3 %s/tests/builtin/make_data.py %s %s", src, kind,
                              dir);
        int rc = sh(cmd);
        free(cmd);
        if (rc != 0) {
            fprintf(stderr, "make_data.py %s failed (%d)\n", kind, rc);
            free(dir);
            return NULL;
        }
    }
    return dir;
}

int t_run_script(t_run *out, const char *kind, const char *code)
{
    memset(out, 0, sizeof *out);
    out->score = NAN;
    char *data = data_dir(kind);
    if (!data)
        return -1;
    out->workspace = xasprintf("%s/ws%d", scratch_dir(), n_workspaces++);
    char *in = path_join(out->workspace, "input");
    char *sol = path_join(out->workspace, "solution.py");
    mkdir_p(out->workspace, 0755);
    int rc = symlink(data, in) == 0 && file_write_str(sol, code) == 0 ? 0 : -1;
    char *cmd = xasprintf("cd %s && mkdir -p working submission && timeout 120 "
                          "/usr/bin/python3 solution.py > output.txt 2>&1", out->workspace);
    if (rc == 0) {
        out->status = sh(cmd);
        char *path = path_join(out->workspace, "output.txt");
        file_read(path, &out->output, NULL);
        free(path);
        const char *s = out->output ? strstr(out->output, "Validation score: ") : NULL;
        if (s)
            out->score = strtod(s + strlen("Validation score: "), NULL);
    }
    free(cmd);
    free(in);
    free(sol);
    free(data);
    return rc;
}

int t_check_submission(const t_run *run, const char *kind)
{
    char *data = data_dir(kind), *sample_path = path_join(data, "sample_submission.csv");
    char *sub_path = path_join(run->workspace, "submission/submission.csv");
    bench_csv *sample = NULL, *sub = NULL;
    int bad = 0;
    if (bench_csv_read(&sample, sample_path) < 0 || bench_csv_read(&sub, sub_path) < 0) {
        fprintf(stderr, "%s: %s\n", kind, err_last());
        bad = 1;
        goto done;
    }
    bad += sub->n_cols != sample->n_cols || sub->n_rows != sample->n_rows;
    for (size_t c = 0; !bad && c < sub->n_cols; c++)
        bad += strcmp(sub->header[c], sample->header[c]) != 0;
    for (size_t r = 0; !bad && r < sub->n_rows; r++) {
        double sum = 0;
        bad += strcmp(bench_csv_cell(sub, r, 0), bench_csv_cell(sample, r, 0)) != 0;
        for (size_t c = 1; c < sub->n_cols; c++) {
            char *end;
            double v = strtod(bench_csv_cell(sub, r, c), &end);
            bad += *end != '\0' || !isfinite(v);
            if (strcmp(kind, "regression") != 0)
                bad += v < 0 || v > 1;
            sum += v;
        }
        if (sub->n_cols > 2)
            bad += fabs(sum - 1.0) > 1e-6;
        if (bad)
            fprintf(stderr, "%s: submission row %zu is wrong\n", kind, r + 1);
    }
    if (bad && sub->n_cols != sample->n_cols)
        fprintf(stderr, "%s: submission has %zu columns, sample %zu\n", kind, sub->n_cols,
                sample->n_cols);
done:
    bench_csv_free(sample);
    bench_csv_free(sub);
    free(data);
    free(sample_path);
    free(sub_path);
    return bad;
}

void t_run_free(t_run *r)
{
    free(r->output);
    free(r->workspace);
    memset(r, 0, sizeof *r);
}

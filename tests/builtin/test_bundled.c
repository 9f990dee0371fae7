/*
 * test_bundled.c: the builtin coder's first draft on a bundled competition.
 *
 *   test_bundled ID
 *
 * Prepares bundled competition ID (exit 77, skipped, when its Debian source
 * data is not installed) into a scratch data folder, asks for the first
 * draft with the context the agent builds from the registry entry, runs the
 * script on public/, and grades its submission against private/ with the
 * bundled grader: it must be valid and beat the constant predictor's score
 * (the registry's "median" reference for bundled competitions).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"
#include "check.h"
#include "common.h"
#include "util.h"

/* The competition object as the agent sends it (agent/run_prompt.c). */
static cJSON *competition_of(const bench_competition *b)
{
    static const char *const tasks[] = {"other", "binary", "multiclass", "regression", "other"};
    cJSON *c = cJSON_CreateObject();
    cJSON_AddStringToObject(c, "id", b->id);
    cJSON_AddStringToObject(c, "metric", b->metric);
    cJSON_AddBoolToObject(c, "lower_is_better", b->lower_is_better);
    cJSON_AddStringToObject(c, "task", tasks[b->task]);
    cJSON_AddStringToObject(c, "train_file", b->train_file);
    cJSON_AddStringToObject(c, "test_file", b->test_file);
    cJSON_AddStringToObject(c, "sample_submission", b->sample_submission);
    cJSON_AddStringToObject(c, "id_col", b->id_col);
    cJSON_AddStringToObject(c, "label_col", b->label_col);
    cJSON *t = cJSON_AddArrayToObject(c, "target_cols");
    for (const char *p = b->target_cols; *p;) {
        size_t n = strcspn(p, ",");
        char *one = xstrndup(p, n);
        cJSON_AddItemToArray(t, cJSON_CreateString(one));
        free(one);
        p += n + (p[n] == ',');
    }
    return c;
}

int main(int argc, char **argv)
{
    const char *id = argc > 1 ? argv[1] : "grove-titanic";
    const bench_competition *comp = bench_registry_find(id);
    if (!comp) {
        fprintf(stderr, "%s\n", err_last());
        return 1;
    }
    if (bench_prepare_check(id) == BENCH_ENOSRC) {
        printf("skipped: %s\n", err_last());
        return 77;
    }
    char root[] = "/tmp/grove-builtin-bundled-XXXXXX";
    CHECK(mkdtemp(root) != NULL);
    int already = 0;
    CHECK_MSG(bench_prepare(&already, id, root, BENCH_PREPARE_SEED, 0) == 0, "%s", err_last());
    char *prep = xasprintf("%s/%s/prepared", root, id);
    char *pub = path_join(prep, "public");
    char *answers = xasprintf("%s/private/%s", prep, comp->answers);

    cJSON *ctx = t_context("draft", "binary", 0);
    cJSON_ReplaceItemInObject(ctx, "competition", competition_of(comp));
    cJSON_ReplaceItemInObject(ctx, "exec_timeout_s", cJSON_CreateNumber(120));
    char *code = t_code(ctx, 0);
    CHECK(code != NULL);

    char *ws = path_join(root, "ws"), *in = path_join(ws, "input");
    char *sol = path_join(ws, "solution.py"), *sub = path_join(ws, "submission/submission.csv");
    mkdir_p(ws, 0755);
    CHECK(symlink(pub, in) == 0 && file_write_str(sol, code ? code : "") == 0);
    char *cmd = xasprintf("cd %s && mkdir -p working submission && timeout 280 "
                          "/usr/bin/python3 solution.py > output.txt 2>&1 || "
                          "{ cat output.txt; exit 1; }", ws);
    CHECK_MSG(system(cmd) == 0, "%s: the first draft failed", id);
    bench_report rep = {0};
    CHECK_MSG(bench_grade(&rep, comp, sub, answers) == 0, "%s", err_last());
    CHECK_MSG(rep.valid_submission, "%s: invalid submission: %s", id,
              rep.error ? rep.error : "?");
    double sign = comp->lower_is_better ? -1 : 1;
    CHECK_MSG(isnan(comp->median) || sign * (rep.score - comp->median) > 0,
              "%s: score %g does not beat the constant predictor's %g", id, rep.score,
              comp->median);
    printf("%s: first draft graded %s %.5f (constant predictor %.5f)\n", id, comp->metric,
           rep.score, comp->median);

    bench_report_free(&rep);
    if (!getenv("GROVE_KEEP_TEST_FILES"))
        rm_rf(root);
    cJSON_Delete(ctx);
    free(code);
    free(cmd);
    free(ws);
    free(in);
    free(sol);
    free(sub);
    free(prep);
    free(pub);
    free(answers);
    return check_done("builtin bundled");
}

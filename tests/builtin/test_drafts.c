/*
 * test_drafts.c: the builtin coder's drafts really run.
 *
 *   test_drafts KIND DRAFT...
 *
 * For competition KIND (see make_data.py) asks for the drafts numbered
 * DRAFT (n_drafts, which picks the model family), runs each script with
 * /usr/bin/python3 in a scratch workspace, and checks that it exits 0, prints
 * "Validation score:" with a score better than a constant predictor, and
 * writes a submission with the sample's ids and columns. Each KIND is its own
 * meson test so they run in parallel.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "common.h"
#include "util.h"

/* A score a constant predictor cannot reach on make_data.py's data. */
static int beats_chance(const char *kind, double score)
{
    if (strcmp(kind, "binary") == 0 || strcmp(kind, "text") == 0)
        return score > 0.65;            /* AUC; constant = 0.5 */
    if (strcmp(kind, "regression") == 0)
        return score < 0.3;             /* RMSLE; constant is about 0.4 */
    return score < 0.9;                 /* 3-class log loss; uniform = 1.0986 */
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: test_drafts KIND DRAFT...\n");
        return 2;
    }
    const char *kind = argv[1];
    char **families = xcalloc((size_t)argc, sizeof *families);
    for (int i = 2; i < argc; i++) {
        cJSON *ctx = t_context("draft", kind, atoi(argv[i]));
        char *reply = t_reply(ctx, 0);
        char *code = t_python_block(reply);
        cJSON *cfg = t_config(code);
        CHECK_MSG(code && cfg, "draft %s of %s: no python block with a config line", argv[i], kind);
        if (code && cfg) {
            const char *fam = cJSON_GetObjectItem(cfg, "family")->valuestring;
            for (int j = 2; j < i; j++)
                CHECK_MSG(!families[j] || strcmp(families[j], fam) != 0,
                          "drafts %s and %s both use %s", argv[j], argv[i], fam);
            families[i] = xstrdup(fam);
            t_run run;
            CHECK(t_run_script(&run, kind, code) == 0);
            CHECK_MSG(run.status == 0, "%s draft %s (%s) exited %d:\n%s", kind, argv[i], fam,
                      run.status, run.output ? run.output : "");
            CHECK_MSG(isfinite(run.score) && beats_chance(kind, run.score),
                      "%s draft %s (%s): validation score %g", kind, argv[i], fam, run.score);
            CHECK_MSG(run.status != 0 || t_check_submission(&run, kind) == 0,
                      "%s draft %s (%s): bad submission", kind, argv[i], fam);
            printf("%s draft %s: %s, validation score %.4f\n", kind, argv[i], fam, run.score);
            t_run_free(&run);
        }
        cJSON_Delete(cfg);
        cJSON_Delete(ctx);
        free(reply);
        free(code);
    }
    for (int i = 0; i < argc; i++)
        free(families[i]);
    free(families);
    t_cleanup();
    return check_done("builtin drafts");
}

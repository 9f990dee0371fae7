/*
 * test_claims.c: a draft's printed validation score agrees with the score
 * of its submission on answers it never saw.
 *
 *   test_claims DRAFT...
 *
 * Runs the drafts numbered DRAFT on make_data.py's "groups" competition
 * (binary AUC, like Titanic: shuffled ids, an ID-like ticket code shared by
 * groups of rows, a free-text column) and scores each submission against
 * the held-back answers with sklearn (make_data.py auc). The claim must be
 * within CLAIM_MARGIN of that AUC: a single shared 20% split and unscaled
 * ordinal codes once put an MLP's claim at 0.46 against 0.80 on the answers,
 * and every model's claim below the truth.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "check.h"
#include "common.h"
#include "util.h"

/* Five folds of ~650 rows leave an AUC standard error near 0.015. */
#define CLAIM_MARGIN 0.04

/* AUC of the run's submission against the answers, NAN on failure. */
static double answers_auc(const t_run *run)
{
    const char *src = getenv("GROVE_SRC") ? getenv("GROVE_SRC") : ".";
    char *cmd = xasprintf("/usr/bin/python3 %s/tests/builtin/make_data.py auc "
                          "\"$(readlink %s/input)\".answers.csv %s/submission/submission.csv",
                          src, run->workspace, run->workspace);
    FILE *p = popen(cmd, "r");
    double auc = NAN;
    if (p) {
        if (fscanf(p, "%lf", &auc) != 1)
            auc = NAN;
        if (pclose(p) != 0)
            auc = NAN;
    }
    free(cmd);
    return auc;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: test_claims DRAFT...\n");
        return 2;
    }
    for (int i = 1; i < argc; i++) {
        cJSON *ctx = t_context("draft", "groups", atoi(argv[i]));
        char *code = t_code(ctx, 0);
        cJSON *cfg = t_config(code);
        CHECK_MSG(code && cfg, "draft %s: no python block with a config line", argv[i]);
        t_run run;
        if (code && cfg && t_run_script(&run, "groups", code) == 0) {
            const char *fam = cJSON_GetObjectItem(cfg, "family")->valuestring;
            CHECK_MSG(run.status == 0, "draft %s (%s) exited %d:\n%s", argv[i], fam, run.status,
                      run.output ? run.output : "");
            double truth = answers_auc(&run);
            printf("groups draft %s (%s): claim %.4f, AUC on the answers %.4f\n", argv[i], fam,
                   run.score, truth);
            CHECK_MSG(isfinite(truth) && truth > 0.75, "draft %s (%s): AUC %g on the answers",
                      argv[i], fam, truth);
            CHECK_MSG(fabs(run.score - truth) <= CLAIM_MARGIN,
                      "draft %s (%s): claims %.4f but scores %.4f on the answers", argv[i], fam,
                      run.score, truth);
            t_run_free(&run);
        }
        cJSON_Delete(cfg);
        cJSON_Delete(ctx);
        free(code);
    }
    t_cleanup();
    return check_done("builtin claims");
}

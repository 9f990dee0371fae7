/* test_holdout_infer.c: which MLE-bench competitions grove splits itself.
 * The label is inferred from the public files only when that is
 * unambiguous, and never for a grader that reads answers columns a split
 * of train.csv would not rebuild (a group column such as ventilator's
 * u_out, a submission-only column). */
#include "bench.h"
#include "check.h"
#include "holdout_infer.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

static char *public_dir(const char *root, const char *name, const char *train,
                        const char *test, const char *sample_name, const char *sample)
{
    char *dir = path_join(root, name);
    mkdir_p(dir, 0755);
    const char *files[][2] = {{"train.csv", train}, {"test.csv", test}, {sample_name, sample}};
    for (size_t i = 0; i < 3; i++) {
        char *p = path_join(dir, files[i][0]);
        file_write_str(p, files[i][1]);
        free(p);
    }
    return dir;
}

int main(void)
{
    char root[] = "/tmp/grove-infer-XXXXXX";
    CHECK(mkdtemp(root) != NULL);

    const bench_competition *spooky = bench_registry_find("spooky-author-identification");
    CHECK(spooky != NULL);
    char *d = public_dir(root, "spooky", "id,text,author\na,x,EAP\n", "id,text\nb,y\n",
                         spooky->sample_submission, "id,EAP,HPL,MWS\nb,0.4,0.3,0.3\n");
    holdout_inferred h;
    CHECK(holdout_infer(&h, spooky, d) == 0);
    CHECK(h.label_col && !strcmp(h.label_col, "author"));
    holdout_inferred_free(&h);
    free(d);

    /* ventilator's metric needs the answers' u_out beside the pressure */
    const bench_competition *vent = bench_registry_find("ventilator-pressure-prediction");
    CHECK(vent != NULL && vent->graded);
    d = public_dir(root, "vent", "id,breath_id,u_in,u_out,pressure\n1,1,0.5,0,5.1\n",
                   "id,breath_id,u_in,u_out\n2,1,0.6,1\n", vent->sample_submission,
                   "id,pressure\n2,0\n");
    CHECK(holdout_infer(&h, vent, d) < 0);
    CHECK_MSG(strstr(err_last(), "u_out") != NULL, "%s", err_last());
    holdout_inferred_free(&h);
    free(d);

    /* the same for osic's submission-only Confidence column */
    const bench_competition *osic = bench_registry_find("osic-pulmonary-fibrosis-progression");
    CHECK(osic != NULL);
    d = public_dir(root, "osic", "Patient_Week,Patient,FVC\nP1_1,P1,2000\n",
                   "Patient_Week,Patient\nP2_1,P2\n", osic->sample_submission,
                   "Patient_Week,FVC,Confidence\nP2_1,2000,100\n");
    CHECK(holdout_infer(&h, osic, d) < 0);
    CHECK_MSG(strstr(err_last(), "Confidence") != NULL, "%s", err_last());
    holdout_inferred_free(&h);
    free(d);

    rm_rf(root);
    return check_done("test_holdout_infer");
}

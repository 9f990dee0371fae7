/*
 * grade_tool.c: the grader without the CLI, for the differential test.
 *
 *   grade_tool COMPETITION SUBMISSION ANSWERS
 *
 * Prints the report as JSON plus "score_raw" (the unrounded metric from the
 * streaming grader) and "table_score" (bench_metric over tables read with
 * bench_csv_read, when the rows line up), so the driver checks both paths
 * against scikit-learn. Exit 1 when the competition cannot be graded.
 */
#include "bench.h"
#include "util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: grade_tool COMPETITION SUBMISSION ANSWERS\n");
        return 2;
    }
    const bench_competition *c = bench_registry_find(argv[1]);
    bench_report r;
    if (!c || bench_grade(&r, c, argv[2], argv[3]) < 0) {
        cJSON *e = cJSON_CreateObject(); /* the message may hold quotes */
        char *msg = utf8_dup(c ? err_last() : "unknown competition");
        cJSON_AddStringToObject(e, "grade_error", msg);
        char *text = cJSON_PrintUnformatted(e);
        printf("%s\n", text);
        free(text);
        free(msg);
        cJSON_Delete(e);
        if (c)
            bench_report_free(&r);
        return 1;
    }
    cJSON *j = bench_report_json(&r);
    if (!isnan(r.score_raw))
        cJSON_AddNumberToObject(j, "score_raw", r.score_raw);
    bench_csv *a = NULL, *s = NULL;
    double t;
    if (r.valid_submission && bench_csv_read(&a, argv[3]) == 0 &&
        bench_csv_read(&s, argv[2]) == 0 && bench_metric(&t, c->metric, c, a, s) == 0)
        cJSON_AddNumberToObject(j, "table_score", t);
    bench_csv_free(a);
    bench_csv_free(s);
    char *text = cJSON_PrintUnformatted(j);
    printf("%s\n", text);
    free(text);
    cJSON_Delete(j);
    bench_report_free(&r);
    return 0;
}

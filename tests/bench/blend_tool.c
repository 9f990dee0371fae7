/*
 * blend_tool.c: bench/'s ensemble without the agent, for diff_blend.py.
 *
 *   blend_tool COMPETITION OUT W1,W2,... SUB1 SUB2 ...
 *   blend_tool COMPETITION OUT fit:ROUNDS:ANSWERS SUB1 SUB2 ...
 *
 * Blends the submissions with the given weights (or weights fitted by
 * greedy forward selection, each candidate graded by bench_grade against
 * ANSWERS, its unrounded score) into OUT, and prints one JSON line: the
 * method, the weights, the fit's score and best single score, and the
 * refused members with why. Exit 1 on an error (the message on stderr).
 */
#include "bench.h"
#include "util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct grader {
    const bench_competition *comp;
    const char *answers;
} grader;

static int score_fn(double *score, const char *path, void *data)
{
    const grader *g = data;
    bench_report r;
    int rc = bench_grade(&r, g->comp, path, g->answers);
    if (rc == 0 && !r.valid_submission)
        rc = err_set("invalid blend: %s", r.error ? r.error : "?");
    *score = r.score_raw;
    bench_report_free(&r);
    return rc;
}

static int fail(const char *what)
{
    fprintf(stderr, "blend_tool: %s: %s\n", what, err_last());
    return 1;
}

int main(int argc, char **argv)
{
    if (argc < 5) {
        fprintf(stderr, "usage: blend_tool COMPETITION OUT W1,W2,...|fit:ROUNDS:ANSWERS SUB...\n");
        return 2;
    }
    const bench_competition *c = bench_registry_find(argv[1]);
    bench_blend_method m;
    if (!c || bench_blend_method_for(c, &m) < 0)
        return fail(argv[1]);
    size_t n = (size_t)argc - 4;
    char **why = xcalloc(n, sizeof *why);
    double *w = xcalloc(n, sizeof *w);
    bench_blend *b = NULL;
    if (bench_blend_open(&b, c, m, (const char *const *)argv + 4, n, why) < 0)
        return fail("open");
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "method", bench_blend_method_name(m));
    int rc;
    if (!strncmp(argv[3], "fit:", 4)) {
        char *end;
        int rounds = (int)strtol(argv[3] + 4, &end, 10);
        grader g = {c, end + 1};
        double score = NAN, single = NAN;
        rc = bench_blend_fit(b, c->lower_is_better, rounds, score_fn, &g, argv[2], w, &score,
                             &single);
        cJSON_AddNumberToObject(j, "score", score);
        cJSON_AddNumberToObject(j, "single", single);
    } else {
        char *p = argv[3];
        for (size_t i = 0; i < n; i++)
            w[i] = strtod(p, &p), p += *p == ',';
        rc = 0;
    }
    if (rc == 0)
        rc = bench_blend_write(b, w, argv[2]);
    cJSON *wa = cJSON_AddArrayToObject(j, "weights");
    cJSON *refused = cJSON_AddArrayToObject(j, "refused");
    for (size_t i = 0; i < n; i++) {
        cJSON_AddItemToArray(wa, cJSON_CreateNumber(w[i]));
        if (why[i]) {
            cJSON *o = cJSON_CreateObject();
            cJSON_AddNumberToObject(o, "member", (double)i);
            cJSON_AddStringToObject(o, "why", why[i]);
            cJSON_AddItemToArray(refused, o);
        }
        free(why[i]);
    }
    char *text = cJSON_PrintUnformatted(j);
    printf("%s\n", text);
    free(text);
    cJSON_Delete(j);
    bench_blend_free(b);
    free(why);
    free(w);
    return rc < 0 ? fail("blend") : 0;
}

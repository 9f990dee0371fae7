/* test_prompts.c: the built-in templates, overrides, and the template syntax. */
#include "check.h"
#include "prompts.h"
#include "util.h"

#include <stdlib.h>
#include <unistd.h>

/* The variables the agent provides, by the names the templates use. */
static const char *const var_names[] = {"task_description", "data_preview", "memory",
    "parent_code", "parent_output", "exception", "time_left", "steps_left", "exec_timeout",
    "packages", "python_version", "metric_name", "metric_direction", "scoring_mode", "code",
    "output", "parent_plan", "parent2_plan", "parent2_code", "failures", "hardware"};
#define N_VARS (sizeof var_names / sizeof *var_names)
static const char *const templates[] = {"system", "draft", "improve", "debug", "review",
                                        "crossover"};

static void vars_for(prompt_var *v, const char *mode, const char *memory)
{
    const char *values[N_VARS] = {"Predict house prices.", "train.csv: 1460 rows", memory,
        "print('parent')", "Traceback ...", "KeyError: 'SalePrice' (line 12)", "2h 10m", "17",
        "10m", "numpy, pandas, sklearn", "3.11", "rmse", "lower is better", mode,
        "print('x')", "Validation score: 0.5", "Plan: ridge.", "Plan: forest.",
        "print('second parent')", "- node 4 (debug): failed with KeyError",
        "each script may use 4 CPU cores; 1 GPU (NVIDIA H100 80GB HBM3, 80 GB of memory)"};
    for (size_t i = 0; i < N_VARS; i++)
        v[i] = (prompt_var){var_names[i], values[i]};
}

static int has(const char *s, const char *w) { return s && strstr(s, w) != NULL; }

static void test_builtin(const prompts *p)
{
    prompt_var v[N_VARS];
    for (size_t i = 0; i < sizeof templates / sizeof *templates; i++) {
        const char *t = prompts_get(p, templates[i]);
        CHECK_MSG(t && strlen(t) > 200, "template %s", templates[i]);
        CHECK(prompts_check(p, templates[i], var_names, N_VARS) == 0);
        vars_for(v, "holdout", "- node 0 (draft), score 0.5: ridge");
        char *out = NULL;
        CHECK_MSG(prompts_render(&out, p, templates[i], v, N_VARS) == 0, "%s", err_last());
        CHECK_MSG(out && !has(out, "{{") && !has(out, "}}"), "%s has a raw tag", templates[i]);
        if (!strcmp(templates[i], "crossover")) /* both parents' plans and code */
            CHECK(has(out, "print('parent')") && has(out, "print('second parent')") &&
                  has(out, "Plan: ridge.") && has(out, "Plan: forest."));
        if (!strcmp(templates[i], "debug")) /* the failures on its line */
            CHECK(has(out, "failed with KeyError"));
        free(out);
    }
    CHECK(prompts_get(p, "draft.txt") == prompts_get(p, "draft"));
    CHECK(prompts_get(p, "plan") == NULL);
    CHECK_STR(prompts_source(p, "improve"), "built-in improve.txt");
}

/* The rules the prompts promise, in both scoring modes. */
static void test_rules(const prompts *p)
{
    prompt_var v[N_VARS];
    char *sys = NULL, *self = NULL;
    vars_for(v, "holdout", "");
    CHECK(prompts_render(&sys, p, "system", v, N_VARS) == 0);
    CHECK(has(sys, "./input") && has(sys, "./submission/submission.csv"));
    CHECK(has(sys, "Validation score: ") && has(sys, "```python"));
    CHECK(has(sys, "numpy, pandas, sklearn") && has(sys, "Python 3.11"));
    CHECK(has(sys, "2h 10m") && has(sys, "17 attempts") && has(sys, "10m"));
    CHECK(has(sys, "no network") && has(sys, "rmse; lower is better"));
    CHECK(has(sys, "Hardware: each script may use 4 CPU cores; 1 GPU (NVIDIA H100 80GB HBM3"));
    CHECK(has(sys, "./input/test.csv is a held-out split") && has(sys, "grove scores"));
    vars_for(v, "self-report", "");
    CHECK(prompts_render(&self, p, "system", v, N_VARS) == 0);
    CHECK(!has(self, "held-out split") && has(self, "what ranks the attempt"));
    free(sys);
    free(self);
}

static void test_draft_and_errors(const prompts *p)
{
    /* memory decides which draft paragraph appears */
    prompt_var v[N_VARS];
    char *first = NULL, *later = NULL;
    vars_for(v, "holdout", "");
    CHECK(prompts_render(&first, p, "draft", v, N_VARS) == 0);
    vars_for(v, "holdout", "- node 3 (draft), score 0.7: gradient boosting");
    CHECK(prompts_render(&later, p, "draft", v, N_VARS) == 0);
    CHECK(has(first, "first attempts") && !has(first, "Attempts so far"));
    CHECK(has(later, "Attempts so far") && has(later, "gradient boosting"));
    CHECK(!has(later, "first attempts"));
    CHECK(!has(first, "\n\n\n")); /* section lines leave no holes */
    free(first);
    free(later);

    /* a placeholder the agent does not provide is found at start */
    CHECK(prompts_check(p, "review", var_names, 14) < 0); /* the names before "code" */
    CHECK(has(err_last(), "built-in review.txt") && has(err_last(), "{{code}}"));
    CHECK(prompts_check(p, "nope", var_names, N_VARS) < 0 && has(err_last(), "'nope'"));
    /* and rendering without it fails */
    char *out = NULL;
    vars_for(v, "holdout", "");
    CHECK(prompts_render(&out, p, "improve", v, 3) < 0 && out == NULL);
    CHECK(has(err_last(), "improve.txt") && has(err_last(), "has no value"));
}

static void render(const char *tmpl, const char *want, int line)
{
    prompt_var v[] = {{"a", "A"}, {"b", ""}, {"c", NULL}, {"mode", "holdout"},
                      {"code", "x = {{a}}"}};
    char *out = NULL;
    int rc = prompts_render_text(&out, tmpl, "t.txt", v, sizeof v / sizeof *v);
    if (!want) {
        CHECK_MSG(rc < 0 && out == NULL, "line %d: rendered [%s]", line, out ? out : "");
        free(out);
        return;
    }
    CHECK_MSG(rc == 0, "line %d: %s", line, err_last());
    CHECK_MSG(out && strcmp(out, want) == 0, "line %d: [%s] != [%s]", line, out ? out : "",
              want);
    free(out);
}
#define RENDER(t, w) render(t, w, __LINE__)

static void test_syntax(void)
{
    RENDER("", "");
    RENDER("plain { text } here", "plain { text } here");
    RENDER("x={{a}}, y={{ a }}, b=[{{b}}], c=[{{c}}]", "x=A, y=A, b=[], c=[]");
    RENDER("{{code}}", "x = {{a}}"); /* values are not scanned */
    RENDER("\\{{a}} and {{a}}", "{{a}} and A");
    RENDER("{{#a}}yes{{/a}}{{#b}}no{{/b}}{{^b}}empty{{/b}}{{^c}}!{{/c}}", "yesempty!");
    RENDER("{{#mode=holdout}}H{{/mode}}{{#mode=self-report}}S{{/mode}}{{^mode=holdout}}N{{/mode}}",
           "H");
    RENDER("{{#a}}[{{#b}}x{{/b}}{{^b}}{{a}}{{/b}}]{{/a}}", "[A]");
    /* standalone section lines vanish, with their indentation */
    RENDER("one\n  {{#a}}\ntwo\n  {{/a}}\nthree\n{{#b}}\nfour\n{{/b}}\nfive\n",
           "one\ntwo\nthree\nfive\n");
    RENDER("one\r\n{{#a}}\r\ntwo\r\n{{/a}}\r\n", "one\r\ntwo\r\n");
    RENDER("x {{#a}}\ny{{/a}} z", "x \ny z"); /* not standalone: kept */
    /* errors */
    RENDER("{{missing}}", NULL);
    CHECK(has(err_last(), "t.txt line 1") && has(err_last(), "{{missing}} has no value"));
    RENDER("ok\n{{#b}}{{nope}}{{/b}}", NULL); /* even where not rendered */
    CHECK(has(err_last(), "line 2"));
    RENDER("{{a", NULL);
    CHECK(has(err_last(), "not closed"));
    RENDER("{{a\n}}", NULL);
    RENDER("{{a b}}", NULL);
    CHECK(has(err_last(), "not a placeholder"));
    RENDER("{{}}", NULL);
    RENDER("{{1a}}", NULL);
    RENDER("{{#a}}x", NULL);
    CHECK(has(err_last(), "never closed"));
    RENDER("{{/a}}", NULL);
    RENDER("{{#a}}{{#b}}{{/a}}{{/b}}", NULL);
    CHECK(has(err_last(), "reverse order"));
    RENDER("{{a=1}}", NULL);
    sb deep = {0};
    for (int i = 0; i < 17; i++)
        sb_puts(&deep, "{{#a}}");
    for (int i = 0; i < 17; i++)
        sb_puts(&deep, "{{/a}}");
    RENDER(sb_str(&deep), NULL);
    CHECK(has(err_last(), "nested deeper"));
    sb_free(&deep);

    const char *names[] = {"a", "b"};
    CHECK(prompts_check_text("{{a}}{{#b}}{{/b}}", "t", names, 2) == 0);
    CHECK(prompts_check_text("{{a}}{{^z}}{{/z}}", "t", names, 2) < 0);
    CHECK(has(err_last(), "{{z}} is not a variable grove provides (available: a, b)"));
    CHECK(prompts_check_text("{{a}}", "t", NULL, 0) < 0);
}

static void write_file(const char *dir, const char *name, const char *text)
{
    char *path = path_join(dir, name);
    CHECK(file_write_str(path, text) == 0);
    free(path);
}

static void test_overrides(void)
{
    char dir[] = "/tmp/grove-prompts-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    prompts *p = NULL;
    write_file(dir, "draft.txt", "Custom draft for {{task_description}}.\n");
    write_file(dir, "notes.md", "not a template; ignored");
    CHECK(prompts_load(&p, dir) == 0);
    if (p) {
        CHECK_STR(prompts_get(p, "draft"), "Custom draft for {{task_description}}.\n");
        CHECK(has(prompts_source(p, "draft"), dir));
        CHECK_STR(prompts_source(p, "debug"), "built-in debug.txt");
        prompt_var v = {"task_description", "X"};
        char *out = NULL;
        CHECK(prompts_render(&out, p, "draft", &v, 1) == 0);
        CHECK_STR(out, "Custom draft for X.\n");
        free(out);
        prompts_free(p);
    }
    /* a malformed override fails at load, naming its path and line */
    write_file(dir, "review.txt", "fine\n{{#output}}\nunclosed\n");
    CHECK(prompts_load(&p, dir) < 0 && p == NULL);
    CHECK(has(err_last(), "review.txt line 2") && has(err_last(), dir));
    write_file(dir, "review.txt", "");
    CHECK(prompts_load(&p, dir) < 0 && has(err_last(), "is empty"));
    char *path = path_join(dir, "review.txt");
    unlink(path);
    free(path);
    /* a file that overrides nothing is a mistake worth reporting */
    write_file(dir, "drafts.txt", "typo");
    CHECK(prompts_load(&p, dir) < 0 && has(err_last(), "drafts.txt overrides no template"));
    rm_rf(dir);
    CHECK(prompts_load(&p, dir) < 0 && has(err_last(), "cannot open"));
}

int main(void)
{
    prompts *p = NULL;
    CHECK(prompts_load(&p, NULL) == 0);
    if (p) {
        test_builtin(p);
        test_rules(p);
        test_draft_and_errors(p);
        prompts_free(p);
    }
    test_syntax();
    test_overrides();
    return check_done("prompts");
}

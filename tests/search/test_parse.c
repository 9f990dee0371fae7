/* test_parse.c: plan and code from replies, plan summaries, printed scores. */
#include "check.h"
#include "search.h"
#include "util.h"

#include <stdlib.h>

/* Parse and compare; NULL expectations mean "must fail". */
static void reply(const char *text, const char *plan, const char *code, int line)
{
    char *p = NULL, *c = NULL;
    int rc = search_parse_reply(text, &p, &c);
    if (!code) {
        CHECK_MSG(rc < 0 && p == NULL && c == NULL, "line %d: parsed a reply without code", line);
        return;
    }
    CHECK_MSG(rc == 0, "line %d: %s", line, err_last());
    if (rc == 0) {
        if (strcmp(p, plan) != 0 || strcmp(c, code) != 0)
            fprintf(stderr, "line %d: plan [%s] code [%s]\n", line, p, c);
        CHECK_STR(p, plan);
        CHECK_STR(c, code);
    }
    free(p);
    free(c);
}
#define REPLY(text, plan, code) reply(text, plan, code, __LINE__)

static void test_reply(void)
{
    REPLY("I will fit a ridge model.\n\n```python\nimport numpy\nprint(1)\n```\n",
          "I will fit a ridge model.", "import numpy\nprint(1)\n");
    REPLY("Plan.\n```py\nx = 1\n```", "Plan.", "x = 1\n");
    REPLY("Plan.\n```\nx = 1\n```", "Plan.", "x = 1\n");              /* bare */
    REPLY("Plan.\n```Python3 title=main\nx = 1\n```", "Plan.", "x = 1\n");
    /* CRLF */
    REPLY("Use trees.\r\n\r\n```python\r\nimport os\r\nprint(2)\r\n```\r\n", "Use trees.",
          "import os\nprint(2)\n");
    /* CRs doubled before newlines (a reply passed through two CRLF converters) */
    REPLY("Plan:\r\r\n```py\r\nx = \r\r\ny = 2\r\r\n```\r\n", "Plan:", "x = \ny = 2\n");
    /* unclosed final fence: the code runs to the end */
    REPLY("Plan here.\n```python\nimport sys\nprint(3)", "Plan here.", "import sys\nprint(3)\n");
    /* the largest of several python blocks */
    REPLY("First a snippet:\n```python\nx = 1\n```\nNow the script:\n```python\n"
          "import pandas as pd\ndf = pd.read_csv('input/train.csv')\n```\nDone.",
          "First a snippet:\n```python\nx = 1\n```\nNow the script:",
          "import pandas as pd\ndf = pd.read_csv('input/train.csv')\n");
    /* other languages never count; tagged python beats a larger bare block */
    REPLY("Install:\n```bash\npip install a-very-long-package-name-indeed\n```\n"
          "Layout:\n```\ninput/\n  train.csv\n  test.csv\n  sample_submission.csv\n```\n"
          "Code:\n```python\nprint(4)\n```\n",
          "Install:\n```bash\npip install a-very-long-package-name-indeed\n```\n"
          "Layout:\n```\ninput/\n  train.csv\n  test.csv\n  sample_submission.csv\n```\n"
          "Code:", "print(4)\n");
    /* only a bash block: no code */
    REPLY("Run this:\n```bash\nls\n```\n", NULL, NULL);
    /* no block at all, empty block, NULL */
    REPLY("I think we should use xgboost.", NULL, NULL);
    REPLY("Plan\n```python\n   \n```\n", NULL, NULL);
    REPLY(NULL, NULL, NULL);
    CHECK(strstr(err_last(), "") != NULL);
    char *p = NULL, *c = NULL;
    CHECK(search_parse_reply("no code", &p, &c) < 0 && strstr(err_last(), "```python"));
    /* code first: the plan is the prose after it */
    REPLY("```python\nprint(5)\n```\nThis prints five.", "This prints five.", "print(5)\n");
    REPLY("```python\nprint(5)\n```", "", "print(5)\n");
    /* indented fences (inside a list) lose their indentation; longer fences
     * may contain shorter ones */
    REPLY("1. Do it:\n   ```python\n   def f():\n       return 1\n   ```\n", "1. Do it:",
          "def f():\n    return 1\n");
    REPLY("P\n````python\ns = '''\n```\n'''\n````\n", "P", "s = '''\n```\n'''\n");
    /* a fence-looking line with text after the ticks does not close */
    REPLY("P\n```python\nx = '``` not a fence'\n``` still not\ny = 2\n```\n", "P",
          "x = '``` not a fence'\n``` still not\ny = 2\n");
    /* leading blank lines and trailing space go; inner blank lines stay */
    REPLY("P\n```python\n\n\nimport a\n\n\nimport b   \n\n```", "P", "import a\n\n\nimport b\n");
}

static void summary(const char *plan, size_t max, const char *want, int line)
{
    char *s = search_plan_summary(plan, max);
    CHECK_MSG(strcmp(s, want) == 0, "line %d: [%s] != [%s]", line, s, want);
    CHECK_MSG(strlen(s) <= max, "line %d: %zu > %zu", line, strlen(s), max);
    free(s);
}
#define SUMMARY(plan, max, want) summary(plan, max, want, __LINE__)

static void test_summary(void)
{
    SUMMARY("Add target encoding. Then tune depth.", 80, "Add target encoding");
    SUMMARY("  \n\n## Plan\n\n**Plan:** Train LightGBM with 5 folds.\nMore.", 80,
            "Train LightGBM with 5 folds");
    SUMMARY("1. Use e.g. ridge with alpha 0.5 on scaled features! Next", 80,
            "Use e.g. ridge with alpha 0.5 on scaled features");
    SUMMARY("- Fix the KeyError: the column is 'Id' not 'id'", 80,
            "Fix the KeyError: the column is 'Id' not 'id'");
    SUMMARY("Approach:\tgradient   boosting\ton all\tfeatures", 80,
            "gradient boosting on all features");
    SUMMARY("Replace the random forest with a gradient boosted model using many trees", 40,
            "Replace the random forest with a...");
    SUMMARY("Supercalifragilisticexpialidocious", 10, "Superca...");
    SUMMARY("abcdef", 3, "abc");
    SUMMARY("anything", 0, "");
    SUMMARY(NULL, 10, "");
    SUMMARY("", 10, "");
    SUMMARY("### \n\n", 10, "");
    /* UTF-8 is never split */
    char *s = search_plan_summary("Ajouter l'encodage cible pour les catégories étendues", 27);
    CHECK(strlen(s) <= 27);
    for (size_t i = 0; s[i]; i++)
        if ((unsigned char)s[i] >= 0x80 && ((unsigned char)s[i] & 0xC0) == 0xC0)
            CHECK(((unsigned char)s[i + 1] & 0xC0) == 0x80);
    free(s);
}

static void score(const char *out, int found, double want, int line)
{
    double v = -12345;
    int got = search_parse_self_score(out, &v);
    CHECK_MSG(got == found, "line %d: found %d, expected %d", line, got, found);
    if (found && got)
        CHECK_MSG(v == want, "line %d: %.10g != %.10g", line, v, want);
}
#define SCORE(out, found, want) score(out, found, want, __LINE__)

static void test_self_score(void)
{
    SCORE("Validation AUC: 0.8123\n", 1, 0.8123);
    SCORE("val_score=0.81", 1, 0.81);
    SCORE("validation rmse 1234.5\n", 1, 1234.5);
    SCORE("Validation score: 0.81\r\n", 1, 0.81);
    SCORE("Val score = 0.81", 1, 0.81);
    SCORE("VALIDATION LOG LOSS: 0.45", 1, 0.45);
    SCORE("Validation accuracy (5-fold): 85.3%", 1, 85.3);
    SCORE("Validation RMSE: 1.5e-3", 1, 1.5e-3);
    SCORE("Validation score: -0.25.", 1, -0.25);
    SCORE("Validation MAE is 12", 1, 12);
    SCORE("Best validation score 0.82 at iteration 100", 1, 0.82);
    /* last wins */
    SCORE("Validation AUC: 0.70\nepoch 2\nValidation AUC: 0.75\n", 1, 0.75);
    /* "validation score" beats other names even when earlier */
    SCORE("Validation score: 0.61\nval_loss: 0.3\n", 1, 0.61);
    /* not scores */
    SCORE("Validation set size: 2000\n", 0, 0);
    SCORE("Train/validation split: 80/20\n", 0, 0);
    SCORE("Number of validation samples: 500\n", 0, 0);
    SCORE("Validation fold 3\n", 0, 0);
    SCORE("interval: 5\nevaluation 3\n", 0, 0);
    SCORE("[10]\tvalidation_0-logloss:0.61234\n", 0, 0);
    SCORE("Training accuracy: 0.99\n", 0, 0);
    SCORE("Validation AUC: nan\n", 0, 0);
    SCORE("", 0, 0);
    SCORE(NULL, 0, 0);
    /* a split-size line does not shadow the real score before it */
    SCORE("Validation accuracy: 0.9\nValidation rows: 300\n", 1, 0.9);
}

int main(void)
{
    test_reply();
    test_summary();
    test_self_score();
    return check_done("search parse");
}

/*
 * common.h: helpers shared by the builtin coder's tests: building request
 * contexts, asking the coder, pulling the python block out of a reply,
 * and running a script in a scratch workspace on a synthetic competition
 * made by make_data.py.
 */
#ifndef GROVE_TEST_BUILTIN_COMMON_H
#define GROVE_TEST_BUILTIN_COMMON_H

#include <cjson/cJSON.h>

/* The competition object for a make_data.py kind (binary, multiclass,
 * regression, text, image). Caller frees. */
cJSON *t_competition(const char *kind);
/* A context {"action", "competition", ...}; extra fields added by caller. */
cJSON *t_context(const char *action, const char *kind, int n_drafts);
/* The coder's reply (caller frees) or NULL with the error printed. */
char *t_reply(const cJSON *ctx, unsigned long seed);
/* The python block of the coder's reply to ctx, or NULL. Caller frees. */
char *t_code(const cJSON *ctx, unsigned long seed);
/* The body of the single ```python block of a reply, or NULL. Caller frees. */
char *t_python_block(const char *reply);
/* The config line of a script, parsed; NULL when absent. Caller frees. */
cJSON *t_config(const char *code);
/* How many fields two configs differ in (each parameter counts on its own). */
int t_config_diff(const cJSON *a, const cJSON *b);

typedef struct t_run {
    int status;        /* exit status of the script */
    char *output;      /* stdout + stderr */
    double score;      /* parsed "Validation score:"; NAN when absent */
    char *workspace;   /* the folder it ran in */
} t_run;

/* Run `code` with /usr/bin/python3 in a fresh workspace whose input/ holds
 * the `kind` competition. 0 when it ran (whatever its exit status). */
int t_run_script(t_run *out, const char *kind, const char *code);
/* Check submission.csv against the sample submission: same ids in the same
 * order, same columns, numeric finite values, probabilities in [0, 1] with
 * rows summing to 1 for multi-column sample submissions. Returns failures. */
int t_check_submission(const t_run *run, const char *kind);
void t_run_free(t_run *r);
/* Remove every workspace made by this process. */
void t_cleanup(void);

#endif

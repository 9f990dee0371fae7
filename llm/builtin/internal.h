/*
 * internal.h (private to llm/builtin/): the pieces of the builtin coder.
 *
 * A script is described by a config, a cJSON object that is also written as
 * the script's first line ("# grove-builtin: {...}") so a later improve or
 * debug request can read back exactly what the parent was:
 *
 *   {"family": "hgb", "params": {...}, "features": ["row_stats"],
 *    "encoding": "onehot", "text": "word", "image": "hog",
 *    "max_rows": 30000, "label_source": "given",
 *    "ensemble": null | {"family": "linear", "params": {...}}}
 *
 * config.c knows the families, their defaults and the valid values; change.c
 * turns a parent config into a child (improve: one atomic change; debug: the
 * fix for the exception seen); render.c fills the Python templates; review.c
 * reads a run's output. builtin.c parses the request and writes the reply.
 */
#ifndef GROVE_LLM_BUILTIN_INTERNAL_H
#define GROVE_LLM_BUILTIN_INTERNAL_H

#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdlib.h>

#include "util.h"

/* The request's context, read once. Strings point into the cJSON context
 * (borrowed); missing strings are "" and missing numbers -1. */
typedef struct bi_req {
    const char *action;       /* draft, improve, debug, crossover, review */
    int node, parent, n_drafts, n_children, exec_timeout_s;
    const cJSON *comp;        /* the competition object (never NULL) */
    const char *task;         /* binary, multiclass, regression, other */
    const char *metric;
    const char *modality;     /* optional hint: tabular, text, image, "" */
    const char *parent_code, *parent_output, *other_code;
    const char *parent2_code; /* crossover: the second parent's script */
    const cJSON *tried_codes; /* codes already tried on the parent (its other
                                 children), an array of strings, or NULL */
    const char *code, *output; /* review */
    const char *exc_type, *exc_message; /* "" when no exception */
    unsigned long seed;       /* the run's seed (the scripts' split seed) */
    uint64_t rng;             /* seeded from the seed, node and action */
} bi_req;

/* splitmix64: the next pseudo-random value of *state. */
uint64_t bi_rand(uint64_t *state);

/* ---- config.c ---------------------------------------------------------- */

typedef struct bi_family {
    const char *name;     /* "hgb" */
    const char *label;    /* "histogram gradient boosting" */
    const char *module;   /* Python module it needs beyond sklearn, or NULL */
    int dense;            /* fit on a dense matrix: text goes through SVD (trees
                             need it; the MLP is far faster on 100 dense dims
                             than on 20,000 sparse ones) */
    const char *defaults; /* JSON object of its parameters */
    const char *ladders;  /* JSON object: parameter -> ordered values to try */
} bi_family;

const bi_family *bi_family_find(const char *name);
/* Valid values of the config's enumerated fields, NULL-terminated. */
extern const char *const bi_features[];
extern const char *const bi_encodings[];
extern const char *const bi_text_modes[];
extern const char *const bi_image_modes[];
int bi_in_list(const char *const *list, const char *s);

/* A fresh config for `family` suited to the request (timeout, modality).
 * Caller frees with cJSON_Delete. */
cJSON *bi_config_new(const bi_req *r, const char *family);
/* The family's default parameters; caller frees with cJSON_Delete. */
cJSON *bi_family_params(const bi_family *f);
/* Read the config line of a script. 1: found and valid (*out owned by the
 * caller); 0: the script has no config line (not ours); < 0: a config line
 * that does not validate (err_last() says which field). */
int bi_config_from_code(cJSON **out, const char *code);
/* Validate a parsed config in place, filling absent parameters with the
 * family's defaults. 0 or < 0 with err_last(). */
int bi_config_check(cJSON *cfg);

/* ---- change.c ---------------------------------------------------------- */

/* One atomic improvement of cfg (taken and freed) that was not tried on
 * the parent yet; returns the new config (the caller frees it) and appends
 * the plan sentence. */
cJSON *bi_improve(cJSON *cfg, const bi_req *r, sb *plan);

/* ---- crossover.c ------------------------------------------------------- */

/* Merge the second parent's config (r->parent2_code) into cfg, the first's
 * (taken and freed); returns the child's config (the caller frees it), or
 * NULL with err_last(); appends the plan sentences. */
cJSON *bi_crossover(cJSON *cfg, const bi_req *r, sb *plan);

/* ---- debug.c ----------------------------------------------------------- */

/* Apply the fix for the request's exception; appends the plan sentence. */
int bi_debug(cJSON *cfg, const bi_req *r, sb *plan);
/* The last traceback line "Name: message" (Name ending in Error or
 * Exception) of `out`: type into ty, message into msg ("" when none). */
void bi_last_error_line(const char *out, char *ty, size_t ty_n, char *msg, size_t msg_n);

/* ---- render.c ---------------------------------------------------------- */

/* Fill `tpl`: {{name}} becomes vars.name as a Python literal, {{=name}} the
 * string vars.name as is. An unknown name is an error naming `tpl_name`. */
int bi_render(sb *out, const char *tpl_name, const char *tpl, const cJSON *vars);
/* The whole solution script for cfg; *out is owned by the caller. */
int bi_script(char **out, const cJSON *cfg, const bi_req *r);
/* Short human description of a config ("random forest (150 trees) ..."). */
void bi_describe(sb *out, const cJSON *cfg);

/* ---- review.c ---------------------------------------------------------- */

/* The review JSON object for r->code / r->output; caller frees. */
char *bi_review(const bi_req *r);

#endif

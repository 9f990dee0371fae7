/*
 * prompts.h: the prompt templates, embedded at build time, overridable.
 *
 * Templates are plain-text files in prompts/templates/ (system.txt, draft.txt,
 * improve.txt, debug.txt, review.txt) with {{placeholders}}. A folder given
 * with --prompts overrides any of them by file name. Rendering with a
 * placeholder that no variable fills is an error, never a literal "{{x}}" in
 * a prompt; prompts_check() finds that at start.
 */
#ifndef GROVE_PROMPTS_H
#define GROVE_PROMPTS_H

#include <stddef.h>

typedef struct prompts prompts;

typedef struct prompt_var {
    const char *name;  /* without braces */
    const char *value; /* NULL renders as "" */
} prompt_var;

/* Load the embedded templates, then overrides from dir (may be NULL). */
int prompts_load(prompts **out, const char *override_dir);
void prompts_free(prompts *p);

/* The raw text of a template ("draft"), or NULL. */
const char *prompts_get(const prompts *p, const char *name);

/* Verify that every placeholder of template `name` is among `names`
 * (n of them). < 0 with err_last() naming the template and placeholder. */
int prompts_check(const prompts *p, const char *name, const char *const *names, size_t n);

/* Render template `name` with vars. *out is owned by the caller. */
int prompts_render(char **out, const prompts *p, const char *name,
                   const prompt_var *vars, size_t n_vars);

#endif

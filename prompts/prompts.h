/*
 * prompts.h: the prompt templates, embedded at build time, overridable.
 *
 * Templates are plain-text files in prompts/templates/ (system.txt, draft.txt,
 * improve.txt, debug.txt, review.txt) with {{placeholders}}. A folder given
 * with --prompts overrides any of them by file name. Rendering with a
 * placeholder that no variable fills is an error, never a literal "{{x}}" in
 * a prompt; prompts_check() finds that at start.
 *
 * Template syntax:
 *   {{name}}               the variable's value, inserted verbatim (values are
 *                          never scanned for tags). Spaces inside the braces
 *                          are allowed; names are letters, digits and _.
 *   {{#name}}...{{/name}}  the inside only when the variable is non-empty
 *   {{^name}}...{{/name}}  the inside only when it is empty (or NULL)
 *   {{#name=text}}...{{/name}}, {{^name=text}}...{{/name}}
 *                          the inside only when the value is (is not)
 *                          exactly `text`, e.g. {{#scoring_mode=holdout}}
 *   \{{                    a literal "{{"
 * Sections nest (up to 16 deep). A section tag alone on its line removes the
 * whole line, so sections add no blank lines. Every placeholder, section
 * names included, must be among the variables passed, even inside a section
 * that is not rendered. Errors name the template file and line.
 */
#ifndef GROVE_PROMPTS_H
#define GROVE_PROMPTS_H

#include <stddef.h>

typedef struct prompts prompts;

typedef struct prompt_var {
    const char *name;  /* without braces */
    const char *value; /* NULL renders as "" */
} prompt_var;

/* Load the embedded templates, then overrides from dir (may be NULL): a
 * file dir/draft.txt replaces the built-in draft template. Every template's
 * syntax is checked; a .txt file in dir that matches no template, an empty
 * override or a missing dir is an error. *out is freed with prompts_free. */
int prompts_load(prompts **out, const char *override_dir);
void prompts_free(prompts *p);

/* The raw text of a template ("draft" or "draft.txt"), or NULL. */
const char *prompts_get(const prompts *p, const char *name);
/* Where it came from: "built-in draft.txt" or an override's path; or NULL. */
const char *prompts_source(const prompts *p, const char *name);

/* Verify that every placeholder of template `name` is among `names`
 * (n of them). < 0 with err_last() naming the template and placeholder. */
int prompts_check(const prompts *p, const char *name, const char *const *names, size_t n);

/* Render template `name` with vars. *out is owned by the caller. < 0 with
 * err_last() for an unknown template or a placeholder with no variable. */
int prompts_render(char **out, const prompts *p, const char *name,
                   const prompt_var *vars, size_t n_vars);

/* The same two operations on template text held by the caller; `source`
 * names it in error messages. */
int prompts_check_text(const char *tmpl, const char *source, const char *const *names,
                       size_t n);
int prompts_render_text(char **out, const char *tmpl, const char *source,
                        const prompt_var *vars, size_t n_vars);

#endif

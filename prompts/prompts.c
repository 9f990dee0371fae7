/*
 * prompts.c: the set of prompt templates grove uses, embedded at build time
 * (prompts/meson.build runs tools/embed over prompts/templates/), optionally
 * overridden file by file from a folder given with --prompts.
 *
 * Every template is validated when loaded, so a malformed override fails at
 * start with its path and line, not in the middle of a run. A .txt file in
 * the override folder that matches no template is an error too: a typo such
 * as "drafts.txt" would otherwise be ignored without a word.
 */
#include "embed.h"
#include "prompts_int.h"
#include "util.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>

extern const embed_file prompts_embedded[]; /* generated: prompts_embed.c */

static const char *const names[] = {"system", "draft", "improve", "debug", "review",
                                     "crossover"};
#define N_TEMPLATES (sizeof names / sizeof *names)

struct prompts {
    char *text[N_TEMPLATES];   /* owned copies */
    char *source[N_TEMPLATES]; /* "built-in draft.txt" or the override's path */
};

/* Index of a template name ("draft" or "draft.txt"), or -1. */
static int find(const char *name)
{
    size_t n = name ? strlen(name) : 0;
    if (n > 4 && strcmp(name + n - 4, ".txt") == 0)
        n -= 4;
    for (size_t i = 0; i < N_TEMPLATES; i++)
        if (strlen(names[i]) == n && strncmp(names[i], name, n) == 0)
            return (int)i;
    return -1;
}

static void known_list(sb *out)
{
    for (size_t i = 0; i < N_TEMPLATES; i++)
        sb_printf(out, "%s%s.txt", i ? ", " : "", names[i]);
}

/* Refuse .txt files in the override folder that replace nothing. */
static int check_override_names(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return err_set("prompts: cannot open the --prompts folder %s (give a folder holding "
                       "some of system.txt, draft.txt, improve.txt, debug.txt, review.txt, "
                       "crossover.txt)",
                       dir);
    int rc = 0;
    struct dirent *e;
    while (rc == 0 && (e = readdir(d))) {
        if (e->d_name[0] != '.' && str_ends(e->d_name, ".txt") && find(e->d_name) < 0) {
            sb list = {0};
            known_list(&list);
            rc = err_set("prompts: %s/%s overrides no template (the templates are: %s)", dir,
                         e->d_name, sb_str(&list));
            sb_free(&list);
        }
    }
    closedir(d);
    return rc;
}

static int load_override(prompts *p, size_t i, const char *dir)
{
    char *file = xasprintf("%s.txt", names[i]);
    char *path = path_join(dir, file);
    free(file);
    if (!file_exists(path)) {
        free(path);
        return 0;
    }
    char *text = NULL;
    if (file_read(path, &text, NULL) < 0) {
        err_prefix("prompts: %s", path);
        free(path);
        return -1;
    }
    if (strlen(text) == 0) {
        free(text);
        int rc = err_set("prompts: %s is empty (delete it to use the built-in %s.txt)", path,
                         names[i]);
        free(path);
        return rc;
    }
    free(p->text[i]);
    free(p->source[i]);
    p->text[i] = text;
    p->source[i] = path;
    return 0;
}

int prompts_load(prompts **out, const char *override_dir)
{
    *out = NULL;
    prompts *p = xcalloc(1, sizeof *p);
    for (size_t i = 0; i < N_TEMPLATES; i++) {
        char *file = xasprintf("%s.txt", names[i]);
        const embed_file *f = embed_find(prompts_embedded, file);
        p->source[i] = xasprintf("built-in %s", file);
        free(file);
        if (!f) {
            err_set("prompts: the built-in %s.txt is missing (a build problem: rebuild grove)",
                    names[i]);
            goto fail;
        }
        p->text[i] = xstrdup(f->data);
    }
    if (override_dir) {
        if (check_override_names(override_dir) < 0)
            goto fail;
        for (size_t i = 0; i < N_TEMPLATES; i++)
            if (load_override(p, i, override_dir) < 0)
                goto fail;
    }
    for (size_t i = 0; i < N_TEMPLATES; i++)
        if (template_validate(p->text[i], p->source[i]) < 0)
            goto fail;
    *out = p;
    return 0;
fail:
    prompts_free(p);
    return -1;
}

void prompts_free(prompts *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < N_TEMPLATES; i++) {
        free(p->text[i]);
        free(p->source[i]);
    }
    free(p);
}

const char *prompts_get(const prompts *p, const char *name)
{
    int i = find(name);
    return i < 0 ? NULL : p->text[i];
}

const char *prompts_source(const prompts *p, const char *name)
{
    int i = find(name);
    return i < 0 ? NULL : p->source[i];
}

static int unknown(const char *name)
{
    sb list = {0};
    known_list(&list);
    err_set("prompts: no template named '%s' (the templates are: %s)", name ? name : "(null)",
            sb_str(&list));
    sb_free(&list);
    return -1;
}

int prompts_check(const prompts *p, const char *name, const char *const *names_, size_t n)
{
    int i = find(name);
    if (i < 0)
        return unknown(name);
    return prompts_check_text(p->text[i], p->source[i], names_, n);
}

int prompts_render(char **out, const prompts *p, const char *name, const prompt_var *vars,
                   size_t n_vars)
{
    *out = NULL;
    int i = find(name);
    if (i < 0)
        return unknown(name);
    return prompts_render_text(out, p->text[i], p->source[i], vars, n_vars);
}

/*
 * template.c: the template language of the prompts (syntax in prompts.h).
 *
 * A scanner cuts a template into tokens (text, {{var}}, {{#open}},
 * {{^open}}, {{/close}}); rendering, checking and validation are three walks
 * over the same tokens, so they cannot disagree about what a template means.
 * Templates are small and rendered a few times per node, so nothing is
 * cached: each walk scans again.
 *
 * Values are inserted verbatim and never scanned, so a parent script that
 * contains "{{" cannot inject a placeholder. Every placeholder must have a
 * value even inside a section that is not rendered: a typo in a rarely taken
 * branch is found on the first render, not in the hundredth prompt.
 */
#include "prompts_int.h"
#include "util.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 16

typedef enum { TOK_TEXT, TOK_VAR, TOK_OPEN, TOK_INVERT, TOK_CLOSE, TOK_END } tok_kind;

typedef struct token {
    tok_kind kind;
    const char *str;   /* TEXT: the text; others: the name */
    size_t len;
    const char *value; /* {{#name=value}}: the value compared with */
    size_t value_len;
    int has_value;
    const char *at;    /* where the token starts, for line numbers */
} token;

typedef struct scanner {
    const char *src, *pos;
    const char *source; /* file name for messages */
} scanner;

static int line_of(const scanner *s, const char *at)
{
    int line = 1;
    for (const char *p = s->src; p < at; p++)
        line += *p == '\n';
    return line;
}

static int is_space(char c) { return c == ' ' || c == '\t'; }

/* Does the tag body at p (after "{{") open or close a section? */
static int section_sigil(const char *p)
{
    while (is_space(*p))
        p++;
    return *p == '#' || *p == '^' || *p == '/';
}

/* Is the tag [tag, close) alone on its line? Then the whole line goes. */
static int standalone(const scanner *s, const char *tag, const char *close)
{
    const char *p = tag;
    while (p > s->src && is_space(p[-1]))
        p--;
    if (p > s->src && p[-1] != '\n')
        return 0;
    for (p = close; *p && *p != '\n'; p++)
        if (!is_space(*p) && *p != '\r')
            return 0;
    return 1;
}

/* Parse the inside of a tag at s->pos ("{{" ... "}}") into t. */
static int parse_tag(scanner *s, token *t)
{
    const char *open = s->pos, *close = strstr(open + 2, "}}");
    const char *nl = strchr(open + 2, '\n');
    if (!close || (nl && nl < close))
        return err_set("prompts: %s line %d: '{{' is not closed by '}}' on the same line "
                       "(write \\{{ for literal braces)", s->source, line_of(s, open));
    const char *p = open + 2, *e = close;
    while (p < e && is_space(*p))
        p++;
    while (e > p && is_space(e[-1]))
        e--;
    t->kind = TOK_VAR;
    if (p < e && (*p == '#' || *p == '^' || *p == '/')) {
        t->kind = *p == '#' ? TOK_OPEN : *p == '^' ? TOK_INVERT : TOK_CLOSE;
        p++;
        while (p < e && is_space(*p))
            p++;
    }
    t->str = p;
    while (p < e && (isalnum((unsigned char)*p) || *p == '_'))
        p++;
    t->len = (size_t)(p - t->str);
    t->has_value = 0;
    if (p < e && *p == '=' && (t->kind == TOK_OPEN || t->kind == TOK_INVERT)) {
        t->has_value = 1;
        t->value = p + 1;
        t->value_len = (size_t)(e - t->value);
        p = e;
    }
    if (t->len == 0 || isdigit((unsigned char)*t->str) || p != e)
        return err_set("prompts: %s line %d: '%.*s' is not a placeholder (names are letters, "
                       "digits and _; write \\{{ for literal braces)", s->source,
                       line_of(s, open), (int)(close + 2 - open), open);
    t->at = open;
    s->pos = close + 2;
    if (t->kind != TOK_VAR && standalone(s, open, s->pos)) {
        while (*s->pos && *s->pos != '\n')
            s->pos++;
        if (*s->pos)
            s->pos++;
    }
    return 0;
}

/* The next token; 0 or < 0 with err_set for a malformed tag. */
static int scan(scanner *s, token *t)
{
    const char *p = s->pos;
    t->at = p;
    if (!*p) {
        t->kind = TOK_END;
        return 0;
    }
    if (p[0] == '\\' && p[1] == '{' && p[2] == '{') { /* escaped braces */
        t->kind = TOK_TEXT;
        t->str = p + 1;
        t->len = 2;
        s->pos = p + 3;
        return 0;
    }
    if (p[0] == '{' && p[1] == '{')
        return parse_tag(s, t);
    const char *q = p;
    while (*q && !(q[0] == '{' && q[1] == '{') && !(q[0] == '\\' && q[1] == '{' && q[2] == '{'))
        q++;
    t->kind = TOK_TEXT;
    t->str = p;
    t->len = (size_t)(q - p);
    s->pos = q;
    /* A standalone section tag takes its indentation with it. */
    if (q[0] == '{' && q[1] == '{' && section_sigil(q + 2)) {
        const char *close = strstr(q + 2, "}}");
        if (close && standalone(s, q, close + 2))
            while (t->len && is_space(t->str[t->len - 1]))
                t->len--;
    }
    return 0;
}

static const prompt_var *lookup(const prompt_var *vars, size_t n, const token *t)
{
    for (size_t i = 0; i < n; i++)
        if (strlen(vars[i].name) == t->len && strncmp(vars[i].name, t->str, t->len) == 0)
            return &vars[i];
    return NULL;
}

static int is_active(const token *t, const prompt_var *v)
{
    const char *val = v->value ? v->value : "";
    int on = t->has_value
        ? strlen(val) == t->value_len && strncmp(val, t->value, t->value_len) == 0
        : *val != 0;
    return t->kind == TOK_OPEN ? on : !on;
}

/* Names the caller passed, for an error message. */
static void list_names(sb *out, const prompt_var *vars, size_t n, const char *const *names)
{
    for (size_t i = 0; i < n; i++)
        sb_printf(out, "%s%s", i ? ", " : "", vars ? vars[i].name : names[i]);
    if (!n)
        sb_puts(out, "none");
}

/* Is the placeholder t among the variables (setting *v) or the names? With
 * neither list, any name will do (syntax check only). */
static int resolve(const scanner *s, const token *t, const prompt_var *vars,
                   const char *const *names, size_t n, const prompt_var **v)
{
    int known = !vars && !names;
    if (vars)
        known = (*v = lookup(vars, n, t)) != NULL;
    for (size_t i = 0; names && i < n && !known; i++)
        known = strlen(names[i]) == t->len && strncmp(names[i], t->str, t->len) == 0;
    if (known)
        return 0;
    sb list = {0};
    list_names(&list, vars, n, names);
    err_set("prompts: %s line %d: placeholder {{%.*s}} %s (available: %s)", s->source,
            line_of(s, t->at), (int)t->len, t->str,
            vars ? "has no value" : "is not a variable grove provides", sb_str(&list));
    sb_free(&list);
    return -1;
}

/*
 * The one walk behind render, check and validate. With vars, placeholders
 * are looked up there and text goes to out; with names (check), they are
 * only looked up; with neither, only the syntax is checked.
 */
static int walk(const char *tmpl, const char *source, const prompt_var *vars,
                const char *const *names, size_t n, sb *out)
{
    scanner s = {tmpl, tmpl, source ? source : "template"};
    token t, stack[MAX_DEPTH];
    int depth = 0, skip = 0; /* skip: depth of the outermost inactive section + 1 */
    for (;;) {
        if (scan(&s, &t) < 0)
            return -1;
        if (t.kind == TOK_END)
            break;
        if (t.kind == TOK_TEXT) {
            if (out && !skip)
                sb_append(out, t.str, t.len);
            continue;
        }
        if (t.kind == TOK_CLOSE) {
            if (depth == 0 || stack[depth - 1].len != t.len ||
                strncmp(stack[depth - 1].str, t.str, t.len) != 0)
                return err_set("prompts: %s line %d: {{/%.*s}} closes no open {{#%.*s}}%s",
                               s.source, line_of(&s, t.at), (int)t.len, t.str, (int)t.len,
                               t.str, depth ? " (sections close in reverse order)" : "");
            if (skip == depth)
                skip = 0;
            depth--;
            continue;
        }
        const prompt_var *v = NULL;
        if (resolve(&s, &t, vars, names, n, &v) < 0)
            return -1;
        if (t.kind == TOK_VAR) {
            if (out && !skip && v->value)
                sb_puts(out, v->value);
            continue;
        }
        if (depth == MAX_DEPTH)
            return err_set("prompts: %s line %d: sections nested deeper than %d", s.source,
                           line_of(&s, t.at), MAX_DEPTH);
        stack[depth++] = t;
        if (!skip && v && !is_active(&t, v))
            skip = depth;
    }
    if (depth)
        return err_set("prompts: %s line %d: {{%c%.*s}} is never closed (add {{/%.*s}})",
                       s.source, line_of(&s, stack[depth - 1].at),
                       stack[depth - 1].kind == TOK_OPEN ? '#' : '^', (int)stack[depth - 1].len,
                       stack[depth - 1].str, (int)stack[depth - 1].len, stack[depth - 1].str);
    return 0;
}

int template_validate(const char *tmpl, const char *source)
{
    return walk(tmpl, source, NULL, NULL, 0, NULL);
}

int prompts_check_text(const char *tmpl, const char *source, const char *const *names,
                       size_t n)
{
    static const char *const none[1] = {""};
    return walk(tmpl, source, NULL, names ? names : none, names ? n : 0, NULL);
}

int prompts_render_text(char **out, const char *tmpl, const char *source,
                        const prompt_var *vars, size_t n_vars)
{
    static const prompt_var none[1] = {{"", NULL}};
    sb buf = {0};
    *out = NULL;
    if (walk(tmpl, source, vars ? vars : none, NULL, vars ? n_vars : 0, &buf) < 0) {
        sb_free(&buf);
        return -1;
    }
    *out = buf.buf ? sb_steal(&buf) : xstrdup("");
    return 0;
}

/*
 * parse.c: reading an LLM reply (plan and code) and a script's output (the
 * score it printed).
 *
 * Code blocks are found by a line scanner that follows CommonMark's fence
 * rules closely enough for LLM replies: an opening fence is a line of three
 * or more backticks (maybe indented) followed by an info string; the block
 * ends at a line of at least as many backticks and nothing else, or at the
 * end of the reply when the model stopped mid-block (a truncated reply still
 * carries usable code). Blocks tagged python/py/python3/py3 are the code;
 * bare blocks count only when no tagged one exists, and blocks in other
 * languages (bash, json, text...) never do. Among the candidates the largest
 * wins: models often show a short snippet before the full script. The plan
 * is the prose before the chosen block (after it, if nothing precedes it).
 *
 * The self-reported score is found with one PCRE2 pattern (see
 * search_parse_self_score).
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "search.h"
#include "util.h"

#include <ctype.h>
#include <math.h>
#include <pcre2.h>
#include <stdlib.h>
#include <string.h>

typedef struct block {
    const char *open;   /* start of the opening fence line */
    const char *body;   /* first byte after the opening fence line */
    const char *end;    /* start of the closing fence line (or end of text) */
    const char *after;  /* first byte after the closing fence line */
    size_t indent;      /* indentation of the opening fence */
    int kind;           /* 2 python-tagged, 1 bare, 0 another language */
} block;

static const char *line_end(const char *p)
{
    const char *nl = strchr(p, '\n');
    return nl ? nl : p + strlen(p);
}

static const char *next_line(const char *p)
{
    const char *e = line_end(p);
    return *e ? e + 1 : e;
}

static int is_blank(char c) { return c == ' ' || c == '\t' || c == '\r'; }

/* Is [p, e) a fence line? Returns the backtick count (0 if not) and sets
 * *indent and *info (the info string start) when it is. */
static size_t fence(const char *p, const char *e, size_t *indent, const char **info)
{
    const char *s = p;
    while (s < e && (*s == ' ' || *s == '\t'))
        s++;
    const char *ticks = s;
    while (s < e && *s == '`')
        s++;
    size_t n = (size_t)(s - ticks);
    if (n < 3 || memchr(s, '`', (size_t)(e - s)))
        return 0;
    *indent = (size_t)(ticks - p);
    *info = s;
    return n;
}

static int info_kind(const char *info, const char *e)
{
    while (info < e && is_blank(*info))
        info++;
    const char *w = info;
    while (w < e && !is_blank(*w) && *w != '{')
        w++;
    size_t n = (size_t)(w - info);
    if (n == 0)
        return 1;
    static const char *const tags[] = {"python", "py", "python3", "py3"};
    for (size_t i = 0; i < sizeof tags / sizeof *tags; i++)
        if (strlen(tags[i]) == n && strncasecmp(info, tags[i], n) == 0)
            return 2;
    return 0;
}

/* Find the block opening at or after *pos; 1 when found (and *pos moves past
 * it), 0 at the end of the text. */
static int next_block(const char **pos, block *b)
{
    for (const char *p = *pos; *p; p = next_line(p)) {
        const char *e = line_end(p), *info;
        size_t indent, ticks = fence(p, e, &indent, &info);
        if (!ticks)
            continue;
        b->open = p;
        b->body = next_line(p);
        b->indent = indent;
        b->kind = info_kind(info, e);
        for (const char *q = b->body; *q; q = next_line(q)) {
            const char *qe = line_end(q), *qinfo;
            size_t qindent, qticks = fence(q, qe, &qindent, &qinfo);
            const char *rest = qinfo;
            while (qticks && rest < qe && is_blank(*rest))
                rest++;
            if (qticks >= ticks && rest == qe) {
                b->end = q;
                b->after = next_line(q);
                *pos = b->after;
                return 1;
            }
        }
        b->end = b->after = b->body + strlen(b->body);
        *pos = b->after;
        return 1;
    }
    return 0;
}

/* Bytes of [b, e) that are not whitespace: how "large" a block is. */
static size_t weight(const char *b, const char *e)
{
    size_t n = 0;
    for (; b < e; b++)
        n += !isspace((unsigned char)*b);
    return n;
}

/* Copy [b, e) without the CRs before newlines, trimmed of surrounding blank
 * space; caller frees. */
static char *trimmed_copy(const char *b, const char *e)
{
    while (b < e && isspace((unsigned char)*b))
        b++;
    while (e > b && isspace((unsigned char)e[-1]))
        e--;
    sb out = {0};
    for (; b < e; b++) {
        const char *q = b;
        while (q < e && *q == '\r')
            q++;
        if (q > b && q < e && *q == '\n')
            b = q; /* a run of CRs before a newline goes: "\r\r\n" too */
        sb_putc(&out, *b);
    }
    return out.buf ? sb_steal(&out) : xstrdup("");
}

/* The code of a block: CRLF as LF, the fence's indentation removed from
 * each line, leading blank lines and trailing space dropped, one final
 * newline. Caller frees. */
static char *block_code(const block *b)
{
    sb out = {0};
    for (const char *p = b->body; p < b->end; p = next_line(p)) {
        const char *e = line_end(p);
        if (e > b->end)
            e = b->end;
        for (size_t i = 0; i < b->indent && p < e && (*p == ' ' || *p == '\t'); i++)
            p++;
        while (e > p && e[-1] == '\r')
            e--;
        if (out.len || weight(p, e))
            sb_append(&out, p, (size_t)(e - p));
        if (out.len)
            sb_putc(&out, '\n');
    }
    while (out.len && isspace((unsigned char)out.buf[out.len - 1]))
        out.buf[--out.len] = 0;
    sb_putc(&out, '\n');
    return sb_steal(&out);
}

int search_parse_reply(const char *reply, char **plan, char **code)
{
    *plan = *code = NULL;
    if (!reply)
        return err_set("reply: empty reply (no text from the model)");
    block best = {0}, b;
    size_t best_weight = 0;
    const char *pos = reply;
    while (next_block(&pos, &b)) {
        size_t w = weight(b.body, b.end);
        if (b.kind == 0 || w == 0)
            continue;
        if (b.kind > best.kind || (b.kind == best.kind && w > best_weight)) {
            best = b;
            best_weight = w;
        }
    }
    if (!best.kind)
        return err_set("reply: no ```python code block found (the reply must end with the "
                       "whole script in one fenced python block)");
    *code = block_code(&best);
    *plan = trimmed_copy(reply, best.open);
    if (!**plan) {
        free(*plan);
        *plan = trimmed_copy(best.after, best.after + strlen(best.after));
    }
    return 0;
}

/* ---- plan summary ---------------------------------------------------------- */

/* Skip markdown decoration at the start of a line: headings, quotes, list
 * bullets and numbers, emphasis. */
static const char *skip_markers(const char *p, const char *e)
{
    for (;;) {
        while (p < e && is_blank(*p))
            p++;
        const char *q = p;
        while (q < e && (*q == '#' || *q == '>' || *q == '*' || *q == '_'))
            q++;
        if (q == p && p < e && (*p == '-' || *p == '+') && p + 1 < e && is_blank(p[1]))
            q = p + 1;
        if (q == p && p < e && isdigit((unsigned char)*p)) {
            while (q < e && isdigit((unsigned char)*q))
                q++;
            q = (q < e && (*q == '.' || *q == ')') && q + 1 < e && is_blank(q[1])) ? q + 1 : p;
        }
        if (q == p)
            return p;
        p = q;
    }
}

/* Skip a leading label such as "Plan:" or "Approach" standing alone. */
static const char *skip_label(const char *p, const char *e)
{
    static const char *const labels[] = {"plan", "the plan", "my plan", "solution plan",
        "proposed plan", "approach", "idea", "solution", "summary", "overview",
        "improvement", "fix", "bug fix", "debug plan", "improvement plan"};
    for (size_t i = 0; i < sizeof labels / sizeof *labels; i++) {
        size_t n = strlen(labels[i]);
        if ((size_t)(e - p) < n || strncasecmp(p, labels[i], n) != 0)
            continue;
        const char *q = p + n;
        while (q < e && (*q == '*' || *q == '_' || is_blank(*q)))
            q++;
        if (q < e && *q == ':')
            q++;
        else if (q != e)
            continue;
        while (q < e && (*q == '*' || *q == '_' || is_blank(*q)))
            q++;
        return q;
    }
    return p;
}

/* Does the '.' at p end a sentence (rather than "e.g." or "0.5")? */
static int sentence_end(const char *start, const char *p, const char *e)
{
    if (p + 1 < e && !is_blank(p[1]))
        return 0;
    if (*p != '.')
        return 1;
    static const char *const abbrev[] = {"e.g", "i.e", "vs", "etc", "approx", "incl", "cf",
                                         "resp", "w.r.t", "no"};
    for (size_t i = 0; i < sizeof abbrev / sizeof *abbrev; i++) {
        size_t n = strlen(abbrev[i]);
        if ((size_t)(p - start) >= n && strncasecmp(p - n, abbrev[i], n) == 0 &&
            (p - n == start || !isalpha((unsigned char)p[-(ptrdiff_t)n - 1])))
            return 0;
    }
    return 1;
}

/* Cut s to at most max bytes, at a word boundary when one is near, marking
 * the cut with "..." and never splitting a UTF-8 sequence. */
static void shorten(sb *s, size_t max)
{
    if (s->len <= max)
        return;
    size_t keep = max >= 6 ? max - 3 : max;
    while (keep > 0 && ((unsigned char)s->buf[keep] & 0xC0) == 0x80)
        keep--;
    size_t space = keep;
    while (space > keep * 2 / 3 && s->buf[space] != ' ')
        space--;
    if (space > keep * 2 / 3)
        keep = space;
    while (keep > 0 && (s->buf[keep - 1] == ' ' || strchr(",;:-", s->buf[keep - 1])))
        keep--;
    s->len = keep;
    s->buf[keep] = 0;
    if (max >= 6)
        sb_puts(s, "...");
}

char *search_plan_summary(const char *plan, size_t max)
{
    sb out = {0};
    for (const char *p = plan ? plan : ""; *p && !out.len; p = next_line(p)) {
        const char *e = line_end(p);
        const char *s = skip_label(skip_markers(p, e), e), *start = s;
        for (; s < e; s++) {
            unsigned char c = (unsigned char)*s;
            if ((c == '.' || c == '!' || c == '?') && sentence_end(start, s, e))
                break;
            if (c == '*' && s + 1 < e && s[1] == '*') { /* bold markers */
                s++;
                continue;
            }
            if (c < 0x20 || c == 0x7f || c == ' ') {
                if (out.len && out.buf[out.len - 1] != ' ')
                    sb_putc(&out, ' ');
                continue;
            }
            sb_putc(&out, (char)c);
        }
        while (out.len && strchr(" :;,", out.buf[out.len - 1]))
            out.buf[--out.len] = 0;
    }
    shorten(&out, max);
    return out.buf ? sb_steal(&out) : xstrdup("");
}

/* ---- self-reported score ----------------------------------------------------- */

/*
 * One pattern, case-insensitive, for lines such as "Validation AUC: 0.8123",
 * "val_score=0.81", "validation rmse 1234.5", "Val score = 0.81",
 * "Validation accuracy (5-fold): 85.3%":
 *   a keyword val / valid / validation not inside a longer word ("interval"),
 *   up to three metric words, none of which describes the split rather than
 *     a score ("validation set size: 2000", "validation fold 3", "samples"),
 *   an optional parenthesis, an optional ":", "=" or "is",
 *   a number not glued to letters or further digits.
 * xgboost's "validation_0-logloss" logs do not match (the word starts with a
 * digit), which is wanted: they are per-round, not final.
 */
static const char score_pattern[] =
    "(?<![a-z0-9])(?:val|valid|validation)(?![a-z])"
    "((?:[ \\t_-]+"
    "(?!(?:size|shape|samples?|rows?|examples?|records?|count|len|length|folds?|splits?"
    "|set[ \\t_-]+size|ids?|idx|index|indices|data|epochs?|steps?|iter(?:ation)?s?"
    "|rounds?|batch(?:es)?|fraction|ratio|percent|frac|pct|n)(?![a-z]))"
    "[a-z][a-z0-9@_-]*){0,3})"
    "[ \\t]*(?:\\([^()\\n]{0,40}\\)[ \\t]*)?"
    "(?:[:=]|[ \\t]is(?![a-z]))?[ \\t]*"
    "([-+]?(?:[0-9]+(?:\\.[0-9]*)?|\\.[0-9]+)(?:e[-+]?[0-9]+)?)"
    "(?![a-z0-9]|\\.[0-9])";

/* Are the metric words exactly "score" (the line the prompts ask for)? */
static int canonical(const char *w, size_t n)
{
    while (n && (is_blank(*w) || *w == '_' || *w == '-'))
        w++, n--;
    return n == 5 && strncasecmp(w, "score", 5) == 0;
}

int search_parse_self_score(const char *output, double *out)
{
    if (!output)
        return 0;
    /* Cache: compiled once per process, never freed (compiling it cost more
     * than matching a node's output); only the loop's thread parses. */
    static pcre2_code *re;
    if (!re) {
        int errcode;
        PCRE2_SIZE erroff;
        re = pcre2_compile((PCRE2_SPTR)score_pattern, PCRE2_ZERO_TERMINATED, PCRE2_CASELESS,
                           &errcode, &erroff, NULL);
    }
    if (!re)
        return 0; /* a constant pattern; only an allocation failure gets here */
    pcre2_match_data *md = pcre2_match_data_create_from_pattern(re, NULL);
    size_t len = strlen(output), at = 0;
    int found = 0, found_canonical = 0;
    while (at < len && pcre2_match(re, (PCRE2_SPTR)output, len, at, 0, md, NULL) >= 3) {
        PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
        char num[64];
        size_t n = ov[5] - ov[4];
        int canon = canonical(output + ov[2], ov[3] - ov[2]);
        at = ov[1] > at ? ov[1] : at + 1;
        if (n >= sizeof num || (found_canonical && !canon))
            continue;
        memcpy(num, output + ov[4], n);
        num[n] = 0;
        double v = strtod(num, NULL);
        if (!isfinite(v))
            continue;
        *out = v;
        found = 1;
        found_canonical |= canon;
    }
    pcre2_match_data_free(md);
    return found;
}

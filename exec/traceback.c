/*
 * traceback.c: find the exception that ended a Python script in its output.
 *
 * Two shapes are recognised, and the one that starts last in the output wins
 * (a chained exception prints several tracebacks; the last is the one that
 * ended the script):
 *
 *   Traceback (most recent call last):          a runtime error: frames, then
 *     File "/w/solution.py", line 12, in <module>   the first unindented line
 *       x = f()                                      is "Type: message" or just
 *     File "/usr/lib/python3/dist-packages/...      "Type" (dotted for classes
 *   numpy.linalg.LinAlgError: Singular matrix        outside builtins)
 *
 *     File "/w/solution.py", line 3               a syntax error in the script
 *       x = (                                      itself: no Traceback header
 *           ^
 *   SyntaxError: '(' was never closed
 *
 * The line reported is that of the last frame in the script (the deepest call
 * of the candidate's own code), so the LLM is pointed at its own line even
 * when the exception was raised inside a library. The message keeps the
 * continuation lines of multi-line messages (up to a blank line, 10 lines).
 *
 * Patterns are compiled per call (microseconds) instead of cached, so the
 * parser has no state at all. The subject is treated as bytes (no PCRE2_UTF):
 * any input, valid UTF-8 or not, is safe.
 */
#include "exec_internal.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define NO_MATCH SIZE_MAX

typedef struct tb_patterns {
    pcre2_code *header; /* the Traceback line */
    pcre2_code *syntax; /* a frame followed by a SyntaxError-like line */
    pcre2_code *frame;  /* File "...", line N */
    pcre2_code *exc;    /* Type or Type: message */
    pcre2_match_data *md;
} tb_patterns;

static pcre2_code *compile(const char *pattern, uint32_t flags)
{
    int rc;
    PCRE2_SIZE at;
    return pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED, flags, &rc, &at, NULL);
}

static int patterns_init(tb_patterns *p)
{
    p->header = compile("^Traceback \\(most recent call last\\):[ \\t\\r]*$", PCRE2_MULTILINE);
    p->syntax = compile("^[ \\t]+File \"([^\"\\n]*)\", line (\\d+)[^\\n]*\\n(?:[^\\n]*\\n){0,4}?"
                        "((?:SyntaxError|IndentationError|TabError)(?::[^\\n]*)?)\\r?$",
                        PCRE2_MULTILINE);
    p->frame = compile("[ \\t]+File \"([^\"\\n]*)\", line (\\d+)", PCRE2_ANCHORED);
    p->exc = compile("([A-Za-z_][A-Za-z0-9_]*(?:\\.[A-Za-z_][A-Za-z0-9_]*)*)(?::[ ]?(.*?))?[ \\t\\r]*$",
                     PCRE2_DOTALL | PCRE2_ANCHORED);
    p->md = pcre2_match_data_create(8, NULL);
    return p->header && p->syntax && p->frame && p->exc && p->md ? 0 : -1;
}

static void patterns_free(tb_patterns *p)
{
    pcre2_code_free(p->header);
    pcre2_code_free(p->syntax);
    pcre2_code_free(p->frame);
    pcre2_code_free(p->exc);
    pcre2_match_data_free(p->md);
}

static int match_at(const tb_patterns *p, pcre2_code *re, const char *s, size_t n, size_t from)
{
    return pcre2_match(re, (PCRE2_SPTR)s, n, from, 0, p->md, NULL) > 0;
}

static size_t group_start(const tb_patterns *p, int g)
{
    return pcre2_get_ovector_pointer(p->md)[2 * g];
}

static size_t group_len(const tb_patterns *p, int g)
{
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(p->md);
    return ov[2 * g] == PCRE2_UNSET ? 0 : ov[2 * g + 1] - ov[2 * g];
}

/* Start of the last match of re in s at or after `from`, or NO_MATCH. */
static size_t last_match(const tb_patterns *p, pcre2_code *re, const char *s, size_t n,
                         size_t from)
{
    size_t last = NO_MATCH;
    while (from <= n && match_at(p, re, s, n, from)) {
        last = group_start(p, 0);
        size_t end = pcre2_get_ovector_pointer(p->md)[1];
        from = end > last ? end : last + 1;
    }
    return last;
}

static int is_script(const char *file, size_t len, const char *script)
{
    size_t k = strlen(script);
    if (len == k && memcmp(file, script, k) == 0)
        return 1;
    return len > k && file[len - k - 1] == '/' && memcmp(file + len - k, script, k) == 0;
}

static int parse_int(const char *s, size_t n)
{
    long v = 0;
    for (size_t i = 0; i < n && v < 100000000; i++)
        v = v * 10 + (s[i] - '0');
    return (int)v;
}

static size_t line_end(const char *s, size_t n, size_t at)
{
    const char *nl = memchr(s + at, '\n', n - at);
    return nl ? (size_t)(nl - s) : n;
}

/* The message's continuation lines: up to a blank line, a new traceback or
 * 10 lines. Appended to msg with their newlines. */
static void add_continuation(sb *msg, const char *s, size_t n, size_t at)
{
    for (int lines = 0; at < n && lines < 10; lines++) {
        size_t e = line_end(s, n, at);
        size_t len = e - at;
        while (len && (s[at + len - 1] == '\r' || s[at + len - 1] == ' '))
            len--;
        if (len == 0 || (len >= 10 && !memcmp(s + at, "Traceback ", 10)) ||
            (len >= 15 && !memcmp(s + at, "During handling", 15)) ||
            (len >= 13 && !memcmp(s + at, "The above exc", 13)))
            break;
        sb_putc(msg, '\n');
        sb_append(msg, s + at, len);
        at = e + 1;
    }
}

/* If the line [at, e) reads as "Type" or "Type: message", take it (with the
 * message's continuation lines) and return 1. */
static int take_exception(const tb_patterns *p, const char *s, size_t n, size_t at, size_t e,
                          char **type, char **msg)
{
    if (e <= at || !match_at(p, p->exc, s, e, at))
        return 0;
    *type = xstrndup(s + group_start(p, 1), group_len(p, 1));
    if (group_len(p, 2)) {
        sb m = {0};
        sb_append(&m, s + group_start(p, 2), group_len(p, 2));
        add_continuation(&m, s, n, e + 1);
        *msg = sb_steal(&m);
    }
    return 1;
}

/* Walk the lines after a Traceback header: frames (indented) up to the first
 * unindented line that reads as an exception. */
static int parse_runtime(const tb_patterns *p, const char *s, size_t n, size_t hdr,
                         const char *script, char **type, char **msg, int *line,
                         size_t *exc_end)
{
    size_t at = line_end(s, n, hdr) + 1;
    while (at < n) {
        size_t e = line_end(s, n, at);
        if (s[at] == ' ' || s[at] == '\t') {
            if (match_at(p, p->frame, s, e, at) &&
                is_script(s + group_start(p, 1), group_len(p, 1), script))
                *line = parse_int(s + group_start(p, 2), group_len(p, 2));
        } else if (take_exception(p, s, n, at, e, type, msg)) {
            *exc_end = e;
            return 1;
        }
        at = e + 1;
    }
    return 0;
}

int exec_parse_traceback(const char *output, const char *script,
                         char **type, char **msg, int *line)
{
    *type = NULL;
    *msg = NULL;
    *line = 0;
    if (!output)
        return 0;
    if (!script)
        script = "solution.py";
    /* Cache: compiled once per process (compiling the four took as long as
     * the rest of a node's parse); never freed. Only the loop's thread
     * parses output, so the shared match data is safe. */
    static tb_patterns cache;
    static int compiled;
    if (!compiled) {
        if (patterns_init(&cache) < 0) {
            patterns_free(&cache);
            memset(&cache, 0, sizeof cache);
            return 0; /* only on out-of-memory: no traceback is the honest answer */
        }
        compiled = 1;
    }
    const tb_patterns p = cache;
    int found = 0;
    size_t n = strlen(output), exc_end = 0;
    size_t hdr = last_match(&p, p.header, output, n, 0);
    if (hdr != NO_MATCH)
        found = parse_runtime(&p, output, n, hdr, script, type, msg, line, &exc_end);
    /* a syntax error after the last runtime traceback ended the script */
    size_t syn = last_match(&p, p.syntax, output, n, exc_end);
    if (syn != NO_MATCH && syn >= exc_end) {
        free(*type);
        free(*msg);
        *type = *msg = NULL;
        *line = 0;
        match_at(&p, p.syntax, output, n, syn);
        if (is_script(output + group_start(&p, 1), group_len(&p, 1), script))
            *line = parse_int(output + group_start(&p, 2), group_len(&p, 2));
        size_t at = group_start(&p, 3);
        found = take_exception(&p, output, n, at, line_end(output, n, at), type, msg);
    }
    return found;
}

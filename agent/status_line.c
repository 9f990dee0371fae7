/*
 * status_line.c: the live lines at the bottom of the terminal (see
 * status_line.h).
 *
 * How it keeps the lines above intact. grove prints a line per finished node
 * (and warnings on stderr) from many places; a status line drawn with a
 * carriage return would need every one of those places to erase it first and
 * draw it again after, and one forgotten place (a log line from llm/) would
 * splice its text into the status. Instead, as apt's progress bar does, the
 * block takes the terminal's last H rows out of the scrolling region
 * (DECSTBM, ESC [ top ; bottom r): everything anyone prints scrolls in the
 * rows above it, and the block is redrawn in place with the cursor saved and
 * restored around it (ESC 7 / ESC 8), so the printing code never knows it is
 * there. Reserving first prints H newlines and moves back up, so that the
 * cursor is inside the smaller region and no printed line is overwritten.
 *
 * Giving the terminal back (status_line_stop, which the run and the bench
 * call on every way out of their loops: the end, Ctrl-C, SIGTERM) erases the
 * block and resets the region to the whole screen; the cursor is where the
 * next line goes, at the start of an empty line. It is never hidden. Lines
 * are cut to the terminal's width less one column (a character in the last
 * column would wrap on some terminals); SIGWINCH re-reads the size and
 * reserves the block again.
 *
 * Not a tty: no escape sequence at all, only a plain line every plain_every
 * seconds (the caller's choice, 0 for none), so logs stay greppable.
 */
#include "status_line.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define LIVE_MS 250 /* how often a live block checks whether its text changed */

struct status_line {
    uv_timer_t timer;
    uv_signal_t winch;
    int live;       /* drawn in place on a terminal */
    int want;       /* lines the caller may render */
    int height;     /* rows reserved at the bottom; 0: none */
    int rows, cols; /* terminal size */
    double plain_every, last_plain;
    status_line_render fn;
    void *data;
    sb shown;  /* the text drawn last (live) */
    int open;  /* handles not yet closed */
};

int status_line_is_live(void)
{
    const char *term = getenv("TERM");
    return isatty(STDOUT_FILENO) && term && *term && strcmp(term, "dumb") != 0;
}

void status_line_duration(char *buf, size_t n, double s)
{
    if (!(s >= 0))
        s = 0;
    long t = (long)s;
    if (t < 60)
        snprintf(buf, n, "%lds", t);
    else if (t < 3600)
        snprintf(buf, n, "%ldm%02lds", t / 60, t % 60);
    else
        snprintf(buf, n, "%ldh%02ldm", t / 3600, t % 3600 / 60);
}

static void term_size(status_line *s)
{
    struct winsize ws;
    s->rows = 24;
    s->cols = 80;
    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 && ws.ws_col > 0) {
        s->rows = ws.ws_row;
        s->cols = ws.ws_col;
    }
}

/* Escape sequences go through stdout's own buffer, after what it holds, so
 * they can never land inside a line printed with several printf calls. */
static void emit(const sb *out)
{
    fwrite(out->buf ? out->buf : "", 1, out->len, stdout);
    fflush(stdout);
}

/* Take the last rows out of the scrolling region (the file's comment says
 * why the newlines). A terminal too small for a block gets none. */
static void reserve(status_line *s)
{
    term_size(s);
    s->height = s->want < s->rows - 3 ? s->want : s->rows - 3;
    if (s->height < 1) {
        s->height = 0;
        return;
    }
    sb o = {0};
    for (int i = 0; i < s->height; i++)
        sb_putc(&o, '\n');
    sb_printf(&o, "\033[%dA\0337\033[1;%dr\0338", s->height, s->rows - s->height);
    emit(&o);
    sb_free(&o);
    sb_reset(&s->shown);
}

/* Erase the block and give the whole screen back to scrolling. */
static void release(status_line *s)
{
    if (!s->height)
        return;
    sb o = {0};
    sb_printf(&o, "\0337\033[r\033[%d;1H\033[J\0338", s->rows - s->height + 1);
    emit(&o);
    sb_free(&o);
    s->height = 0;
}

/* One line, cut to the width at a character boundary (a byte of UTF-8 that
 * continues a character is never the first one dropped). */
static void put_cut(sb *o, const char *line, size_t len, int cols)
{
    size_t max = cols > 1 ? (size_t)cols - 1 : 1, used = 0, i = 0;
    for (; i < len; i++) {
        if (((unsigned char)line[i] & 0xC0) != 0x80 && used++ == max)
            break;
    }
    sb_append(o, line, i);
}

static void draw(status_line *s)
{
    if (!s->height)
        return;
    sb text = {0};
    s->fn(s->data, 0, &text);
    if (s->shown.buf && !strcmp(sb_str(&text), sb_str(&s->shown))) {
        sb_free(&text);
        return;
    }
    sb o = {0};
    sb_puts(&o, "\0337");
    const char *p = sb_str(&text);
    int n_lines = 1;
    for (const char *q = p; *q; q++)
        n_lines += *q == '\n';
    for (int i = 0; i < s->height; i++) {
        sb_printf(&o, "\033[%d;1H\033[2K", s->rows - s->height + 1 + i);
        size_t len = strcspn(p, "\n");
        if (i == s->height - 1 && n_lines > s->height) {
            char more[48];
            snprintf(more, sizeof more, "  ... and %d more", n_lines - s->height + 1);
            put_cut(&o, more, strlen(more), s->cols);
        } else {
            put_cut(&o, p, len, s->cols);
        }
        p += len + (p[len] == '\n');
    }
    sb_puts(&o, "\0338");
    emit(&o);
    sb_free(&o);
    sb_free(&s->shown);
    s->shown = text;
}

static void on_timer(uv_timer_t *t)
{
    status_line *s = t->data;
    if (s->live) {
        draw(s);
        return;
    }
    /* rendered every second even when not printed: a renderer may track
     * changes between its calls (status_run.c: since when a node does what
     * it does) */
    double now = clock_mono();
    sb line = {0};
    s->fn(s->data, 1, &line);
    if (now - s->last_plain >= s->plain_every) {
        s->last_plain = now;
        fflush(stdout);
        printf("%s\n", sb_str(&line));
        fflush(stdout);
    }
    sb_free(&line);
}

static void on_winch(uv_signal_t *h, int signum)
{
    (void)signum;
    status_line *s = h->data;
    release(s);
    reserve(s);
    draw(s);
}

status_line *status_line_start(uv_loop_t *loop, int quiet, int lines, double plain_every,
                               status_line_render fn, void *data)
{
    int live = status_line_is_live();
    if (quiet || (!live && plain_every <= 0))
        return NULL;
    status_line *s = xcalloc(1, sizeof *s);
    s->live = live;
    s->want = lines > 0 ? lines : 1;
    s->plain_every = plain_every;
    s->last_plain = clock_mono();
    s->fn = fn;
    s->data = data;
    uv_timer_init(loop, &s->timer);
    uv_signal_init(loop, &s->winch);
    s->timer.data = s->winch.data = s;
    s->open = 2;
    uv_timer_start(&s->timer, on_timer, live ? LIVE_MS : 1000, live ? LIVE_MS : 1000);
    uv_unref((uv_handle_t *)&s->timer);
    if (live) {
        uv_signal_start(&s->winch, on_winch, SIGWINCH);
        uv_unref((uv_handle_t *)&s->winch);
        reserve(s);
        draw(s);
    }
    return s;
}

void status_line_refresh(status_line *s)
{
    if (s && s->live)
        draw(s);
}

static void on_closed(uv_handle_t *h)
{
    status_line *s = h->data;
    if (--s->open == 0) {
        sb_free(&s->shown);
        free(s);
    }
}

void status_line_stop(status_line *s)
{
    if (!s)
        return;
    if (s->live)
        release(s);
    uv_timer_stop(&s->timer);
    uv_close((uv_handle_t *)&s->timer, on_closed);
    uv_close((uv_handle_t *)&s->winch, on_closed);
}

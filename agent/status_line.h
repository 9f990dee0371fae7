/*
 * status_line.h (private to agent/): a few live lines at the bottom of a
 * terminal while `grove run` or `grove bench` works (status_line.c says how
 * it draws them without touching the lines printed above).
 *
 * The caller gives a render function that writes the current status as
 * lines ('\n' between them); the module decides how and when it shows them:
 *
 *   a terminal   stdout is a tty and TERM is not "dumb": a block of lines
 *                kept at the bottom, redrawn when its text changed (checked
 *                four times a second), cut to the terminal's width, resized
 *                on SIGWINCH, and removed again by status_line_stop()
 *   not a tty    no escape sequence ever: every plain_every seconds (0:
 *                never) the render's compact form, one plain line
 *   quiet        nothing (status_line_start returns NULL)
 */
#ifndef GROVE_STATUS_LINE_H
#define GROVE_STATUS_LINE_H

#include "util.h"

#include <uv.h>

typedef struct status_line status_line;

/* Write the status into out: the full block (lines separated by '\n', the
 * first the summary) or, when compact, one line for a log. Called at least
 * once a second while the status shows (also between plain lines, whose
 * text is then dropped), so it may track what changed since its last call. */
typedef void (*status_line_render)(void *data, int compact, sb *out);

/* Show the status of data on stdout, driven by loop. lines: the most lines
 * the block may take (the summary and one a worker). The timer and signal
 * handles are unreferenced: they never keep the loop alive. NULL when quiet,
 * or when stdout is not a tty and plain_every is 0. Stop it with
 * status_line_stop(). */
status_line *status_line_start(uv_loop_t *loop, int quiet, int lines, double plain_every,
                               status_line_render fn, void *data);
/* Redraw now (on a terminal), e.g. after a change worth showing at once. */
void status_line_refresh(status_line *s);
/* Remove the block and give the terminal back as it was (scrolling region,
 * cursor), close the handles; the memory is freed once the loop has run
 * their close callbacks. NULL is a no-op. */
void status_line_stop(status_line *s);

/* Whether status lines are drawn live on this stdout (a tty, TERM not dumb). */
int status_line_is_live(void);
/* "12m03s", "1h02m", "45s": short elapsed times for status lines (buf >= 16). */
void status_line_duration(char *buf, size_t n, double seconds);

#endif

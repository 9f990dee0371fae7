/*
 * audit.h (private to agent/): the run's audit log of the private answers.
 *
 * Every time grove's grader reads answers a candidate must never see (the
 * holdout's answers, a hidden selection holdout, the competition's test
 * answers), one JSON line goes to RUN/audit.jsonl: when, which file, for
 * which node, why. grove grades through audit_grade, never bench_grade
 * directly, so no read escapes the log.
 *
 * The log also watches the answers files with inotify (IN_OPEN): an open
 * that is not the grader's own is written as "unexplained", with the time it
 * was seen. Inside the sandbox a script cannot even name those files, so
 * such a line means something else read them: a script run with
 * --no-sandbox, or a person or program outside grove. The grader's opens are
 * told apart by time: pending events are drained before each grading (not
 * the grader's) and right after it (the grader's).
 *
 * Lines are appended with one write(2) each, so a SIGKILL leaves the file
 * whole up to the last line.
 */
#ifndef GROVE_AUDIT_H
#define GROVE_AUDIT_H

#include "bench.h"

#include <stdio.h>
#include <uv.h>

typedef struct audit audit;

/* Open (append to) run_dir/audit.jsonl; with a loop, also start the
 * inotify watch (a machine without inotify logs grader reads only, and the
 * log says so once). 0, or -1 with err_last(). Free with audit_free. */
int audit_open(audit **out, const char *run_dir, uv_loop_t *loop);

/* Watch path for opens that are not the grader's. 0, or -1 with err_last()
 * (the log goes on without the watch). */
int audit_watch(audit *a, const char *path);

/* bench_grade, logged: node is the node graded (-1 for none), why says what
 * for ("holdout score", "final submission", ...). Same contract as
 * bench_grade. a may be NULL (no log; e.g. `grove grade`). */
int audit_grade(audit *a, bench_report *out, const bench_competition *comp,
                const char *submission_path, const char *answers_path, int node,
                const char *why);

/* Stop the watch (closes its libuv handle on the loop) and free. */
void audit_free(audit *a);

/* Print run_dir/audit.jsonl as aligned lines (time, who, node, why, file).
 * 0, 1 when the run has no audit log, -1 with err_last(). */
int audit_print(FILE *out, const char *run_dir);

#endif

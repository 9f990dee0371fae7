/*
 * report_html.h (private to agent/): grove's report as one self-contained
 * HTML page, for a run and for a bench.
 *
 * The page is agent/report/report.html with report.css and report.js
 * inlined (embedded in the binary at build time, as the prompts are) and the
 * data as one JSON blob in a <script type="application/json"> element. It
 * loads nothing: no network, no fonts, readable from file://. The C side
 * only gathers data; everything drawn is drawn by report.js.
 *
 * A run page reads the run folder and its git repository only (node.json
 * and the files of every node commit, config.json, status.json, best/,
 * final/), so it works for a finished, a running and a killed run.
 */
#ifndef GROVE_REPORT_HTML_H
#define GROVE_REPORT_HTML_H

/* Write the page of the run in run_dir to out_path (atomically). 0, or -1
 * with err_last() naming what could not be read or written. */
int report_html_run(const char *run_dir, const char *out_path);

/* Write the page of the bench in bench_dir (a folder of run folders) to
 * out_path, and each run's own page as report.html inside its run folder,
 * linked from the bench page. 0, or -1 with err_last(). */
int report_html_bench(const char *bench_dir, const char *out_path);

/* The live page of a `grove run`: writes RUN/status.json (state, stop
 * reason, what is in flight, this session's LLM totals) and RUN/report.html.
 * While the run goes (final == 0) it does so at most every
 * REPORT_LIVE_INTERVAL_S seconds (longer for a page that takes long to
 * write: at most about 1% of a CPU), through a child process (report_live.c
 * says why); final == 1 always writes, waits for it, and says where the page
 * is. Failures are logged as warnings: a report never stops a run. */
#define REPORT_LIVE_INTERVAL_S 5.0
struct run_ctx;
void report_live_update(struct run_ctx *r, int final);

#endif

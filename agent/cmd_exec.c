/*
 * cmd_exec.c: `grove exec`, run a workspace's solution.py the way the agent
 * does (sandbox, scrubbed environment, timeout, capture) and print what the
 * agent would see. For debugging a node, or the machine's sandbox.
 */
#include "commands.h"
#include "config.h"
#include "exec.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char summary_exec[] = "run a workspace's solution.py in the sandbox, print the result";
const char usage_exec[] =
    "usage: grove exec WORKDIR [options]\n"
    "\n"
    "Runs WORKDIR/solution.py as a candidate runs: own process group, an\n"
    "allowlisted environment, bubblewrap when it works here, a wall-clock timeout,\n"
    "output merged and captured to WORKDIR/output.log. Prints the output as the\n"
    "agent keeps it (head + tail), then the result. Exits 0 when the script did.\n"
    "\n"
    "options:\n"
    "  --python P      interpreter (default: GROVE_PYTHON, else the first of\n"
    "                  /usr/bin/python3, python3 that can import numpy)\n"
    "  --timeout DUR   wall-clock limit: seconds, or 90s, 15m, 2h (default: 1h;\n"
    "                  0: none)\n"
    "  --grace DUR     SIGTERM -> SIGKILL delay (default: 5s)\n"
    "  --input DIR     shown read-only to the script as WORKDIR/input\n"
    "  --script F      the script, relative to WORKDIR (default: solution.py)\n"
    "  --mem-limit MB  memory cap (a cgroup where grove can make one, else the\n"
    "                  address space)\n"
    "  --max-procs N   processes + threads of the run (default: 1024; 0: none)\n"
    "  --file-limit MB largest file the script may write (default: none)\n"
    "  --threads N     OMP/MKL/OPENBLAS thread counts\n"
    "  --network       allow network access inside the sandbox\n"
    "  --no-sandbox    run without bubblewrap\n"
    "  --sandbox       fail unless bubblewrap works\n";

static int parse_num(const char *opt, const char *s, double *out)
{
    char *end;
    *out = s ? strtod(s, &end) : 0;
    if (!s || end == s || *end || *out < 0) {
        fprintf(stderr, "grove exec: %s needs a number >= 0, got '%s'\n", opt, s ? s : "");
        return -1;
    }
    return 0;
}

/* A time: seconds, or a duration as `grove run` takes them ("90s", "15m"). */
static int parse_dur(const char *opt, const char *s, double *out)
{
    *out = s ? config_parse_duration(s) : -1;
    if (*out < 0) {
        fprintf(stderr, "grove exec: %s needs seconds or a duration like 90s, 15m, 2h, got "
                "'%s'\n", opt, s ? s : "");
        return -1;
    }
    return 0;
}

static int parse_args(int argc, char **argv, exec_opts *o)
{
    o->timeout_s = 3600;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        double num = 0;
        int takes = 1, bad = 0;
        if (!strcmp(a, "--python"))
            o->python = v;
        else if (!strcmp(a, "--input"))
            o->input_dir = v;
        else if (!strcmp(a, "--script"))
            o->script = v;
        else if (!strcmp(a, "--timeout"))
            bad = parse_dur(a, v, &o->timeout_s);
        else if (!strcmp(a, "--grace"))
            bad = parse_dur(a, v, &o->kill_grace_s);
        else if (!strcmp(a, "--mem-limit")) {
            bad = parse_num(a, v, &num);
            o->mem_limit = (size_t)(num * 1024 * 1024);
        } else if (!strcmp(a, "--file-limit")) {
            bad = parse_num(a, v, &num);
            o->file_limit = (size_t)(num * 1024 * 1024);
        } else if (!strcmp(a, "--max-procs")) {
            bad = parse_num(a, v, &num);
            o->max_procs = num >= 1 ? (int)num : -1; /* 0: no limit */
        } else if (!strcmp(a, "--threads")) {
            bad = parse_num(a, v, &num);
            o->threads = (int)num;
        } else {
            takes = 0;
            if (!strcmp(a, "--network"))
                o->allow_network = 1;
            else if (!strcmp(a, "--no-sandbox"))
                o->sandbox = EXEC_SANDBOX_OFF;
            else if (!strcmp(a, "--sandbox"))
                o->sandbox = EXEC_SANDBOX_ON;
            else if (a[0] != '-' && !o->workdir)
                o->workdir = a;
            else {
                fprintf(stderr, "grove exec: unexpected argument '%s'\n\n", a);
                return -1;
            }
        }
        if (bad)
            return -1;
        if (takes && !v) {
            fprintf(stderr, "grove exec: %s needs a value\n\n", a);
            return -1;
        }
        i += takes;
    }
    if (!o->workdir) {
        fputs("grove exec: WORKDIR is required\n\n", stderr);
        return -1;
    }
    return 0;
}

static void print_result(const exec_result *r, double timeout_s)
{
    fputs(r->output, stdout);
    if (r->output[0] && r->output[strlen(r->output) - 1] != '\n')
        fputc('\n', stdout);
    printf("---\n");
    if (r->error)
        printf("error      %s\n", r->error);
    if (r->term_signal)
        printf("status     killed by signal %d (%s)\n", r->term_signal, strsignal(r->term_signal));
    else
        printf("status     exit %d\n", r->exit_code);
    printf("wall       %.3f s", r->wall_s);
    if (r->timed_out)
        printf(" (timed out: limit %.1f s)", timeout_s);
    if (r->cancelled)
        printf(" (cancelled)");
    printf("\ncpu        %.3f s\npeak rss   %.1f MiB\n", r->cpu_s, r->peak_rss_kb / 1024.0);
    printf("sandbox    %s\n", r->sandboxed ? "bubblewrap" : "none");
    printf("output     %zu bytes, %s%s\n", r->output_bytes, r->log_path,
           r->log_truncated ? " (cut at the cap)" : "");
    if (r->limit_note)
        printf("limit      %s\n", r->limit_note);
    if (r->exc_type)
        printf("exception  %s%s%s (line %d of the script)\n", r->exc_type,
               r->exc_msg ? ": " : "", r->exc_msg ? r->exc_msg : "", r->exc_line);
}

int cmd_exec(int argc, char **argv)
{
    if (cmd_wants_help(argc, argv))
        return cmd_usage("exec", 0);
    exec_opts o = {0};
    if (parse_args(argc, argv, &o) < 0)
        return cmd_usage("exec", 1);
    exec_result *r = NULL;
    if (exec_run_sync(&r, &o) < 0) {
        fprintf(stderr, "grove exec: %s\n", err_last());
        return 1;
    }
    print_result(r, o.timeout_s);
    int ok = !r->error && !r->term_signal && r->exit_code == 0;
    exec_result_free(r);
    return ok ? 0 : 1;
}

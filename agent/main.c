/*
 * main.c: the grove CLI entry point. Dispatches git-style subcommands from a
 * table; each subcommand lives in its own cmd_*.c file.
 */
#include "commands.h"
#include "util.h"

#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>

static const grove_command commands[] = {
    {"run", cmd_run, summary_run, usage_run, usage_more_run},
    {"tree", cmd_tree, summary_tree, usage_tree, NULL},
    {"show", cmd_show, summary_show, usage_show, NULL},
    {"diff", cmd_diff, summary_diff, usage_diff, NULL},
    {"bench", cmd_bench, summary_bench, usage_bench, NULL},
    {"report", cmd_report, summary_report, usage_report, NULL},
    {"grade", cmd_grade, summary_grade, usage_grade, NULL},
    {"competitions", cmd_competitions, summary_competitions, usage_competitions, NULL},
    {"prepare", cmd_prepare, summary_prepare, usage_prepare, NULL},
    {"llm", cmd_llm, summary_llm, usage_llm, NULL},
    {"exec", cmd_exec, summary_exec, usage_exec, NULL},
    {"version", cmd_version, summary_version, usage_version, NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

const grove_command *grove_command_find(const char *name)
{
    for (const grove_command *c = commands; c->name; c++)
        if (strcmp(c->name, name) == 0)
            return c;
    return NULL;
}

int cmd_wants_help(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0)
            return 0;
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
            return 1;
    }
    return 0;
}

int cmd_usage(const char *name, int to_stderr)
{
    const grove_command *c = grove_command_find(name);
    if (!c)
        return 2;
    FILE *f = to_stderr ? stderr : stdout;
    fputs(c->usage, f);
    if (c->usage_more)
        c->usage_more(f);
    return to_stderr ? 2 : 0;
}

int cmd_bad_arg(const char *name, const char *arg)
{
    fprintf(stderr, "grove %s: %s '%s'\n\n", name,
            arg[0] == '-' && arg[1] ? "unknown option" : "unexpected argument", arg);
    return cmd_usage(name, 1);
}

/* "grove: 'rnu' is not a grove command; did you mean 'run'?" */
static int unknown_command(const char *name)
{
    suggest sg = {.typed = name};
    for (const grove_command *c = commands; c->name; c++)
        suggest_add(&sg, c->name);
    suggest_add(&sg, "help");
    if (sg.best)
        fprintf(stderr, "grove: '%s' is not a grove command; did you mean '%s'? (see `grove "
                "help`)\n", name, sg.best);
    else
        fprintf(stderr, "grove: '%s' is not a grove command (see `grove help`)\n", name);
    return 2;
}

static void print_overview(FILE *f)
{
    fputs("usage: grove [-v|-q] COMMAND [ARGS]\n\n"
          "grove is a tree-search agent for machine-learning engineering.\n\n"
          "commands:\n", f);
    for (const grove_command *c = commands; c->name; c++)
        fprintf(f, "  %-14s %s\n", c->name, c->summary);
    fputs("  help [CMD]     this overview, or one command's usage\n\n"
          "`grove help CMD` or `grove CMD --help` shows a command's options.\n", f);
}

int main(int argc, char **argv)
{
    /* A candidate that runs without the sandbox has grove's uid, and on
     * Debian's default ptrace scope could read grove's memory (where the API
     * key lives) through /proc/<pid>/mem. Not dumpable, grove's /proc files
     * need CAP_SYS_PTRACE; each child is dumpable again from its exec. */
    prctl(PR_SET_DUMPABLE, 0);
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (!strcmp(argv[i], "-v") || !strcmp(argv[i], "--verbose"))
            log_set_level(LOG_DEBUG);
        else if (!strcmp(argv[i], "-q") || !strcmp(argv[i], "--quiet"))
            log_set_level(LOG_WARN);
        else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            print_overview(stdout);
            return 0;
        } else if (!strcmp(argv[i], "--version")) {
            return cmd_version(1, (char *[]){"version", NULL});
        } else {
            fprintf(stderr, "grove: unknown option '%s'\n\n", argv[i]);
            print_overview(stderr);
            return 2;
        }
    }
    if (i >= argc) {
        print_overview(stderr);
        return 2;
    }
    const char *name = argv[i];
    if (!strcmp(name, "help")) {
        if (i + 1 >= argc) {
            print_overview(stdout);
            return 0;
        }
        if (!grove_command_find(argv[i + 1]))
            return unknown_command(argv[i + 1]);
        return cmd_usage(argv[i + 1], 0);
    }
    const grove_command *c = grove_command_find(name);
    if (!c)
        return unknown_command(name);
    if (cmd_wants_help(argc - i, argv + i))
        return cmd_usage(name, 0);
    return c->fn(argc - i, argv + i);
}

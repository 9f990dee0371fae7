/*
 * commands.h: the grove subcommands. One function per subcommand, each with
 * its own usage text; `grove help CMD` and `grove CMD --help` print it.
 * A command returns the process exit code: 0 ok, 1 failure, 2 bad usage.
 */
#ifndef GROVE_COMMANDS_H
#define GROVE_COMMANDS_H

#include <stdio.h>

typedef struct grove_command {
    const char *name;
    int (*fn)(int argc, char **argv); /* argv[0] is the command name */
    const char *summary;              /* one line for `grove help` */
    const char *usage;                /* text for `grove help CMD` */
    void (*usage_more)(FILE *f);      /* prints the rest of it from a table, or NULL */
} grove_command;

#define GROVE_COMMAND(n) \
    int cmd_##n(int argc, char **argv); \
    extern const char usage_##n[]; \
    extern const char summary_##n[]

GROVE_COMMAND(version);
GROVE_COMMAND(run);
GROVE_COMMAND(tree);
GROVE_COMMAND(show);
GROVE_COMMAND(diff);
GROVE_COMMAND(grade);
GROVE_COMMAND(competitions);
GROVE_COMMAND(prepare);
GROVE_COMMAND(llm);
GROVE_COMMAND(exec);
GROVE_COMMAND(bench);
GROVE_COMMAND(report);

/* run's options come from its option table (agent/config.c). */
void usage_more_run(FILE *f);

/* Looks up a command by name, or NULL. */
const grove_command *grove_command_find(const char *name);

/* 1 when argv holds -h or --help (after the command name): the command
 * should print its usage to stdout and return 0. */
int cmd_wants_help(int argc, char **argv);
/* Print a command's usage to stdout (help) or stderr (bad usage). */
int cmd_usage(const char *name, int to_stderr);
/* Bad usage naming the argument: "grove tree: unknown option '--html'"
 * (or "unexpected argument 'x'"), then the usage on stderr; returns 2. */
int cmd_bad_arg(const char *name, const char *arg);

#endif

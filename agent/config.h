/*
 * config.h: the run configuration of `grove run`: one table of options
 * (config.c) from which the defaults, the usage text of the options, the
 * --set and --config validation and config.json are all made, and the typed
 * struct the run reads.
 *
 * Precedence, lowest first: the table's defaults (or a resumed run's
 * config.json), --config FILE, then flags and --set overrides in the order
 * given on the command line. cJSON is used only to read and write the files;
 * the run reads the struct.
 */
#ifndef GROVE_CONFIG_H
#define GROVE_CONFIG_H

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdio.h>

/* "scoring": how nodes are scored. Same order as the choice names. */
typedef enum config_scoring {
    CONFIG_SCORING_AUTO,        /* holdout when grove can split, else self-report */
    CONFIG_SCORING_HOLDOUT,     /* grove splits the training data and grades */
    CONFIG_SCORING_SELF_REPORT, /* the feedback model reads each run's output */
} config_scoring;

/* How the final node is chosen (holdout mode; README "Final selection"). */
typedef enum config_selection {
    CONFIG_SELECTION_HIDDEN, /* a hidden holdout the search never sees decides
                                among the top selection_k (three-way split) */
    CONFIG_SELECTION_SEARCH, /* AIDE's rule: the best search score (two-way split) */
} config_selection;

/* "sandbox": bubblewrap around candidate scripts. */
typedef enum config_sandbox {
    CONFIG_SANDBOX_AUTO, /* when bwrap works */
    CONFIG_SANDBOX_ON,   /* required: a run without it is an error */
    CONFIG_SANDBOX_OFF,  /* never (--no-sandbox) */
} config_sandbox;

/*
 * The resolved configuration. Every field has an option in the table (its
 * JSON key in config.json is given in quotes). Strings are owned (NULL for
 * null) and freed by config_free.
 */
typedef struct run_config {
    char *competition;       /* "competition": folder or id (setup stores the
                                absolute competition folder) */
    char *data_dir;          /* "data_dir": data folder for bare ids; NULL: $GROVE_DATA */
    char *model;             /* "model": PROVIDER:MODEL; NULL until setup picks one */
    char *feedback_model;    /* "feedback_model": reviewer; NULL: model */
    char *base_url;          /* "base_url": endpoint of model; NULL: the provider's */
    char *feedback_base_url; /* "feedback_base_url": endpoint of feedback_model */
    char *api_key_env;       /* "api_key_env": variable holding the key; NULL: provider's */
    char *prices;            /* "prices": price table file; NULL: grove's */
    char *reasoning_effort;  /* "reasoning_effort": low, medium, high; NULL: model's */
    long steps;              /* "steps": nodes in total, resumed ones included */
    double time_limit;       /* "time_limit": seconds, the final re-run included */
    double exec_timeout;     /* "exec_timeout": seconds per script run */
    long workers;            /* "workers": nodes in flight at once */
    long seed;               /* "seed": split, policy and builtin coder seed */
    char *out;               /* "out": where runs are created */
    char *name;              /* "name": run folder name; NULL: <competition>-<time> */
    char *policy;            /* "policy": search policy name */
    config_scoring scoring;  /* "scoring" */
    double holdout_fraction; /* "holdout_fraction": share of train rows held out */
    long final_top_k;        /* "final_top_k": best nodes re-run on the full data */
    long analysis_top_k;     /* "analysis_top_k": best nodes re-run and graded on the
                                test answers after the run, for analysis only */
    config_selection selection; /* "selection": how the final node is chosen */
    long selection_k;        /* "selection_k": finalists graded on the hidden holdout */
    long selection_seeds;    /* "selection_seeds": re-runs per finalist (GROVE_SEED) */
    double selection_fraction; /* "selection_fraction": share of the training rows
                                in the hidden holdout */
    int ensemble;            /* "ensemble": blend the best nodes after the search */
    long ensemble_members;   /* "ensemble_members": most nodes in a blend */
    long ensemble_rounds;    /* "ensemble_rounds": greedy forward selection rounds */
    double max_cost;         /* "max_cost": US dollars; 0 (null): no cap */
    char *python;            /* "python": interpreter; NULL: found at setup */
    config_sandbox sandbox;  /* "sandbox" */
    char *gpus;              /* "gpus": all, none or a list of indices "0,2" */
    int gpu_share;           /* "gpu_share": more workers than GPUs share them */
    char *prompts;           /* "prompts": folder overriding prompt templates */
    long memory_chars;       /* "memory_chars": size of the search memory in prompts */
    long max_output_tokens;  /* "max_output_tokens": per LLM reply */
    double temperature;      /* "temperature": of the coder's requests */
    double gap_warning;      /* "gap_warning": relative gap between grove's score and
                                the script's claim that is flagged */
    int lower_is_better;     /* "lower_is_better": -1 (null) unknown, 0 or 1; setup
                                stores the direction in force */
    char *metric;            /* "metric": metric name; setup stores the one in force */
    int quiet;               /* "quiet": no status line (status_line.h) */
    double status_every;     /* "status_every": seconds between plain status lines
                                when stdout is not a terminal */
    struct {
        long num_drafts;        /* "search.num_drafts" */
        double debug_prob;      /* "search.debug_prob" */
        long max_debug_depth;   /* "search.max_debug_depth" */
        long max_failed_drafts; /* "search.max_failed_drafts": 0 means the
                                   policy's rule (3 x num_drafts) */
        long top_k;             /* "search.top_k" */
        double exploit_after;   /* "search.exploit_after" */
        double uct_c_start;     /* "search.uct_c_start" */
        double uct_c_end;       /* "search.uct_c_end" */
        long improves_per_node; /* "search.improves_per_node" */
        long population;        /* "search.population" */
        long tournament;        /* "search.tournament" */
        double crossover_rate;  /* "search.crossover_rate" */
    } search;
    struct {
        double timeout;       /* "llm.timeout": seconds per request, retries included */
        long max_attempts;    /* "llm.max_attempts" */
        double retry_wait;    /* "llm.retry_wait": seconds of waits per request */
        double wait_notice;   /* "llm.wait_notice": seconds between waiting lines */
    } llm;
    struct {
        long memory_limit_mb; /* "exec.memory_limit_mb": 0: a share of the
                                 machine's memory per worker; -1: none */
        long file_limit_mb;   /* "exec.file_limit_mb" */
        long max_procs;       /* "exec.max_procs": -1: no limit */
        int allow_network;    /* "exec.allow_network" */
        int allow_loopback;   /* "exec.allow_loopback": with allow_network */
        long disk_limit_mb;   /* "exec.disk_limit_mb": workspace quota; 0: none */
        long files_limit;     /* "exec.files_limit": workspace files; 0: none */
        long threads;         /* "exec.threads": BLAS/OpenMP threads; 0: unset */
    } exec;
} run_config;

typedef enum config_type {
    CONFIG_STRING,   /* char *; NULL is null */
    CONFIG_CHOICE,   /* an enum (int): the index of one of choices */
    CONFIG_INT,      /* long: a whole number */
    CONFIG_NUMBER,   /* double */
    CONFIG_DURATION, /* double seconds: a number, or "90s", "15m", "2h", "1h30m" */
    CONFIG_BOOL,     /* int: 0 or 1 (-1 for null when nullable) */
} config_type;

enum {
    CONFIG_NULLABLE = 1,  /* null is a value: NULL, -1 (bool) or 0 (number, "none") */
    CONFIG_ABOVE_MIN = 2, /* the value must be greater than min, not equal */
};

/* One option: a row of the table in config.c. */
typedef struct config_option {
    const char *key;            /* dotted JSON key: "steps", "search.num_drafts" */
    config_type type;
    size_t offset;              /* of its field in run_config */
    const char *dflt;           /* the default in --set form; NULL: null */
    double min, max;            /* range of numbers (inclusive unless CONFIG_ABOVE_MIN) */
    const char *const *choices; /* CONFIG_CHOICE: names, NULL-terminated */
    unsigned flags;             /* CONFIG_NULLABLE, CONFIG_ABOVE_MIN */
    const char *flag;           /* CLI flag of `grove run` ("--steps"), or NULL */
    const char *metavar;        /* the flag's value in the usage ("N", "DUR") */
    const char *help;           /* one sentence for the usage */
} config_option;

/* The table: *n rows. */
const config_option *config_options(size_t *n);
/* The option with this key, or NULL. */
const config_option *config_option_find(const char *key);
/* The option whose CLI flag is this ("--steps"), or NULL. */
const config_option *config_option_by_flag(const char *flag);

/* Fill c with the table's defaults. */
void config_init(run_config *c);
void config_free(run_config *c);
/* A deep copy of src into dst (dst is overwritten, not freed). */
void config_copy(run_config *dst, const run_config *src);
/* 1 when a and b hold the same value for opt. */
int config_same(const run_config *a, const run_config *b, const config_option *opt);

/* Set one option from its text form (a flag's value, or the right side of
 * --set): "20", "15m", "true", "openai:gpt-4o"; "null" clears a nullable
 * option. Errors name the key, the type wanted and the fix. */
int config_set_value(run_config *c, const char *key, const char *value);
/* Apply "a.b=value" (--set); a JSON-quoted value is unquoted first. */
int config_set(run_config *c, const char *assignment);

/* Merge a JSON object into c, each key checked against the table (type and
 * range); where names the source in errors ("config FILE"). */
int config_from_json(run_config *c, const cJSON *j, const char *where);
/* Merge a config file (a run's config.json, or --config FILE). Errors name
 * the file, the line and column of a syntax error, or the key. */
int config_merge_file(run_config *c, const char *path);
/* config.json's object: every option, nested by its dotted key (caller
 * frees with cJSON_Delete). */
cJSON *config_to_json(const run_config *c);

/* The usage of `grove run`: its flags that set an option, one a line with
 * help and default; then every key that --set and --config take, with its
 * help, default and what it takes. */
void config_print_usage(FILE *f);
void config_print_keys(FILE *f);

/* Parse a duration: "90" (seconds), "90s", "15m", "2h", "1h30m". < 0 on error. */
double config_parse_duration(const char *s);
/* Human form of seconds: "2h 10m", "45s". buf >= 32 bytes. */
void config_format_duration(char *buf, size_t n, double seconds);

#endif

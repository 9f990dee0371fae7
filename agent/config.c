/*
 * config.c: the run configuration (see config.h).
 *
 * Everything about an option is written once, in the table below: its JSON
 * key, type, default, range, help and CLI flag. The defaults are the table's
 * default texts parsed as --set would parse them; the usage is printed from
 * the table; a --set value, a flag's value and a key of a config file all go
 * through the same typed setters, which check the type and the range and say
 * what was wanted; config.json is written from the table in its order.
 */
#include "config.h"
#include "search.h"
#include "util.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define STR_(x) #x
#define STR(x) STR_(x)
#define AT(field) offsetof(run_config, field)

static const char *const scoring_names[] = {"auto", "holdout", "self-report", NULL};
static const char *const sandbox_names[] = {"auto", "on", "off", NULL};
static const char *const selection_names[] = {"hidden", "search", NULL};

/* key, type, field, default, min, max, choices, flags, flag, metavar, help */
static const config_option options[] = {
    {"competition", CONFIG_STRING, AT(competition), NULL, 0, 0, NULL, CONFIG_NULLABLE, NULL,
     "COMP", "the competition: a folder in MLE-bench's layout or an id in the data folder"},
    {"data_dir", CONFIG_STRING, AT(data_dir), NULL, 0, 0, NULL, CONFIG_NULLABLE, "--data-dir",
     "DIR", "data folder for bare ids (default $GROVE_DATA or ~/.cache/grove/data)"},
    {"model", CONFIG_STRING, AT(model), NULL, 0, 0, NULL, CONFIG_NULLABLE, "--model",
     "PROVIDER:MODEL", "coding model: openai:..., anthropic:..., builtin:baseline, "
     "replay:RUN/llm.jsonl (default: openai:gpt-4o when OPENAI_API_KEY is set, "
     "anthropic:claude-sonnet-4-5 when ANTHROPIC_API_KEY is, else the offline builtin coder)"},
    {"feedback_model", CONFIG_STRING, AT(feedback_model), NULL, 0, 0, NULL, CONFIG_NULLABLE,
     "--feedback-model", "P:M", "model that reviews runs in self-report mode (default: --model)"},
    {"base_url", CONFIG_STRING, AT(base_url), NULL, 0, 0, NULL, CONFIG_NULLABLE, "--base-url",
     "URL", "endpoint of --model (OpenAI-compatible servers, proxies)"},
    {"feedback_base_url", CONFIG_STRING, AT(feedback_base_url), NULL, 0, 0, NULL,
     CONFIG_NULLABLE, "--feedback-base-url", "URL", "endpoint of --feedback-model"},
    {"api_key_env", CONFIG_STRING, AT(api_key_env), NULL, 0, 0, NULL, CONFIG_NULLABLE,
     "--api-key-env", "VAR", "read the API key from VAR instead of the provider's default"},
    {"prices", CONFIG_STRING, AT(prices), NULL, 0, 0, NULL, CONFIG_NULLABLE, "--prices", "FILE",
     "price table (JSON) overriding grove's, for cost and --max-cost"},
    {"reasoning_effort", CONFIG_STRING, AT(reasoning_effort), NULL, 0, 0, NULL,
     CONFIG_NULLABLE, "--reasoning-effort", "E", "low, medium or high, for reasoning models"},
    {"steps", CONFIG_INT, AT(steps), "20", 1, 1e6, NULL, 0, "--steps", "N",
     "nodes in total, resumed ones included"},
    {"time_limit", CONFIG_DURATION, AT(time_limit), "1h", 1, 1e7, NULL, 0, "--time-limit", "DUR",
     "wall-clock budget, the final re-run included: 90s, 15m, 2h"},
    {"exec_timeout", CONFIG_DURATION, AT(exec_timeout), "10m", 1, 1e6, NULL, 0,
     "--exec-timeout", "DUR", "limit per script run"},
    {"workers", CONFIG_INT, AT(workers), "2", 1, 256, NULL, 0, "--workers", "W",
     "nodes in flight at once"},
    {"seed", CONFIG_INT, AT(seed), "0", 0, 4294967295.0, NULL, 0, "--seed", "N",
     "seed of the holdout split, the policy and the builtin coder"},
    {"out", CONFIG_STRING, AT(out), "runs", 0, 0, NULL, 0, "--out", "DIR",
     "where runs are created"},
    {"name", CONFIG_STRING, AT(name), NULL, 0, 0, NULL, CONFIG_NULLABLE, "--name", "NAME",
     "run folder name (default <competition>-<date>-<time>)"},
    {"policy", CONFIG_STRING, AT(policy), "greedy", 0, 0, NULL, 0, "--policy", "NAME",
     "search policy: greedy (AIDE's, aware of workers), mcts (UCT) or evolutionary "
     "(crossover); see search.*"},
    {"scoring", CONFIG_CHOICE, AT(scoring), "auto", 0, 0, scoring_names, 0, "--scoring", "MODE",
     "auto, holdout (grove splits and grades) or self-report"},
    {"holdout_fraction", CONFIG_NUMBER, AT(holdout_fraction), "0.2", 0.01, 0.9, NULL, 0, NULL,
     NULL, "share of the training rows grove holds out to score nodes"},
    {"final_top_k", CONFIG_INT, AT(final_top_k), "1", 0, 100, NULL, 0, NULL, NULL,
     "best nodes re-run on the full training data at the end (0: none)"},
    {"analysis_top_k", CONFIG_INT, AT(analysis_top_k), "0", 0, 100, NULL, 0, "--analysis-top-k",
     "K", "after the run, re-run the K best nodes on the full data and grade them on the test "
     "answers, for analysis only (RUN/analysis.json: oracle, final, selection regret)"},
    {"selection", CONFIG_CHOICE, AT(selection), "hidden", 0, 0, selection_names, 0,
     "--selection", "RULE", "how the final node is chosen (holdout mode): hidden (the top "
     "--selection-k by search score re-run and graded on a holdout the search never saw) "
     "or search (AIDE's rule: the best search score)"},
    {"selection_k", CONFIG_INT, AT(selection_k), "5", 1, 100, NULL, 0, "--selection-k", "K",
     "finalists graded on the hidden holdout"},
    {"selection_seeds", CONFIG_INT, AT(selection_seeds), "1", 1, 20, NULL, 0,
     "--selection-seeds", "N", "hidden-holdout runs per finalist, each with its own "
     "GROVE_SEED; with N > 1 their spread is the noise a pick must beat"},
    {"selection_fraction", CONFIG_NUMBER, AT(selection_fraction), "0.2", 0.01, 0.5, NULL, 0,
     NULL, NULL, "share of the training rows in the hidden selection holdout"},
    {"ensemble", CONFIG_BOOL, AT(ensemble), "true", 0, 0, NULL, 0, "--ensemble", "BOOL",
     "after the search, blend the best nodes' submissions (weights fitted on the holdout) and "
     "keep the blend as a node when it beats the best one (true or false)"},
    {"ensemble_members", CONFIG_INT, AT(ensemble_members), "5", 2, 50, NULL, 0, NULL, NULL,
     "the best nodes an ensemble may blend"},
    {"ensemble_rounds", CONFIG_INT, AT(ensemble_rounds), "10", 1, 1000, NULL, 0, NULL, NULL,
     "rounds of the ensemble's greedy forward selection (each grades one blend per member)"},
    {"max_cost", CONFIG_NUMBER, AT(max_cost), NULL, 0, 1e9, NULL,
     CONFIG_NULLABLE | CONFIG_ABOVE_MIN, "--max-cost", "USD",
     "stop gracefully once the LLM cost reaches this"},
    {"python", CONFIG_STRING, AT(python), NULL, 0, 0, NULL, CONFIG_NULLABLE, "--python", "PATH",
     "interpreter for candidate scripts (default: one that can import numpy; "
     "/usr/bin/python3 on Debian)"},
    {"sandbox", CONFIG_CHOICE, AT(sandbox), "auto", 0, 0, sandbox_names, 0, NULL, NULL,
     "bubblewrap around scripts: auto, on or off (--no-sandbox)"},
    {"gpus", CONFIG_STRING, AT(gpus), "all", 0, 0, NULL, 0, "--gpus", "all|none|LIST",
     "GPUs for the scripts, e.g. 0,1; each running script holds its own"},
    {"gpu_share", CONFIG_BOOL, AT(gpu_share), "false", 0, 0, NULL, 0, NULL, NULL,
     "with more workers than GPUs, scripts share one instead of waiting (--gpu-share)"},
    {"prompts", CONFIG_STRING, AT(prompts), NULL, 0, 0, NULL, CONFIG_NULLABLE, "--prompts", "DIR",
     "override prompt templates by file name"},
    {"memory_chars", CONFIG_INT, AT(memory_chars), "4000", 0, 1e6, NULL, 0, NULL, NULL,
     "characters of the search memory (what was tried) in each prompt"},
    {"max_output_tokens", CONFIG_INT, AT(max_output_tokens), "8192", 16, 1e6, NULL, 0, NULL,
     NULL, "tokens per LLM reply"},
    {"temperature", CONFIG_NUMBER, AT(temperature), "0.5", 0, 2, NULL, 0, NULL, NULL,
     "sampling temperature of the coder"},
    {"gap_warning", CONFIG_NUMBER, AT(gap_warning), "0.05", 0, 1e9, NULL, 0, NULL, NULL,
     "relative gap between grove's score and the script's own claim that is flagged"},
    {"lower_is_better", CONFIG_BOOL, AT(lower_is_better), NULL, 0, 0, NULL, CONFIG_NULLABLE,
     NULL, NULL, "metric direction, for competitions outside grove's registry"},
    {"metric", CONFIG_STRING, AT(metric), NULL, 0, 0, NULL, CONFIG_NULLABLE, NULL, NULL,
     "metric name shown, for competitions outside grove's registry"},
    {"quiet", CONFIG_BOOL, AT(quiet), "false", 0, 0, NULL, 0, NULL, NULL,
     "no live status line on the terminal, nor its plain lines in a log (--quiet)"},
    {"status_every", CONFIG_DURATION, AT(status_every), "1m", 1, 1e7, NULL, 0, NULL, NULL,
     "when stdout is not a terminal, a plain status line this often"},
    {"search.num_drafts", CONFIG_INT, AT(search.num_drafts), STR(SEARCH_DEFAULT_NUM_DRAFTS), 1,
     1e4, NULL, 0, NULL, NULL, "drafts before the policy improves the best nodes"},
    {"search.debug_prob", CONFIG_NUMBER, AT(search.debug_prob), STR(SEARCH_DEFAULT_DEBUG_PROB), 0,
     1, NULL, 0, NULL, NULL, "chance to debug a buggy leaf rather than improve"},
    {"search.max_debug_depth", CONFIG_INT, AT(search.max_debug_depth),
     STR(SEARCH_DEFAULT_MAX_DEBUG_DEPTH), 0, 100, NULL, 0, NULL, NULL,
     "debug attempts in a row on one line"},
    {"search.max_failed_drafts", CONFIG_INT, AT(search.max_failed_drafts),
     STR(SEARCH_DEFAULT_MAX_FAILED_DRAFTS), 0, 1e5, NULL, 0, NULL, NULL,
     "drafts allowed while nothing works; 0: 3 x num_drafts, else at least num_drafts"},
    {"search.top_k", CONFIG_INT, AT(search.top_k), STR(SEARCH_DEFAULT_TOP_K), 1, 1000, NULL, 0,
     NULL, NULL, "improvements spread across the top k nodes when workers are busy, and "
     "the nodes mcts and evolutionary exploit late"},
    {"search.exploit_after", CONFIG_NUMBER, AT(search.exploit_after),
     STR(SEARCH_DEFAULT_EXPLOIT_AFTER), 0, 1, NULL, 0, NULL, NULL,
     "mcts, evolutionary: share of the budget (steps or time) after which only the top k "
     "are improved (1: never)"},
    {"search.uct_c_start", CONFIG_NUMBER, AT(search.uct_c_start),
     STR(SEARCH_DEFAULT_UCT_C_START), 0, 100, NULL, 0, NULL, NULL,
     "mcts: UCT exploration constant at the start"},
    {"search.uct_c_end", CONFIG_NUMBER, AT(search.uct_c_end), STR(SEARCH_DEFAULT_UCT_C_END), 0,
     100, NULL, 0, NULL, NULL, "mcts: the constant at the end of the budget (linear decay)"},
    {"search.improves_per_node", CONFIG_INT, AT(search.improves_per_node),
     STR(SEARCH_DEFAULT_IMPROVES_PER_NODE), 1, 1000, NULL, 0, NULL, NULL,
     "mcts: children of a good node before UCT descends below it"},
    {"search.population", CONFIG_INT, AT(search.population), STR(SEARCH_DEFAULT_POPULATION), 2,
     1000, NULL, 0, NULL, NULL, "evolutionary: the best good nodes that breed"},
    {"search.tournament", CONFIG_INT, AT(search.tournament), STR(SEARCH_DEFAULT_TOURNAMENT), 1,
     1000, NULL, 0, NULL, NULL, "evolutionary: members drawn per tournament (the best wins)"},
    {"search.crossover_rate", CONFIG_NUMBER, AT(search.crossover_rate),
     STR(SEARCH_DEFAULT_CROSSOVER_RATE), 0, 1, NULL, 0, NULL, NULL,
     "evolutionary: chance that a step merges two parents rather than improves one"},
    {"llm.timeout", CONFIG_DURATION, AT(llm.timeout), "600", 1, 1e6, NULL, 0, NULL, NULL,
     "limit of one LLM request, every attempt and wait between attempts included"},
    {"llm.max_attempts", CONFIG_INT, AT(llm.max_attempts), "6", 1, 100, NULL, 0, NULL, NULL,
     "HTTP attempts per LLM request (retries of 429, 5xx, unusable replies, lost connections)"},
    {"llm.retry_wait", CONFIG_DURATION, AT(llm.retry_wait), "120", 1, 1e6, NULL, 0, NULL, NULL,
     "most waiting between the attempts of one LLM request"},
    {"llm.wait_notice", CONFIG_DURATION, AT(llm.wait_notice), "30", 1, 1e6, NULL, 0, NULL, NULL,
     "say that a call is waiting on the model every this many seconds"},
    {"exec.memory_limit_mb", CONFIG_INT, AT(exec.memory_limit_mb), "0", -1, 1e9, NULL, 0, NULL,
     NULL, "memory cap per script in MB (0: the machine's memory less a reserve, shared by "
     "the workers; -1: none; --memory SIZE)"},
    {"exec.disk_limit_mb", CONFIG_INT, AT(exec.disk_limit_mb), "20480", 0, 1e9, NULL, 0, NULL,
     NULL, "disk a script's workspace may hold, in MB, checked while it runs (0: no limit)"},
    {"exec.files_limit", CONFIG_INT, AT(exec.files_limit), "200000", 0, 1e9, NULL, 0, NULL,
     NULL, "files a script's workspace may hold (0: no limit)"},
    {"exec.file_limit_mb", CONFIG_INT, AT(exec.file_limit_mb), "8192", 0, 1e9, NULL, 0, NULL,
     NULL, "largest file a script may write, in MB"},
    {"exec.max_procs", CONFIG_INT, AT(exec.max_procs), "1024", -1, 1e6, NULL, 0, NULL, NULL,
     "processes per script (-1: no limit)"},
    {"exec.allow_network", CONFIG_BOOL, AT(exec.allow_network), "false", 0, 0, NULL, 0, NULL,
     NULL, "let scripts reach the network"},
    {"exec.allow_loopback", CONFIG_BOOL, AT(exec.allow_loopback), "false", 0, 0, NULL, 0, NULL,
     NULL, "with allow_network, let scripts reach the host's loopback (127.0.0.1, ::1) too"},
    {"exec.threads", CONFIG_INT, AT(exec.threads), "1", 0, 1024, NULL, 0, NULL, NULL,
     "BLAS/OpenMP threads per script (0: the libraries' default)"},
};

#define N_OPTIONS (sizeof options / sizeof options[0])

const config_option *config_options(size_t *n)
{
    *n = N_OPTIONS;
    return options;
}

const config_option *config_option_find(const char *key)
{
    for (size_t i = 0; i < N_OPTIONS; i++)
        if (!strcmp(options[i].key, key))
            return &options[i];
    return NULL;
}

const config_option *config_option_by_flag(const char *flag)
{
    for (size_t i = 0; i < N_OPTIONS; i++)
        if (options[i].flag && !strcmp(options[i].flag, flag))
            return &options[i];
    return NULL;
}

/* The typed field of an option, in a run_config or a const one. */
#define FIELD(c, o, type) ((type *)(void *)((char *)(c) + (o)->offset))
#define CFIELD(c, o, type) ((const type *)(const void *)((const char *)(c) + (o)->offset))

/* "1000000", not "1e+06": whole numbers print whole. */
static void fmt_num(char *buf, size_t n, double v)
{
    if (v == floor(v) && fabs(v) < 1e15)
        snprintf(buf, n, "%.0f", v);
    else
        snprintf(buf, n, "%g", v);
}

/* What a key takes, for errors and the usage: "a whole number from 1 to 256". */
static char *wanted(const config_option *o)
{
    char lo[32], hi[32];
    fmt_num(lo, sizeof lo, o->min);
    fmt_num(hi, sizeof hi, o->max);
    sb s = {0};
    switch (o->type) {
    case CONFIG_STRING: sb_puts(&s, "a string"); break;
    case CONFIG_BOOL: sb_puts(&s, "true or false"); break;
    case CONFIG_CHOICE:
        sb_puts(&s, "one of ");
        for (size_t i = 0; o->choices[i]; i++)
            sb_printf(&s, "%s%s", i ? ", " : "", o->choices[i]);
        break;
    case CONFIG_INT: sb_printf(&s, "a whole number from %s to %s", lo, hi); break;
    case CONFIG_NUMBER:
        if (o->flags & CONFIG_ABOVE_MIN)
            sb_printf(&s, "a number above %s", lo);
        else
            sb_printf(&s, "a number from %s to %s", lo, hi);
        break;
    case CONFIG_DURATION:
        sb_printf(&s, "a duration (seconds, or like 90s, 15m, 2h) from %ss to %ss", lo, hi);
        break;
    }
    if (o->flags & CONFIG_NULLABLE)
        sb_puts(&s, o->type == CONFIG_STRING ? " or null" : ", or null for none");
    return sb_steal(&s);
}

/* A value to show in a fix: the default, else the flag's metavar. */
static const char *example(const config_option *o)
{
    if (o->dflt)
        return o->dflt;
    if (o->type == CONFIG_NUMBER)
        return "1";
    if (o->type == CONFIG_BOOL)
        return "true";
    return o->metavar ? o->metavar : "TEXT";
}

/* "'steps' must be a whole number from 1 to 1000000 (it is 1.7); e.g.
 * --set steps=20". where is "--set", a flag, or "config FILE". */
static int type_error(const config_option *o, const char *where, const char *given)
{
    char *w = wanted(o);
    int json = str_starts(where, "config");
    int quote = json && (o->type == CONFIG_STRING || o->type == CONFIG_CHOICE ||
                         (o->type == CONFIG_DURATION && !isdigit((unsigned char)*example(o))));
    if (json)
        err_set("%s: '%s' must be %s (it is %s); e.g. \"%s\": %s%s%s", where, o->key, w, given,
                strrchr(o->key, '.') ? strrchr(o->key, '.') + 1 : o->key, quote ? "\"" : "",
                example(o), quote ? "\"" : "");
    else if (o->flag && !strcmp(where, o->flag))
        err_set("%s: must be %s (it is %s); e.g. %s %s", where, w, given, o->flag, example(o));
    else
        err_set("%s: '%s' must be %s (it is %s); e.g. --set %s=%s", where, o->key, w, given,
                o->key, example(o));
    free(w);
    return -1;
}

static int store_num(run_config *c, const config_option *o, double v, const char *where,
                     const char *given)
{
    int above = (o->flags & CONFIG_ABOVE_MIN) != 0;
    if (!isfinite(v) || (o->type == CONFIG_INT && v != floor(v)) ||
        (above ? v <= o->min : v < o->min) || v > o->max)
        return type_error(o, where, given);
    if (o->type == CONFIG_INT)
        *FIELD(c, o, long) = (long)v;
    else
        *FIELD(c, o, double) = v;
    return 0;
}

static int store_null(run_config *c, const config_option *o)
{
    switch (o->type) {
    case CONFIG_STRING:
        free(*FIELD(c, o, char *));
        *FIELD(c, o, char *) = NULL;
        break;
    case CONFIG_BOOL: *FIELD(c, o, int) = -1; break;
    case CONFIG_INT: *FIELD(c, o, long) = 0; break;
    default: *FIELD(c, o, double) = 0; break;
    }
    return 0;
}

/* A value in its text form: a flag's value, the right side of --set, a
 * string of a config file, or the table's default. */
static int store_text(run_config *c, const config_option *o, const char *text, const char *where)
{
    char given[160];
    snprintf(given, sizeof given, "'%s'", text);
    if ((o->flags & CONFIG_NULLABLE) && !strcmp(text, "null"))
        return store_null(c, o);
    char *end;
    double v;
    switch (o->type) {
    case CONFIG_STRING:
        free(*FIELD(c, o, char *));
        *FIELD(c, o, char *) = xstrdup(text);
        return 0;
    case CONFIG_CHOICE:
        for (int i = 0; o->choices[i]; i++)
            if (!strcmp(o->choices[i], text))
                return *FIELD(c, o, int) = i, 0;
        return type_error(o, where, given);
    case CONFIG_BOOL:
        if (strcmp(text, "true") && strcmp(text, "false"))
            return type_error(o, where, given);
        *FIELD(c, o, int) = !strcmp(text, "true");
        return 0;
    case CONFIG_DURATION:
        v = config_parse_duration(text);
        return v < 0 ? type_error(o, where, given) : store_num(c, o, v, where, given);
    case CONFIG_INT:
    case CONFIG_NUMBER:
        v = strtod(text, &end);
        if (!*text || *end || isspace((unsigned char)*text))
            return type_error(o, where, given);
        return store_num(c, o, v, where, given);
    }
    return -1;
}

/* A value of a config file: each JSON type goes where the option takes it. */
static int store_json(run_config *c, const config_option *o, const cJSON *v, const char *where)
{
    if (cJSON_IsNull(v))
        return (o->flags & CONFIG_NULLABLE) ? store_null(c, o) : store_text(c, o, o->dflt, where);
    if (cJSON_IsString(v) && o->type == CONFIG_STRING) {
        free(*FIELD(c, o, char *));
        *FIELD(c, o, char *) = xstrdup(v->valuestring);
        return 0;
    }
    if (cJSON_IsString(v) && (o->type == CONFIG_CHOICE || o->type == CONFIG_DURATION))
        return store_text(c, o, v->valuestring, where);
    if (cJSON_IsBool(v) && o->type == CONFIG_BOOL) {
        *FIELD(c, o, int) = cJSON_IsTrue(v);
        return 0;
    }
    char *shown = cJSON_PrintUnformatted(v);
    int rc;
    if (cJSON_IsNumber(v) &&
        (o->type == CONFIG_INT || o->type == CONFIG_NUMBER || o->type == CONFIG_DURATION))
        rc = store_num(c, o, v->valuedouble, where, shown ? shown : "?");
    else
        rc = type_error(o, where, shown ? shown : "?");
    cJSON_free(shown);
    return rc;
}

void config_init(run_config *c)
{
    memset(c, 0, sizeof *c);
    for (size_t i = 0; i < N_OPTIONS; i++) {
        const config_option *o = &options[i];
        /* the table's defaults are valid: a test walks them all */
        if (o->dflt ? store_text(c, o, o->dflt, "default") < 0 : store_null(c, o) < 0)
            abort();
    }
}

void config_free(run_config *c)
{
    for (size_t i = 0; i < N_OPTIONS; i++)
        if (options[i].type == CONFIG_STRING)
            free(*FIELD(c, &options[i], char *));
    memset(c, 0, sizeof *c);
}

void config_copy(run_config *dst, const run_config *src)
{
    *dst = *src;
    for (size_t i = 0; i < N_OPTIONS; i++)
        if (options[i].type == CONFIG_STRING)
            *FIELD(dst, &options[i], char *) = xstrdup(*FIELD(src, &options[i], char *));
}

int config_same(const run_config *a, const run_config *b, const config_option *o)
{
    switch (o->type) {
    case CONFIG_STRING: {
        const char *s = *CFIELD(a, o, char *), *t = *CFIELD(b, o, char *);
        return s == t || (s && t && !strcmp(s, t));
    }
    case CONFIG_CHOICE:
    case CONFIG_BOOL: return *CFIELD(a, o, int) == *CFIELD(b, o, int);
    case CONFIG_INT: return *CFIELD(a, o, long) == *CFIELD(b, o, long);
    default: return *CFIELD(a, o, double) == *CFIELD(b, o, double);
    }
}

/* The options under a group key ("search"), for errors: "search.num_drafts,
 * search.debug_prob, ...", or NULL when key is no group. Caller frees. */
static char *group_members(const char *key)
{
    sb s = {0};
    size_t n = strlen(key);
    for (size_t i = 0; i < N_OPTIONS; i++)
        if (!strncmp(options[i].key, key, n) && options[i].key[n] == '.')
            sb_printf(&s, "%s%s", s.len ? ", " : "", options[i].key);
    return s.len ? sb_steal(&s) : NULL;
}

/* A key that names a group ("search") given one value: say which settings
 * it holds and how to set one. given is the JSON shown, or NULL from --set. */
static int group_error(const char *where, const char *key, const char *members,
                       const char *given)
{
    const char *first = members + strlen(key) + 1;
    int len = (int)strcspn(first, ",");
    if (given)
        return err_set("%s: '%s' must be an object of settings (%s), not %s; e.g. "
                       "\"%s\": {\"%.*s\": VALUE}", where, key, members, given, key, len, first);
    return err_set("%s: '%s' is a group of settings (%s), not one value; set one of them, "
                   "e.g. --set %s.%.*s=VALUE", where, key, members, key, len, first);
}

/* The unknown-key error, with the nearest key when it looks like a typo. */
static int unknown_key(const char *where, const char *key)
{
    char *members = group_members(key);
    if (members) {
        group_error(where, key, members, NULL);
        free(members);
        return -1;
    }
    suggest sg = {.typed = key};
    for (size_t i = 0; i < N_OPTIONS; i++)
        suggest_add(&sg, options[i].key);
    if (sg.best)
        return err_set("%s: unknown key '%s'; did you mean '%s'?", where, key, sg.best);
    return err_set("%s: unknown key '%s' (see `grove help run` for the keys)", where, key);
}

int config_set_value(run_config *c, const char *key, const char *value)
{
    const config_option *o = config_option_find(key);
    if (!o)
        return unknown_key("config", key);
    return store_text(c, o, value, o->flag ? o->flag : "--set");
}

int config_set(run_config *c, const char *assignment)
{
    const char *eq = strchr(assignment, '=');
    if (!eq || eq == assignment)
        return err_set("--set: '%s' is not KEY=VALUE (e.g. --set search.num_drafts=3)",
                       assignment);
    char *key = xstrndup(assignment, (size_t)(eq - assignment));
    const config_option *o = config_option_find(key);
    int rc;
    if (!o) {
        rc = unknown_key("--set", key);
    } else {
        /* "model=\"openai:gpt-4o\"": a JSON-quoted value is unquoted */
        cJSON *j = cJSON_Parse(eq + 1);
        const char *text = cJSON_IsString(j) ? j->valuestring : eq + 1;
        rc = store_text(c, o, text, "--set");
        cJSON_Delete(j);
    }
    free(key);
    return rc;
}

/* Merge one member of a config file: a key of the table, or a group object. */
static int merge_member(run_config *c, const cJSON *it, const char *prefix, const char *where)
{
    char *key = prefix ? xasprintf("%s.%s", prefix, it->string) : xstrdup(it->string);
    const config_option *o = config_option_find(key);
    char *members = o ? NULL : group_members(key);
    int rc = 0;
    if (o) {
        rc = store_json(c, o, it, where);
    } else if (members && cJSON_IsObject(it)) {
        for (const cJSON *in = it->child; in && rc == 0; in = in->next)
            rc = merge_member(c, in, key, where);
    } else if (members) {
        char *shown = cJSON_PrintUnformatted(it);
        rc = group_error(where, key, members, shown ? shown : "?");
        cJSON_free(shown);
    } else {
        rc = unknown_key(where, key);
    }
    free(members);
    free(key);
    return rc;
}

int config_from_json(run_config *c, const cJSON *j, const char *where)
{
    if (!cJSON_IsObject(j))
        return err_set("%s: expected a JSON object of settings", where);
    for (const cJSON *it = j->child; it; it = it->next)
        if (merge_member(c, it, NULL, where) < 0)
            return -1;
    return 0;
}

static void line_col(const char *text, const char *at, int *line, int *col)
{
    *line = 1;
    *col = 1;
    for (const char *p = text; p < at && *p; p++) {
        if (*p == '\n') {
            (*line)++;
            *col = 1;
        } else {
            (*col)++;
        }
    }
}

int config_merge_file(run_config *c, const char *path)
{
    char *text = NULL;
    if (file_read(path, &text, NULL) < 0)
        return err_prefix("config");
    const char *end = NULL;
    cJSON *file = cJSON_ParseWithOpts(text, &end, 1);
    if (!file || !cJSON_IsObject(file)) {
        int line, col;
        line_col(text, end ? end : text, &line, &col);
        err_set("config %s: %s at line %d, column %d (fix the JSON syntax there)", path,
                file ? "expected a JSON object" : "invalid JSON", line, col);
        cJSON_Delete(file);
        free(text);
        return -1;
    }
    free(text);
    char *where = xasprintf("config %s", path);
    int rc = config_from_json(c, file, where);
    free(where);
    cJSON_Delete(file);
    return rc;
}

/* The object holding a dotted key's value, created on the way. */
static cJSON *parent_for(cJSON *root, const char *key, const char **last)
{
    const char *dot = strchr(key, '.');
    *last = dot ? dot + 1 : key;
    if (!dot)
        return root;
    char *group = xstrndup(key, (size_t)(dot - key));
    cJSON *g = cJSON_GetObjectItemCaseSensitive(root, group);
    if (!g)
        g = cJSON_AddObjectToObject(root, group);
    free(group);
    return g;
}

cJSON *config_to_json(const run_config *c)
{
    cJSON *root = cJSON_CreateObject();
    for (size_t i = 0; i < N_OPTIONS; i++) {
        const config_option *o = &options[i];
        const char *last;
        cJSON *parent = parent_for(root, o->key, &last);
        int null = (o->flags & CONFIG_NULLABLE) &&
                   ((o->type == CONFIG_STRING && !*CFIELD(c, o, char *)) ||
                    (o->type == CONFIG_BOOL && *CFIELD(c, o, int) < 0) ||
                    (o->type == CONFIG_NUMBER && *CFIELD(c, o, double) == 0));
        if (null)
            cJSON_AddNullToObject(parent, last);
        else if (o->type == CONFIG_STRING)
            cJSON_AddStringToObject(parent, last, *CFIELD(c, o, char *));
        else if (o->type == CONFIG_CHOICE)
            cJSON_AddStringToObject(parent, last, o->choices[*CFIELD(c, o, int)]);
        else if (o->type == CONFIG_BOOL)
            cJSON_AddBoolToObject(parent, last, *CFIELD(c, o, int));
        else if (o->type == CONFIG_INT)
            cJSON_AddNumberToObject(parent, last, (double)*CFIELD(c, o, long));
        else
            cJSON_AddNumberToObject(parent, last, *CFIELD(c, o, double));
    }
    return root;
}

/* ---- usage ---- */

/* text from column col, wrapped before column 88 (continuation at col) */
static void wrap(FILE *f, size_t at, size_t col, const char *text)
{
    for (; at < col; at++)
        fputc(' ', f);
    while (*text) {
        size_t word = strcspn(text, " ");
        if (at > col && at + 1 + word > 88) {
            fprintf(f, "\n%*s", (int)col, "");
            at = col;
        } else if (at > col) {
            fputc(' ', f);
            at++;
        }
        fwrite(text, 1, word, f);
        at += word;
        text += word;
        text += strspn(text, " ");
    }
    fputc('\n', f);
}

static char *help_with_default(const config_option *o)
{
    if (!o->dflt)
        return xstrdup(o->help);
    return xasprintf("%s (default %s)", o->help, o->dflt);
}

void config_print_usage(FILE *f)
{
    for (size_t i = 0; i < N_OPTIONS; i++) {
        const config_option *o = &options[i];
        if (!o->flag)
            continue;
        char *help = help_with_default(o);
        int n = fprintf(f, "  %s %s ", o->flag, o->metavar);
        wrap(f, (size_t)n, 27, help);
        free(help);
    }
}

void config_print_keys(FILE *f)
{
    for (size_t i = 0; i < N_OPTIONS; i++) {
        const config_option *o = &options[i];
        char *w = wanted(o);
        /* a key with a flag has its help there */
        char *help = o->flag ? xasprintf("as %s", o->flag) : help_with_default(o);
        char *text = xasprintf("%s; %s", help, w);
        int n = fprintf(f, "  %s ", o->key);
        wrap(f, (size_t)n, 27, text);
        free(text);
        free(help);
        free(w);
    }
}

/* ---- durations ---- */

double config_parse_duration(const char *s)
{
    if (!s || !*s)
        return -1;
    double total = 0;
    const char *p = s;
    while (*p) {
        char *end;
        double v = strtod(p, &end);
        if (end == p || !isfinite(v) || v < 0)
            return -1;
        double unit = 1;
        switch (*end) {
        case 'h': unit = 3600; end++; break;
        case 'm': unit = 60; end++; break;
        case 's': end++; break;
        case 0: break;
        default: return -1;
        }
        total += v * unit;
        p = end;
    }
    return total;
}

void config_format_duration(char *buf, size_t n, double seconds)
{
    long s = seconds < 0 ? 0 : (long)(seconds + 0.5);
    if (s >= 3600)
        snprintf(buf, n, "%ldh %02ldm", s / 3600, (s % 3600) / 60);
    else if (s >= 60)
        snprintf(buf, n, "%ldm %02lds", s / 60, s % 60);
    else
        snprintf(buf, n, "%lds", s);
}

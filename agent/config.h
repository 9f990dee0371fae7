/*
 * config.h: the run configuration: defaults, a JSON config file, named CLI
 * flags and dotted overrides (`--set search.num_drafts=3`), resolved into one
 * cJSON object that is saved in the run (config.json and the task commit).
 *
 * Precedence, lowest first: built-in defaults, --config FILE, flags and
 * --set overrides in the order given on the command line.
 */
#ifndef GROVE_CONFIG_H
#define GROVE_CONFIG_H

#include <cjson/cJSON.h>

/* The defaults (caller frees with cJSON_Delete). */
cJSON *config_defaults(void);

/* Merge a JSON config file into cfg: objects merge key by key, anything else
 * replaces. Errors name the file, the line and column of a syntax error, or
 * the key whose type is wrong. */
int config_merge_file(cJSON *cfg, const char *path);

/* Apply "a.b.c=value": value is parsed as JSON when it is valid JSON
 * (numbers, true/false, null, quoted strings, arrays), else taken as a
 * string. Unknown top-level keys are errors (they are usually typos). */
int config_set(cJSON *cfg, const char *assignment);
/* Set a key from a flag whose value is a string, number or duration. */
int config_set_value(cJSON *cfg, const char *dotted, const char *value);

/* Typed getters on dotted paths; the default is returned when the key is
 * absent or null. */
const char *config_str(const cJSON *cfg, const char *dotted, const char *dflt);
double config_num(const cJSON *cfg, const char *dotted, double dflt);
int config_bool(const cJSON *cfg, const char *dotted, int dflt);

/* Parse a duration: "90" (seconds), "90s", "15m", "2h", "1h30m". < 0 on error. */
double config_parse_duration(const char *s);
/* Human form of seconds: "2h 10m", "45s". buf >= 32 bytes. */
void config_format_duration(char *buf, size_t n, double seconds);

/* Type-check the resolved config (numbers where numbers are needed, ranges).
 * Errors name the key and the fix. */
int config_validate(const cJSON *cfg);

#endif

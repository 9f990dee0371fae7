/* test_config.c: defaults, file merge, dotted overrides, durations, and the
 * errors a broken config gets (file, line and key named). */
#include "check.h"
#include "config.h"
#include "util.h"

#include <stdlib.h>

int main(void)
{
    cJSON *c = config_defaults();
    CHECK(config_validate(c) == 0);
    CHECK(config_num(c, "steps", 0) == 20);
    CHECK(config_num(c, "search.num_drafts", 0) == 5);
    CHECK_STR(config_str(c, "policy", NULL), "greedy");

    CHECK(config_set(c, "search.num_drafts=3") == 0);
    CHECK(config_num(c, "search.num_drafts", 0) == 3);
    CHECK(config_set(c, "model=\"openai:gpt-4o\"") == 0);
    CHECK_STR(config_str(c, "model", NULL), "openai:gpt-4o");
    CHECK(config_set(c, "model=anthropic:claude") == 0); /* not JSON: a string */
    CHECK_STR(config_str(c, "model", NULL), "anthropic:claude");
    CHECK(config_set(c, "exec.allow_network=true") == 0);
    CHECK(config_bool(c, "exec.allow_network", 0) == 1);
    CHECK(config_set(c, "serach.num_drafts=3") < 0); /* typo is an error */
    CHECK(strstr(err_last(), "serach") != NULL);
    CHECK(config_set(c, "noequals") < 0);
    CHECK(config_set(c, "search.num_draft=3") < 0); /* nested typo too */
    CHECK(strstr(err_last(), "search.num_draft") != NULL);
    CHECK(config_set_value(c, "name", "7") == 0); /* a string key stays a string */
    CHECK_STR(config_str(c, "name", NULL), "7");
    CHECK(config_set_value(c, "out", "2024") == 0);
    CHECK(config_validate(c) == 0);
    CHECK(config_set_value(c, "time_limit", "1h30m") == 0);
    CHECK(config_num(c, "time_limit", 0) == 5400);
    CHECK(config_validate(c) == 0);
    CHECK(config_set(c, "workers=0") == 0);
    CHECK(config_validate(c) < 0);
    CHECK(strstr(err_last(), "workers") != NULL);
    CHECK(config_set(c, "workers=2") == 0);
    CHECK(config_set(c, "scoring=guess") == 0);
    CHECK(config_validate(c) < 0);
    CHECK(strstr(err_last(), "scoring") != NULL);
    CHECK(config_set(c, "scoring=holdout") == 0);
    CHECK(config_set_value(c, "exec_timeout", "ten minutes") == 0);
    CHECK(config_validate(c) < 0);
    CHECK(strstr(err_last(), "exec_timeout") != NULL);
    CHECK(config_set_value(c, "exec_timeout", "10m") == 0);
    CHECK(config_validate(c) == 0);

    CHECK(config_parse_duration("90") == 90);
    CHECK(config_parse_duration("15m") == 900);
    CHECK(config_parse_duration("2h") == 7200);
    CHECK(config_parse_duration("1x") < 0);
    CHECK(config_parse_duration("") < 0);
    char buf[32];
    config_format_duration(buf, sizeof buf, 7800);
    CHECK_STR(buf, "2h 10m");
    config_format_duration(buf, sizeof buf, 45);
    CHECK_STR(buf, "45s");

    char tmpl[] = "/tmp/grove-config-XXXXXX";
    CHECK(mkdtemp(tmpl) != NULL);
    char *path = path_join(tmpl, "cfg.json");
    file_write_str(path, "{\"steps\": 7, \"search\": {\"debug_prob\": 0.25}}");
    CHECK(config_merge_file(c, path) == 0);
    CHECK(config_num(c, "steps", 0) == 7);
    CHECK(config_num(c, "search.debug_prob", 0) == 0.25);
    CHECK(config_num(c, "search.num_drafts", 0) == 3); /* merged, not replaced */
    file_write_str(path, "{\n  \"steps\": 7,\n  \"workers\": ,\n}");
    CHECK(config_merge_file(c, path) < 0);
    CHECK(strstr(err_last(), "cfg.json") && strstr(err_last(), "line 3"));
    file_write_str(path, "{\"stepz\": 7}");
    CHECK(config_merge_file(c, path) < 0);
    CHECK(strstr(err_last(), "stepz") != NULL);
    file_write_str(path, "{\"exec\": {\"threds\": 2}}");
    CHECK(config_merge_file(c, path) < 0);
    CHECK(strstr(err_last(), "exec.threds") != NULL);
    file_write_str(path, "{\"steps\": \"many\"}");
    CHECK(config_merge_file(c, path) < 0);
    CHECK(strstr(err_last(), "steps") != NULL);
    CHECK(config_merge_file(c, "/nonexistent/cfg.json") < 0);
    CHECK(strstr(err_last(), "/nonexistent/cfg.json") != NULL);
    free(path);
    rm_rf(tmpl);
    cJSON_Delete(c);
    return check_done("config");
}

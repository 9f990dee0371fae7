/*
 * json_file.c: a run's JSON files (finished.json, selection.json,
 * analysis.json, ensemble.json, status.json, bench.json, best/grade.json)
 * are written one way: printed indented, any invalid UTF-8 in their text
 * (a candidate's output, an LLM's words) replaced so the file stays valid
 * JSON, and written as file_write_str writes (a temporary file renamed).
 */
#include "run.h"
#include "util.h"

#include <stdlib.h>

int json_file_save(const char *dir, const char *name, cJSON *j)
{
    char *text = utf8_fix(cJSON_Print(j));
    cJSON_Delete(j);
    char *path = path_join(dir, name);
    int rc = file_write_str(path, text);
    free(path);
    cJSON_free(text);
    return rc;
}

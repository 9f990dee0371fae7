/*
 * cmd_version.c: `grove version`: grove's version and, for each of the five
 * libraries, the version it was built against and the one it runs with.
 */
#include "commands.h"

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <git2.h>
#include <stdio.h>
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <uv.h>

const char summary_version[] = "print grove's version and its libraries' versions";
const char usage_version[] =
    "usage: grove version\n\n"
    "Prints grove's version, then for libcurl, cJSON, libgit2, PCRE2 and libuv\n"
    "the version grove was built against and the version loaded at run time.\n";

#define STR2(x) #x
#define STR(x) STR2(x)

int cmd_version(int argc, char **argv)
{
    (void)argv;
    if (argc > 1)
        return cmd_usage("version", 1);
    char pcre_run[64] = "?";
    pcre2_config(PCRE2_CONFIG_VERSION, pcre_run);
    int gmaj = 0, gmin = 0, grev = 0;
    git_libgit2_version(&gmaj, &gmin, &grev);
    char git_run[32];
    snprintf(git_run, sizeof git_run, "%d.%d.%d", gmaj, gmin, grev);

    printf("grove %s\n", GROVE_VERSION);
    printf("  %-8s %-12s %s\n", "library", "built", "running");
    printf("  %-8s %-12s %s\n", "libcurl", LIBCURL_VERSION, curl_version_info(CURLVERSION_NOW)->version);
    printf("  %-8s %-12s %s\n", "cJSON",
           STR(CJSON_VERSION_MAJOR) "." STR(CJSON_VERSION_MINOR) "." STR(CJSON_VERSION_PATCH),
           cJSON_Version());
    printf("  %-8s %-12s %s\n", "libgit2", LIBGIT2_VERSION, git_run);
    printf("  %-8s %-12s %s\n", "PCRE2", STR(PCRE2_MAJOR) "." STR(PCRE2_MINOR), pcre_run);
    printf("  %-8s %-12s %s\n", "libuv",
           STR(UV_VERSION_MAJOR) "." STR(UV_VERSION_MINOR) "." STR(UV_VERSION_PATCH),
           uv_version_string());
    return 0;
}

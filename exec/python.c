/*
 * python.c: which interpreter runs the candidates, and the workspace folders.
 *
 * The default interpreter must be able to import numpy, since every candidate
 * script does. The check runs the interpreter with the same scrubbed
 * environment a run gets, so an interpreter that only works with the
 * parent's environment (a pyenv shim needs PYENV_ROOT and friends) is
 * rejected here rather than failing every run later.
 */
#include "exec_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static int is_executable_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

int python_resolve(const char *name, char **out)
{
    *out = NULL;
    if (!name || !*name)
        return err_set("interpreter: empty name");
    if (strchr(name, '/')) {
        if (!is_executable_file(name))
            return err_set("interpreter %s: %s (give --python or GROVE_PYTHON the path of "
                           "a Python 3 with numpy, e.g. /usr/bin/python3)", name,
                           access(name, F_OK) == 0 ? "not an executable file" : "not found");
        if (name[0] == '/') {
            *out = xstrdup(name);
            return 0;
        }
        char cwd[4096];
        if (!getcwd(cwd, sizeof cwd))
            return err_set("interpreter %s: getcwd: %s", name, strerror(errno));
        *out = path_join(cwd, name);
        return 0;
    }
    /* A bare name is looked up on the parent's PATH, once, here; the run's
     * own PATH is the scrubbed one. Not realpath'd: a venv's bin/python is a
     * symlink whose location is what makes it the venv. */
    const char *path = getenv("PATH");
    char *copy = xstrdup(path ? path : "/usr/bin:/bin");
    char *save = NULL;
    for (char *dir = strtok_r(copy, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
        char *cand = path_join(*dir ? dir : ".", name);
        if (cand[0] == '/' && is_executable_file(cand)) {
            *out = cand;
            break;
        }
        free(cand);
    }
    free(copy);
    if (!*out)
        return err_set("interpreter '%s' not found on PATH (give its absolute path with "
                       "--python or GROVE_PYTHON)", name);
    return 0;
}

static int imports_numpy(const char *python)
{
    exec_opts none = {0};
    char **env = env_build(&none, python, NULL, "/tmp", "/tmp");
    char *argv[] = {(char *)python, "-c", "import numpy", NULL};
    int status = spawn_wait_quiet(argv, env, 0);
    strv_free(env);
    return status >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* Cache: the discovered default interpreter, found once per process (each
 * check starts a Python, 40 ms to 0.5 s). Never freed; GROVE_PYTHON is read
 * on every call and bypasses it. */
static char *found_python;

int exec_find_python(char **out)
{
    *out = NULL;
    const char *env = getenv("GROVE_PYTHON");
    if (env && *env) {
        if (python_resolve(env, out) < 0)
            return err_prefix("GROVE_PYTHON");
        return 0;
    }
    if (found_python) {
        *out = xstrdup(found_python);
        return 0;
    }
    sb tried = {0};
    const char *const candidates[] = {"/usr/bin/python3", "python3"};
    for (size_t i = 0; i < 2; i++) {
        char *py = NULL;
        if (python_resolve(candidates[i], &py) < 0) {
            sb_printf(&tried, "%s%s: not found", tried.len ? "; " : "", candidates[i]);
            continue;
        }
        if (imports_numpy(py)) {
            found_python = py;
            sb_free(&tried);
            *out = xstrdup(py);
            return 0;
        }
        sb_printf(&tried, "%s%s: cannot import numpy", tried.len ? "; " : "", py);
        free(py);
    }
    err_set("no Python interpreter that can import numpy (%s): install the candidates' "
            "stack with scripts/setup, or name one with --python or GROVE_PYTHON",
            sb_str(&tried));
    sb_free(&tried);
    return -1;
}

int exec_workspace_prepare(const char *workdir)
{
    static const char *const sub[] = {"working", "submission"};
    if (!workdir || !*workdir)
        return err_set("workspace: no folder given");
    if (mkdir_p(workdir, 0755) < 0)
        return err_prefix("workspace");
    for (size_t i = 0; i < 2; i++) {
        char *p = path_join(workdir, sub[i]);
        int rc = mkdir_p(p, 0755);
        free(p);
        if (rc < 0)
            return err_prefix("workspace");
    }
    return 0;
}

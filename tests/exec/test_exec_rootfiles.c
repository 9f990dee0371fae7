/*
 * test_exec_rootfiles.c: a script never runs as root, even when grove does.
 * Run as root, under the sandbox:
 *   - a root-only file (0600, in a folder open to all) and /etc/shadow
 *     cannot be read by the script;
 *   - its uid is 65534 on the host too (what it writes is owned by 65534
 *     there, not by root), with no capability and no supplementary group;
 *   - the workspace under a folder closed to that uid (mkdtemp's 0700)
 *     still works: the script reads input/ and solution.py, writes
 *     working/ and submission/, and grove reads and removes what it wrote.
 * Skipped (77) where bubblewrap cannot run or the test is not root.
 */
#include "fixture.h"

#include <sys/stat.h>

static const char script_fmt[] =
    "import os\n"
    "for p in ['%s', '/etc/shadow']:\n"
    "    try:\n"
    "        open(p).read(); print('READ', p)\n"
    "    except OSError as e:\n"
    "        print('DENIED', p)\n"
    "st = open('/proc/self/status').read()\n"
    "print('CAPEFF', [l.split()[1] for l in st.splitlines() if l.startswith('CapEff')][0])\n"
    "print('GROUPS', os.getgroups())\n"
    "print('INPUT', open('input/data.csv').read().strip())\n"
    "open('working/model.bin', 'w').write('weights')\n"
    "os.makedirs('submission', exist_ok=True)\n"
    "open('submission/submission.csv', 'w').write('id,y\\n1,0\\n')\n";

int main(int argc, char **argv)
{
    fx_init(argc, argv);
    if (geteuid() != 0) {
        printf("SKIP: not root\n");
        fx_cleanup();
        return 77;
    }
    char dir[] = "/var/tmp/grove-rootfile-XXXXXX";
    CHECK(mkdtemp(dir) != NULL && chmod(dir, 0755) == 0);
    char *secret = path_join(dir, "secret.key");
    CHECK(file_write_str(secret, "ROOTSECRET\n") == 0 && chmod(secret, 0600) == 0);
    char *input = path_join(fx_base, "input-src"), *data = path_join(input, "data.csv");
    CHECK(mkdir_p(input, 0755) == 0 && file_write_str(data, "a,b\n1,2\n") == 0);

    char *script = xasprintf(script_fmt, secret);
    char *ws = fx_workspace("ws", script);
    exec_opts o = fx_opts(ws);
    o.input_dir = input;
    exec_result *r = fx_run(&o);
    if (r) {
        CHECK_MSG(r->exit_code == 0, "%s", r->output);
        CHECK_MSG(strstr(r->output, "DENIED /etc/shadow") != NULL, "%s", r->output);
        char *denied = xasprintf("DENIED %s", secret);
        CHECK_MSG(strstr(r->output, denied) != NULL, "%s", r->output);
        free(denied);
        CHECK_MSG(strstr(r->output, "READ") == NULL, "%s", r->output);
        CHECK_MSG(strstr(r->output, "CAPEFF 0000000000000000") != NULL, "%s", r->output);
        CHECK_MSG(strstr(r->output, "GROUPS []") != NULL, "%s", r->output);
        CHECK_MSG(strstr(r->output, "INPUT a,b\n1,2") != NULL, "%s", r->output);
    }
    exec_result_free(r);
    /* what the script wrote is its uid's on the host; grove reads it */
    char *model = path_join(ws, "working/model.bin"), *text = NULL;
    struct stat st;
    CHECK(stat(model, &st) == 0 && st.st_uid == 65534);
    CHECK(file_read(model, &text, NULL) == 0 && text && !strcmp(text, "weights"));
    free(text);
    free(model);
    CHECK(rm_rf(ws) == 0 && !dir_exists(ws));

    free(ws);
    free(script);
    free(data);
    free(input);
    CHECK(rm_rf(dir) == 0);
    free(secret);
    fx_cleanup();
    return check_done("exec_rootfiles");
}

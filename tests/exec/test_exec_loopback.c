/*
 * test_exec_loopback.c: with the network allowed, the host's loopback stays
 * closed to the script unless asked for (netguard.c), bare and sandboxed.
 * Servers of the test: TCP on 0.0.0.0 (so on 127.0.0.1 and the host's own
 * address), TCP on ::1, UDP on 127.0.0.1. The script tries 127.0.0.1,
 * 0.0.0.0, ::1, ::ffff:127.0.0.1 over TCP, 127.0.0.1 over UDP (sendto), and
 * the host's external address where it has one:
 *   - allow_network: every loopback attempt is refused (EPERM), the
 *     external address is reached (the network works);
 *   - allow_network + allow_loopback: 127.0.0.1 is reached.
 * Skipped (77) where the filter cannot be attached (not root, no cgroup v2).
 */
#include "fixture.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

static int listen_on(int family, const char *addr, int type, int *port)
{
    int fd = socket(family, type | SOCK_CLOEXEC, 0);
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    socklen_t len;
    if (family == AF_INET) {
        struct sockaddr_in *a = (struct sockaddr_in *)&ss;
        a->sin_family = AF_INET;
        inet_pton(AF_INET, addr, &a->sin_addr);
        len = sizeof *a;
    } else {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
        a->sin6_family = AF_INET6;
        inet_pton(AF_INET6, addr, &a->sin6_addr);
        len = sizeof *a;
    }
    if (fd < 0 || bind(fd, (struct sockaddr *)&ss, len) < 0 ||
        (type == SOCK_STREAM && listen(fd, 16) < 0) ||
        getsockname(fd, (struct sockaddr *)&ss, &len) < 0) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    *port = ntohs(family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
                                    : ((struct sockaddr_in6 *)&ss)->sin6_port);
    return fd;
}

/* The address the host would use to leave, or "" (no route: no check). */
static void external_ip(char *buf, size_t n)
{
    buf[0] = 0;
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(9)};
    inet_pton(AF_INET, "192.0.2.1", &a.sin_addr); /* TEST-NET: no packet is sent */
    socklen_t len = sizeof a;
    if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &len) == 0)
        inet_ntop(AF_INET, &a.sin_addr, buf, (socklen_t)n);
    if (fd >= 0)
        close(fd);
    if (!strncmp(buf, "127.", 4) || !strcmp(buf, "0.0.0.0"))
        buf[0] = 0;
}

static const char script_fmt[] =
    "import socket\n"
    "def tcp(name, fam, addr):\n"
    "    s = socket.socket(fam)\n"
    "    s.settimeout(3)\n"
    "    try:\n"
    "        s.connect(addr); print('REACHED', name)\n"
    "    except OSError as e:\n"
    "        print('REFUSED', name, e.errno)\n"
    "tcp('v4', socket.AF_INET, ('127.0.0.1', %d))\n"
    "tcp('any', socket.AF_INET, ('0.0.0.0', %d))\n"
    "tcp('v6', socket.AF_INET6, ('::1', %d))\n"
    "tcp('mapped', socket.AF_INET6, ('::ffff:127.0.0.1', %d))\n"
    "if '%s':\n"
    "    tcp('external', socket.AF_INET, ('%s', %d))\n"
    "u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
    "try:\n"
    "    u.sendto(b'hi', ('127.0.0.1', %d)); print('REACHED udp')\n"
    "except OSError as e:\n"
    "    print('REFUSED udp', e.errno)\n";

int main(int argc, char **argv)
{
    fx_init(argc, argv);
    int p4, p6 = 0, pu;
    int s4 = listen_on(AF_INET, "0.0.0.0", SOCK_STREAM, &p4);
    int s6 = listen_on(AF_INET6, "::1", SOCK_STREAM, &p6);
    int su = listen_on(AF_INET, "127.0.0.1", SOCK_DGRAM, &pu);
    CHECK(s4 >= 0 && su >= 0);
    char ext[64];
    external_ip(ext, sizeof ext);
    printf("external address: %s\n", *ext ? ext : "(none)");
    char *script = xasprintf(script_fmt, p4, p4, p6 ? p6 : 1, p4, ext, ext, p4, pu);
    char *ws = fx_workspace("net", script);
    exec_opts o = fx_opts(ws);
    o.allow_network = 1;
    exec_result *r = NULL;
    if (exec_run_sync(&r, &o) < 0) {
        printf("SKIP: %s\n", err_last());
        CHECK_MSG(strstr(err_last(), "exec.allow_loopback") != NULL, "%s", err_last());
        fx_cleanup();
        return geteuid() == 0 ? 1 : 77; /* root on this machine kind must manage it */
    }
    CHECK_MSG(r->exit_code == 0, "%s", r->output);
    static const char *const refused[] = {"REFUSED v4 1\n", "REFUSED any 1\n", "REFUSED mapped 1\n",
                                          "REFUSED udp 1\n"};
    for (size_t i = 0; i < sizeof refused / sizeof *refused; i++)
        CHECK_MSG(strstr(r->output, refused[i]) != NULL, "%s in:\n%s", refused[i], r->output);
    if (s6 >= 0)
        CHECK_MSG(strstr(r->output, "REFUSED v6 1\n") != NULL, "%s", r->output);
    if (*ext)
        CHECK_MSG(strstr(r->output, "REACHED external") != NULL, "%s", r->output);
    else
        printf("no external address: the network-works check is left out\n");
    exec_result_free(r);

    o.allow_loopback = 1;
    r = fx_run(&o);
    if (r)
        CHECK_MSG(strstr(r->output, "REACHED v4\n") != NULL, "%s", r->output);
    exec_result_free(r);
    free(script);
    free(ws);
    close(s4);
    if (s6 >= 0)
        close(s6);
    close(su);
    fx_cleanup();
    return check_done(fx_mode == EXEC_SANDBOX_ON ? "exec_loopback (sandbox)" : "exec_loopback (bare)");
}

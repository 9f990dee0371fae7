/*
 * netguard.c: with the network allowed, the loopback stays closed.
 *
 * A run that may use the network shares the host's network namespace (a
 * namespace of its own would have no route out unless grove built one:
 * veth pairs and NAT need root and the host's firewall, slirp4netns or pasta
 * a helper process per run and a user-space TCP stack). Sharing it, the
 * script could reach every server on 127.0.0.1 and ::1: a local model
 * server, a database, grove's own mock or grader in tests.
 *
 * What closes it: four tiny eBPF programs attached to the run's cgroup (v2)
 * at the kernel's socket-address hooks (connect() for TCP and UDP, and
 * sendmsg() for unconnected UDP, IPv4 and IPv6). They see the address the
 * kernel has already copied in, so no other thread can change it between
 * check and use (which is why a seccomp filter cannot do this: it sees only
 * the pointer), and they hold for every process of the cgroup, which none
 * can leave. Refused: 127.0.0.0/8 and 0.0.0.0/8 (which the kernel routes to
 * this host), ::1, :: and their IPv4-mapped forms ::ffff:127.x and
 * ::ffff:0.x. connect() then fails with EPERM.
 *
 * Not covered: a server bound to all interfaces is still reachable at the
 * host's own external addresses, as it is from any machine on that network;
 * abstract Unix sockets (per network namespace) are not addresses these
 * hooks see. Loading needs CAP_SYS_ADMIN (or CAP_BPF + CAP_NET_ADMIN) and a
 * cgroup v2 folder for the run; where either is missing the run refuses to
 * start unless the loopback was asked for (exec_opts.allow_loopback).
 */
#include "exec_internal.h"

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <stddef.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define INSN(c, d, s, o, i) ((struct bpf_insn){.code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i)})
#define LDX_W(d, s, off) INSN(BPF_LDX | BPF_MEM | BPF_W, d, s, off, 0)
#define AND_K(d, k) INSN(BPF_ALU64 | BPF_AND | BPF_K, d, 0, 0, k)
/* 32-bit compares: a 64-bit one would sign-extend an immediate such as
 * 0xffff0000 and never match the zero-extended address word */
#define JEQ_K(d, k, off) INSN(BPF_JMP32 | BPF_JEQ | BPF_K, d, 0, off, k)
#define JNE_K(d, k, off) INSN(BPF_JMP32 | BPF_JNE | BPF_K, d, 0, off, k)
#define JA(off) INSN(BPF_JMP | BPF_JA, 0, 0, off, 0)
#define MOV_K(d, k) INSN(BPF_ALU64 | BPF_MOV | BPF_K, d, 0, 0, k)
#define EXIT() INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

/* The addresses are in network byte order: the first octet is the low byte
 * of the 32-bit word on a little-endian machine, the high one otherwise. */
#if __BYTE_ORDER == __LITTLE_ENDIAN
#define FIRST_OCTET(d) AND_K(d, 0xff)
#define NET32(x) ((int)__builtin_bswap32(x))
#else
#define FIRST_OCTET(d) INSN(BPF_ALU64 | BPF_RSH | BPF_K, d, 0, 0, 24)
#define NET32(x) ((int)(x))
#endif

#define IP4 offsetof(struct bpf_sock_addr, user_ip4)
#define IP6(i) (offsetof(struct bpf_sock_addr, user_ip6) + 4 * (i))

/* r1 is the context; return 1 allows, 0 refuses (EPERM). */
static const struct bpf_insn prog4[] = {
    LDX_W(BPF_REG_2, BPF_REG_1, IP4),
    FIRST_OCTET(BPF_REG_2),
    JEQ_K(BPF_REG_2, 127, 3),
    JEQ_K(BPF_REG_2, 0, 2),
    MOV_K(BPF_REG_0, 1),
    EXIT(),
    MOV_K(BPF_REG_0, 0),
    EXIT(),
};

static const struct bpf_insn prog6[] = {
    /* 0 */ LDX_W(BPF_REG_2, BPF_REG_1, IP6(0)),
    /* 1 */ JNE_K(BPF_REG_2, 0, 12), /* -> allow (14) */
    /* 2 */ LDX_W(BPF_REG_2, BPF_REG_1, IP6(1)),
    /* 3 */ JNE_K(BPF_REG_2, 0, 10),
    /* 4 */ LDX_W(BPF_REG_2, BPF_REG_1, IP6(2)),
    /* 5 */ LDX_W(BPF_REG_3, BPF_REG_1, IP6(3)),
    /* 6 */ JEQ_K(BPF_REG_2, NET32(0xffff), 4), /* ::ffff:a.b.c.d -> 11 */
    /* 7 */ JNE_K(BPF_REG_2, 0, 6),
    /* 8 */ JEQ_K(BPF_REG_3, NET32(1), 7), /* ::1 -> deny (16) */
    /* 9 */ JEQ_K(BPF_REG_3, 0, 6),        /* :: */
    /* 10 */ JA(3),
    /* 11 */ FIRST_OCTET(BPF_REG_3),
    /* 12 */ JEQ_K(BPF_REG_3, 127, 3),
    /* 13 */ JEQ_K(BPF_REG_3, 0, 2),
    /* 14 */ MOV_K(BPF_REG_0, 1),
    /* 15 */ EXIT(),
    /* 16 */ MOV_K(BPF_REG_0, 0),
    /* 17 */ EXIT(),
};

static long sys_bpf(int cmd, union bpf_attr *attr)
{
    return syscall(SYS_bpf, cmd, attr, sizeof *attr);
}

static int load(const struct bpf_insn *insns, size_t n, enum bpf_attach_type type)
{
    union bpf_attr a;
    memset(&a, 0, sizeof a);
    a.prog_type = BPF_PROG_TYPE_CGROUP_SOCK_ADDR;
    a.expected_attach_type = type;
    a.insns = (__u64)(uintptr_t)insns;
    a.insn_cnt = (__u32)n;
    a.license = (__u64)(uintptr_t)"GPL";
    return (int)sys_bpf(BPF_PROG_LOAD, &a);
}

int netguard_attach(const char *cgroup_dir)
{
    static const struct {
        enum bpf_attach_type type;
        int v6;
    } hooks[] = {
        {BPF_CGROUP_INET4_CONNECT, 0}, {BPF_CGROUP_UDP4_SENDMSG, 0},
        {BPF_CGROUP_INET6_CONNECT, 1}, {BPF_CGROUP_UDP6_SENDMSG, 1},
    };
    if (!cgroup_dir)
        return err_set("the run has no cgroup v2 folder to attach the filter to");
    int cg = open(cgroup_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (cg < 0)
        return err_set("%s: %s", cgroup_dir, strerror(errno));
    int rc = 0;
    for (size_t i = 0; i < sizeof hooks / sizeof *hooks && rc == 0; i++) {
        int prog = hooks[i].v6 ? load(prog6, sizeof prog6 / sizeof *prog6, hooks[i].type)
                               : load(prog4, sizeof prog4 / sizeof *prog4, hooks[i].type);
        union bpf_attr a;
        memset(&a, 0, sizeof a);
        a.target_fd = (__u32)cg;
        a.attach_bpf_fd = (__u32)prog;
        a.attach_type = hooks[i].type;
        if (prog < 0 || sys_bpf(BPF_PROG_ATTACH, &a) < 0)
            rc = err_set("%s a socket filter on %s: %s", prog < 0 ? "loading" : "attaching",
                         cgroup_dir, strerror(errno));
        if (prog >= 0)
            close(prog); /* the attachment holds it while the cgroup lives */
    }
    close(cg);
    return rc;
}

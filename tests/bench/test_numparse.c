/*
 * test_numparse.c: the grader's number parser gives strtod's double, bit for
 * bit, on the number shapes models write (%.17g probabilities, fixed and
 * exponent forms, long digit strings, exact ties between two doubles) and
 * rejects what the strtod rule rejects.
 */
#include "check.h"
#include "numparse.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng_state = 0x9E3779B97F4A7C15ULL;

static uint64_t next(void)
{
    rng_state ^= rng_state << 13; /* xorshift64 */
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static int mismatches;

/* One text: num_parse agrees with strtod (no blanks in these texts). */
static void same(const char *s)
{
    char *end;
    double want = strtod(s, &end), got = 0;
    int ok = num_parse(s, &got) == 0;
    /* in place, as the fast row parser reads it: followed by a comma, no NUL */
    size_t len = strlen(s);
    char *field = malloc(len + 2);
    memcpy(field, s, len);
    memcpy(field + len, ",9", 2);
    double n_got = 0, scan_got = 0;
    int n_ok = num_parse_n(field, len, &n_got) == 0;
    const char *stop = num_scan(field, field + len + 2, &scan_got);
    if (n_ok != ok || (ok && memcmp(&got, &n_got, sizeof got) != 0) ||
        (stop == field + len && (!ok || memcmp(&got, &scan_got, sizeof got) != 0)))
        ok = -1; /* the three entry points disagree */
    free(field);
    if (ok != (*s && !*end) || (ok && memcmp(&got, &want, sizeof got) != 0)) {
        if (mismatches++ < 10)
            fprintf(stderr, "'%s': num_parse %s %.17g, strtod %.17g\n", s,
                    ok ? "gives" : "rejects", got, want);
    }
}

static double random_double(void)
{
    double mag[] = {1, 1e-3, 1e-8, 1e-15, 1e3, 1e8, 1e17, 1e-30};
    double u = (double)(next() >> 11) / 9007199254740992.0;
    return u * mag[next() % 8] * (next() & 1 ? 1 : -1);
}

static void random_formats(int n)
{
    char buf[128];
    for (int i = 0; i < n; i++) {
        double x = random_double();
        int prec = 1 + (int)(next() % 20);
        switch (next() % 3) {
        case 0: snprintf(buf, sizeof buf, "%.*g", prec, x); break;
        case 1: snprintf(buf, sizeof buf, "%.*f", prec, x); break;
        default: snprintf(buf, sizeof buf, "%.*e", prec, x); break;
        }
        same(buf);
    }
}

/* Random digit strings with a random point and exponent: hits every branch,
 * including more than 19 digits and exponents beyond the fast paths. */
static void random_digits(int n)
{
    char buf[64];
    for (int i = 0; i < n; i++) {
        size_t len = 1 + next() % 22, at = next() % (len + 1), o = 0;
        for (size_t j = 0; j < len; j++) {
            if (j == at)
                buf[o++] = '.';
            buf[o++] = (char)('0' + next() % 10);
        }
        if (next() % 3 == 0)
            o += (size_t)snprintf(buf + o, sizeof buf - o, "e%d", (int)(next() % 80) - 40);
        buf[o] = 0;
        same(buf);
    }
}

int main(void)
{
    /* exact ties: 2^54 + 2 and 2^54 + 6 lie halfway between two doubles; the
     * first rounds down to the even mantissa, the second up */
    const char *fixed[] = {
        "18014398509481986.0", "18014398509481990.0", "18014398509481985.9",
        "18014398509481986.1", "0.13093175414540362", "0.9999999999999999",
        "1.0000000000000002", "9007199254740993", "9007199254740993.0",
        "1e-27", "1e-28", "9999999999999999999e-27", "9999999999999999999",
        "99999999999999999999", "0", "-0", "-0.0", "+.5", "5.", ".", "-", "",
        "1e", "1e+", "1.5x", "0x1p-3", "inf", "-nan", "1e400", "1e-400",
        "00000000000000000000000001.5", "0.000000000000000000000000000000123",
        "2.2250738585072014e-308", "4.9e-324", "1.7976931348623157e308",
    };
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
        same(fixed[i]);
    double v = 1;
    CHECK(num_parse(" \t0.25\t ", &v) == 0 && v == 0.25);
    CHECK(num_parse("  ", &v) < 0);
    CHECK(num_parse("0.25 1", &v) < 0);
    CHECK(num_parse("-0", &v) == 0 && v == 0 && signbit(v));
    random_formats(300000);
    random_digits(300000);
    CHECK_MSG(mismatches == 0, "%d texts parsed unlike strtod", mismatches);
    return check_done("numparse");
}

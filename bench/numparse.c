/*
 * numparse.c: exact decimal-to-double conversion for the grader's hot loop.
 *
 * glibc's strtod is correct but slow on the 17-digit probabilities every
 * model writes (it builds multi-precision numbers). Grading must give the
 * same double strtod would, so this file only takes shortcuts that are
 * provably exact and hands everything else to strtod:
 *
 * 1. The text is split into an integer mantissa w (at most 19 significant
 *    digits, so w < 2^64) and a power of ten E: value = w * 10^E.
 * 2. Clinger's fast path: when w <= 2^53 and |E| <= 22, both w and 10^|E|
 *    are exact doubles, so one IEEE multiply or divide rounds correctly.
 * 3. Otherwise, when -27 <= E < 0: 10^E = 5^E * 2^E and 5^-E < 2^63, so
 *    w / 5^-E is done as one 128-bit integer division scaled to leave a
 *    55-56 bit quotient; the remainder says exactly whether the dropped part
 *    is below, at or above half an ulp, and the quotient is rounded
 *    half-to-even to 53 bits by hand. Results here are >= 1e-27, far from
 *    subnormals, so assembling the double's bits is exact.
 * 4. Anything else (more digits, large exponents, inf, nan, hex) is strtod.
 *
 * num_scan reads a number in place (from a mapped file, up to a delimiter),
 * so the grader's fast path never copies a field to get a NUL behind it.
 *
 * num_scan_frac is not exact: it reads "0.ddd" with three 8-byte loads and
 * no loop over characters, and multiplies by an inexact 10^-m (under 2 ulp
 * off). Log loss uses it for the cells that only enter a row's sum.
 */
#include "numparse.h"
#include "util.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

__extension__ typedef unsigned __int128 u128;

static const double pow10_exact[23] = {
    1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
};

/* 5^0 .. 5^27, the largest power of five below 2^63 */
static const uint64_t pow5[28] = {
    UINT64_C(1), UINT64_C(5), UINT64_C(25), UINT64_C(125), UINT64_C(625),
    UINT64_C(3125), UINT64_C(15625), UINT64_C(78125), UINT64_C(390625),
    UINT64_C(1953125), UINT64_C(9765625), UINT64_C(48828125), UINT64_C(244140625),
    UINT64_C(1220703125), UINT64_C(6103515625), UINT64_C(30517578125),
    UINT64_C(152587890625), UINT64_C(762939453125), UINT64_C(3814697265625),
    UINT64_C(19073486328125), UINT64_C(95367431640625), UINT64_C(476837158203125),
    UINT64_C(2384185791015625), UINT64_C(11920928955078125),
    UINT64_C(59604644775390625), UINT64_C(298023223876953125),
    UINT64_C(1490116119384765625), UINT64_C(7450580596923828125)
};

static int bits_of(uint64_t x)
{
    return 64 - __builtin_clzll(x);
}

static double from_bits(uint64_t u)
{
    double d;
    memcpy(&d, &u, sizeof d);
    return d;
}

/* w / 10^m for 1 <= m <= 27, w != 0, correctly rounded (step 3 above). */
static double divide_exact(uint64_t w, int m)
{
    uint64_t d5 = pow5[m];
    int s = 55 + bits_of(d5) - bits_of(w);
    if (s < 0)
        s = 0;
    u128 num = (u128)w << s;
    uint64_t q, rem; /* q < 2^57, so it fits the 128-by-64 division */
#if defined(__x86_64__)
    /* one divq instead of libgcc's general 128-bit division (__udivti3) */
    __asm__("divq %4" : "=a"(q), "=d"(rem)
            : "a"((uint64_t)num), "d"((uint64_t)(num >> 64)), "rm"(d5));
#else
    q = (uint64_t)(num / d5);
    rem = (uint64_t)(num - (u128)q * d5);
#endif
    int sticky = rem != 0;
    int shift = bits_of(q) - 53; /* >= 2 bits below the mantissa */
    uint64_t rest = q & ((UINT64_C(1) << shift) - 1), half = UINT64_C(1) << (shift - 1);
    uint64_t mant = q >> shift;
    if (rest > half || (rest == half && (sticky || (mant & 1))))
        mant++;
    if (mant >> 53) {
        mant >>= 1;
        shift++;
    }
    /* value = mant * 2^(shift - s - m), mant in [2^52, 2^53) */
    int64_t exp2 = (int64_t)shift - s - m + 52 + 1023;
    return from_bits((uint64_t)exp2 << 52 | (mant & ((UINT64_C(1) << 52) - 1)));
}

static int is_blank(char c)
{
    return c == ' ' || c == '\t';
}

/* The slow, general path: whatever strtod accepts, blanks around it. */
static int parse_strtod(const char *s, double *out)
{
    char *end;
    while (is_blank(*s))
        s++;
    if (!*s)
        return -1;
    *out = strtod(s, &end);
    while (is_blank(*end))
        end++;
    return *end ? -1 : 0;
}

/* Eight ASCII digits at once (little-endian loads): a byte is a digit when
 * its high nibble is 3 both before and after adding 6. */
static int all_digits8(uint64_t v)
{
    const uint64_t hi = 0xF0F0F0F0F0F0F0F0ULL;
    return ((v & hi) | (((v + 0x0606060606060606ULL) & hi) >> 4)) == 0x3333333333333333ULL;
}

/* Their value: adjacent digits are merged into 2-digit, then 4-digit lanes
 * (the first character is the lowest byte, so it is the high digit). */
static uint64_t value8(uint64_t v)
{
    v &= 0x0F0F0F0F0F0F0F0FULL;
    v = (v * 10 + (v >> 8)) & 0x00FF00FF00FF00FFULL;
    v = (v * 100 + (v >> 16)) & 0x0000FFFF0000FFFFULL;
    return (v & 0xFFFF) * 10000 + (v >> 32);
}

/* A run of digits from *sp (before end) into *m: zeros before the first
 * significant digit are skipped, at most 19 significant ones fit (0 beyond
 * that); *count gets the number of digits read. */
static inline int take_digits(const char **sp, const char *end, uint64_t *mp, int *sigp,
                              int *count)
{
    const char *s = *sp, *start = s;
    uint64_t m = *mp; /* locals: kept in registers through the loops */
    int sig = *sigp;
    while (m == 0 && s < end && *s == '0')
        s++;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    while (end - s >= 8 && sig <= 19 - 8) {
        uint64_t v;
        memcpy(&v, s, 8);
        if (!all_digits8(v))
            break;
        m = m * 100000000 + value8(v);
        sig += 8;
        s += 8;
    }
#endif
    for (; s < end && *s >= '0' && *s <= '9'; s++) {
        if (++sig > 19)
            return 0;
        m = m * 10 + (uint64_t)(*s - '0');
    }
    *count = (int)(s - start);
    *sp = s;
    *mp = m;
    *sigp = sig;
    return 1;
}

static int digit_at(const char *s, const char *end)
{
    return s < end && *s >= '0' && *s <= '9';
}

/* Step 1: [blanks] [sign] digits [. digits] [e [sign] digits] [blanks] from
 * s, reading no further than end. Returns where the text stopped, or NULL
 * when it needs strtod (other syntax, too many digits, huge exponent). */
static const char *split_decimal(const char *s, const char *end, int *neg, uint64_t *w,
                                 int *e10)
{
    while (s < end && is_blank(*s))
        s++;
    *neg = s < end && *s == '-';
    s += s < end && (*s == '-' || *s == '+');
    uint64_t m = 0;
    int sig = 0, exp = 0, n_int = 0, n_frac = 0;
    if (!take_digits(&s, end, &m, &sig, &n_int))
        return NULL;
    if (s < end && *s == '.') {
        s++;
        if (!take_digits(&s, end, &m, &sig, &n_frac))
            return NULL;
        exp = -n_frac;
    }
    if (n_int + n_frac == 0)
        return NULL;
    if (s < end && (*s == 'e' || *s == 'E')) {
        s++;
        int eneg = s < end && *s == '-', ev = 0;
        s += s < end && (*s == '-' || *s == '+');
        if (!digit_at(s, end))
            return NULL;
        for (; digit_at(s, end); s++) {
            if (ev > 10000)
                return NULL;
            ev = ev * 10 + (*s - '0');
        }
        exp += eneg ? -ev : ev;
    }
    while (s < end && is_blank(*s))
        s++;
    *w = m;
    *e10 = exp;
    return s;
}

/* Steps 2 and 3; 0, or -1 when only strtod can round this one. */
static int combine(int neg, uint64_t w, int e, double *out)
{
    double v;
    if (w == 0)
        v = 0;
    else if (w <= (UINT64_C(1) << 53) && e >= 0 && e <= 22)
        v = (double)w * pow10_exact[e];
    else if (w <= (UINT64_C(1) << 53) && e < 0 && e >= -22)
        v = (double)w / pow10_exact[-e];
    else if (e < 0 && e >= -27)
        v = divide_exact(w, -e);
    else
        return -1;
    *out = neg ? -v : v;
    return 0;
}

/* 10^-m as the nearest double, m <= 25 (0 "." 7 zeros 18 digits) */
static const double pow10_neg[27] = {
    1e-0,  1e-1,  1e-2,  1e-3,  1e-4,  1e-5,  1e-6,  1e-7,  1e-8,
    1e-9,  1e-10, 1e-11, 1e-12, 1e-13, 1e-14, 1e-15, 1e-16, 1e-17,
    1e-18, 1e-19, 1e-20, 1e-21, 1e-22, 1e-23, 1e-24, 1e-25, 1e-26,
};

static const uint64_t pow10_small[8] = {1, 10, 100, 1000, 10000, 100000, 1000000,
                                         10000000};

static uint64_t load8(const char *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

/* How many of v's first characters (lowest bytes first) are not 0 in x,
 * where x has a zero byte for each character that matches. */
static int lead_matching(uint64_t x)
{
    const uint64_t lo7 = 0x7F7F7F7F7F7F7F7FULL;
    uint64_t nz = (((x & lo7) + lo7) | x) & ~lo7; /* high bit: byte != 0 */
    return nz ? __builtin_ctzll(nz) >> 3 : 8;
}

/* The number of leading digits of the 8 characters in v. A carry of the
 * +6 only runs into later bytes, past the first non-digit, so every byte
 * up to and including that one is classified right. */
static int lead_digits(uint64_t v)
{
    const uint64_t hi = 0xF0F0F0F0F0F0F0F0ULL;
    uint64_t t = (v & hi) | (((v + 0x0606060606060606ULL) & hi) >> 4);
    return lead_matching(t ^ 0x3333333333333333ULL);
}

/* The value of v's first n digits, n <= 8: the rest shifted out, so the
 * zero bytes that come in act as leading zeros. */
static uint64_t value_n(uint64_t v, int n)
{
    return n ? value8(v << (8 * (8 - n))) : 0;
}

const char *num_scan_frac(const char *s, const char *end, double *out)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    if (end - s < 34 || s[0] != '0' || s[1] != '.')
        return NULL;
    int z = lead_matching(load8(s + 2) ^ 0x3030303030303030ULL);
    if (z == 8)
        return NULL;
    const char *p = s + 2 + z; /* 2 + 7 + 24 bytes at most are read */
    uint64_t a = load8(p), w;
    int n = lead_digits(a);
    if (n < 8) {
        w = value_n(a, n);
    } else {
        uint64_t b = load8(p + 8);
        int nb = lead_digits(b);
        if (nb < 8) {
            w = value8(a) * pow10_small[nb] + value_n(b, nb);
        } else {
            uint64_t c = load8(p + 16);
            int nc = lead_digits(c);
            if (nc > 2)
                return NULL; /* over 18 digits: w might not fit an int64_t */
            w = (value8(a) * 100000000 + value8(b)) * pow10_small[nc] +
                value_n(c, nc);
            nb += nc;
        }
        n += nb;
    }
    *out = (double)(int64_t)w * pow10_neg[z + n]; /* signed: one instruction */
    return p + n;
#else
    (void)s, (void)end, (void)out;
    return NULL;
#endif
}

const char *num_scan(const char *s, const char *end, double *out)
{
    int neg, e;
    uint64_t w;
    const char *stop = split_decimal(s, end, &neg, &w, &e);
    return stop && combine(neg, w, e, out) == 0 ? stop : NULL;
}

/* strtod over s[0..len), which is not NUL-terminated: a copy with a NUL. */
static int parse_strtod_n(const char *s, size_t len, double *out)
{
    char small[128];
    if (memchr(s, 0, len))
        return -1; /* an embedded NUL is not part of any number */
    char *copy = len < sizeof small ? small : xmalloc(len + 1);
    memcpy(copy, s, len);
    copy[len] = 0;
    int rc = parse_strtod(copy, out);
    if (copy != small)
        free(copy);
    return rc;
}

int num_parse_n(const char *s, size_t len, double *out)
{
    const char *end = s + len, *stop = num_scan(s, end, out);
    return stop == end ? 0 : parse_strtod_n(s, len, out);
}

int num_parse(const char *s, double *out)
{
    int neg, e;
    uint64_t w;
    const char *end = s + strlen(s), *stop = split_decimal(s, end, &neg, &w, &e);
    if (stop == end && combine(neg, w, e, out) == 0)
        return 0;
    return parse_strtod(s, out);
}

int num_int_canon(const char *s, char *out)
{
    s += strspn(s, " \t");
    int neg = *s == '-';
    s += *s == '-' || *s == '+';
    size_t digits = strspn(s, "0123456789");
    if (!digits || s[digits + strspn(s + digits, " \t")])
        return -1;
    while (digits > 1 && *s == '0')
        s++, digits--;
    if (digits == 1 && *s == '0')
        neg = 0; /* -0 is 0 */
    if (neg)
        *out++ = '-';
    memmove(out, s, digits);
    out[digits] = 0;
    return 0;
}

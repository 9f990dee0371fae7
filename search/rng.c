/*
 * rng.c: xoshiro256**, the seeded generator behind every random choice a
 * policy makes.
 *
 * The caller owns the state, so a run is reproducible from its seed and a
 * unit test can replay a decision sequence exactly. The four state words are
 * filled from the seed with splitmix64, as the xoshiro authors recommend, so
 * nearby seeds (0, 1, 2...) still give unrelated streams and the state is
 * never all zero.
 */
#include "search.h"

#include <assert.h>

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

void search_rng_seed(search_rng *r, uint64_t seed)
{
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&seed);
    /* xoshiro's one forbidden state: it would yield zeros forever */
    assert((r->s[0] | r->s[1] | r->s[2] | r->s[3]) != 0);
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t search_rng_next(search_rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

double search_rng_uniform(search_rng *r)
{
    /* The top 53 bits make every double in [0, 1) on a 2^-53 grid equally
     * likely; 1.0 itself is never returned. */
    double u = (double)(search_rng_next(r) >> 11) * 0x1.0p-53;
    assert(u >= 0.0 && u < 1.0);
    return u;
}

uint64_t search_rng_below(search_rng *r, uint64_t n)
{
    if (n <= 1)
        return 0;
    /* Rejection keeps the choice unbiased: draws in the last partial block
     * of size (2^64 mod n) would favour small values. */
    uint64_t limit = -n % n; /* == 2^64 mod n */
    uint64_t x;
    do
        x = search_rng_next(r);
    while (x < limit);
    assert(x >= limit);
    return x % n;
}

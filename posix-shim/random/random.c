/* getrandom and the bytes behind /dev/random and /dev/urandom.
 *
 * Output always comes from a ChaCha20 keystream (RFC 8439 block function)
 * whose 256-bit key is replaced from the generator itself after every request
 * (fast key erasure, so earlier output cannot be recomputed from a later
 * state). The key is seeded, and reseeded every 1 MiB, from RDSEED or RDRAND
 * when CPUID reports them; without either (old CPUs, some VMMs) from the
 * jitter of TSC reads, which is weak — random_source() says which. Under
 * QEMU TCG `-cpu max` has RDRAND and RDSEED. */
#include "shim/shim.h"
#include "shim/uaccess.h"
#include "shim/kabi.h"
#include "shim/random.h"

#define ROTL(x, n) (((x) << (n)) | ((x) >> (32 - (n))))
#define QR(a, b, c, d)                    \
    a += b; d ^= a; d = ROTL(d, 16);      \
    c += d; b ^= c; b = ROTL(b, 12);      \
    a += b; d ^= a; d = ROTL(d, 8);       \
    c += d; b ^= c; b = ROTL(b, 7)

void chacha20_block(const uint32_t key[8], uint32_t counter, const uint32_t nonce[3], uint8_t out[64])
{
    uint32_t s[16] = { 0x61707865, 0x3320646e, 0x79622d32, 0x6b206574 };
    for (int i = 0; i < 8; i++)
        s[4 + i] = key[i];
    s[12] = counter;
    s[13] = nonce[0];
    s[14] = nonce[1];
    s[15] = nonce[2];
    uint32_t x[16];
    for (int i = 0; i < 16; i++)
        x[i] = s[i];
    for (int i = 0; i < 10; i++) {
        QR(x[0], x[4], x[8], x[12]);
        QR(x[1], x[5], x[9], x[13]);
        QR(x[2], x[6], x[10], x[14]);
        QR(x[3], x[7], x[11], x[15]);
        QR(x[0], x[5], x[10], x[15]);
        QR(x[1], x[6], x[11], x[12]);
        QR(x[2], x[7], x[8], x[13]);
        QR(x[3], x[4], x[9], x[14]);
    }
    for (int i = 0; i < 16; i++) {
        uint32_t v = x[i] + s[i];
        out[4 * i] = (uint8_t)v;
        out[4 * i + 1] = (uint8_t)(v >> 8);
        out[4 * i + 2] = (uint8_t)(v >> 16);
        out[4 * i + 3] = (uint8_t)(v >> 24);
    }
}

static void cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
    __asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(sub));
}

static int have_rdrand, have_rdseed, probed;

static void probe(void)
{
    uint32_t r[4];
    cpuid(0, 0, r);
    uint32_t max = r[0];
    cpuid(1, 0, r);
    have_rdrand = (r[2] >> 30) & 1;
    if (max >= 7) {
        cpuid(7, 0, r);
        have_rdseed = (r[1] >> 18) & 1;
    }
    probed = 1;
}

/* One 64-bit word from RDSEED (preferred: a true seed) or RDRAND; retries a
 * few times because both may transiently fail (CF = 0). */
static int hw_word(uint64_t *out)
{
    for (int i = 0; i < 32; i++) {
        unsigned char ok;
        uint64_t v;
        if (have_rdseed)
            __asm__ volatile("rdseed %0; setc %1" : "=r"(v), "=qm"(ok) : : "cc");
        else if (have_rdrand)
            __asm__ volatile("rdrand %0; setc %1" : "=r"(v), "=qm"(ok) : : "cc");
        else
            return 0;
        if (ok) {
            *out = v;
            return 1;
        }
        __asm__ volatile("pause");
    }
    return 0;
}

static uint64_t rdtsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return (uint64_t)hi << 32 | lo;
}

static uint32_t key[8];
static uint32_t nonce[3];
static uint64_t since_seed = ~(uint64_t)0 >> 1;   /* forces the first seeding */
static const char *source = "unseeded";

static void reseed(void)
{
    if (!probed)
        probe();
    uint32_t fresh[8];
    int hw = 1;
    for (int i = 0; i < 4; i++) {
        uint64_t w;
        if (!hw_word(&w)) {
            hw = 0;
            break;
        }
        fresh[2 * i] = (uint32_t)w;
        fresh[2 * i + 1] = (uint32_t)(w >> 32);
    }
    if (!hw) {
        /* TSC jitter: the low bits of many back-to-back reads around a
         * data-dependent loop, folded with ChaCha rounds below. */
        for (int i = 0; i < 8; i++) {
            uint32_t acc = 0;
            for (int j = 0; j < 64; j++) {
                uint64_t t0 = rdtsc();
                for (volatile int k = 0; k < (int)(t0 & 15); k++)
                    ;
                acc = ROTL(acc, 5) ^ (uint32_t)(rdtsc() - t0);
            }
            fresh[i] = acc;
        }
    }
    source = hw ? (have_rdseed ? "rdseed+chacha20" : "rdrand+chacha20") : "tsc-jitter+chacha20";
    /* Mix into the old key rather than replacing it: never worse than before. */
    uint8_t blk[64];
    for (int i = 0; i < 8; i++)
        key[i] ^= fresh[i];
    nonce[2]++;
    chacha20_block(key, 0, nonce, blk);
    for (int i = 0; i < 8; i++)
        key[i] = (uint32_t)blk[4 * i] | (uint32_t)blk[4 * i + 1] << 8 |
                 (uint32_t)blk[4 * i + 2] << 16 | (uint32_t)blk[4 * i + 3] << 24;
    memset(blk, 0, sizeof blk);
    since_seed = 0;
}

static volatile char rng_lock;

size_t random_fill(void *buf, size_t n)
{
    size_t want = n;
    while (__atomic_test_and_set(&rng_lock, __ATOMIC_ACQUIRE))
        __asm__ volatile("pause");
    if (since_seed >= ((uint64_t)1 << 20))
        reseed();
    uint8_t *out = buf;
    uint8_t blk[64];
    uint32_t ctr = 1;
    nonce[0]++;                   /* a fresh stream per request */
    if (nonce[0] == 0)
        nonce[1]++;
    while (n) {
        chacha20_block(key, ctr++, nonce, blk);
        size_t c = n < 64 ? n : 64;
        /* buf may be the app's (getrandom, /dev/urandom): stop at a fault. */
        size_t left = copy_out_nocheck(out, blk, c);
        if (left) {
            n -= c - left;
            break;
        }
        out += c;
        n -= c;
        since_seed += c;
        if (ctr == 0) {           /* 256 GiB in one call: move to a new stream */
            nonce[1]++;
            ctr = 1;
        }
    }
    /* Fast key erasure: the next key is block 0 of this stream. */
    chacha20_block(key, 0, nonce, blk);
    for (int i = 0; i < 8; i++)
        key[i] = (uint32_t)blk[4 * i] | (uint32_t)blk[4 * i + 1] << 8 |
                 (uint32_t)blk[4 * i + 2] << 16 | (uint32_t)blk[4 * i + 3] << 24;
    memset(blk, 0, sizeof blk);
    __atomic_clear(&rng_lock, __ATOMIC_RELEASE);
    return want - n;
}

const char *random_source(void)
{
    if (!probed) {
        uint8_t b;
        random_fill(&b, 1);
    }
    return source;
}

SHIM_SYSCALL(getrandom)
{
    if (flags & ~(long)(K_GRND_NONBLOCK | K_GRND_RANDOM | K_GRND_INSECURE))
        return -EINVAL;
    if ((flags & K_GRND_RANDOM) && (flags & K_GRND_INSECURE))
        return -EINVAL;
    size_t n = count;
    if (n > 0x1ffffff)            /* Linux caps one call at 32 MiB - 1 */
        n = 0x1ffffff;
    if (!access_ok(buf, n))
        return -EFAULT;
    if (n == 0)
        return 0;
    /* A fault part way: the bytes filled before it, as Linux. */
    n = random_fill(buf, n);
    return n ? (long)n : -EFAULT;
}

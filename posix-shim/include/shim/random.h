/* Random bytes for getrandom, /dev/random, /dev/urandom, AT_RANDOM
 * (posix-shim/random). */
#ifndef SHIM_RANDOM_H
#define SHIM_RANDOM_H

#include <stddef.h>
#include <stdint.h>

#pragma GCC visibility push(hidden)

/* Fills buf with n cryptographically strong bytes (never blocks). buf may be
 * an app buffer the caller checked with access_ok: returns the bytes filled,
 * fewer than n only when a fault stopped it (a kernel buffer: always n). */
size_t random_fill(void *buf, size_t n);
/* Which source feeds it: "rdrand", "rdseed+chacha20", "chacha20" (TSC-seeded). */
const char *random_source(void);
/* RFC 8439 ChaCha20 block: out = block(key, counter, nonce); exposed for tests. */
void chacha20_block(const uint32_t key[8], uint32_t counter, const uint32_t nonce[3], uint8_t out[64]);

#pragma GCC visibility pop

#endif

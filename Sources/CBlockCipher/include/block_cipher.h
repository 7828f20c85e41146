#ifndef WATERMARK_CBLOCKCIPHER_H
#define WATERMARK_CBLOCKCIPHER_H
// One AES-128 block with the CPU's AES instructions, for the detector's single-token tests.
//
// OpenSSL stays the reference and the fallback: its EVP interface costs tens of
// nanoseconds of dispatch per block, which is most of a single-token test, while the block
// itself is ten rounds. These functions do only that block. Callers must check
// `wm_block_cipher_available()` first; on a CPU or architecture without the instructions
// it returns 0 and the other functions must not be called.
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// 1 when this CPU has AES-NI (x86-64), else 0.
int wm_block_cipher_available(void);

/// The 16-bit little-endian score of `token` in the AES-128-CTR keystream under `key`
/// (16 bytes), counter starting at zero: bytes 2·(token mod 8) and the next of
/// AES(key, token / 8 as a 128-bit big-endian integer). The key schedule is computed on the
/// fly, so the caller keeps only the 16-byte key.
uint32_t wm_block_cipher_score(const uint8_t *key, uint32_t token);

/// AES-128 of one 16-byte block under `key`, into `out` (for tests against OpenSSL).
void wm_block_cipher_encrypt(const uint8_t *key, const uint8_t *in, uint8_t *out);

/// Asks the CPU to start loading the cache line at `p`: the detector looks a few tuples ahead
/// so that its table lookups overlap instead of waiting one after another.
static inline void wm_prefetch(const void *p) { __builtin_prefetch(p, 0, 3); }

#ifdef __cplusplus
}
#endif

// The h = 1 scoring loop built on the block above.
#include "tuple_scan.h"
#endif

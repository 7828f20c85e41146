#include "block_cipher.h"
#include <string.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>

#define WM_AES __attribute__((target("aes,sse4.1")))

int wm_block_cipher_available(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("aes") && __builtin_cpu_supports("sse4.1");
}

// One step of the AES-128 key schedule (FIPS 197, 5.2): the previous round key's words
// folded left, then xored with SubWord(RotWord(w3)) ^ Rcon as AESKEYGENASSIST gives it.
WM_AES static inline __m128i next_round_key(__m128i key, __m128i assist) {
    assist = _mm_shuffle_epi32(assist, 0xff);
    key = _mm_xor_si128(key, _mm_slli_si128(key, 4));
    key = _mm_xor_si128(key, _mm_slli_si128(key, 4));
    key = _mm_xor_si128(key, _mm_slli_si128(key, 4));
    return _mm_xor_si128(key, assist);
}

// The round key is made just before the round that uses it, so no schedule is stored.
#define WM_ROUND(rcon) \
    k = next_round_key(k, _mm_aeskeygenassist_si128(k, rcon)); \
    s = _mm_aesenc_si128(s, k);

WM_AES static inline __m128i encrypt(__m128i k, __m128i s) {
    s = _mm_xor_si128(s, k);
    WM_ROUND(0x01) WM_ROUND(0x02) WM_ROUND(0x04) WM_ROUND(0x08) WM_ROUND(0x10)
    WM_ROUND(0x20) WM_ROUND(0x40) WM_ROUND(0x80) WM_ROUND(0x1b)
    k = next_round_key(k, _mm_aeskeygenassist_si128(k, 0x36));
    return _mm_aesenclast_si128(s, k);
}

WM_AES uint32_t wm_block_cipher_score(const uint8_t *key, uint32_t token) {
    // The counter block: 12 zero bytes, then token / 8 as a big-endian 32-bit integer.
    __m128i counter = _mm_insert_epi32(_mm_setzero_si128(), (int)__builtin_bswap32(token >> 3), 3);
    __m128i out = encrypt(_mm_loadu_si128((const __m128i *)key), counter);
    uint8_t bytes[16];
    _mm_storeu_si128((__m128i *)bytes, out);
    unsigned j = (token & 7) * 2;
    return (uint32_t)bytes[j] | ((uint32_t)bytes[j + 1] << 8);
}

WM_AES void wm_block_cipher_encrypt(const uint8_t *key, const uint8_t *in, uint8_t *out) {
    __m128i s = encrypt(_mm_loadu_si128((const __m128i *)key), _mm_loadu_si128((const __m128i *)in));
    _mm_storeu_si128((__m128i *)out, s);
}

#else

int wm_block_cipher_available(void) { return 0; }
uint32_t wm_block_cipher_score(const uint8_t *key, uint32_t token) { (void)key; (void)token; __builtin_trap(); }
void wm_block_cipher_encrypt(const uint8_t *key, const uint8_t *in, uint8_t *out) {
    (void)key; (void)in; (void)out; __builtin_trap();
}

#endif

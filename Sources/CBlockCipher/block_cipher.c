#include "block_cipher.h"
#include <string.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>

#define WM_AES __attribute__((target("aes,sse4.1")))

int wm_block_cipher_available(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("aes") && __builtin_cpu_supports("sse4.1");
}

// One step of the AES-128 key schedule (FIPS 197, 5.2): the previous round key's words folded
// left (a prefix xor in two shifts), then xored with SubWord(RotWord(w3)) ^ Rcon.
//
// SubWord(RotWord(w3)) comes from AESENCLAST, not AESKEYGENASSIST: with w3's bytes rotated into
// every column, ShiftRows moves equal bytes onto each other, SubBytes is SubWord, and the round
// key xored in last is Rcon in every column. AESKEYGENASSIST is microcoded on some Intel
// cores: on the Xeon of docs/BENCHMARKS.md's 2026-12-04 run a key schedule took 71 ns through
// it and 21 ns through AESENCLAST, and every tuple the verdict cache misses pays one
// (HardwareAESTests hold the block to FIPS 197's example and to OpenSSL on random keys).
WM_AES static inline __m128i next_round_key(__m128i key, uint32_t rcon) {
    const __m128i rotate_w3 = _mm_set_epi8(12, 15, 14, 13, 12, 15, 14, 13, 12, 15, 14, 13, 12, 15, 14, 13);
    __m128i assist = _mm_aesenclast_si128(_mm_shuffle_epi8(key, rotate_w3), _mm_set1_epi32((int)rcon));
    key = _mm_xor_si128(key, _mm_slli_si128(key, 4));
    key = _mm_xor_si128(key, _mm_slli_si128(key, 8));
    return _mm_xor_si128(key, assist);
}

// The round key is made just before the round that uses it, so no schedule is stored.
#define WM_ROUND(rcon) \
    k = next_round_key(k, rcon); \
    s = _mm_aesenc_si128(s, k);

WM_AES static inline __m128i encrypt(__m128i k, __m128i s) {
    s = _mm_xor_si128(s, k);
    WM_ROUND(0x01) WM_ROUND(0x02) WM_ROUND(0x04) WM_ROUND(0x08) WM_ROUND(0x10)
    WM_ROUND(0x20) WM_ROUND(0x40) WM_ROUND(0x80) WM_ROUND(0x1b)
    k = next_round_key(k, 0x36);
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

// MARK: - The h = 1 scoring loop (tuple_scan.h)

#include "tuple_scan.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))

int wm_tuple_scan_available(void) { return wm_block_cipher_available(); }

// Constants shared with Detection (TupleKey.slot, TupleVerdictCache.Probe, ContextCache).
#define WM_SET_MULTIPLIER 0x9E3779B97F4A7C15ULL
#define WM_VERDICT_MIXER ((0x9E3779B97FULL & ((1ULL << 40) - 1)) | 1ULL)
#define WM_VERDICT_USED 0x80000000u
#define WM_SEED_HASH 0x9E3779B97F4A7C15ULL
#define WM_SEED_MIX 0xBF58476D1CE4E5B9ULL
#define WM_SEED_STRIDE 48

static inline intptr_t wm_set_slot(uint64_t key, intptr_t mask) {
    return (intptr_t)((key * WM_SET_MULTIPLIER) >> 32) & mask;
}

static inline uint64_t wm_verdict_mixed(uint32_t context, uint32_t token) {
    return ((((uint64_t)context << 20) | token) * WM_VERDICT_MIXER) & ((1ULL << 40) - 1);
}

static inline intptr_t wm_seed_slot(uint32_t context, intptr_t slots) {
    return (intptr_t)(((WM_SEED_HASH ^ context) * WM_SEED_MIX) >> 52) & (slots - 1);
}

WM_AES void wm_tuple_scan(wm_tuple_scan_state *s, const uint32_t *tokens, intptr_t start, intptr_t count, uint32_t context) {
    uint64_t *const set = s->set_slots;
    const intptr_t mask = s->set_mask, limit = s->set_limit;
    intptr_t set_count = s->set_count;
    uint8_t has_zero = s->set_has_zero;
    const int dedup = s->deduplicate;
    uint32_t *const verdicts = s->verdict_slots;
    const uint32_t tag_bits = s->verdict_tag_bits;
    const uint64_t tag_mask = s->verdict_tag_mask;
    const uint8_t *const seeds = s->seed_table;
    const intptr_t seed_slots = s->seed_slots;
    const uint32_t threshold = s->green_threshold;
    intptr_t scored = 0, green = 0, misses = 0;
    int32_t reason = WM_SCAN_DONE;
    intptr_t i = start;
    if (i > 0) context = tokens[i - 1];
    enum { lookahead = 6 };
    for (; i < count; i++) {
        const uint32_t token = tokens[i];
        if (i + lookahead < count) {
            const uint32_t next_context = tokens[i + lookahead - 1], next_token = tokens[i + lookahead];
            if ((next_context | next_token) < (1u << 20)) {
                wm_prefetch(verdicts + (wm_verdict_mixed(next_context, next_token) >> tag_bits));
            }
            const uint8_t *seed = seeds + wm_seed_slot(next_context, seed_slots) * WM_SEED_STRIDE;
            wm_prefetch(seed);
            wm_prefetch(seed + 47);
            if (dedup) wm_prefetch(set + wm_set_slot(((uint64_t)next_context << 32) | next_token, mask));
        }
        const uint64_t key = ((uint64_t)context << 32) | token;
        if (dedup) {
            if (key == 0) {
                if (has_zero) { context = token; continue; }
                if (set_count >= limit) { reason = WM_SCAN_SET_FULL; break; }
                has_zero = 1;
                set_count++;
            } else {
                if (set_count >= limit) { reason = WM_SCAN_SET_FULL; break; }
                intptr_t j = wm_set_slot(key, mask);
                int fresh;
                for (;;) {
                    const uint64_t existing = set[j];
                    if (existing == key) { fresh = 0; break; }
                    if (existing == 0) { set[j] = key; set_count++; fresh = 1; break; }
                    j = (j + 1) & mask;
                }
                if (!fresh) { context = token; continue; }
            }
        }
        if ((context | token) >= (1u << 20)) { reason = WM_SCAN_SCORE_HERE; break; }
        const uint64_t mixed = wm_verdict_mixed(context, token);
        uint32_t *const slot = verdicts + (mixed >> tag_bits);
        const uint32_t word = WM_VERDICT_USED | ((uint32_t)(mixed & tag_mask) << 1);
        const uint32_t entry = __atomic_load_n(slot, __ATOMIC_RELAXED);
        int is_green;
        if ((entry & ~1u) == word) {
            is_green = (int)(entry & 1u);
        } else {
            const uint8_t *seed = seeds + wm_seed_slot(context, seed_slots) * WM_SEED_STRIDE;
            // The slot must hold exactly this context: its first word, and zeros after it.
            __m128i low = _mm_loadu_si128((const __m128i *)seed), high = _mm_loadu_si128((const __m128i *)(seed + 16));
            __m128i want = _mm_insert_epi32(_mm_setzero_si128(), (int)context, 0);
            __m128i diff = _mm_or_si128(_mm_xor_si128(low, want), high);
            if (!_mm_testz_si128(diff, diff)) { reason = WM_SCAN_SCORE_HERE; break; }
            is_green = wm_block_cipher_score(seed + 32, token) < threshold;
            __atomic_store_n(slot, word | (uint32_t)is_green, __ATOMIC_RELAXED);
            misses++;
        }
        scored++;
        green += is_green;
        context = token;
    }
    s->set_count = set_count;
    s->set_has_zero = has_zero;
    s->position = i;
    s->reason = reason;
    s->scored += scored;
    s->green += green;
    s->misses += misses;
}

#else

int wm_tuple_scan_available(void) { return 0; }
void wm_tuple_scan(wm_tuple_scan_state *state, const uint32_t *tokens, intptr_t start, intptr_t count, uint32_t context) {
    (void)state; (void)tokens; (void)start; (void)count; (void)context; __builtin_trap();
}

#endif

#ifndef WATERMARK_TUPLE_SCAN_H
#define WATERMARK_TUPLE_SCAN_H
// The detector's per-token loop for one-token contexts (h = 1), the default scheme, when the
// shared verdict cache and the flat seed table are in use (Detection's TupleScorer decides).
//
// In Swift the loop kept about twenty values alive across a body with several optional
// tables, and spent most of its ~140 instructions a token moving them between registers and
// the stack. Here the same steps, on the same memory layouts, in the same order:
//   1. de-duplication: insert (context << 32 | token) into the document's open-addressing set;
//   2. the shared verdict table: a hit decides green or red;
//   3. on a miss, the seed table's slot for the context, if it holds that context: one AES
//      block under its seed key gives the score, and the verdict is stored;
//   4. anything else (the set is full, the context is not in the seed table so an HMAC is
//      needed, or an id of 2^20 or more that the verdict table cannot hold) stops the loop and
//      hands that tuple back to Swift, which does it and calls again from the next one.
// The layouts are Detection's (TupleSet, TupleVerdictCache, ContextCache); both sides are
// tested to give the same counts on the detection vectors and on random text.
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Why `wm_tuple_scan` stopped before the end.
enum {
    WM_SCAN_DONE = 0,
    /// The set is full: grow it, then call again from `position` (that tuple not yet inserted).
    WM_SCAN_SET_FULL = 1,
    /// The tuple at `position` was inserted (it is new) and must be scored by the caller,
    /// who also counts it; call again from `position + 1`.
    WM_SCAN_SCORE_HERE = 2,
};

typedef struct {
    // The document's set (TupleSet's cursor).
    uint64_t *set_slots;
    intptr_t set_mask;
    intptr_t set_limit;
    intptr_t set_count;
    uint8_t set_has_zero;
    uint8_t deduplicate;
    // The shared verdict table (TupleVerdictCache.Probe); 32-bit words, read and written
    // with relaxed atomics.
    uint32_t *verdict_slots;
    uint32_t verdict_tag_bits;
    uint64_t verdict_tag_mask;
    // The seed table (ContextCache's flat layout): `seed_slots` slots of 48 bytes, the context
    // as eight 32-bit words (zero past the first at h = 1), then the 16-byte seed key.
    const uint8_t *seed_table;
    intptr_t seed_slots;
    uint32_t green_threshold;
    // Out: where and why it stopped, and the counts of the tuples it decided itself.
    intptr_t position;
    int32_t reason;
    intptr_t scored;
    intptr_t green;
    intptr_t misses;
} wm_tuple_scan_state;

/// 1 when `wm_tuple_scan` can run on this CPU (it needs AES-NI), else 0.
int wm_tuple_scan_available(void);

/// Scores `tokens[start..<count]`, each after the one before it (`tokens[start - 1]`, or
/// `context` when `start` is 0). Sets `position` and `reason`, adds to the counts.
void wm_tuple_scan(wm_tuple_scan_state *state, const uint32_t *tokens, intptr_t start, intptr_t count, uint32_t context);

#ifdef __cplusplus
}
#endif
#endif

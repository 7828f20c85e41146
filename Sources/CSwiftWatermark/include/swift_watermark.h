/*
 * swift_watermark.h: the C ABI of swift-watermark (libSwiftWatermark.so).
 *
 * The greenlist-v1 scheme (docs/SCHEME.md) for engines that are not ours: keys, the
 * partition, biasing logits during generation, and detection with exact p-values. Every call
 * goes through the same Swift library as the `watermark` CLI, so the answers are the same
 * to the bit.
 *
 * Conventions
 *  - Every fallible call returns an swm_status; SWM_OK is 0. On failure,
 *    swm_last_error_message() gives a one-line message for the calling thread (valid until
 *    that thread's next failing call). Bad arguments (NULL, wrong lengths, values out of
 *    range) are errors, never crashes.
 *  - Handles are opaque and safe to use from several threads at once; free each exactly once
 *    with its *_free function, after every call on it has returned.
 *  - Key bytes go in and never come out: a key is named by its keyID (16 hex characters).
 *  - The partition and bias calls do not allocate once warmed up (each thread that uses a
 *    handle gets its own cryptographic state the first time).
 *  - Token ids are uint32; contexts are the h ids before the position, oldest first.
 *  - Structs that may grow start with struct_size: set it to sizeof the struct you were
 *    compiled with (the *_init functions do).
 */
#ifndef SWIFT_WATERMARK_H
#define SWIFT_WATERMARK_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The ABI version this header describes; swm_abi_version() is the library's. A library with
 * the same major version (value / 10000) accepts this header's calls and structs. */
#define SWM_ABI_VERSION 10100

typedef enum swm_status {
    SWM_OK = 0,
    /* A NULL pointer, a length that does not match, a value out of range. */
    SWM_ERR_ARGUMENT = 1,
    /* Key bytes or a key file that is not a valid greenlist-v1 key. */
    SWM_ERR_KEY = 2,
    /* gamma, context width, delta, temperature or a detection option out of range. */
    SWM_ERR_PARAMETERS = 3,
    /* A file (tokenizer, common-tuple list, calibration) that cannot be read or used. */
    SWM_ERR_FILE = 4,
    /* Input that cannot be scored: invalid UTF-8, text without a tokenizer. */
    SWM_ERR_INPUT = 5,
    /* An OpenSSL failure or another internal error. */
    SWM_ERR_INTERNAL = 6
} swm_status;

/* The verdict of a detection (the JSON field "verdict"). */
typedef enum swm_verdict {
    SWM_VERDICT_NOT_WATERMARKED = 0,
    SWM_VERDICT_WATERMARKED = 1,
    SWM_VERDICT_TOO_SHORT = 2
} swm_verdict;

/* How a bias call chooses the tokens it classifies. */
typedef enum swm_bias_mode {
    /* Every token of the row: the reference. */
    SWM_BIAS_FULL = 0,
    /* Only the tokens that can be drawn at the given temperature (0: greedy); the
     * distribution is within 1e-9 in total variation of SWM_BIAS_FULL's (docs/ENGINES.md,
     * "Only the tokens that can matter"). */
    SWM_BIAS_CANDIDATES = 1
} swm_bias_mode;

typedef struct swm_key swm_key;
typedef struct swm_processor swm_processor;
typedef struct swm_detector swm_detector;

/* The scheme's parameters. */
typedef struct swm_params {
    double gamma;           /* green fraction, 0 < gamma < 1; quantised to G = floor(gamma*65536 + 0.5) */
    uint32_t context_width; /* h, 1..8 */
    double delta;           /* bias added to green logits, >= 0 (detection ignores it) */
} swm_params;

/* Detection settings; the defaults are the CLI's. */
typedef struct swm_detector_options {
    uint32_t struct_size;
    double false_positive_rate;   /* alpha of the verdict, (0, 1); default 1e-4 */
    uint32_t minimum_scored;      /* fewer scored tuples: too-short; default 16 */
    int32_t deduplicate;          /* score each (context, token) once; default 1 */
    int32_t normalize;            /* normalise text before tokenising; default 1 */
    int32_t windowed_scan;        /* also scan windows (JSON "window"); default 0 */
    int32_t attribution;          /* per-token statuses in the JSON; default 0 */
    const char *tokenizer_path;   /* GGUF, tokenizer.json or tiktoken file; NULL: ids only */
    const char *common_tuples_path; /* a common-tuple list, or NULL */
    const char *calibration_path;   /* a calibration file (one key, needs the tokenizer), or NULL */
} swm_detector_options;

/* The numbers of one detection; the JSON string holds them all and the rest. */
typedef struct swm_result {
    uint32_t struct_size;
    swm_verdict verdict;
    char key_id[24];            /* the best key's keyID, NUL-terminated */
    uint64_t tokens;            /* tokens in the document */
    uint64_t scored;            /* tuples scored */
    uint64_t green;             /* of them green */
    double z;
    double p;                   /* exact binomial tail, one key */
    double log10p;
    double p_adjusted;          /* corrected for keys_tried */
    double log10p_adjusted;
    double false_positive_rate;
    double minimum_score;       /* the score the verdict needs (calibrated or nominal) */
    uint32_t keys_tried;
    int32_t calibrated;
} swm_result;

/* Versions. */
uint32_t swm_abi_version(void);
/* "swift-watermark <version> (greenlist-v1)"; static storage. */
const char *swm_version(void);

/* Errors of the calling thread. */
const char *swm_last_error_message(void);
swm_status swm_last_error_code(void);

/* Parameters: the scheme's defaults (gamma 0.25, h 1, delta 2), and checking. */
swm_params swm_params_default(void);
swm_status swm_params_validate(const swm_params *params);
/* G for gamma (0 when gamma is out of range). */
uint32_t swm_green_threshold(double gamma);

/* Keys. The keyID string lives as long as the key handle. */
swm_status swm_key_from_bytes(const uint8_t *bytes, size_t length, swm_key **out);
swm_status swm_key_from_file(const char *path, swm_key **out);
/* A new random 32-byte key, written to `path` with mode 0600; never overwrites. */
swm_status swm_key_generate(const char *path, swm_key **out);
const char *swm_key_id(const swm_key *key);
void swm_key_free(swm_key *key);

/* A processor: one key and parameter set, for the partition and for biasing. */
swm_status swm_processor_new(const swm_key *key, const swm_params *params, swm_processor **out);
void swm_processor_free(swm_processor *processor);

/* The partition for one context (context_length must be h). */
/* 16-bit scores u(v) of tokens 0..count-1 (green iff u < G). */
swm_status swm_partition_scores(swm_processor *processor, const uint32_t *context, size_t context_length,
                                uint16_t *scores, size_t count);
/* One byte per token, 1 green / 0 red. */
swm_status swm_partition_green_bytes(swm_processor *processor, const uint32_t *context, size_t context_length,
                                     uint8_t *green, size_t count);
/* A bitmask, token v in bit (v % 8) of byte v / 8; `bytes` must be at least (count + 7) / 8. */
swm_status swm_partition_green_bits(swm_processor *processor, const uint32_t *context, size_t context_length,
                                    uint8_t *bits, size_t bytes, size_t count);
/* Green (1) or red (0) for each of `count` candidate ids. */
swm_status swm_classify(swm_processor *processor, const uint32_t *context, size_t context_length,
                        const uint32_t *candidates, size_t count, uint8_t *green);

/* Bias one float32 row in place for the position after `history` (the tokens so far,
 * prompt included; only its last h are used). A history shorter than h leaves the row
 * alone, as the scheme requires; *applied (may be NULL) says whether the row changed. */
swm_status swm_bias_row(swm_processor *processor, const uint32_t *history, size_t history_length,
                        float *logits, size_t length, swm_bias_mode mode, double temperature, int32_t *applied);

/* Bias `rows` float32 rows in place: row r starts at logits + r * row_stride and has
 * row_length entries (row_length may exceed the tokenizer's vocabulary); its context is
 * contexts[r*h .. r*h + h). `active` (NULL: all) skips rows whose byte is 0. */
swm_status swm_bias_rows(swm_processor *processor, float *logits, size_t rows, size_t row_stride, size_t row_length,
                         const uint32_t *contexts, size_t contexts_length, const uint8_t *active,
                         swm_bias_mode mode, double temperature);

/* Detection. */
void swm_detector_options_init(swm_detector_options *options);
/* keys: `key_count` handles; options may be NULL (the defaults). */
swm_status swm_detector_new(const swm_key *const *keys, size_t key_count, const swm_params *params,
                            const swm_detector_options *options, swm_detector **out);
void swm_detector_free(swm_detector *detector);
/* The tokenizer's fingerprint, or NULL for an ids-only detector; lives as long as the handle. */
const char *swm_detector_tokenizer_fingerprint(const swm_detector *detector);
/* Warnings from setting up (one per line, empty when none); lives as long as the handle. */
const char *swm_detector_warnings(const swm_detector *detector);
/* Tokenise UTF-8 text as detection does (normalised unless the options said not). Writes
 * up to `capacity` ids and the full count to *count (call again with more room if larger). */
swm_status swm_detector_tokenize(swm_detector *detector, const char *text, size_t length,
                                 uint32_t *ids, size_t capacity, size_t *count);
/* Detect in ids (special tokens already removed) or in UTF-8 text. `result` and `json`
 * may each be NULL; *json is the result as `watermark detect --json` writes it (without
 * "source" and "index"), NUL-terminated, freed with swm_string_free. */
swm_status swm_detect_ids(swm_detector *detector, const uint32_t *ids, size_t count,
                          swm_result *result, char **json);
swm_status swm_detect_text(swm_detector *detector, const char *text, size_t length,
                           swm_result *result, char **json);
/* A batch on `threads` threads (0: one per processor this process may use, after its
 * affinity mask and cgroup CPU quota): document d is ids[offsets[d] .. offsets[d+1]) or text
 * bytes likewise (offsets has count + 1 entries). results (may be NULL) gets `count` entries;
 * *jsonl one line per document, in order: the result, or {"error": ...} for a document that
 * failed (the batch goes on). statuses (may be NULL) gets each document's status. */
swm_status swm_detect_ids_batch(swm_detector *detector, const uint32_t *ids, const uint64_t *offsets, size_t count,
                                size_t threads, swm_result *results, swm_status *statuses, char **jsonl);
swm_status swm_detect_text_batch(swm_detector *detector, const char *text, const uint64_t *offsets, size_t count,
                                 size_t threads, swm_result *results, swm_status *statuses, char **jsonl);
/* A batch of JSON Lines lines (no newline in them; blank lines are the caller's to skip), each
 * read as `watermark detect --jsonl` reads a line: {"text": ...} or {"ids": [...]}, with an
 * optional "id" (a string, an integer, a boolean or null). Each *jsonl line is the CLI's
 * --json record for it with that "id" (less "source" and "index"), or {"error": ..., "id": ...}
 * for a line that is not a document or whose document failed (the "id" when the line is an
 * object that has one). Otherwise as swm_detect_text_batch. */
swm_status swm_detect_jsonl_batch(swm_detector *detector, const char *lines, const uint64_t *offsets, size_t count,
                                  size_t threads, swm_result *results, swm_status *statuses, char **jsonl);
void swm_string_free(char *string);

#ifdef __cplusplus
}
#endif

#endif /* SWIFT_WATERMARK_H */

/* The C ABI from C: compiled with -std=c99 -Wall -Wextra -Werror -pedantic against the header
 * and linked to libSwiftWatermark.so by Tools/python/tests/test_c_abi.py, which checks its
 * output. Bad arguments must come back as errors with a message, never crash. */
#include "swift_watermark.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures = 0;

#define EXPECT(cond) do { if (!(cond)) { fprintf(stderr, "FAIL line %d: %s\n", __LINE__, #cond); failures++; } } while (0)
#define EXPECT_STATUS(call, status) do { swm_status s_ = (call); if (s_ != (status)) { \
    fprintf(stderr, "FAIL line %d: %s gave %d (%s), expected %d\n", __LINE__, #call, (int)s_, swm_last_error_message(), (int)(status)); \
    failures++; } } while (0)

static swm_processor *shared_processor;
static uint16_t reference[4096];

static void *worker(void *arg) {
    uint32_t context[1] = {(uint32_t)(size_t)arg % 7};
    uint16_t scores[4096];
    int i, round;
    context[0] = 42;
    for (round = 0; round < 200; round++) {
        if (swm_partition_scores(shared_processor, context, 1, scores, 4096) != SWM_OK) return (void *)1;
        for (i = 0; i < 4096; i++) if (scores[i] != reference[i]) return (void *)1;
    }
    return NULL;
}

int main(int argc, char **argv) {
    uint8_t bytes[32];
    swm_key *key = NULL;
    swm_processor *processor = NULL;
    swm_detector *detector = NULL;
    swm_params params = swm_params_default();
    uint32_t context[2] = {5, 6};
    uint16_t scores[64];
    uint8_t green[64], bits[8];
    float logits[64];
    int i;
    pthread_t threads[4];
    char *json = NULL;
    swm_result result;
    uint32_t ids[40];
    const char *tokenizer = argc > 1 ? argv[1] : NULL;

    printf("version %s abi %u\n", swm_version(), swm_abi_version());
    EXPECT(swm_abi_version() / 10000 == SWM_ABI_VERSION / 10000);
    EXPECT(swm_green_threshold(0.25) == 16384);
    EXPECT(swm_green_threshold(2.0) == 0);

    for (i = 0; i < 32; i++) bytes[i] = (uint8_t)i;
    /* bad arguments: errors, not crashes */
    EXPECT_STATUS(swm_key_from_bytes(NULL, 32, &key), SWM_ERR_ARGUMENT);
    EXPECT(strstr(swm_last_error_message(), "NULL") != NULL);
    EXPECT(swm_last_error_code() == SWM_ERR_ARGUMENT);
    EXPECT_STATUS(swm_key_from_bytes(bytes, 3, &key), SWM_ERR_KEY);
    EXPECT_STATUS(swm_key_from_bytes(bytes, 32, NULL), SWM_ERR_ARGUMENT);
    EXPECT_STATUS(swm_key_from_file(NULL, &key), SWM_ERR_ARGUMENT);
    EXPECT_STATUS(swm_key_from_file("/nonexistent/key\nfile", &key), SWM_ERR_KEY);
    EXPECT(strchr(swm_last_error_message(), '\n') == NULL);
    EXPECT(swm_key_id(NULL) == NULL);
    swm_key_free(NULL);
    swm_processor_free(NULL);
    swm_detector_free(NULL);
    swm_string_free(NULL);

    EXPECT_STATUS(swm_key_from_bytes(bytes, 32, &key), SWM_OK);
    printf("keyID %s\n", swm_key_id(key));
    EXPECT(strlen(swm_key_id(key)) == 16);

    params.gamma = 1.5;
    EXPECT_STATUS(swm_params_validate(&params), SWM_ERR_PARAMETERS);
    EXPECT_STATUS(swm_processor_new(key, &params, &processor), SWM_ERR_PARAMETERS);
    params = swm_params_default();
    params.context_width = 2;
    EXPECT_STATUS(swm_processor_new(NULL, &params, &processor), SWM_ERR_ARGUMENT);
    EXPECT_STATUS(swm_processor_new(key, &params, &processor), SWM_OK);

    EXPECT_STATUS(swm_partition_scores(processor, context, 1, scores, 64), SWM_ERR_ARGUMENT); /* h is 2 */
    EXPECT_STATUS(swm_partition_scores(processor, NULL, 2, scores, 64), SWM_ERR_ARGUMENT);
    EXPECT_STATUS(swm_partition_scores(processor, context, 2, NULL, 64), SWM_ERR_ARGUMENT);
    EXPECT_STATUS(swm_partition_scores(processor, context, 2, scores, (size_t)-1), SWM_ERR_ARGUMENT);
    EXPECT_STATUS(swm_partition_scores(processor, context, 2, scores, 64), SWM_OK);
    EXPECT_STATUS(swm_partition_green_bytes(processor, context, 2, green, 64), SWM_OK);
    EXPECT_STATUS(swm_partition_green_bits(processor, context, 2, bits, 7, 64), SWM_ERR_ARGUMENT);
    EXPECT_STATUS(swm_partition_green_bits(processor, context, 2, bits, 8, 64), SWM_OK);
    for (i = 0; i < 64; i++) {
        EXPECT(green[i] == (scores[i] < 16384));
        EXPECT(((bits[i / 8] >> (i % 8)) & 1) == green[i]);
    }
    {
        uint32_t candidates[3] = {63, 0, 17};
        uint8_t g[3];
        EXPECT_STATUS(swm_classify(processor, context, 2, candidates, 3, g), SWM_OK);
        EXPECT(g[0] == green[63] && g[1] == green[0] && g[2] == green[17]);
    }
    for (i = 0; i < 64; i++) logits[i] = 0.0f;
    {
        int32_t applied = 7;
        EXPECT_STATUS(swm_bias_row(processor, context, 1, logits, 64, SWM_BIAS_FULL, 0, &applied), SWM_OK);
        EXPECT(applied == 0); /* history shorter than h: left alone */
        EXPECT_STATUS(swm_bias_row(processor, context, 2, logits, 64, (swm_bias_mode)9, 0, &applied), SWM_ERR_ARGUMENT);
        EXPECT_STATUS(swm_bias_row(processor, context, 2, logits, 64, SWM_BIAS_CANDIDATES, -1, &applied), SWM_ERR_PARAMETERS);
        EXPECT_STATUS(swm_bias_row(processor, context, 2, logits, 64, SWM_BIAS_FULL, 0, &applied), SWM_OK);
        EXPECT(applied == 1);
        for (i = 0; i < 64; i++) EXPECT(logits[i] == (green[i] ? 2.0f : 0.0f));
    }
    EXPECT_STATUS(swm_bias_rows(processor, logits, 2, 32, 33, context, 4, NULL, SWM_BIAS_FULL, 0), SWM_ERR_ARGUMENT);
    EXPECT_STATUS(swm_bias_rows(processor, logits, 2, 32, 32, context, 3, NULL, SWM_BIAS_FULL, 0), SWM_ERR_ARGUMENT);

    /* several threads on one processor */
    {
        uint32_t c42[2] = {42, 42};
        swm_processor *one = NULL;
        params.context_width = 1;
        EXPECT_STATUS(swm_processor_new(key, &params, &one), SWM_OK);
        shared_processor = one;
        c42[0] = 42;
        EXPECT_STATUS(swm_partition_scores(one, c42, 1, reference, 4096), SWM_OK);
        for (i = 0; i < 4; i++) pthread_create(&threads[i], NULL, worker, (void *)(size_t)i);
        for (i = 0; i < 4; i++) {
            void *r;
            pthread_join(threads[i], &r);
            EXPECT(r == NULL);
        }
        swm_processor_free(one);
    }

    /* detection */
    EXPECT_STATUS(swm_detector_new(NULL, 1, &params, NULL, &detector), SWM_ERR_ARGUMENT);
    {
        const swm_key *keys[1];
        swm_detector_options options;
        keys[0] = key;
        swm_detector_options_init(&options);
        options.struct_size = 3;
        EXPECT_STATUS(swm_detector_new(keys, 1, &params, &options, &detector), SWM_ERR_ARGUMENT);
        swm_detector_options_init(&options);
        options.false_positive_rate = 2;
        EXPECT_STATUS(swm_detector_new(keys, 1, &params, &options, &detector), SWM_ERR_PARAMETERS);
        swm_detector_options_init(&options);
        options.tokenizer_path = tokenizer;
        EXPECT_STATUS(swm_detector_new(keys, 1, &params, &options, &detector), SWM_OK);
    }
    for (i = 0; i < 40; i++) ids[i] = (uint32_t)(i * 977 % 49152);
    result.struct_size = sizeof result;
    EXPECT_STATUS(swm_detect_ids(detector, NULL, 40, &result, &json), SWM_ERR_ARGUMENT);
    EXPECT(json == NULL);
    EXPECT_STATUS(swm_detect_ids(detector, ids, 40, &result, &json), SWM_OK);
    EXPECT(result.tokens == 40 && result.scored == 39 && result.verdict == SWM_VERDICT_NOT_WATERMARKED);
    EXPECT(json != NULL && strstr(json, "\"verdict\":\"not-watermarked\"") != NULL);
    printf("ids %s\n", json);
    swm_string_free(json);
    json = NULL;
    if (tokenizer) {
        const char *text = "The quick brown fox jumps over the lazy dog, and then it naps in the warm afternoon sun.";
        size_t n = 0;
        EXPECT_STATUS(swm_detect_text(detector, "\xff", 1, &result, &json), SWM_ERR_INPUT);
        EXPECT_STATUS(swm_detect_text(detector, text, strlen(text), &result, &json), SWM_OK);
        printf("text %s\n", json);
        swm_string_free(json);
        EXPECT_STATUS(swm_detector_tokenize(detector, text, strlen(text), NULL, 0, &n), SWM_OK);
        EXPECT(n == result.tokens);
        EXPECT(swm_detector_tokenizer_fingerprint(detector) != NULL);
        {
            const char *first = "first document, long enough to be scored by the detector at all";
            char batch[128];
            uint64_t offsets[3];
            offsets[0] = 0;
            offsets[1] = strlen(first);
            offsets[2] = offsets[1] + 7;
            strcpy(batch, first);
            strcat(batch, "\xff""second"); /* the second document is not UTF-8 */
            swm_status statuses[2];
            swm_result results[2];
            char *lines = NULL;
            results[0].struct_size = results[1].struct_size = sizeof(swm_result);
            EXPECT_STATUS(swm_detect_text_batch(detector, batch, offsets, 2, 2, results, statuses, &lines), SWM_OK);
            EXPECT(statuses[0] == SWM_OK && statuses[1] == SWM_ERR_INPUT);
            printf("batch %s", lines);
            swm_string_free(lines);
            offsets[1] = 100; /* out of order */
            EXPECT_STATUS(swm_detect_text_batch(detector, batch, offsets, 2, 2, results, statuses, &lines), SWM_ERR_ARGUMENT);
        }
        {
            /* JSON Lines lines, parsed by the library: a document with its id, and an object
               that is not a document (its error entry still names the id). */
            const char *jsonl = "{\"id\":\"a\",\"text\":\"first document, long enough to be scored by the detector\"}"
                                "{\"id\":7,\"note\":1}";
            uint64_t offsets[3] = {0, 0, 0};
            offsets[1] = (uint64_t)(strchr(jsonl + 1, '{') - jsonl);
            offsets[2] = strlen(jsonl);
            swm_status statuses[2];
            char *lines = NULL;
            EXPECT_STATUS(swm_detect_jsonl_batch(detector, jsonl, offsets, 2, 1, NULL, statuses, &lines), SWM_OK);
            EXPECT(statuses[0] == SWM_OK && statuses[1] == SWM_ERR_INPUT);
            EXPECT(lines != NULL && strstr(lines, "\"id\":\"a\",\"keyID\"") != NULL && strstr(lines, "\"id\":7}") != NULL);
            printf("jsonl %s", lines ? lines : "(null)\n");
            swm_string_free(lines);
        }
    }
    swm_detector_free(detector);
    swm_processor_free(processor);
    swm_key_free(key);
    printf("%s\n", failures ? "FAILED" : "OK");
    return failures ? 1 : 0;
}

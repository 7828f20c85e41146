#ifndef WATERMARK_CLIBFUZZER_H
#define WATERMARK_CLIBFUZZER_H
#include <stddef.h>
#include <stdint.h>

/// libFuzzer's driver (compiler-rt/lib/fuzzer/FuzzerInterface.h): parses libFuzzer's flags
/// from argv and runs `callback` on every input. SwiftPM links executables with
/// `--defsym main=<module>_main`, so libFuzzer's own `main` is never used; the Swift `@main`
/// calls this instead.
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));

#endif

#!/usr/bin/env bash
# Fuzzes the package's parsers of hostile input with libFuzzer under AddressSanitizer
# (docs/FUZZING.md): builds the fuzz executable once, then runs each target for SECONDS.
#
#   Tools/fuzz.sh [options] [SECONDS] [TARGET...]
#
#   SECONDS      per target (default 20); Tools/fuzz.sh 600 is the 10-minute round
#   TARGET       gguf gguf-tokenizer tokenizer-json tiktoken key calibration common-tuples
#                ids jsonl (default: all)
#   -j N         run N targets at a time (default 1; at most the number of processors)
#   --fresh      start each target from the seed corpus alone (default: also what earlier
#                runs found, kept in the work directory)
#   --no-build   use the fuzz executable already built
#   --fork, --no-fork   libFuzzer's fork mode (default: on from 120 s, see below)
#
# The fuzz build: swift build -c release --scratch-path .build-fuzz --product WatermarkFuzz
#   -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING
# (release: preconditions, overflow and bounds checks are kept at -O, and it runs 1.3-4x as
# many inputs a second as debug; SwiftPM links executables with --defsym
# main=WatermarkFuzz_main, so the Swift @main calls LLVMFuzzerRunDriver itself.)
#
# Runs of 120 s and more use libFuzzer's fork mode with crashes, out-of-memory and timeouts
# ignored, so that one known bug does not end a long run; shorter runs (the test command's)
# are one libFuzzer process, which gets about three times as many inputs into 20 s, and stop
# at the first finding. Findings are saved under $WORK/<target>/artifacts/ (WORK: $WATERMARK_FUZZ_WORK,
# default the package cache's fuzz/).
# The seed corpus Tests/Fuzz/Corpus/<target>/ is read, never written; nothing under Tests/ is
# touched (copy a finding to Tests/Fuzz/Regressions/<target>/ by hand, with a README line).
# Exits 1 when any target found a crash, a leak, an out-of-memory or a timeout.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

seconds=20
jobs=1
fresh=0
build=1
fork=
targets=()
while [[ $# -gt 0 ]]; do
    case $1 in
        -j) jobs=$2; shift 2 ;;
        -j*) jobs=${1#-j}; shift ;;
        --fresh) fresh=1; shift ;;
        --no-build) build=0; shift ;;
        --fork) fork=1; shift ;;
        --no-fork) fork=0; shift ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        [0-9]*) seconds=$1; shift ;;
        *) targets+=("$1"); shift ;;
    esac
done

BIN=$ROOT/.build-fuzz/release/WatermarkFuzz
# libFuzzer and AddressSanitizer come with the Swift toolchain (clang's compiler-rt); nothing
# to install from Debian, but say so clearly when a toolchain lacks them.
if [[ $build -eq 1 ]]; then
    toolchain=$(dirname "$(readlink -f "$(command -v swiftc)")")/..
    if ! ls "$toolchain"/lib/swift/clang/lib/linux/libclang_rt.fuzzer-"$(uname -m)".a \
        "$toolchain"/lib/clang/*/lib/linux/libclang_rt.fuzzer-"$(uname -m)".a >/dev/null 2>&1; then
        echo "fuzz.sh: this Swift toolchain ($toolchain) has no libFuzzer runtime (libclang_rt.fuzzer-$(uname -m).a); use a swift.org toolchain for Linux" >&2
        exit 2
    fi
fi
CACHE=${WATERMARK_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/swift-watermark}
WORK=${WATERMARK_FUZZ_WORK:-$CACHE/fuzz}
mkdir -p "$WORK"
if [[ $build -eq 1 ]]; then
    echo "fuzz.sh: building WatermarkFuzz with -sanitize=fuzzer,address (release, .build-fuzz/; log $WORK/build.log)" >&2
    start=$SECONDS
    if ! swift build -c release --scratch-path .build-fuzz --product WatermarkFuzz \
        -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING > "$WORK/build.log" 2>&1; then
        grep -E "error|Error" "$WORK/build.log" | head -20 >&2
        echo "fuzz.sh: the sanitizer build failed (log $WORK/build.log)" >&2
        exit 2
    fi
    echo "fuzz.sh: built in $((SECONDS - start)) s" >&2
fi
[[ -x $BIN ]] || { echo "fuzz.sh: $BIN is missing (run without --no-build)" >&2; exit 2; }

# name <TAB> -max_len <TAB> entry point, from the executable itself.
declare -A maxlen=()
all=()
while IFS=$'\t' read -r name len _; do
    all+=("$name")
    maxlen[$name]=$len
done < <("$BIN" --list)
[[ ${#targets[@]} -gt 0 ]] || targets=("${all[@]}")
for t in "${targets[@]}"; do
    [[ -n ${maxlen[$t]:-} ]] || { echo "fuzz.sh: unknown target '$t' (targets: ${all[*]})" >&2; exit 2; }
done

# Dictionaries (libFuzzer takes one -dict, so the JSON one is joined to the target's own).
dictionaries() {
    case $1 in
        tokenizer-json|calibration|common-tuples|jsonl) echo "json.dict $1.dict" ;;
        gguf|gguf-tokenizer) echo "gguf.dict" ;;
        ids) echo "ids.dict" ;;
        *) echo "" ;;
    esac
}

stamp=$(date +%Y%m%d-%H%M%S)
[[ -n $fork ]] || fork=$((seconds >= 120 ? 1 : 0))
mode=()
[[ $fork -eq 1 ]] && mode=(-fork=1 -ignore_crashes=1 -ignore_ooms=1 -ignore_timeouts=1)

run_target() {
    local t=$1 dir=$WORK/$1
    mkdir -p "$dir/corpus" "$dir/artifacts"
    [[ $fresh -eq 1 ]] && rm -rf "${dir:?}/corpus" && mkdir -p "$dir/corpus"
    cp -f "$ROOT/Tests/Fuzz/Corpus/$t/"* "$dir/corpus/" 2>/dev/null || true
    local dict=() files
    files=$(dictionaries "$t")
    if [[ -n $files ]]; then
        (cd "$ROOT/Tests/Fuzz/Dictionaries" && cat $files) > "$dir/fuzz.dict"
        dict=(-dict="$dir/fuzz.dict")
    fi
    local before
    before=$(ls "$dir/artifacts" | wc -l)
    local log=$dir/run-$stamp.log
    # Leak detection stays on: the Swift runtime's caches are reachable, so LeakSanitizer
    # reports nothing for them (checked on every target, docs/FUZZING.md).
    ( cd "$dir" && SWIFT_BACKTRACE=enable=no ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} "$BIN" "$t" \
        "${mode[@]}" \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=2048 \
        -max_len="${maxlen[$t]}" "${dict[@]}" -artifact_prefix="$dir/artifacts/" -print_final_stats=1 \
        "$dir/corpus" ) > "$log" 2>&1 || true
    local after found stats execs rate cov corpus
    after=$(ls "$dir/artifacts" | wc -l)
    found=$((after - before))
    # Status lines: "#N: cov: C ft: F corp: K exec/s: E oom/timeout/crash: ..." (fork mode),
    # "#N<TAB>pulse  cov: C ft: F corp: K/Sb lim: L exec/s: E rss: R" (one process).
    stats=$(grep -E '^#[0-9]+(:|\s+[A-Z]).* cov: ' "$log" | tail -1 || true)
    execs=$(sed -E 's/^#([0-9]+).*/\1/' <<<"$stats")
    rate=$(sed -E 's/.*exec\/s: ([0-9]+).*/\1/' <<<"$stats")
    cov=$(sed -E 's/.* cov: ([0-9]+).*/\1/' <<<"$stats")
    corpus=$(sed -E 's/.* corp: ([0-9]+).*/\1/' <<<"$stats")
    if [[ $fork -eq 1 ]]; then
        # The status line's exec/s is the last job's; the average is executions over time.
        local took
        took=$(sed -nE 's/.* time: ([0-9]+)s.*/\1/p' <<<"$stats")
        [[ -n $took && $took -gt 0 ]] && rate=$((execs / took))
    elif grep -q '^stat::number_of_executed_units' "$log"; then
        execs=$(sed -nE 's/^stat::number_of_executed_units: ([0-9]+)/\1/p' "$log")
        rate=$(sed -nE 's/^stat::average_exec_per_sec: +([0-9]+)/\1/p' "$log")
    fi
    local verdict="ok"
    if [[ -z $stats ]]; then
        verdict="FAILED to run (see $log)"
        found=$((found > 0 ? found : 1))
    elif [[ $found -gt 0 ]]; then
        verdict="FOUND $found new finding(s) in $dir/artifacts/ (replay: .build/release/WatermarkFuzz $t FILE)"
    fi
    printf '%-15s %5s s  %10s execs  %6s exec/s  cov %6s  corpus %5s  %s\n' \
        "$t" "$seconds" "${execs:-0}" "${rate:-0}" "${cov:-0}" "${corpus:-0}" "$verdict"
    [[ $found -eq 0 ]]
}

echo "fuzz.sh: ${#targets[@]} target(s), $seconds s each, $jobs at a time; work directory $WORK" >&2
for t in "${targets[@]}"; do
    while [[ $(jobs -rp | wc -l) -ge $jobs ]]; do sleep 1; done
    ( rc=0; run_target "$t" || rc=1; echo $rc > "$WORK/.status-$t-$stamp" ) &
done
wait
status=0
for t in "${targets[@]}"; do
    [[ $(cat "$WORK/.status-$t-$stamp" 2>/dev/null) == 0 ]] || status=1
    rm -f "$WORK/.status-$t-$stamp"
done
if [[ $status -ne 0 ]]; then
    echo "fuzz.sh: findings (or a target that did not run); see docs/FUZZING.md for what to do with them" >&2
fi
exit $status

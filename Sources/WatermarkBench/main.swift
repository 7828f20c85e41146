// Release-build benchmarks for docs/BENCHMARKS.md. Every figure is reported beside a floor measured
// in the same run on the same buffers, so that a noisy or slower machine shifts both alike.
//
//   swift run -c release WatermarkBench [--ids-file FILE] [--quick]
import CCryptoShim
import Detection
import Evaluation
import Foundation
import GGUF
import Tokenizer
import Watermark

let arguments = CommandLine.arguments
let quick = arguments.contains("--quick")
let idsFile: String? = arguments.firstIndex(of: "--ids-file").flatMap { $0 + 1 < arguments.count ? arguments[$0 + 1] : nil }

func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

/// Median over rounds of the per-iteration time of `body`, in nanoseconds.
func measure(rounds: Int, iterations: Int, _ body: () throws -> Void) rethrows -> Double {
    var samples: [Double] = []
    for _ in 0..<rounds {
        let start = now()
        for _ in 0..<iterations { try body() }
        samples.append(Double(now() - start) / Double(iterations))
    }
    samples.sort()
    return samples[samples.count / 2]
}

func format(_ x: Double, _ digits: Int = 2) -> String { String(format: "%.\(digits)f", x) }

var rng = SystemRandomNumberGenerator()
let key = try WatermarkKey.generate()
let rounds = quick ? 5 : 15

// `--load-bench PATH`: the tokenizer's load from a GGUF file, in milliseconds (minimum and
// median of 30 loads), with the file's parse alone beside it; what every one-document
// `detect`, server start and Spark task pays before its first token.
if let i = arguments.firstIndex(of: "--load-bench"), i + 1 < arguments.count {
    let path = arguments[i + 1]
    var parse: [Double] = [], load: [Double] = []
    for _ in 0..<30 {
        var t = now()
        _ = try GGUFFile(path: path)
        parse.append(Double(now() - t) / 1e6)
        t = now()
        _ = try BPETokenizer.load(path: path)
        load.append(Double(now() - t) / 1e6)
    }
    parse.sort()
    load.sort()
    print("{\"parse_ms_min\": \(format(parse[0], 3)), \"parse_ms_median\": \(format(parse[15], 3)), "
          + "\"load_ms_min\": \(format(load[0], 3)), \"load_ms_median\": \(format(load[15], 3))}")
    exit(0)
}

// `--tokenizer-bench TEXT --tokenizer PATH [--chunk BYTES]`: single-thread encode MB/s, with
// the text cut at line ends into chunks exactly as Tools/bench_tokenizers.py cuts it for the
// reference tokenizers, so that both encode the same calls' worth of text.
if let i = arguments.firstIndex(of: "--tokenizer-bench"), i + 1 < arguments.count,
   let j = arguments.firstIndex(of: "--tokenizer"), j + 1 < arguments.count {
    let text = try String(contentsOfFile: arguments[i + 1], encoding: .utf8)
    let limit = arguments.firstIndex(of: "--chunk").flatMap { Int(arguments[$0 + 1]) } ?? 65536
    var chunks: [String] = [], current = "", size = 0
    // Lines keep their terminators, as Python's splitlines(keepends=True) gives them.
    var start = text.utf8.startIndex
    let utf8 = text.utf8
    var lines: [Substring] = []
    while start < utf8.endIndex {
        var end = utf8[start...].firstIndex(of: UInt8(ascii: "\n")).map { utf8.index(after: $0) } ?? utf8.endIndex
        if end > utf8.endIndex { end = utf8.endIndex }
        lines.append(text[start..<end])
        start = end
    }
    for line in lines {
        let n = line.utf8.count
        if !current.isEmpty && size + n > limit { chunks.append(current); current = ""; size = 0 }
        current += line
        size += n
    }
    if !current.isEmpty { chunks.append(current) }
    let tokenizer = try BPETokenizer.load(path: arguments[j + 1])
    var tokens = 0
    for c in chunks { tokens += tokenizer.encode(c).count }  // warm-up
    var best = Double.infinity
    for _ in 0..<3 {
        let t = now()
        for c in chunks { _ = tokenizer.encode(c) }
        best = min(best, Double(now() - t) / 1e9)
    }
    let bytes = text.utf8.count
    print("{\"bytes\": \(bytes), \"tokens\": \(tokens), \"chunks\": \(chunks.count), \"swift_mb_s\": \(format(Double(bytes) / best / 1e6, 3))}")
    exit(0)
}

// `--corpus-tokenize FILE.jsonl --tokenizer PATH`: the floor for corpus detection, tokenizing
// alone on one thread: every document's "text" read first (not timed), then each tokenized as
// detection does (normalised, through one DetectionTokenizer.Encoder a pass), best of 3 (`--passes N`: of N);
// also without normalisation (unless `--floor-only`). Tools/corpus_bench.py compares `watermark detect` with it.
if let i = arguments.firstIndex(of: "--corpus-tokenize"), i + 1 < arguments.count,
   let j = arguments.firstIndex(of: "--tokenizer"), j + 1 < arguments.count {
    var texts: [String] = []
    var lines = LineReader(stream: try ByteStream(path: arguments[i + 1]))
    while let line = try lines.nextLine() {
        if case .text(let t)? = try? JSONLinesDocument.parse(line) { texts.append(t) }
    }
    let bytes = texts.reduce(0) { $0 + $1.utf8.count }
    let bpe = try BPETokenizer.load(path: arguments[j + 1])
    let passes = arguments.firstIndex(of: "--passes").flatMap { $0 + 1 < arguments.count ? Int(arguments[$0 + 1]) : nil } ?? 3
    guard passes >= 1 else { fatalError("--passes must be at least 1") }
    var figures: [String] = []
    // `--floor-only`: the normalised floor alone, for a benchmark that measures it between runs;
    // `--scoring-only` (with `--with-detect`): scoring alone, for comparing two builds' loops.
    let scoringOnly = arguments.contains("--scoring-only")
    for normalize in scoringOnly ? [] : arguments.contains("--floor-only") ? [true] : [true, false] {
        let tokenizer = DetectionTokenizer(bpe, normalize: normalize)
        var best = Double.infinity, tokens = 0
        for _ in 0..<passes {
            let t = now()
            tokens = 0
            // As detection tokenizes: one encoder, its piece cache fresh at each pass.
            var encoder = tokenizer.makeEncoder()
            for text in texts { tokens += encoder.ids(for: text).count }
            best = min(best, Double(now() - t) / 1e9)
        }
        figures.append("\"\(normalize ? "normalized" : "raw")_mb_s\": \(format(Double(bytes) / best / 1e6, 3)), \"\(normalize ? "normalized" : "raw")_tokens\": \(tokens)")
    }
    // `--with-detect KEYFILE`: the same texts through the whole detection pipeline in this
    // process (no file reading, no JSON, no tokenizer load), to separate scoring's cost
    // from the CLI's fixed and I/O costs.
    if let k = arguments.firstIndex(of: "--with-detect"), k + 1 < arguments.count {
        let detectKey = try KeyFile.read(path: arguments[k + 1]).key
        for cached in scoringOnly ? [] : [true, false] {
            var best = Double.infinity
            for _ in 0..<passes {
                let pipeline = try DetectionPipeline(keys: [detectKey], tokenizer: DetectionTokenizer(bpe),
                                                     tupleCache: cached ? TupleVerdictCache() : nil)
                let t = now()
                for text in texts { _ = try pipeline.detect(text: text) }
                best = min(best, Double(now() - t) / 1e9)
            }
            figures.append("\"detect_\(cached ? "cached" : "uncached")_mb_s\": \(format(Double(bytes) / best / 1e6, 3))")
        }
        // Scoring alone: the same documents' ids (tokenized first, not timed) through detection,
        // in text MB/s, so that its cost next to the floor's is read off directly.
        let tokenizer = DetectionTokenizer(bpe)
        let allIDs = texts.map { tokenizer.ids(for: $0) }
        var best = Double.infinity
        for _ in 0..<passes {
            let pipeline = try DetectionPipeline(keys: [detectKey], tokenizer: tokenizer, tupleCache: TupleVerdictCache())
            let t = now()
            for ids in allIDs { _ = try pipeline.detect(ids: ids) }
            best = min(best, Double(now() - t) / 1e9)
        }
        figures.append("\"score_ids_mb_s\": \(format(Double(bytes) / best / 1e6, 3))")
    }
    print("{\"documents\": \(texts.count), \"bytes\": \(bytes), " + figures.joined(separator: ", ") + "}")
    exit(0)
}

// `--profile-processor`: only the processor at V = 49 152, for `perf record`.
if arguments.contains("--profile-processor") {
    let processor = try WatermarkLogitsProcessor(key: key, parameters: SchemeParameters())
    var logits = [Float](repeating: 0, count: 49_152)
    var context: UInt32 = 0
    let ns = try measure(rounds: 5, iterations: 40_000) {
        context &+= 1
        try processor.process(&logits, history: CollectionOfOne(context))
    }
    print("processor: \(format(ns / 1000)) µs/step")
    exit(0)
}

// `--profile-detection`: only uncached detection of random ids, for `perf record`.
if arguments.contains("--profile-detection") {
    var options = DetectionOptions()
    options.cacheSeeds = arguments.contains("--cache")
    let detector = try Detector(keys: [key], parameters: SchemeParameters(), options: options)
    var gen = SplitMix64(seed: 1)
    // Zipf-like ids (a few contexts very common), as in text, so that the cache can matter.
    let ids = (0..<200_000).map { _ in UInt32(truncatingIfNeeded: (gen.next() % 49_152) * (gen.next() % 49_152) / 49_152) }
    let ns = try measure(rounds: 15, iterations: 1) { _ = try detector.detect(ids) }
    print("detection: \(format(ns / Double(ids.count))) ns/tuple")
    exit(0)
}

// MARK: - Partition + bias per generation step, against one plain copy of the logits

print("## Logits processor: partition + bias per generation step\n")
print("Floor: one `memcpy` of the same logits buffer (the least any processor must touch).\n")
print("Two floors: `memcpy` into a preallocated buffer (the strictest), and duplicating the logits")
print("array (allocate a new array, copy, free), which is what a processor that clones its scores does.\n")
print("| vocabulary | processor µs/step | memcpy µs/step | ratio | array duplicate µs/step | ratio | keystream alone (HMAC + AES-CTR) | keystream ÷ memcpy | cache-cold processor / memcpy µs | cold ratio | target |")
print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
// A buffer larger than the L3 cache: walking it evicts the logits, as the output matmul's
// weight stream does in a real generation step.
nonisolated(unsafe) let evictor = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 << 20, alignment: 64)
evictor.initializeMemory(as: UInt8.self, repeating: 1)
func evictCaches() {
    var sum: UInt64 = 0
    var i = 0
    while i < evictor.count { sum &+= UInt64(evictor[i]); evictor[i] = UInt8(truncatingIfNeeded: sum); i += 64 }
}
for vocabulary in [32_000, 49_152, 128_256, 151_936, 256_000] {
    let processor = try WatermarkLogitsProcessor(key: key, parameters: SchemeParameters())
    let partition = try GreenListPartition(key: key, parameters: SchemeParameters())
    var logits = (0..<vocabulary).map { _ in Float.random(in: -5...5, using: &rng) }
    var copy = logits
    let keystream = UnsafeMutableRawBufferPointer.allocate(byteCount: 2 * vocabulary, alignment: 64)
    defer { keystream.deallocate() }
    let iterations = max(20, 20_000_000 / vocabulary / (quick ? 4 : 1))
    var context: UInt32 = 0
    var processorTimes: [Double] = [], copyTimes: [Double] = [], ratios: [Double] = [], streamTimes: [Double] = []
    var duplicateTimes: [Double] = [], duplicateRatios: [Double] = []
    var sink: Float = 0
    func copyOnce() {
        logits.withUnsafeBufferPointer { src in
            copy.withUnsafeMutableBufferPointer { dst in
                _ = memcpy(dst.baseAddress!, src.baseAddress!, src.count * MemoryLayout<Float>.stride)
            }
        }
    }
    // Interleave subject and floor so that drifting machine load hits both.
    for _ in 0..<rounds {
        let p = try measure(rounds: 1, iterations: iterations) {
            context &+= 1
            try processor.process(&logits, history: CollectionOfOne(context))
        }
        let c = measure(rounds: 1, iterations: iterations) { copyOnce() }
        let d = measure(rounds: 1, iterations: iterations) {
            // A real duplicate: `Array(logits)` alone would only share the buffer (copy-on-write).
            let duplicate = logits.withUnsafeBufferPointer { src in
                [Float](unsafeUninitializedCapacity: src.count) { dst, count in
                    _ = memcpy(dst.baseAddress!, src.baseAddress!, src.count * MemoryLayout<Float>.stride)
                    count = src.count
                }
            }
            sink += duplicate[duplicate.count / 2]
        }
        duplicateTimes.append(d); duplicateRatios.append(p / d)
        let k = try measure(rounds: 1, iterations: iterations) {
            context &+= 1
            try partition.fillScores(after: CollectionOfOne(context), into: keystream)
        }
        processorTimes.append(p); copyTimes.append(c); ratios.append(p / c); streamTimes.append(k)
    }
    // Cache-cold: evict, then time one step; same for the copy.
    var coldProcessor: [Double] = [], coldCopy: [Double] = []
    for _ in 0..<(quick ? 9 : 31) {
        evictCaches()
        var t = now()
        context &+= 1
        try processor.process(&logits, history: CollectionOfOne(context))
        coldProcessor.append(Double(now() - t))
        evictCaches()
        t = now()
        copyOnce()
        coldCopy.append(Double(now() - t))
    }
    ratios.sort(); processorTimes.sort(); copyTimes.sort(); streamTimes.sort(); coldProcessor.sort(); coldCopy.sort()
    duplicateTimes.sort(); duplicateRatios.sort()
    let mid = rounds / 2
    let cp = coldProcessor[coldProcessor.count / 2], cc = coldCopy[coldCopy.count / 2]
    print("| \(vocabulary) | \(format(processorTimes[mid] / 1000)) | \(format(copyTimes[mid] / 1000)) | \(format(ratios[mid]))× "
          + "| \(format(duplicateTimes[mid] / 1000)) | \(format(duplicateRatios[mid]))× "
          + "| \(format(streamTimes[mid] / 1000)) µs | \(format(streamTimes[mid] / copyTimes[mid]))× "
          + "| \(format(cp / 1000)) / \(format(cc / 1000)) | \(format(cp / cc))× | ≤ 3× |")
    if copy.first == .infinity || sink.isNaN { print("") }  // keep the copies observable
}

// MARK: - Detection throughput, against bare HMAC-SHA256

/// The scheme's own floor per new context: one HMAC-SHA256 of a 16-byte message under a
/// reused key schedule, straight through OpenSSL.
func bareHMACNanoseconds(iterations: Int) -> Double {
    let mac = EVP_MAC_fetch(nil, "HMAC", nil)!
    let ctx = EVP_MAC_CTX_new(mac)!
    defer { EVP_MAC_CTX_free(ctx); EVP_MAC_free(mac) }
    let keyBytes = [UInt8](repeating: 7, count: 32)
    "digest".withCString { name in
        "SHA256".withCString { value in
            var params = [OSSL_PARAM_construct_utf8_string(name, UnsafeMutablePointer(mutating: value), 0), OSSL_PARAM_construct_end()]
            _ = EVP_MAC_init(ctx, keyBytes, keyBytes.count, &params)
        }
    }
    var message = [UInt8](repeating: 0, count: 16)
    var out = [UInt8](repeating: 0, count: 32)
    var counter: UInt32 = 0
    return measure(rounds: rounds, iterations: iterations) {
        counter &+= 1
        message.withUnsafeMutableBytes { $0.storeBytes(of: counter, as: UInt32.self) }
        var written = 0
        EVP_MAC_init(ctx, nil, 0, nil)
        EVP_MAC_update(ctx, message, 16)
        EVP_MAC_final(ctx, &out, &written, 32)
    }
}

/// The same MAC built from two precomputed SHA-256 states (RFC 2104), the fastest HMAC that
/// OpenSSL offers here; the stricter floor of the two.
func precomputedHMACNanoseconds(iterations: Int) -> Double {
    let inner = EVP_MD_CTX_new()!, outer = EVP_MD_CTX_new()!, scratch = EVP_MD_CTX_new()!
    defer { EVP_MD_CTX_free(inner); EVP_MD_CTX_free(outer); EVP_MD_CTX_free(scratch) }
    let ipad = [UInt8](repeating: 7 ^ 0x36, count: 64), opad = [UInt8](repeating: 7 ^ 0x5C, count: 64)
    EVP_DigestInit_ex(inner, EVP_sha256(), nil); EVP_DigestUpdate(inner, ipad, 64)
    EVP_DigestInit_ex(outer, EVP_sha256(), nil); EVP_DigestUpdate(outer, opad, 64)
    var message = [UInt8](repeating: 0, count: 16)
    var digest = [UInt8](repeating: 0, count: 32)
    var counter: UInt32 = 0
    return measure(rounds: rounds, iterations: iterations) {
        counter &+= 1
        message.withUnsafeMutableBytes { $0.storeBytes(of: counter, as: UInt32.self) }
        var length: UInt32 = 0
        EVP_MD_CTX_copy_ex(scratch, inner); EVP_DigestUpdate(scratch, message, 16); EVP_DigestFinal_ex(scratch, &digest, &length)
        EVP_MD_CTX_copy_ex(scratch, outer); EVP_DigestUpdate(scratch, digest, 32); EVP_DigestFinal_ex(scratch, &digest, &length)
    }
}

/// Nanoseconds per scored tuple, detecting `ids` cut into documents of `documentLength` tokens.
func detectionNanosecondsPerTuple(_ ids: [UInt32], cache: Bool, dedup: Bool = true,
                                  documentLength: Int? = nil) throws -> (Double, Int) {
    var options = DetectionOptions()
    options.cacheSeeds = cache
    options.deduplicate = dedup
    let detector = try Detector(keys: [key], parameters: SchemeParameters(), options: options)
    let length = documentLength ?? ids.count
    var scored = 0
    let perRun = try measure(rounds: rounds, iterations: 1) {
        scored = 0
        var start = 0
        while start < ids.count {
            scored += try detector.detect(ids[start..<min(start + length, ids.count)]).scored
            start += length
        }
    }
    return (perRun / Double(max(scored, 1)), scored)
}

print("\n## Detection of token ids\n")
print("Floor: bare HMAC-SHA256 of 16-byte messages through OpenSSL, the faster of `EVP_MAC` with a reused")
print("context and RFC 2104 over two precomputed SHA-256 states (the library uses the latter).\n")
let evpMacNs = bareHMACNanoseconds(iterations: quick ? 50_000 : 200_000)
let precomputedNs = precomputedHMACNanoseconds(iterations: quick ? 50_000 : 200_000)
let hmacNs = min(evpMacNs, precomputedNs)
print("HMAC-SHA256 per call: `EVP_MAC` \(format(evpMacNs, 1)) ns, precomputed states \(format(precomputedNs, 1)) ns.\n")
var idGenerator = SplitMix64(seed: 7)
let randomIDs = (0..<(quick ? 50_000 : 200_000)).map { _ in UInt32(truncatingIfNeeded: idGenerator.next() % 49_152) }
let (documentsNs, _) = try detectionNanosecondsPerTuple(randomIDs, cache: false, documentLength: 1000)
let (uncachedNs, _) = try detectionNanosecondsPerTuple(randomIDs, cache: false)
let (uncachedNoDedupNs, _) = try detectionNanosecondsPerTuple(randomIDs, cache: false, dedup: false)
print("Ratios are against the stricter floor (precomputed states); against `EVP_MAC` they are \(format(evpMacNs / precomputedNs))× higher.\n")
print("| input | mode | tuples/s | bare HMAC/s | ratio | target |")
print("|---|---|---:|---:|---:|---:|")
print("| random ids in documents of 1 000 tokens (every context new) | no cache | \(Int(1e9 / documentsNs)) | \(Int(1e9 / hmacNs)) | \(format(hmacNs / documentsNs))× | ≥ 0.5× |")
print("| random ids, one document of \(randomIDs.count) tokens (tuple table outgrows L2) | no cache | \(Int(1e9 / uncachedNs)) | \(Int(1e9 / hmacNs)) | \(format(hmacNs / uncachedNs))× | ≥ 0.5× |")
print("| random ids, one document | no cache, no de-duplication | \(Int(1e9 / uncachedNoDedupNs)) | \(Int(1e9 / hmacNs)) | \(format(hmacNs / uncachedNoDedupNs))× | |")
if let idsFile {
    let data = try Data(contentsOf: URL(fileURLWithPath: idsFile))
    let textIDs = try TokenIDParser.parse(data)
    let label = "real text, \((idsFile as NSString).lastPathComponent)"
    let (off, scored) = try detectionNanosecondsPerTuple(textIDs, cache: false, documentLength: 1000)
    let (on, _) = try detectionNanosecondsPerTuple(textIDs, cache: true, documentLength: 1000)
    print("| \(label): \(textIDs.count) tokens in documents of 1 000, \(scored) distinct tuples | no cache | \(Int(1e9 / off)) | \(Int(1e9 / hmacNs)) | \(format(hmacNs / off))× | ≥ 0.5× |")
    print("| \(label) | seed cache | \(Int(1e9 / on)) | \(Int(1e9 / hmacNs)) | \(format(hmacNs / on))× | |")
    print("\nOn this text the seed cache makes detection \(format(off / on))× faster.")
}

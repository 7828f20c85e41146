/// The fuzz targets: one entry function per hostile-input surface of the package.
///
/// Shared by the `WatermarkFuzz` executable (libFuzzer's callback when built with
/// `-sanitize=fuzzer -DFUZZING`, a replay driver otherwise) and `FuzzReplayTests`, so the
/// fuzzer and the regression replay run exactly the same code. Each entry function takes any
/// bytes and returns: a thrown error is the expected answer to hostile input and is dropped;
/// a trap (overflow, index out of range, failed allocation, `fatalError` on a broken
/// property) is a finding. See docs/FUZZING.md.
public enum FuzzTarget: String, CaseIterable, Sendable {
    /// `GGUFFile(path:)` on the input written to a file, then every metadata value and every
    /// tensor's bytes.
    case gguf
    /// `BPETokenizer(gguf:)` on a GGUF file parsed from the input, then encode/decode.
    case ggufTokenizer = "gguf-tokenizer"
    /// `BPETokenizer(tokenizerJSON:source:)`, then encode/decode.
    case tokenizerJSON = "tokenizer-json"
    /// `BPETokenizer(tiktokenRankData:pattern:specialTokens:normalization:source:)`, then
    /// encode/decode; the pattern, normalisation and special tokens are chosen by a hash of the input.
    case tiktoken
    /// `WatermarkKey(parsing:)`, then keyID, the hex round trip and a detection with the key.
    case key
    /// `CalibrationFile.decode(_:)`, then `threshold(for:)`, `mismatch(...)`, what the CLI
    /// prints about it, and a `DetectionPipeline` made with it (retargeted at a fixed key).
    case calibration
    /// `CommonTuples.decode(_:source:)`, then `check`, the encode/decode round trip and a
    /// detection that skips the list.
    case commonTuples = "common-tuples"
    /// `TokenIDParser` fed in two chunks, `TokenIDParser.parse`, and
    /// `DetectionPipeline.detect(idStream:)` over the input as a file.
    case ids
    /// `JSONLinesDocument.parse(_:)` on every line, the lines split both by hand and by
    /// `LineReader` over a `ByteStream`; each document then goes through detection.
    case jsonl

    /// The public entry point the target feeds, for listings and docs/FUZZING.md.
    public var entryPoint: String {
        switch self {
        case .gguf: return "GGUFFile(path:)"
        case .ggufTokenizer: return "BPETokenizer(gguf:)"
        case .tokenizerJSON: return "BPETokenizer(tokenizerJSON:source:)"
        case .tiktoken: return "BPETokenizer(tiktokenRankData:pattern:specialTokens:normalization:source:)"
        case .key: return "WatermarkKey(parsing:)"
        case .calibration: return "CalibrationFile.decode(_:)"
        case .commonTuples: return "CommonTuples.decode(_:source:)"
        case .ids: return "TokenIDParser.feed/finish, TokenIDParser.parse"
        case .jsonl: return "JSONLinesDocument.parse(_:), LineReader"
        }
    }

    /// The largest input libFuzzer should make (`-max_len`): the size of a realistic file
    /// with room to spare, so time goes into structure rather than into megabytes of noise.
    public var maximumInputLength: Int {
        switch self {
        case .gguf, .ggufTokenizer: return 16384
        // Kept small: every byte of a tokenizer definition is parsed by Foundation's JSON
        // reader, and the vocabulary sizes worth trying need few bytes.
        case .tokenizerJSON: return 8192
        case .tiktoken: return 8192
        case .key: return 256
        case .calibration, .commonTuples: return 8192
        case .ids, .jsonl: return 4096
        }
    }

    /// Runs the target on one input. Never throws; traps on a finding.
    public func run(_ data: [UInt8]) {
        switch self {
        case .gguf: Targets.gguf(data)
        case .ggufTokenizer: Targets.ggufTokenizer(data)
        case .tokenizerJSON: Targets.tokenizerJSON(data)
        case .tiktoken: Targets.tiktoken(data)
        case .key: Targets.key(data)
        case .calibration: Targets.calibration(data)
        case .commonTuples: Targets.commonTuples(data)
        case .ids: Targets.ids(data)
        case .jsonl: Targets.jsonl(data)
        }
    }

    /// Runs the target on the bytes libFuzzer hands over.
    public func run(_ base: UnsafePointer<UInt8>?, _ count: Int) {
        run(count == 0 || base == nil ? [] : Array(UnsafeBufferPointer(start: base, count: count)))
    }
}

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif
import Foundation
import Tokenizer
import Watermark

/// What the targets share: a scratch file for entry points that take a path, a hash that
/// picks options from the input, the fixed key and tokenizer detection runs with.
enum Fuzz {
    /// FNV-1a over the input: picks options (pattern, split point, chunk size) so that every
    /// corpus file stays a plain file of its format, and one input always means one run.
    static func hash(_ data: [UInt8]) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in data { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return h
    }

    /// The directory scratch files go to: /dev/shm when it is there (no disk traffic at
    /// thousands of runs a second), else $TMPDIR, else /tmp.
    static let scratchDirectory: String = {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: "/dev/shm", isDirectory: &isDirectory), isDirectory.boolValue,
            access("/dev/shm", W_OK) == 0
        {
            return "/dev/shm"
        }
        return ProcessInfo.processInfo.environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
    }()

    /// Writes `data` to a file of this process's own, runs `body` with its path, removes it.
    static func withScratchFile<R>(_ data: [UInt8], name: String, _ body: (String) -> R) -> R {
        let path = "\(scratchDirectory)/watermark-fuzz-\(getpid())-\(name)"
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { fatalError("fuzz harness: cannot create \(path) (errno \(errno))") }
        var written = 0
        data.withUnsafeBytes { raw in
            while written < raw.count {
                let n = write(fd, raw.baseAddress! + written, raw.count - written)
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { fatalError("fuzz harness: cannot write \(path) (errno \(errno))") }
                written += n
            }
        }
        close(fd)
        defer { unlink(path) }
        return body(path)
    }

    /// The key detection runs with (the brief's fixed key: 32 bytes of 1).
    static let key: WatermarkKey = {
        do { return try WatermarkKey(bytes: [UInt8](repeating: 1, count: 32)) } catch {
            fatalError("fuzz harness: fixed key: \(error)")
        }
    }()

    /// A tiny byte-level tokenizer built in code: the 256 single bytes as tiktoken ranks, plus
    /// a few merges, with the GPT-2 split rules.
    static let tokenizer: BPETokenizer = {
        var lines = (0..<256).map { "\(Data([UInt8($0)]).base64EncodedString()) \($0)" }
        for (i, token) in ["th", "he", "the", " t", " the", "in", "ing", " a", "er"].enumerated() {
            lines.append("\(Data(token.utf8).base64EncodedString()) \(256 + i)")
        }
        do {
            return try BPETokenizer(
                tiktokenRankData: Data(lines.joined(separator: "\n").utf8), pattern: .gpt2,
                specialTokens: ["<|endoftext|>": 265], source: "fuzz tiny tokenizer")
        } catch {
            fatalError("fuzz harness: tiny tokenizer: \(error)")
        }
    }()

    /// The ids a target scores when it needs a document: 40 ids of the tiny tokenizer.
    static let sampleIDs: [UInt32] = (0..<40).map { UInt32(($0 * 37 + 11) % 265) }

    /// With WATERMARK_FUZZ_TRACE=1, says how far an input got (to check that seeds reach
    /// the code after the parser); silent otherwise.
    static let tracing = ProcessInfo.processInfo.environment["WATERMARK_FUZZ_TRACE"] == "1"

    static func trace(_ message: @autoclosure () -> String) {
        if tracing { FileHandle.standardError.write(Data("  \(message())\n".utf8)) }
    }

    /// Keeps a value alive and used, so the optimiser cannot drop the work that made it.
    @inline(never)
    static func consume<T>(_ value: T) {
        withExtendedLifetime(value) {}
    }
}

// The CLI's own formatting of results and calibration files is compiled in here from
// Sources/WatermarkCLI (CLI/DetectionSummary.swift and CLI/CalibrationSummary.swift are
// symbolic links: an executable target cannot be imported by a library), so the targets run
// exactly what `watermark detect` and `watermark calibrate` print. Those two files must keep
// needing nothing but Detection and Foundation.

import ArgumentParser
import Detection
import Foundation
import SystemSupport

/// The documents of one run: each gets the next index, a bad one is reported and the run goes
/// on, and the exit status says how it went (grep's: 2 if any document had an error).
struct Batch {
    let json: Bool
    private(set) var nextIndex = 0
    /// Whether the `--highlight` legend has been printed (once per run).
    var legendShown = false
    private(set) var failures = 0
    private var anyWatermarked = false

    init(json: Bool) { self.json = json }

    mutating func scored(watermarked: Bool = false) {
        anyWatermarked = anyWatermarked || watermarked
        nextIndex += 1
    }

    /// Reports a document that could not be scored: one line on stderr and, with `--json`, a
    /// record in the output where its result would have been.
    mutating func fail(_ message: String, source: String, id: JSONValue? = nil) {
        Console.error(message)
        if json { print(JSONLine.string(encoding: DocumentFailure(source: source, index: nextIndex, id: id, error: oneLine(message)))) }
        failures += 1
        nextIndex += 1
    }

    /// Walks the inputs of a command: each path (or standard input for none) is one document,
    /// or with `jsonLines` each non-blank line is. A document whose handler throws a
    /// `CLIFailure` is reported in place and the walk goes on; an input that cannot be opened
    /// or read further is reported once.
    mutating func forEach(input paths: [String], chunkBytes: Int = 1 << 16, jsonLines: Bool,
                          line: (_ line: [UInt8], _ source: String, _ batch: inout Batch) throws -> Void,
                          whole: (_ stream: ByteStream, _ batch: inout Batch) throws -> Void) throws {
        for path in paths.isEmpty ? ["-"] : paths {
            let stream: ByteStream
            do { stream = try ByteStream(path: path, chunkSize: chunkBytes) } catch {
                fail(error.description, source: path)
                continue
            }
            guard jsonLines else {
                do { try whole(stream, &self) } catch let failure as CLIFailure { fail(failure.message, source: stream.name) }
                continue
            }
            var lines = LineReader(stream: stream)
            while true {
                let next: [UInt8]?
                do { next = try lines.nextLine() } catch {
                    fail(error.description, source: error.source)  // the rest of this input cannot be read
                    break
                }
                guard let next else { break }
                if next.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { continue }
                let source = "\(stream.name):\(lines.lineNumber)"
                do { try line(next, source, &self) } catch let failure as CLIFailure { fail(failure.message, source: source) }
            }
        }
    }

    /// 2 if any document had an error; otherwise 0 if any was watermarked (or, with
    /// `succeeded`, for a command that finds nothing), else 1.
    func finish(succeeded: Bool = false) throws {
        fflush(nil)
        if failures > 0 { throw ExitCode(2) }
        if !anyWatermarked && !succeeded { throw ExitCode(1) }
    }
}

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

    /// One document of a run, as the walk finds it: a JSON Lines line, a whole input to
    /// stream, or an input that could not be read (reported in its place).
    struct Job: Sendable {
        enum Content: Sendable {
            case line([UInt8])
            case whole(path: String)
            case failed(String)
        }

        /// The path (`<stdin>` for `-`), or `path:line` for JSON Lines.
        let source: String
        /// The document's place in the run, from 0.
        let index: Int
        let content: Content
    }

    /// Walks the inputs of a command in order: each path (or standard input for none) is one
    /// document, or with `jsonLines` each non-blank line is. An input that cannot be opened or
    /// read further becomes one failed job, and the walk goes on with the next input.
    static func walk(input paths: [String], chunkBytes: Int = 1 << 16, jsonLines: Bool, _ submit: (Job) throws -> Void) throws {
        var index = 0
        func next(_ source: String, _ content: Job.Content) throws {
            try submit(Job(source: source, index: index, content: content))
            index += 1
        }
        for path in paths.isEmpty ? ["-"] : paths {
            guard jsonLines else {
                try next(path == "-" ? "<stdin>" : path, .whole(path: path))
                continue
            }
            let stream: ByteStream
            do { stream = try ByteStream(path: path, chunkSize: chunkBytes) } catch {
                try next(path, .failed(error.description))
                continue
            }
            var lines = LineReader(stream: stream)
            while true {
                let line: [UInt8]?
                do { line = try lines.nextLine() } catch {
                    try next(error.source, .failed(error.description))  // the rest of this input cannot be read
                    break
                }
                guard let line else { break }
                if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { continue }
                try next("\(stream.name):\(lines.lineNumber)", .line(line))
            }
        }
    }

    /// Walks the inputs on this thread (see ``walk(input:chunkBytes:jsonLines:_:)``): a
    /// document whose handler throws a `CLIFailure` is reported in place and the walk goes on.
    mutating func forEach(input paths: [String], chunkBytes: Int = 1 << 16, jsonLines: Bool,
                          line: (_ line: [UInt8], _ source: String, _ batch: inout Batch) throws -> Void,
                          whole: (_ stream: ByteStream, _ batch: inout Batch) throws -> Void) throws {
        try Self.walk(input: paths, chunkBytes: chunkBytes, jsonLines: jsonLines) { job in
            switch job.content {
            case .failed(let message):
                fail(message, source: job.source)
            case .line(let bytes):
                do { try line(bytes, job.source, &self) } catch let failure as CLIFailure { fail(failure.message, source: job.source) }
            case .whole(let path):
                let stream: ByteStream
                do throws(InputError) { stream = try ByteStream(path: path, chunkSize: chunkBytes) } catch {
                    fail(error.description, source: path)
                    return
                }
                do { try whole(stream, &self) } catch let failure as CLIFailure { fail(failure.message, source: stream.name) }
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

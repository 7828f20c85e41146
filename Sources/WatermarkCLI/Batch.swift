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

    /// 2 if any document had an error; otherwise 0 if any was watermarked (or, with
    /// `succeeded`, for a command that finds nothing), else 1.
    func finish(succeeded: Bool = false) throws {
        fflush(nil)
        if failures > 0 { throw ExitCode(2) }
        if !anyWatermarked && !succeeded { throw ExitCode(1) }
    }
}

import ArgumentParser
import Detection
import Foundation

/// `--skip-common FILE`, shared by `detect` and `calibrate`, which must agree on it.
struct CommonTupleOptions: ParsableArguments {
    @Option(name: .customLong("skip-common"),
            help: ArgumentHelp("Leave out the tuples on this list from 'watermark common-tuples' (steadier false-positive rate for one key on one kind of text).",
                               valueName: "file"))
    var path: String?

    @Flag(name: .customLong("no-skip-common"), help: "Score every tuple (the default; the lists in Tools/common-tuples stay opt-in, see docs/EVALUATION.md).")
    var noSkipCommon = false

    func validate() throws {
        if noSkipCommon && path != nil { throw ValidationError("--no-skip-common and --skip-common FILE contradict each other; give one") }
    }

    /// The list, read and checked in itself; the detection pipeline checks that it fits.
    func load() throws -> CommonTuples? {
        guard let path else { return nil }
        do { return try CommonTuples.load(path: path) } catch {
            throw CLIFailure(error.description)
        }
    }
}

import ArgumentParser
import Detection
import Foundation

/// `--skip-common FILE`, shared by `detect` and `calibrate`, which must agree on it.
struct CommonTupleOptions: ParsableArguments {
    @Option(name: .customLong("skip-common"),
            help: ArgumentHelp("Leave out the tuples on this list from 'watermark common-tuples' (steadier false-positive rate for one key on one kind of text).",
                               valueName: "file"))
    var path: String?

    /// The list, checked against the tokenizer and context width in use.
    func load(tokenizer input: TextInput, contextWidth: Int) throws -> CommonTuples? {
        guard let path else { return nil }
        let list: CommonTuples
        do { list = try CommonTuples.decode(Data(try ByteStream(path: path).readAll(limit: 256 << 20)), source: path) } catch {
            throw CLIFailure(error.description)
        }
        let tokenizer = try input.tokenizer()
        guard list.tokenizer.fingerprint == tokenizer.fingerprint else {
            throw CLIFailure("\(path): was made for another tokenizer (\(list.tokenizer.name), fingerprint \(list.tokenizer.fingerprint.prefix(16))…)")
        }
        guard list.contextWidth == contextWidth else {
            throw CLIFailure("\(path): was made for context width \(list.contextWidth), not \(contextWidth)")
        }
        let normalization = input.normalization
        if list.normalization != normalization {
            // Still a valid test (the list does not depend on the key), only a less apt one.
            Console.warning("\(path): was counted on text with normalisation \(list.normalization), and this text has \(normalization)")
        }
        return list
    }
}

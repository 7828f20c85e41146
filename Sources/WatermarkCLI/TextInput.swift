import Detection

/// Turns text documents into token ids for detection.
///
/// The tokenizer is loaded on first use, so `--jsonl` input that carries only ids never
/// needs one.
final class TextInput {
    /// One text document is held in memory whole; larger inputs should come as JSON Lines.
    static let maximumDocumentBytes = 1 << 30
    let tokenizerPath: String?

    init(tokenizerPath: String?) {
        self.tokenizerPath = tokenizerPath
    }

    static func require(_ input: TextInput?, source: String) throws -> TextInput {
        guard let input else { throw InputError(source: source, problem: "is text, but --ids was given") }
        return input
    }

    func tokenize(bytes: [UInt8], source: String) throws -> (ids: [UInt32], pieces: [String]?) {
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw InputError(source: source, problem: "is not valid UTF-8 text")
        }
        return try tokenize(text, source: source)
    }

    func tokenize(_ text: String, source: String) throws -> (ids: [UInt32], pieces: [String]?) {
        if text.isEmpty { throw InputError(source: source, problem: "the text is empty") }
        throw InputError(source: source, problem: "text input needs a tokenizer, which this build does not have yet; pass token ids with --ids")
    }
}

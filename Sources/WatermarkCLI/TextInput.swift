import Detection
import Tokenizer

/// Turns text documents into token ids for detection.
///
/// The tokenizer is loaded on first use, so `--jsonl` input that carries only ids never needs
/// one. Special-token text in the input is encoded as plain text: someone submitting text for
/// detection must not be able to inject `<|im_end|>` and change how it is split.
final class TextInput {
    /// One text document is held in memory whole; larger inputs should come as JSON Lines.
    static let maximumDocumentBytes = 1 << 30
    let tokenizerPath: String?
    private var loaded: BPETokenizer?

    init(tokenizerPath: String?) {
        self.tokenizerPath = tokenizerPath
    }

    static func require(_ input: TextInput?, source: String) throws -> TextInput {
        guard let input else { throw InputError(source: source, problem: "is text, but --ids was given") }
        return input
    }

    func tokenizer() throws -> BPETokenizer {
        if let loaded { return loaded }
        let path = try tokenizerPath ?? DefaultModel.requirePath(for: "tokenizer")
        do {
            let tokenizer = try BPETokenizer.load(path: path)
            loaded = tokenizer
            return tokenizer
        } catch let error as TokenizerError {
            throw CLIFailure(error.description)
        } catch {
            throw CLIFailure("\(path): \(error)")
        }
    }

    /// Tokenizes a text stream block by block, handing ids to `emit`, so that a text of any
    /// size is detected in bounded memory; the ids equal those of the whole text at once
    /// (`BPETokenizer.StreamEncoder` cuts only where no piece can cross). Invalid UTF-8 is an
    /// error rather than U+FFFD: a detector must not quietly score text it could not read.
    func tokenizeStream(_ stream: ByteStream, keepPieces: Bool,
                        emit: ([UInt32]) throws -> Void) throws -> (bytes: Int, pieces: [String]?) {
        let tokenizer = try tokenizer()
        var encoder = BPETokenizer.StreamEncoder(tokenizer: tokenizer, specialTokens: .plainText)
        var validator = UTF8Validator()
        var pieces: [String]? = keepPieces ? [] : nil
        func deliver(_ raw: [UInt32]) throws {
            // SCHEME.md: special and control tokens are dropped before scoring.
            let ids = raw.filter { !tokenizer.isSpecial($0) }
            if keepPieces { pieces! += ids.map { String(decoding: tokenizer.tokenBytes(for: $0) ?? [], as: UTF8.self) } }
            try emit(ids)
        }
        while let chunk = try stream.nextChunk() {
            guard validator.feed(chunk) else {
                throw InputError(source: stream.name, problem: "is not valid UTF-8 text (byte \(validator.offset))")
            }
            try deliver(encoder.encode(chunk))
        }
        guard validator.isComplete else {
            throw InputError(source: stream.name, problem: "is not valid UTF-8 text (it ends inside a character)")
        }
        if validator.offset == 0 { throw InputError(source: stream.name, problem: "the text is empty") }
        try deliver(encoder.finish())
        return (validator.offset, pieces)
    }

    func tokenize(bytes: [UInt8], source: String) throws -> (ids: [UInt32], pieces: [String]?) {
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw InputError(source: source, problem: "is not valid UTF-8 text")
        }
        return try tokenize(text, source: source)
    }

    func tokenize(_ text: String, source: String) throws -> (ids: [UInt32], pieces: [String]?) {
        if text.isEmpty { throw InputError(source: source, problem: "the text is empty") }
        let tokenizer = try tokenizer()
        // SCHEME.md: special and control tokens are dropped before scoring.
        let ids = tokenizer.encode(text, specialTokens: .plainText).filter { !tokenizer.isSpecial($0) }
        let pieces = ids.map { String(decoding: tokenizer.tokenBytes(for: $0) ?? [], as: UTF8.self) }
        return (ids, pieces)
    }
}

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
    /// Apply `TextNormalizer` before tokenizing (zero-width, homoglyph, whitespace and emoji tricks).
    let normalize: Bool
    private var loaded: BPETokenizer?

    init(tokenizerPath: String?, normalize: Bool = true) {
        self.tokenizerPath = tokenizerPath
        self.normalize = normalize
    }

    static func require(_ input: TextInput?, source: String) throws -> TextInput {
        guard let input else { throw InputError(source: source, problem: "is text, but --ids was given") }
        return input
    }

    /// The normalisation as calibration and common-tuple files name it.
    var normalization: String { normalize ? TextNormalizer.version : "none" }

    /// The tokenizer's file name, for calibration and common-tuple files (they also hold its fingerprint).
    var tokenizerName: String {
        (tokenizerPath ?? DefaultModel.path).split(separator: "/").last.map(String.init) ?? ""
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
        // Normalisation looks at neighbouring characters, so it runs on whole lines: the text
        // up to the last newline of what was read, the rest waiting for the next block.
        var held: [UInt8] = []
        func feed(_ bytes: ArraySlice<UInt8>) throws {
            guard normalize else { return try deliver(encoder.encode(bytes)) }
            let text = String(decoding: bytes, as: UTF8.self)
            try deliver(encoder.encode(Array(TextNormalizer.normalize(text).utf8)))
        }
        while let chunk = try stream.nextChunk() {
            guard validator.feed(chunk) else {
                throw InputError(source: stream.name, problem: "is not valid UTF-8 text (byte \(validator.offset))")
            }
            guard normalize else { try feed(chunk); continue }
            held.append(contentsOf: chunk)
            if let newline = held.lastIndex(of: 0x0A) {
                try feed(held[...newline])
                held.removeFirst(newline + 1)
            } else if held.count > TextNormalizer.maximumLine {
                // One enormous line: cut it at a space, where no rule looks across.
                let cut = held.lastIndex(of: 0x20) ?? (held.count - 1)
                try feed(held[...cut])
                held.removeFirst(cut + 1)
            }
        }
        guard validator.isComplete else {
            throw InputError(source: stream.name, problem: "is not valid UTF-8 text (it ends inside a character)")
        }
        if validator.offset == 0 { throw InputError(source: stream.name, problem: "the text is empty") }
        try feed(held[...])
        try deliver(encoder.finish())
        return (validator.offset, pieces)
    }

    func tokenize(_ text: String, source: String) throws -> (ids: [UInt32], pieces: [String]?) {
        if text.isEmpty { throw InputError(source: source, problem: "the text is empty") }
        let tokenizer = try tokenizer()
        let text = normalize ? TextNormalizer.normalize(text) : text
        // SCHEME.md: special and control tokens are dropped before scoring.
        let ids = tokenizer.encode(text, specialTokens: .plainText).filter { !tokenizer.isSpecial($0) }
        let pieces = ids.map { String(decoding: tokenizer.tokenBytes(for: $0) ?? [], as: UTF8.self) }
        return (ids, pieces)
    }
}

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

    /// Tokenizes a text stream piece by piece, handing ids to `emit`, so that a text of any
    /// size is detected in bounded memory. Returns the pieces too when `keepPieces` is set.
    ///
    /// A chunk ends only where an ASCII letter, a space and an ASCII letter meet: every
    /// pre-tokenizer here (GPT-2, SmolLM, Llama 3, Qwen 2) ends a piece before such a space and
    /// starts the next at it, and normalisation cannot combine across it, so the ids equal
    /// those of the whole text at once (a test holds the CLI to that).
    func tokenizeStream(_ stream: ByteStream, keepPieces: Bool, chunkTarget: Int = 1 << 20,
                        emit: ([UInt32]) throws -> Void) throws -> (bytes: Int, pieces: [String]?) {
        let tokenizer = try tokenizer()
        var pending: [UInt8] = []
        var total = 0
        var pieces: [String]? = keepPieces ? [] : nil
        func flush(_ count: Int) throws {
            guard count > 0 else { return }
            guard let text = String(validating: pending[..<count], as: UTF8.self) else {
                throw InputError(source: stream.name, problem: "is not valid UTF-8 text (near byte \(total - pending.count))")
            }
            let ids = tokenizer.encode(text, specialTokens: .plainText).filter { !tokenizer.isSpecial($0) }
            if keepPieces { pieces! += ids.map { String(decoding: tokenizer.tokenBytes(for: $0) ?? [], as: UTF8.self) } }
            try emit(ids)
            pending.removeFirst(count)
        }
        while let chunk = try stream.nextChunk() {
            pending.append(contentsOf: chunk)
            total += chunk.count
            guard pending.count >= chunkTarget else { continue }
            if let split = Self.safeSplit(in: pending) {
                try flush(split)
            } else if pending.count > Self.maximumUnsplittable {
                throw InputError(source: stream.name, problem: "has \(Self.maximumUnsplittable) bytes without a word boundary to split the stream at")
            }
        }
        if total == 0 { throw InputError(source: stream.name, problem: "the text is empty") }
        try flush(pending.count)
        return (total, pieces)
    }

    static let maximumUnsplittable = 64 << 20

    /// The last index `i` with `bytes[i-1]` an ASCII letter, `bytes[i]` a space and
    /// `bytes[i+1]` an ASCII letter; the chunk ends before the space.
    static func safeSplit(in bytes: [UInt8]) -> Int? {
        func isLetter(_ b: UInt8) -> Bool { (b | 0x20) >= UInt8(ascii: "a") && (b | 0x20) <= UInt8(ascii: "z") }
        var i = bytes.count - 2
        while i >= 1 {
            if bytes[i] == 0x20, isLetter(bytes[i + 1]), isLetter(bytes[i - 1]) { return i }
            i -= 1
        }
        return nil
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

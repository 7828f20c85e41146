/// How text is split into pieces before byte-pair merging. Each case is a hand-written
/// scanner equivalent to the reference regular expression; letters, numbers, marks and
/// whitespace follow the Unicode tables Swift ships.
public enum PreTokenizer: String, Sendable, CaseIterable, CustomStringConvertible {
    /// GPT-2: `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`.
    case gpt2
    /// SmolLM (`pre = "smollm"`): every `\p{N}` scalar is its own piece, then GPT-2 rules
    /// on the text between (Hugging Face `Digits(individual_digits) + ByteLevel`).
    case smollm
    /// Llama 3: `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|
    /// ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`.
    case llama3
    /// OpenAI cl100k as tiktoken writes it today: the Llama 3 rules, except that whitespace
    /// reaching the end of the text is one piece (`\s++$` comes before `\s*[\r\n]`).
    case cl100k
    /// Qwen 2 / 2.5: the Llama 3 rules with single-digit numbers (`\p{N}`).
    case qwen2
    /// Qwen 3.5 / 3.6: the Qwen 2 rules with marks joining letters:
    /// `[^\r\n\p{L}\p{N}]?[\p{L}\p{M}]+` and ` ?[^\s\p{L}\p{M}\p{N}]+[\r\n]*`.
    case qwen35
    /// OpenAI o200k: case-aware word pieces with attached contractions, `\p{N}{1,3}`, and
    /// `/` kept with trailing newlines after punctuation.
    case o200k

    public var description: String { rawValue }

    /// Appends the end offsets of the pieces of `[start, end)` in `text`.
    func split(_ text: UTF8Text, _ start: Int, _ end: Int, into ends: inout [Int]) {
        switch self {
        case .gpt2: Scanners.gpt2(text, start, end, &ends)
        case .smollm: Scanners.smollm(text, start, end, &ends)
        case .llama3: Scanners.cl100k(text, start, end, maxDigits: 3, &ends)
        case .cl100k: Scanners.cl100k(text, start, end, maxDigits: 3, wholeTrailingWhitespace: true, &ends)
        case .qwen2: Scanners.cl100k(text, start, end, maxDigits: 1, &ends)
        case .qwen35: Scanners.cl100k(text, start, end, maxDigits: 1, lettersWithMarks: true, &ends)
        case .o200k: Scanners.o200k(text, start, end, &ends)
        }
    }

    /// The pieces of `text` (for inspection and tests; the encoder does not build strings).
    public func pieces(of text: String) -> [String] {
        var text = text
        return text.withUTF8 { buf -> [String] in
            guard let base = buf.baseAddress, buf.count > 0 else { return [] }
            var ends: [Int] = []
            split(UTF8Text(base), 0, buf.count, into: &ends)
            var out: [String] = []
            var start = 0
            for e in ends {
                out.append(String(decoding: UnsafeBufferPointer(rebasing: buf[start..<e]), as: UTF8.self))
                start = e
            }
            return out
        }
    }

    /// The scanner for a GGUF `tokenizer.ggml.pre` name, as llama.cpp names them.
    public init?(ggufName: String) {
        switch ggufName {
        case "gpt2", "gpt-2": self = .gpt2
        case "smollm": self = .smollm
        case "llama-bpe", "llama3", "llama-v3": self = .llama3
        case "qwen2", "qwen2.5": self = .qwen2
        case "qwen35": self = .qwen35
        case "gpt-4o": self = .o200k
        default: return nil
        }
    }
}

/// Text normalization applied before pre-tokenization.
public enum Normalization: String, Sendable, CustomStringConvertible {
    /// None (GPT-2, SmolLM, Llama 3).
    case none
    /// Unicode NFC (Qwen 2).
    case nfc

    public var description: String { rawValue }
}

import Tokenizer

/// Turns tokens into text as they are generated, holding back the bytes of a UTF-8 character
/// split across tokens until it is complete, so a front end can show text as it is written.
public struct StreamingTextDecoder {
    public let tokenizer: BPETokenizer
    private var pending: [UInt8] = []

    public init(tokenizer: BPETokenizer) { self.tokenizer = tokenizer }

    /// The text that `token` completes (special tokens give none); invalid sequences, which
    /// cannot become valid, come out as U+FFFD.
    public mutating func append(_ token: UInt32) -> String {
        guard !tokenizer.isSpecial(token), let bytes = tokenizer.tokenBytes(for: token) else { return "" }
        pending += bytes
        let complete = Self.completePrefix(pending)
        guard complete > 0 else { return "" }
        defer { pending.removeFirst(complete) }
        return String(decoding: pending[..<complete], as: UTF8.self)
    }

    /// Whatever is still held back.
    public mutating func finish() -> String {
        defer { pending.removeAll() }
        return String(decoding: pending, as: UTF8.self)
    }

    /// Length of `bytes` without a trailing, still incomplete UTF-8 sequence.
    static func completePrefix(_ bytes: [UInt8]) -> Int {
        let n = bytes.count
        var i = n - 1
        var back = 0
        while i >= 0 && back < 3 && bytes[i] & 0xC0 == 0x80 {
            i -= 1
            back += 1
        }
        guard i >= 0 else { return n }
        let lead = bytes[i]
        let needed = lead >= 0xF0 && lead < 0xF8 ? 4 : lead >= 0xE0 && lead < 0xF0 ? 3 : lead >= 0xC0 && lead < 0xE0 ? 2 : 1
        return needed > n - i ? i : n
    }
}

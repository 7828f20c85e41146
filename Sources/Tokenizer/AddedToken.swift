/// A token matched in the raw text before pre-tokenization (Hugging Face "added tokens";
/// GGUF CONTROL and USER_DEFINED tokens).
public struct AddedToken: Sendable, Hashable {
    /// Its id.
    public var id: UInt32
    /// The exact text it matches.
    public var content: String
    /// A special (control) token such as `<|im_end|>`: recognised only with
    /// ``BPETokenizer/SpecialTokenHandling/parse``. Non-special added tokens are always recognised.
    public var isSpecial: Bool
    /// Whitespace to the left of a match is absorbed into the token.
    public var leftStrip: Bool
    /// Whitespace to the right of a match is absorbed into the token.
    public var rightStrip: Bool
    /// Matches only when not adjacent to a letter or digit.
    public var singleWord: Bool

    public init(
        id: UInt32, content: String, isSpecial: Bool, leftStrip: Bool = false, rightStrip: Bool = false,
        singleWord: Bool = false
    ) {
        self.id = id
        self.content = content
        self.isSpecial = isSpecial
        self.leftStrip = leftStrip
        self.rightStrip = rightStrip
        self.singleWord = singleWord
    }
}

/// Finds added tokens in text: leftmost match, longest at that position, as the reference's
/// Aho-Corasick (leftmost-longest) does.
struct AddedTokenMatcher: Sendable {
    private struct Candidate: Sendable {
        var bytes: [UInt8]
        var token: AddedToken
    }

    private let candidates: [[Candidate]]  // by first byte, longest first
    private let firstBytes: [Bool]
    let isEmpty: Bool

    init(_ tokens: [AddedToken]) {
        var byFirst = [[Candidate]](repeating: [], count: 256)
        for t in tokens where !t.content.isEmpty {
            let b = Array(t.content.utf8)
            byFirst[Int(b[0])].append(Candidate(bytes: b, token: t))
        }
        for i in 0..<256 { byFirst[i].sort { $0.bytes.count > $1.bytes.count } }
        candidates = byFirst
        firstBytes = byFirst.map { !$0.isEmpty }
        isEmpty = tokens.allSatisfy { $0.content.isEmpty }
    }

    struct Match {
        var start: Int
        var end: Int
        var id: UInt32
    }

    /// The next match in `p[from..<n]`, with strip-extended bounds (never before `from`).
    func next(in p: UnsafePointer<UInt8>, _ n: Int, from: Int) -> Match? {
        if isEmpty { return nil }
        var i = from
        while i < n {
            if !firstBytes[Int(p[i])] {
                i += 1
                continue
            }
            var skipTo = -1
            for c in candidates[Int(p[i])] {
                let len = c.bytes.count
                guard i + len <= n else { continue }
                let equal = c.bytes.withUnsafeBufferPointer { bytesEqual($0.baseAddress!, p + i, len) }
                guard equal else { continue }
                if c.token.singleWord && (isWordBefore(p, i, from) || isWordAfter(p, i + len, n)) {
                    // The reference consumes this match and drops it; text under it stays text.
                    skipTo = i + len
                    break
                }
                var start = i
                var end = i + len
                if c.token.leftStrip {
                    while start > from, let (s, w) = scalarBefore(p, start, from), w { start = s }
                }
                if c.token.rightStrip {
                    while end < n, let (e, w) = scalarAfter(p, end, n), w { end = e }
                }
                return Match(start: start, end: end, id: c.token.id)
            }
            i = skipTo >= 0 ? skipTo : i + 1
        }
        return nil
    }

    /// Start of the scalar ending at `i` and whether it is whitespace.
    private func scalarBefore(_ p: UnsafePointer<UInt8>, _ i: Int, _ from: Int) -> (Int, Bool)? {
        var s = i - 1
        while s > from && p[s] & 0xC0 == 0x80 { s -= 1 }
        guard s >= from else { return nil }
        let v = UTF8Text(p).scalar(at: s).value
        return (s, Unicode.Scalar(v)?.properties.isWhitespace ?? false)
    }

    private func scalarAfter(_ p: UnsafePointer<UInt8>, _ i: Int, _ n: Int) -> (Int, Bool)? {
        let (v, len) = UTF8Text(p).scalar(at: i)
        guard i + len <= n else { return nil }
        return (i + len, Unicode.Scalar(v)?.properties.isWhitespace ?? false)
    }

    private func isWord(_ v: UInt32) -> Bool {
        guard let s = Unicode.Scalar(v) else { return false }
        if s.properties.isAlphabetic { return true }
        switch s.properties.generalCategory {
        case .decimalNumber, .letterNumber, .otherNumber: return true
        default: return false
        }
    }

    private func isWordBefore(_ p: UnsafePointer<UInt8>, _ i: Int, _ from: Int) -> Bool {
        guard i > 0 else { return false }
        var s = i - 1
        while s > 0 && p[s] & 0xC0 == 0x80 { s -= 1 }
        return isWord(UTF8Text(p).scalar(at: s).value)
    }

    private func isWordAfter(_ p: UnsafePointer<UInt8>, _ i: Int, _ n: Int) -> Bool {
        guard i < n else { return false }
        return isWord(UTF8Text(p).scalar(at: i).value)
    }
}

/// Edits that people make to watermarked text to hide it, applied deterministically from a
/// seed so that every robustness figure can be reproduced.
public enum TextAttack: Sendable, Hashable, CustomStringConvertible {
    /// Each word is deleted with probability `rate`.
    case deleteWords(rate: Double)
    /// After each word, a word drawn from the same text is inserted with probability `rate`.
    case insertWords(rate: Double)
    /// Each word is replaced by a word drawn from the same text with probability `rate`.
    case substituteWords(rate: Double)
    /// Each word's case is changed (upper, lower or capitalised at random) with probability `rate`.
    case changeCase(rate: Double)
    /// Each space becomes a no-break or other exotic space with probability `rate`.
    case exoticWhitespace(rate: Double)
    /// A zero-width space is put inside each word with probability `rate`.
    case zeroWidth(rate: Double)
    /// Each Latin letter with a Cyrillic look-alike is swapped with probability `rate`.
    case homoglyphs(rate: Double)
    /// An emoji is put after each word with probability `rate`.
    case emoji(rate: Double)

    public var description: String {
        switch self {
        case .deleteWords(let r): return "delete-\(Self.percent(r))"
        case .insertWords(let r): return "insert-\(Self.percent(r))"
        case .substituteWords(let r): return "substitute-\(Self.percent(r))"
        case .changeCase(let r): return "case-\(Self.percent(r))"
        case .exoticWhitespace(let r): return "whitespace-\(Self.percent(r))"
        case .zeroWidth(let r): return "zero-width-\(Self.percent(r))"
        case .homoglyphs(let r): return "homoglyph-\(Self.percent(r))"
        case .emoji(let r): return "emoji-\(Self.percent(r))"
        }
    }

    /// The attack named `kind` at `rate`: delete, insert, substitute, case, whitespace,
    /// zero-width, homoglyph or emoji.
    public init?(kind: String, rate: Double) {
        guard rate >= 0, rate <= 1 else { return nil }
        switch kind {
        case "delete": self = .deleteWords(rate: rate)
        case "insert": self = .insertWords(rate: rate)
        case "substitute": self = .substituteWords(rate: rate)
        case "case": self = .changeCase(rate: rate)
        case "whitespace": self = .exoticWhitespace(rate: rate)
        case "zero-width": self = .zeroWidth(rate: rate)
        case "homoglyph": self = .homoglyphs(rate: rate)
        case "emoji": self = .emoji(rate: rate)
        default: return nil
        }
    }

    public static let kinds = ["delete", "insert", "substitute", "case", "whitespace", "zero-width", "homoglyph", "emoji"]

    static func percent(_ r: Double) -> String { "\(Int((r * 100).rounded()))%" }

    /// Applies the attack to `text`, drawing from `generator`.
    public func apply<G: RandomNumberGenerator>(to text: String, using generator: inout G) -> String {
        // Words are the runs between single spaces; newlines and other whitespace stay inside them.
        var words = text.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
        let pool = words.filter { !$0.isEmpty }
        func chance(_ r: Double) -> Bool { Double.random(in: 0..<1, using: &generator) < r }
        switch self {
        case .deleteWords(let r):
            words = words.filter { $0.isEmpty || !chance(r) }
        case .insertWords(let r):
            var out: [String] = []
            for w in words {
                out.append(w)
                if !pool.isEmpty, chance(r) { out.append(pool.randomElement(using: &generator)!) }
            }
            words = out
        case .substituteWords(let r):
            words = words.map { !$0.isEmpty && !pool.isEmpty && chance(r) ? pool.randomElement(using: &generator)! : $0 }
        case .changeCase(let r):
            words = words.map { w in
                guard chance(r) else { return w }
                switch Int.random(in: 0..<3, using: &generator) {
                case 0: return w.uppercased()
                case 1: return w.lowercased()
                default: return w.prefix(1).uppercased() + w.dropFirst().lowercased()
                }
            }
        case .exoticWhitespace(let r):
            let spaces: [Character] = ["\u{00A0}", "\u{2002}", "\u{2009}", "\u{202F}", "\u{3000}"]
            var out = ""
            for (i, w) in words.enumerated() {
                if i > 0 { out.append(chance(r) ? spaces.randomElement(using: &generator)! : " ") }
                out += w
            }
            return out
        case .zeroWidth(let r):
            words = words.map { w in
                guard w.count >= 2, chance(r) else { return w }
                let cut = w.index(w.startIndex, offsetBy: Int.random(in: 1..<w.count, using: &generator))
                return String(w[..<cut]) + "\u{200B}" + String(w[cut...])
            }
        case .homoglyphs(let r):
            let lookalikes: [Character: Character] = [
                "a": "\u{0430}", "e": "\u{0435}", "o": "\u{043E}", "p": "\u{0440}", "c": "\u{0441}", "y": "\u{0443}",
                "x": "\u{0445}", "i": "\u{0456}", "s": "\u{0455}", "A": "\u{0410}", "E": "\u{0415}", "O": "\u{041E}",
                "P": "\u{0420}", "C": "\u{0421}", "T": "\u{0422}", "H": "\u{041D}", "M": "\u{041C}", "K": "\u{041A}",
            ]
            return String(text.map { c in lookalikes[c].map { chance(r) ? $0 : c } ?? c })
        case .emoji(let r):
            let emoji = ["😀", "🔥", "👍🏽", "✨", "🚀", "❤️", "👨‍👩‍👧"]
            var out: [String] = []
            for w in words {
                out.append(w)
                if !w.isEmpty, chance(r) { out.append(emoji.randomElement(using: &generator)!) }
            }
            words = out
        }
        return words.joined(separator: " ")
    }
}

/// Places a watermarked passage inside human text, as copy-paste into a longer document does.
public enum CopyPaste {
    /// Human words around `passage`, so that the passage is `fraction` of the words; the
    /// passage's position is drawn at random. Returns the text and the passage's UTF-8 byte range in it.
    public static func embed<G: RandomNumberGenerator>(_ passage: String, fraction: Double, humanWords: [String],
                                                       using generator: inout G) -> (text: String, passage: Range<Int>) {
        let passageWords = passage.split(separator: " ").count
        let total = fraction > 0 ? Int((Double(passageWords) / fraction).rounded()) : passageWords
        let surrounding = max(0, min(humanWords.count, total - passageWords))
        let start = humanWords.count > surrounding ? Int.random(in: 0...(humanWords.count - surrounding), using: &generator) : 0
        let chosen = Array(humanWords[start..<(start + surrounding)])
        let before = Int.random(in: 0...chosen.count, using: &generator)
        let prefix = chosen[..<before].joined(separator: " ")
        let suffix = chosen[before...].joined(separator: " ")
        var text = prefix.isEmpty ? "" : prefix + " "
        let lower = text.utf8.count
        text += passage
        let upper = text.utf8.count
        if !suffix.isEmpty { text += " " + suffix }
        return (text, lower..<upper)
    }
}

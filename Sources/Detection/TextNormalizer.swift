/// Undoes cheap character-level tricks before text is tokenized for detection.
///
/// Zero-width and bidirectional controls are removed; exotic spaces become U+0020; Cyrillic
/// and Greek letters that look like Latin ones are folded to Latin, but only inside words
/// that also hold Basic Latin letters, so that real Russian or Greek text is untouched;
/// emoji are removed together with one of the spaces around them. None of this depends on
/// the key, so the null distribution of the test is unchanged; on text without such tricks
/// (what a model writes) it changes nothing but emoji.
public enum TextNormalizer {
    /// The rules' version, recorded in calibration files (a change of rules is a new version).
    public static let version = "normalize-v1"
    /// Streams are normalised a line at a time; a longer line is cut at a space.
    public static let maximumLine = 1 << 20

    public static func normalize(_ text: String) -> String {
        // Every rule concerns non-ASCII scalars: most text needs one byte scan and no copy.
        if text.utf8.allSatisfy({ $0 < 0x80 }) { return text }
        var invisible = false, spaces = false, homoglyphs = false, emoji = false
        for c in text.unicodeScalars where !c.isASCII {
            switch c.value {
            case 0x200B...0x200D, 0x2060, 0xFEFF, 0x00AD, 0x180E, 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069:
                invisible = true
            default: break
            }
            if isExoticSpace(c) { spaces = true }
            if latinLookAlike(c.value) != nil { homoglyphs = true }
            if !emoji, c.value >= 0x2000 || c.value == 0xA9 || c.value == 0xAE, isEmojiPart(c) { emoji = true }
        }
        guard invisible || spaces || homoglyphs || emoji else { return text }
        var scalars = Array(text.unicodeScalars)
        if invisible { scalars = removeInvisible(scalars) }
        if spaces { scalars = scalars.map { isExoticSpace($0) ? " " : $0 } }
        if homoglyphs {
            let (folded, changed) = foldHomoglyphs(scalars)
            // Real Cyrillic or Greek text has look-alikes and nothing to fold: returning it as
            // it came spares building the same string again.
            guard changed || invisible || spaces || emoji else { return text }
            scalars = folded
        }
        if emoji { scalars = removeEmoji(scalars) }
        var out = String.UnicodeScalarView()
        out.append(contentsOf: scalars)
        return String(out)
    }

    static func removeInvisible(_ s: [Unicode.Scalar]) -> [Unicode.Scalar] {
        var out: [Unicode.Scalar] = []
        out.reserveCapacity(s.count)
        for (i, c) in s.enumerated() {
            switch c.value {
            case 0x200B, 0x2060, 0xFEFF, 0x00AD, 0x180E, 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069:
                continue
            case 0x200C, 0x200D:
                // Joiners matter in emoji sequences and Indic or Persian script; between ASCII
                // characters they only hide words from a tokenizer.
                let before = out.last.map { $0.isASCII } ?? true
                let after = i + 1 < s.count ? s[i + 1].isASCII : true
                if before && after { continue }
                out.append(c)
            default:
                out.append(c)
            }
        }
        return out
    }

    static func isExoticSpace(_ c: Unicode.Scalar) -> Bool {
        switch c.value {
        case 0x00A0, 0x1680, 0x2000...0x200A, 0x202F, 0x205F, 0x3000: return true
        default: return false
        }
    }

    /// Cyrillic and Greek letters that render like Basic Latin ones.
    static let confusables: [UInt32: Unicode.Scalar] = {
        let pairs: [(UInt32, Character)] = [
            (0x0430, "a"), (0x0435, "e"), (0x043E, "o"), (0x0440, "p"), (0x0441, "c"), (0x0443, "y"), (0x0445, "x"),
            (0x0456, "i"), (0x0458, "j"), (0x0455, "s"), (0x0501, "d"), (0x051B, "q"), (0x051D, "w"), (0x04BB, "h"),
            (0x0410, "A"), (0x0412, "B"), (0x0415, "E"), (0x041A, "K"), (0x041C, "M"), (0x041D, "H"), (0x041E, "O"),
            (0x0420, "P"), (0x0421, "C"), (0x0422, "T"), (0x0425, "X"), (0x0405, "S"), (0x0406, "I"), (0x0408, "J"),
            (0x03BF, "o"), (0x03BD, "v"), (0x0391, "A"), (0x0392, "B"), (0x0395, "E"), (0x0396, "Z"), (0x0397, "H"),
            (0x0399, "I"), (0x039A, "K"), (0x039C, "M"), (0x039D, "N"), (0x039F, "O"), (0x03A1, "P"), (0x03A4, "T"),
            (0x03A5, "Y"), (0x03A7, "X"),
        ]
        var table: [UInt32: Unicode.Scalar] = [:]
        for (code, latin) in pairs { table[code] = latin.unicodeScalars.first! }
        return table
    }()

    /// Every look-alike's code point lies here.
    static let confusableRange: ClosedRange<UInt32> = 0x0391...0x051D
    /// ``confusables`` as a flat table over ``confusableRange`` (the Latin letter's ASCII code,
    /// or 0): Russian and Greek text asks for every letter, and a hash per letter showed.
    private static let confusableTable: [UInt8] = {
        var table = [UInt8](repeating: 0, count: Int(confusableRange.upperBound - confusableRange.lowerBound) + 1)
        for (code, latin) in confusables { table[Int(code - confusableRange.lowerBound)] = UInt8(latin.value) }
        return table
    }()

    /// The Basic Latin letter that `v` looks like, or nil.
    @inline(__always)
    static func latinLookAlike(_ v: UInt32) -> Unicode.Scalar? {
        guard confusableRange.contains(v) else { return nil }
        let latin = confusableTable[Int(v - confusableRange.lowerBound)]
        return latin == 0 ? nil : Unicode.Scalar(latin)
    }

    /// `isAlphabetic`, answered without the property lookup for ASCII and the basic Cyrillic
    /// letters (the text homoglyph folding runs on), which are most of the scalars it sees.
    @inline(__always)
    static func isAlphabetic(_ c: Unicode.Scalar) -> Bool {
        let v = c.value
        if v < 0x80 { return (0x41...0x5A).contains(v) || (0x61...0x7A).contains(v) }
        if (0x0410...0x044F).contains(v) { return true }
        return c.properties.isAlphabetic
    }

    /// Ranges that hold no emoji part (dashes and quotation marks, CJK punctuation, kana, CJK
    /// ideographs, Hangul syllables, fullwidth forms), so that typographic and CJK text is not
    /// checked scalar by scalar against four properties; NormalizerShortcutTests holds every
    /// scalar to the full test.
    static func isInEmojiFreeBlock(_ v: UInt32) -> Bool {
        (0x2010...0x2027).contains(v) || (0x3001...0x302F).contains(v) || (0x3040...0x30FF).contains(v)
            || (0x3400...0x4DBF).contains(v) || (0x4E00...0x9FFF).contains(v) || (0xAC00...0xD7A3).contains(v)
            || (0xFF01...0xFF60).contains(v)
    }

    /// The scalars with look-alikes folded, and whether any was.
    static func foldHomoglyphs(_ s: [Unicode.Scalar]) -> (folded: [Unicode.Scalar], changed: Bool) {
        // Words (alphabetic runs) with what they hold: Basic Latin letters, look-alikes, others.
        struct Word { let range: Range<Int>; let latin: Bool; let onlyConfusables: Bool; let confusable: Bool }
        var words: [Word] = []
        var start = 0
        while start < s.count {
            guard isAlphabetic(s[start]) else { start += 1; continue }
            var end = start
            var latin = false, confusable = false, other = false
            while end < s.count, isAlphabetic(s[end]) {
                let v = s[end].value
                if (0x41...0x5A).contains(v) || (0x61...0x7A).contains(v) { latin = true }
                else if latinLookAlike(v) != nil { confusable = true }
                else { other = true }
                end += 1
            }
            words.append(Word(range: start..<end, latin: latin, onlyConfusables: confusable && !latin && !other, confusable: confusable))
            start = end
        }
        var out = s, changed = false
        for (i, word) in words.enumerated() where word.confusable {
            // Mixed with Latin letters, or made only of look-alikes between Latin words
            // ("Не wrote", "а falling"); real Cyrillic or Greek text has Cyrillic or Greek neighbours.
            let latinNeighbour = (i > 0 && words[i - 1].latin) || (i + 1 < words.count && words[i + 1].latin)
            guard word.latin || (word.onlyConfusables && latinNeighbour) else { continue }
            for j in word.range {
                if let latin = latinLookAlike(s[j].value) {
                    out[j] = latin
                    changed = true
                }
            }
        }
        return (out, changed)
    }

    static func isEmojiPart(_ c: Unicode.Scalar) -> Bool {
        if isInEmojiFreeBlock(c.value) { return false }
        return isEmojiPartByProperties(c)
    }

    static func isEmojiPartByProperties(_ c: Unicode.Scalar) -> Bool {
        let p = c.properties
        if p.isEmojiModifier || c.value == 0xFE0F || c.value == 0xFE0E || c.value == 0x200D || c.value == 0x20E3 { return true }
        if (0xE0020...0xE007F).contains(c.value) || (0x1F1E6...0x1F1FF).contains(c.value) { return true }  // tags, flags
        // Extended pictographics, but not the ASCII digits, '#' and '*' that can start keycaps.
        return p.isEmojiPresentation || (p.isEmoji && c.value > 0xFF && !p.isAlphabetic)
    }

    static func removeEmoji(_ s: [Unicode.Scalar]) -> [Unicode.Scalar] {
        var out: [Unicode.Scalar] = []
        out.reserveCapacity(s.count)
        var i = 0
        while i < s.count {
            guard isEmojiPart(s[i]) else { out.append(s[i]); i += 1; continue }
            var j = i
            while j < s.count, isEmojiPart(s[j]) { j += 1 }
            // "word 😀 next" becomes "word next", not "word  next"; "end 😀" becomes "end".
            if out.last == " " {
                if j < s.count, s[j] == " " { j += 1 } else if j == s.count || s[j] == "\n" { out.removeLast() }
            }
            i = j
        }
        return out
    }
}

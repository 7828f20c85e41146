/// Character classes the pre-tokenizer patterns use, as bit flags, from the Unicode tables
/// Swift ships (`generalCategory`, `isWhitespace` = the White_Space property, which is what
/// `\s` means in the reference regex engines).
struct CharClass {
    static let letter: UInt8 = 1  // \p{L}
    static let number: UInt8 = 2  // \p{N}
    static let space: UInt8 = 4  // \s
    static let newline: UInt8 = 8  // [\r\n]
    static let mark: UInt8 = 16  // \p{M}
    static let upper: UInt8 = 32  // \p{Lu} \p{Lt}
    static let lower: UInt8 = 64  // \p{Ll}
    static let modifierOther: UInt8 = 128  // \p{Lm} \p{Lo}

    /// Letters, numbers and whitespace; a scalar with none of these is "other" (`[^\s\p{L}\p{N}]`).
    static let wordOrSpace: UInt8 = letter | number | space

    /// The Unicode version of the reference regex engines (Oniguruma in Hugging Face
    /// `tokenizers`, the Rust `regex` tables in tiktoken), measured: both classify Unicode
    /// 16.0 additions (Garay digits U+10D40…) and treat 17.0 additions (U+11DE0…) as
    /// unassigned. Swift 6.3 ships Unicode 17, so newer scalars are demoted to unassigned
    /// ("other") to split text exactly as the references do.
    static let referenceUnicodeVersion = (major: 16, minor: 0)

    static func compute(_ v: UInt32) -> UInt8 {
        guard let s = Unicode.Scalar(v) else { return 0 }
        var c: UInt8 = 0
        let p = s.properties
        if let age = p.age, (age.major, age.minor) > referenceUnicodeVersion {
            return 0
        }
        switch p.generalCategory {
        case .uppercaseLetter, .titlecaseLetter: c |= letter | upper
        case .lowercaseLetter: c |= letter | lower
        case .modifierLetter, .otherLetter: c |= letter | modifierOther
        case .decimalNumber, .letterNumber, .otherNumber: c |= number
        case .nonspacingMark, .spacingMark, .enclosingMark: c |= mark
        default: break
        }
        if p.isWhitespace { c |= space }
        if v == 0x0A || v == 0x0D { c |= newline }
        return c
    }

    /// Ranges of the BMP whose every scalar has one class, filled without asking the Unicode
    /// tables (three property lookups a scalar were most of building ``bmp``, a tenth of a
    /// tokenizer's load): CJK Unified Ideographs, their Extension A, Yi syllables and Hangul
    /// syllables (other letters, and one modifier letter, U+A015, of the same class), the
    /// surrogates (no scalar) and the Private Use Area (no class). PreTokenizerTests holds the
    /// whole table to ``compute(_:)``, scalar by scalar. In ascending order.
    static let uniformBlocks: [(range: ClosedRange<Int>, cls: UInt8)] = [
        (0x3400...0x4DBF, letter | modifierOther), (0x4E00...0x9FFF, letter | modifierOther),
        (0xA000...0xA48C, letter | modifierOther), (0xAC00...0xD7A3, letter | modifierOther),
        (0xD800...0xDFFF, 0), (0xE000...0xF8FF, 0),
    ]

    /// Classes of the Basic Multilingual Plane, computed once (64 KB, a few ms) and never
    /// freed; a raw pointer so the scanners' hot loops index it without bounds checks.
    nonisolated(unsafe) static let bmp: UnsafePointer<UInt8> = {
        let t = UnsafeMutablePointer<UInt8>.allocate(capacity: 0x10000)
        var v = 0
        for block in uniformBlocks {
            while v < block.range.lowerBound {
                t[v] = compute(UInt32(v))
                v += 1
            }
            (t + block.range.lowerBound).initialize(repeating: block.cls, count: block.range.count)
            v = block.range.upperBound + 1
        }
        while v < 0x10000 {
            t[v] = compute(UInt32(v))
            v += 1
        }
        return UnsafePointer(t)
    }()
}

/// A cursor over valid UTF-8 (Swift strings are always valid UTF-8).
struct UTF8Text {
    let p: UnsafePointer<UInt8>
    let table: UnsafePointer<UInt8>

    init(_ p: UnsafePointer<UInt8>) {
        self.p = p
        self.table = CharClass.bmp
    }

    /// The scalar starting at byte `i` and its length in bytes.
    @inline(__always)
    func scalar(at i: Int) -> (value: UInt32, length: Int) {
        let b0 = UInt32(p[i])
        if b0 < 0x80 { return (b0, 1) }
        if b0 < 0xE0 { return ((b0 & 0x1F) << 6 | UInt32(p[i + 1] & 0x3F), 2) }
        if b0 < 0xF0 {
            return ((b0 & 0x0F) << 12 | UInt32(p[i + 1] & 0x3F) << 6 | UInt32(p[i + 2] & 0x3F), 3)
        }
        return (
            (b0 & 0x07) << 18 | UInt32(p[i + 1] & 0x3F) << 12 | UInt32(p[i + 2] & 0x3F) << 6 | UInt32(p[i + 3] & 0x3F),
            4
        )
    }

    /// The class and length of the scalar at byte `i`, with an ASCII fast path.
    @inline(__always)
    func classAt(_ i: Int) -> (cls: UInt8, length: Int) {
        let b = p[i]
        if b < 0x80 { return (table[Int(b)], 1) }
        let (v, n) = scalar(at: i)
        return (v < 0x10000 ? table[Int(v)] : CharClass.compute(v), n)
    }
}

import Testing
@testable import Detection

/// The normaliser's shortcuts (range tests in front of the property lookups) against the
/// lookups themselves, on every scalar the shortcuts answer for: they may only be faster.
@Suite("normaliser shortcuts")
struct NormalizerShortcutTests {
    private static var everyScalar: [Unicode.Scalar] { (0...0x10FFFF).compactMap(Unicode.Scalar.init(_:)) }

    @Test("emoji-part test equals the property test on every scalar")
    func emojiShortcut() {
        var freeBlockScalars = 0, differing: [UInt32] = []
        for c in Self.everyScalar {
            if TextNormalizer.isInEmojiFreeBlock(c.value) { freeBlockScalars += 1 }
            if TextNormalizer.isEmojiPart(c) != TextNormalizer.isEmojiPartByProperties(c) { differing.append(c.value) }
        }
        #expect(differing.isEmpty, "differs at \(differing.prefix(10).map { String($0, radix: 16) })")
        #expect(freeBlockScalars > 30_000)  // the shortcut covers the CJK blocks it is for
    }

    @Test("alphabetic test equals the property on every scalar")
    func alphabeticShortcut() {
        let differing = Self.everyScalar.filter { TextNormalizer.isAlphabetic($0) != $0.properties.isAlphabetic }
        #expect(differing.isEmpty, "differs at \(differing.prefix(10).map { String($0.value, radix: 16) })")
    }

    @Test("every look-alike lies in the range tested first")
    func confusableRange() {
        #expect(!TextNormalizer.confusables.isEmpty)
        for code in TextNormalizer.confusables.keys { #expect(TextNormalizer.confusableRange.contains(code), "U+\(String(code, radix: 16))") }
    }
}

extension NormalizerShortcutTests {
    @Test("the flat look-alike table answers as the map does on every scalar")
    func lookAlikeTable() {
        for c in Self.everyScalar {
            #expect(TextNormalizer.latinLookAlike(c.value) == TextNormalizer.confusables[c.value], "U+\(String(c.value, radix: 16))")
        }
    }
}

import Testing
import TestSupport
@testable import Tokenizer

/// `ByteLevel.decode`, which reads a spelling's UTF-8 in one pass, against the definition:
/// each Unicode scalar mapped through `byte(for:)`, nil at the first one outside the alphabet.
@Suite("byte-level alphabet")
struct ByteLevelTests {
    private static func byDefinition(_ s: String) -> [UInt8]? {
        var out: [UInt8] = []
        for scalar in s.unicodeScalars {
            guard let b = ByteLevel.byte(for: scalar) else { return nil }
            out.append(b)
        }
        return out
    }

    @Test("every scalar up to U+07FF alone, and random strings of alphabet and other scalars")
    func decodeMatchesDefinition() {
        for v in UInt32(0)...0x7FF {
            guard let scalar = Unicode.Scalar(v) else { continue }
            let s = String(scalar)
            #expect(ByteLevel.decode(s) == Self.byDefinition(s), "U+\(String(v, radix: 16))")
            #expect(ByteLevel.isSpelling(s) == (Self.byDefinition(s) != nil))
        }
        var rng = SeededGenerator(seed: 31)
        let pool: [Unicode.Scalar] = ByteLevel.byteToScalar + ["\u{20}", "\u{7F}", "\u{AD}", "\u{144}", "\u{17F}", "é", "\u{4E2D}", "\u{1F600}"]
        for _ in 0..<2_000 {
            var s = String.UnicodeScalarView()
            for _ in 0..<Int.random(in: 0...12, using: &rng) { s.append(pool.randomElement(using: &rng)!) }
            let text = String(s)
            #expect(ByteLevel.decode(text) == Self.byDefinition(text), "\(text.debugDescription)")
        }
        // Every byte's spelling decodes back to it.
        #expect(ByteLevel.decode(ByteLevel.encode(0...255)) == Array(0...255))
    }
}

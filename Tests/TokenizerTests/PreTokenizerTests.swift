import Foundation
import Testing

@testable import Tokenizer

@Suite struct PreTokenizerTests {
    @Test(arguments: PreTokenizer.allCases)
    func matchesReferenceOnTrickyInputs(_ pre: PreTokenizer) throws {
        let expected = try #require(preTokenizerExpected[pre])
        for (text, want) in zip(preTokenizerInputs, expected) {
            #expect(pre.pieces(of: text) == want, "\(pre) on \(text.debugDescription)")
        }
    }

    @Test func piecesTileTheText() {
        var rng = SystemRandomNumberGenerator()
        let alphabet: [Character] = [
            "a", "Z", " ", " ", "\n", "\r", "\t", "1", "'", "s", "!", "é", "\u{301}", "日", "👍", "\u{A0}", "٣",
            "\u{11DE0}",
        ]
        for _ in 0..<2000 {
            let text = String(
                (0..<Int.random(in: 0..<24, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! })
            for pre in PreTokenizer.allCases {
                let pieces = pre.pieces(of: text)
                #expect(pieces.joined() == text)
                #expect(!pieces.contains(""))
            }
        }
    }

    @Test func ggufNames() {
        #expect(PreTokenizer(ggufName: "smollm") == .smollm)
        #expect(PreTokenizer(ggufName: "llama-bpe") == .llama3)
        #expect(PreTokenizer(ggufName: "qwen2") == .qwen2)
        #expect(PreTokenizer(ggufName: "gpt2") == .gpt2)
        #expect(PreTokenizer(ggufName: "gpt-4o") == .o200k)
        #expect(PreTokenizer(ggufName: "deepseek-llm") == nil)
    }

    /// Scalars newer than the reference engines' Unicode version are unassigned ("other").
    @Test func unicodeVersionCutoff() {
        #expect(CharClass.compute(0x10D40) & CharClass.number != 0)  // Garay digit zero, Unicode 16.0
        #expect(CharClass.compute(0x11DE0) == 0)  // Unicode 17.0
        #expect(CharClass.compute(0x0661) & CharClass.number != 0)
        #expect(CharClass.compute(0x0301) == CharClass.mark)
        #expect(CharClass.compute(0x3000) == CharClass.space)
        #expect(CharClass.compute(0x0A) == CharClass.space | CharClass.newline)
    }

    /// The BMP table, filled in part without the Unicode tables, equals them on every scalar.
    @Test func bmpTableEqualsComputedClasses() {
        let differing = (0..<0x10000).filter { CharClass.bmp[$0] != CharClass.compute(UInt32($0)) }
        #expect(differing.isEmpty, "differs at \(differing.prefix(10).map { String($0, radix: 16) })")
        #expect(CharClass.uniformBlocks.reduce(0) { $0 + $1.range.count } > 45_000)
        // In ascending order and disjoint, or the fill would overwrite or skip scalars.
        #expect(zip(CharClass.uniformBlocks, CharClass.uniformBlocks.dropFirst()).allSatisfy { $0.range.upperBound < $1.range.lowerBound })
    }
}

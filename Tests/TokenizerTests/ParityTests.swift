import Foundation
import TestSupport
import Testing

@testable import Tokenizer

/// Every `Vectors/tokenizer/*/` set: ids must equal the reference's exactly, with special
/// tokens recognised (`ids`) and as plain text (`idsPlain`), and decoding must give the text
/// back (except where the meta file lists bytes the vocabulary cannot represent).
@Suite struct ParityTests {
    static let setNames = VectorSets.names

    @Test func vectorSetsExist() {
        #expect(Self.setNames.contains("smollm2"), "Vectors/tokenizer/smollm2 is missing")
    }

    /// Sets whose definition is committed under `Vectors/`.
    @Test(arguments: VectorSets.names(needing: .repository))
    func parity(set name: String) throws {
        try checkParity(set: name)
    }

    /// Sets whose definition is the default model's GGUF.
    @Test(.enabled(if: DefaultModelFixture.isAvailable, DefaultModelFixture.skipReason),
          arguments: VectorSets.names(needing: .defaultModel))
    func parityWithTheDefaultModel(set name: String) throws {
        try checkParity(set: name)
    }

    /// Sets whose definition `Tools/fetch-tokenizers.sh` fetches.
    @Test(.enabled(if: FetchedTokenizersFixture.isAvailable, FetchedTokenizersFixture.skipReason),
          arguments: VectorSets.names(needing: .fetchedTokenizers))
    func parityWithFetchedTokenizers(set name: String) throws {
        try checkParity(set: name)
    }

    func checkParity(set name: String) throws {
        let meta = try VectorSets.meta(name)
        let path = VectorSets.definitionPath(meta)
        try #require(FileManager.default.fileExists(atPath: path), "\(name): the definition \(path) is missing")
        let tokenizer = try VectorSets.load(meta)
        let cases = try VectorSets.cases(name)
        #expect(cases.count >= 3000, "\(name): only \(cases.count) cases")
        let allowedDecodeMismatch = Set((meta.decodeMismatches ?? []).map { "\($0.id)/\($0.variant)" })

        var failures: [String] = []
        var failed = 0
        var decodeFailed = 0
        func report(_ s: String) {
            if failures.count < 5 { failures.append(s) }
        }
        // Encoders keep their piece cache from case to case: the default one grows its table
        // over the set, the 64-slot one is cleared again and again; both must give the ids.
        var encoders = [BPETokenizer.Encoder(tokenizer), BPETokenizer.Encoder(tokenizer, cacheSlots: 64)]
        for c in cases {
            let ids = tokenizer.encode(c.text, specialTokens: .parse)
            let plain = tokenizer.encode(c.text, specialTokens: .plainText)
            for e in encoders.indices {
                let slots = encoders[e].cacheSlots
                if encoders[e].encode(c.text, specialTokens: .parse) != c.ids {
                    failed += 1
                    report("case \(c.id) [\(c.category)] ids through an encoder of \(slots) slots")
                }
                if encoders[e].encode(c.text, specialTokens: .plainText) != c.idsPlain {
                    failed += 1
                    report("case \(c.id) [\(c.category)] idsPlain through an encoder of \(slots) slots")
                }
            }
            if ids != c.ids {
                failed += 1
                report(
                    "case \(c.id) [\(c.category)] ids\n  text: \(c.text.debugDescription.prefix(300))\n  want: \(c.ids.prefix(60))\n  got:  \(ids.prefix(60))"
                )
            }
            if plain != c.idsPlain {
                failed += 1
                report(
                    "case \(c.id) [\(c.category)] idsPlain\n  text: \(c.text.debugDescription.prefix(300))\n  want: \(c.idsPlain.prefix(60))\n  got:  \(plain.prefix(60))"
                )
            }
            for (variant, v) in [("ids", ids), ("idsPlain", plain)]
            where !allowedDecodeMismatch.contains("\(c.id)/\(variant)") {
                if tokenizer.decode(v) != c.text {
                    decodeFailed += 1
                    report(
                        "case \(c.id) [\(c.category)] decode(\(variant)) != text: \(c.text.debugDescription.prefix(200))"
                    )
                }
            }
        }
        let total = cases.count * (2 + 2 * encoders.count)
        print("parity \(name): \(total - failed)/\(total) id lists equal, \(decodeFailed) decode failures")
        #expect(
            failed == 0 && decodeFailed == 0,
            "\(name): \(failed) of \(total) id lists differ, \(decodeFailed) round trips fail; first:\n\(failures.joined(separator: "\n"))"
        )
    }
}

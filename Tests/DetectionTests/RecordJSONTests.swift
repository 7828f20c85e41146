import Foundation
import Testing
import TestSupport
@testable import Detection

/// The hand-written `--json` record against Foundation's encoder, which defines the bytes.
@Suite("record JSON")
struct RecordJSONTests {
    /// What the front ends encoded before the writer existed: the result's keys and the
    /// extra fields in one keyed container, sorted.
    private struct Reference: Encodable {
        let result: DetectionResult
        let source: String?, index: Int?, id: JSONValue?, tokenizer: String?
        private enum Keys: String, CodingKey { case source, index, id, tokenizer }
        func encode(to encoder: any Encoder) throws {
            try result.encode(to: encoder)
            var c = encoder.container(keyedBy: Keys.self)
            try c.encodeIfPresent(source, forKey: .source)
            try c.encodeIfPresent(index, forKey: .index)
            try c.encodeIfPresent(id, forKey: .id)
            try c.encodeIfPresent(tokenizer, forKey: .tokenizer)
        }
    }

    private static let awkwardDoubles: [Double] = [
        0, -0.0, 1, -1, 4, 100, 0.25, 0.1, 1e-4, 1e-5, 1e-7, 1e15, 1e16, 1e17, 1e21, 1e22, 123456789012345680000,
        5e-324, 2.2250738585072014e-308, .greatestFiniteMagnitude, -.greatestFiniteMagnitude, 0.8373182846528631,
        -307.6, 9007199254740993, 4503599627370496.5, 1.5, 2.5e-300,
    ]

    private static func double(_ rng: inout SeededGenerator) -> Double {
        switch Int.random(in: 0..<4, using: &rng) {
        case 0: return awkwardDoubles.randomElement(using: &rng)!
        case 1: return Double.random(in: -10...10, using: &rng)
        case 2: return Double(Int.random(in: -1_000_000...1_000_000, using: &rng))
        default:
            // Any finite double: random bits, redrawn until finite.
            while true {
                let x = Double(bitPattern: UInt64.random(in: .min ... .max, using: &rng))
                if x.isFinite { return x }
            }
        }
    }

    private static func string(_ rng: inout SeededGenerator) -> String {
        let pieces = ["a", "/", "\\", "\"", "\n", "\t", "\r", "\u{08}", "\u{0C}", "\u{00}", "\u{01}", "\u{1F}", "\u{7F}",
                      "é", "日本", "\u{2028}", "\u{2029}", "😀", " ", "file.jsonl:12", "<>&'"]
        return (0..<Int.random(in: 0...8, using: &rng)).map { _ in pieces.randomElement(using: &rng)! }.joined()
    }

    private static func result(_ rng: inout SeededGenerator) -> DetectionResult {
        func int() -> Int { Bool.random(using: &rng) ? Int.random(in: 0...2000, using: &rng) : Int.random(in: .min ... .max, using: &rng) }
        let keys: [KeyScore]? = Bool.random(using: &rng) ? nil : (0..<Int.random(in: 0...3, using: &rng)).map { _ in
            KeyScore(keyID: string(&rng), green: int(), z: double(&rng), p: double(&rng), log10p: double(&rng))
        }
        let window: WindowMatch? = Bool.random(using: &rng) ? nil
            : WindowMatch(startToken: int(), endToken: int(), scored: int(), green: int(), z: double(&rng), p: double(&rng),
                          log10p: double(&rng), windowsTried: int())
        let attribution: [TokenStatus]? = Bool.random(using: &rng) ? nil
            : (0..<Int.random(in: 0...40, using: &rng)).map { _ in TokenStatus.allCases.randomElement(using: &rng)! }
        return DetectionResult(keyID: string(&rng), scheme: string(&rng), gamma: double(&rng), effectiveGamma: double(&rng),
                               contextWidth: int(), deduplicated: Bool.random(using: &rng), tokens: int(), scored: int(),
                               green: int(), z: double(&rng), p: double(&rng), log10p: double(&rng), pAdjusted: double(&rng),
                               log10pAdjusted: double(&rng), keysTried: int(), falsePositiveRate: double(&rng),
                               minimumScored: int(), minimumScore: double(&rng), calibrated: Bool.random(using: &rng),
                               verdict: Verdict.allCases.randomElement(using: &rng)!, keys: keys, window: window,
                               attribution: attribution, commonTuples: Bool.random(using: &rng) ? nil : string(&rng),
                               commonSkipped: Bool.random(using: &rng) ? nil : int())
    }

    @Test func theWriterGivesTheEncodersBytes() {
        var rng = SeededGenerator(seed: 77)
        let ids: [JSONValue?] = [nil, .null, .bool(true), .bool(false), .int(0), .int(-12), .int(.max), .int(.min),
                                 .double(1.5), .double(1e300), .double(-0.0), .string("doc/1"), .string("a\"b\\c\n"),
                                 .array([.int(1), .string("x")]), .object(["b": .int(1), "a": .null])]
        for i in 0..<3000 {
            let r = Self.result(&rng)
            let source: String? = Bool.random(using: &rng) ? nil : Self.string(&rng)
            let index: Int? = Bool.random(using: &rng) ? nil : Int.random(in: 0...100_000, using: &rng)
            let id = ids.randomElement(using: &rng)!
            let tokenizer: String? = Bool.random(using: &rng) ? nil : Self.string(&rng)
            let expected = JSONLine.string(encoding: Reference(result: r, source: source, index: index, id: id, tokenizer: tokenizer))
            #expect(r.jsonRecord(source: source, index: index, id: id, tokenizer: tokenizer) == expected, "case \(i)")
        }
    }

    /// `tokenize --jsonl`'s line against the encoder's bytes for the same fields.
    @Test func theTokenizedRecordGivesTheEncodersBytes() {
        struct Line: Encodable {
            let ids: [UInt32]
            let index: Int
            let source: String
            let id: JSONValue?
        }
        var rng = SeededGenerator(seed: 79)
        let ids: [JSONValue?] = [nil, .null, .bool(true), .int(0), .int(-12), .int(.max), .int(.min), .double(1.5),
                                 .double(-0.0), .string("doc/1"), .string("a\"b\\c\n\u{1}"),
                                 .array([.int(1), .string("x")]), .object(["b": .int(1), "a": .null])]
        for i in 0..<2000 {
            let tokens = (0..<Int.random(in: 0...40, using: &rng)).map { _ in
                Bool.random(using: &rng) ? UInt32.random(in: 0...60_000, using: &rng) : [0, 9, 10, 99, 100, .max].randomElement(using: &rng)!
            }
            let index = Int.random(in: 0...1_000_000, using: &rng)
            let source = Self.string(&rng)
            let id = ids.randomElement(using: &rng)!
            let expected = JSONLine.string(encoding: Line(ids: tokens, index: index, source: source, id: id))
            #expect(JSONLine.tokenizedRecord(ids: tokens, index: index, source: source, id: id) == expected, "case \(i)")
        }
    }

    /// `tokenize --jsonl --count`'s line against the encoder's bytes for the same fields.
    @Test func theTokenCountRecordGivesTheEncodersBytes() {
        struct Line: Encodable {
            let tokens: Int
            let index: Int
            let source: String
            let id: JSONValue?
        }
        var rng = SeededGenerator(seed: 80)
        let ids: [JSONValue?] = [nil, .null, .bool(false), .int(7), .int(.min), .double(2.25), .string("x/y"),
                                 .string("q\"\u{7f}\u{1f}"), .array([.null]), .object(["k": .bool(true)])]
        for i in 0..<1000 {
            let tokens = [0, 1, 9, 10, Int.random(in: 0...10_000_000, using: &rng)].randomElement(using: &rng)!
            let index = Int.random(in: 0...1_000_000, using: &rng)
            let source = Self.string(&rng)
            let id = ids.randomElement(using: &rng)!
            let expected = JSONLine.string(encoding: Line(tokens: tokens, index: index, source: source, id: id))
            #expect(JSONLine.tokenCountRecord(tokens: tokens, index: index, source: source, id: id) == expected, "case \(i)")
        }
    }

    /// A non-finite number is left to the encoder, whatever it does with it.
    @Test func nonFiniteNumbersGoThroughTheEncoder() {
        var rng = SeededGenerator(seed: 78)
        let r = Self.result(&rng)
        let odd = DetectionResult(keyID: r.keyID, scheme: r.scheme, gamma: r.gamma, effectiveGamma: r.effectiveGamma,
                                  contextWidth: 1, deduplicated: true, tokens: 0, scored: 0, green: 0, z: .nan, p: 1, log10p: 0,
                                  pAdjusted: 1, log10pAdjusted: 0, keysTried: 1, falsePositiveRate: 1e-4, minimumScored: 16,
                                  minimumScore: 4, calibrated: false, verdict: .tooShort, keys: nil, window: nil,
                                  attribution: nil, commonTuples: nil, commonSkipped: nil)
        #expect(odd.jsonRecord(index: 3) == JSONLine.string(encoding: Reference(result: odd, source: nil, index: 3, id: nil, tokenizer: nil)))
    }
}

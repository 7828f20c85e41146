import Foundation
import Testing
import TestSupport
@testable import Detection

/// The quick JSON Lines reader against Foundation's decoder, on lines built to hit every
/// branch: what the quick reader takes it must read as the decoder does, and what it leaves
/// goes to the decoder (so errors stay the decoder path's).
@Suite("quick JSON Lines reader")
struct QuickLineTests {
    private static let textPieces = [
        "a", "hello world", "/", "\\\\", "\\\"", "\\/", "\\n", "\\t", "\\r", "\\b", "\\f", "\\u0000", "\\u00e9", "\\u00E9",
        "\\ud83d\\ude00", "\\ud83d", "\\ude00", "\\ud83dx", "\\u12", "\\x", "é", "日本語", "😀", "\u{7F}", "\t", "\n",
        "\u{01}", " ", "\\u2028",
        // Plain runs longer than the reader's 16-byte scan, so that a quote, an escape or a
        // control character falls at every offset of a block.
        "a plain run of exactly 31 bytes", "sixteen bytes!!!", "plus dix-sept é", "日本語のテキストです",
    ]

    private static func jsonString(_ rng: inout SeededGenerator) -> String {
        "\"" + (0..<Int.random(in: 0...10, using: &rng)).map { _ in textPieces.randomElement(using: &rng)! }.joined() + "\""
    }

    private static let idValues = [
        "1", "0", "-0", "-7", "01", "1.0", "1e3", "9223372036854775807", "9223372036854775808", "-9223372036854775808",
        "-9223372036854775807", "true", "false", "null", "tru", "[1]", "{}", "\"doc-1\"", "\"a\\\"b\"", "18446744073709551616",
    ]
    private static let idsValues = [
        "[]", "[1,2,3]", "[ 1 , 2 ]", "[4294967295]", "[4294967296]", "[-1]", "[-0]", "[1.5]", "[1e2]", "[01]", "[1,]",
        "[\"1\"]", "[null]", "[1 2]", "[", "[3]]", "{}",
    ]

    private static func line(_ rng: inout SeededGenerator) -> String {
        var fields: [String] = []
        let keyChoices = ["\"text\"", "\"ids\"", "\"id\"", "\"other\"", "\"te\\u0078t\"", "\"text\"", "\"id\""]
        // Half the lines have the common shape (an id or not, and a text or ids), in either order.
        let common = Bool.random(using: &rng)
        let keys: [String] = common ? ([Bool.random(using: &rng) ? "\"text\"" : "\"ids\""] + (Bool.random(using: &rng) ? ["\"id\""] : [])).shuffled(using: &rng)
                                    : (0..<Int.random(in: 0...3, using: &rng)).map { _ in keyChoices.randomElement(using: &rng)! }
        for key in keys {
            let value: String
            switch key {
            case "\"ids\"": value = idsValues.randomElement(using: &rng)!
            case "\"id\"": value = Bool.random(using: &rng) ? idValues.randomElement(using: &rng)! : jsonString(&rng)
            default: value = Int.random(in: 0..<5, using: &rng) == 0 ? idValues.randomElement(using: &rng)! : jsonString(&rng)
            }
            let space = [" ", "", "\t", "  "].randomElement(using: &rng)!
            fields.append(key + space + ":" + space + value)
        }
        let inner = fields.joined(separator: [",", " , ", ",\t"].randomElement(using: &rng)!)
        let wrappers: [(String, String)] = [("{", "}"), ("  {", "}  "), ("{", "} x"), ("[", "]"), ("{", ""), ("\u{FEFF}{", "}")]
        let (open, close) = wrappers[Int.random(in: 0..<12, using: &rng) < 7 ? 0 : Int.random(in: 1..<wrappers.count, using: &rng)]
        return open + inner + close
    }

    @Test func quickReadsExactlyAsTheDecoder() {
        var rng = SeededGenerator(seed: 91)
        var quickTaken = 0
        for n in 0..<40_000 {
            var bytes = Array(Self.line(&rng).utf8)
            if n % 50 == 0, !bytes.isEmpty { bytes[Int.random(in: 0..<bytes.count, using: &rng)] = [0xFF, 0xC3, 0x80, 0xE9].randomElement(using: &rng)! }
            let decoded = Result { () throws(InputError) in try JSONLinesDocument.decoded(bytes) }
            guard let quick = QuickLine.parse(bytes) else { continue }
            quickTaken += 1
            switch decoded {
            case .success(let d):
                #expect(d.document == quick.document && d.id == quick.id, "line \(n): \(String(decoding: bytes, as: UTF8.self))")
            case .failure(let e):
                let shown = String(decoding: bytes, as: UTF8.self)
                Issue.record(Comment(rawValue: "line \(n): the quick reader took a line the decoder refuses (\(e.problem)): \(shown)"))
            }
        }
        #expect(quickTaken > 3_000)  // the common shapes do take the quick path
    }

    @Test func theCorpusShapeTakesTheQuickPath() throws {
        let line = Array(#"{"id": "en-3", "text": "Caf\u00e9 \"quoted\"\nnext line / done"}"#.utf8)
        let quick = try #require(QuickLine.parse(line))
        #expect(quick.document == .text("Café \"quoted\"\nnext line / done") && quick.id == .string("en-3"))
        let ids = try #require(QuickLine.parse(Array(#"{"ids":[1,2,4294967295],"id":7}"#.utf8)))
        #expect(ids.document == .ids([1, 2, 4_294_967_295]) && ids.id == .int(7))
    }
}

import Foundation
import TestSupport
import Testing

@testable import GGUF

/// A GGUF file whose one metadata value, `arr`, is an array of strings with exactly these
/// bytes (valid UTF-8 or not, which GGUFWriter cannot write).
private func stringArrayFile(_ strings: [[UInt8]]) -> [UInt8] {
    var out: [UInt8] = Array("GGUF".utf8)
    out.appendLE(UInt32(3))
    out.appendLE(UInt64(0))  // tensors
    out.appendLE(UInt64(1))  // metadata pairs
    out.appendString("arr")
    out.appendLE(GGUFValueType.array.rawValue)
    out.appendLE(GGUFValueType.string.rawValue)
    out.appendLE(UInt64(strings.count))
    for s in strings {
        out.appendLE(UInt64(s.count))
        out += s
    }
    return out
}

/// What reading each string as a `String` gives (the parser's behaviour before string arrays
/// were kept as bytes, and what ``GGUFValue/string`` promises).
private func decoded(_ strings: [[UInt8]]) -> [GGUFValue] { strings.map { .string(String(decoding: $0, as: UTF8.self)) } }

@Suite struct GGUFStringArrayTests {
    /// Valid strings, invalid ones of every kind, and the case the one-pass check must not
    /// miss: a string ending in a lead byte before one starting with a continuation byte,
    /// which are valid UTF-8 only when joined.
    static let mixed: [[UInt8]] = [
        Array("a".utf8), [], Array("Ġthe".utf8), [0xC4], [0xA0, 0x62], Array("héllo ✓ 🙂".utf8), [0xFF],
        [0xC0, 0x80], [0xE0, 0x80, 0x80], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xF0, 0x9F, 0x99], [0x80],
        Array("plain ascii that is longer than eight bytes".utf8), [0xF0, 0x9F], [0x99, 0x82],
    ]

    @Test func invalidStringsReadAsStringDecodingReadsThem() throws {
        let dir = TemporaryDirectory()
        let f = try GGUFFile(path: dir.write(stringArrayFile(Self.mixed)))
        let array = try #require(f["arr"]?.array)
        #expect(array.count == Self.mixed.count)
        #expect(array.elements == decoded(Self.mixed))
        #expect(f["arr"]?.stringArray == Self.mixed.map { String(decoding: $0, as: UTF8.self) })
        let bytes = array.withUTF8Strings { s in (0..<s.count).map { i in s.withBytes(at: i) { Array($0) } } }
        #expect(bytes == Self.mixed.map { Array(String(decoding: $0, as: UTF8.self).utf8) })
        // Equal to (and hashing as) the same array built from values.
        let built = GGUFArray(elementType: .string, elements: decoded(Self.mixed))
        #expect(array == built)
        #expect(array.hashValue == built.hashValue)
    }

    /// A character cut between two strings, every other string valid: the whole buffer is then
    /// valid UTF-8, and only the check of where each string starts sees that two are not.
    @Test func aCharacterCutBetweenTwoStringsIsTwoInvalidStrings() throws {
        let dir = TemporaryDirectory()
        let strings: [[UInt8]] = [Array("Ġa".utf8), [0xC4], [0xA0], Array("b".utf8), [0xE2, 0x9C], [0x93, 0x63]]
        let f = try GGUFFile(path: dir.write(stringArrayFile(strings)))
        let array = try #require(f["arr"]?.array)
        #expect(utf8(of: array) == strings.map { Array(String(decoding: $0, as: UTF8.self).utf8) })
        #expect(utf8(of: array)?[1] == [0xEF, 0xBF, 0xBD])
    }

    private func utf8(of array: GGUFArray) -> [[UInt8]]? {
        array.withUTF8Strings { s in (0..<s.count).map { i in s.withBytes(at: i) { Array($0) } } }
    }

    @Test func randomArraysReadAsStringDecodingReadsThem() throws {
        let dir = TemporaryDirectory()
        var rng = SeededGenerator(seed: 0x6775_6675)
        // Bytes drawn mostly from UTF-8's structural values, so that valid multi-byte
        // characters, truncated ones and ones cut between two strings all occur.
        let alphabet: [UInt8] = [0x41, 0x7A, 0x20, 0x80, 0x9F, 0xA0, 0xBF, 0xC2, 0xC4, 0xDF, 0xE0, 0xED, 0xEF, 0xF0, 0xF4, 0xF5, 0xFF]
        for round in 0..<200 {
            let strings: [[UInt8]] = (0..<Int.random(in: 0...12, using: &rng)).map { _ in
                (0..<Int.random(in: 0...6, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! }
            }
            let f = try GGUFFile(path: dir.write(stringArrayFile(strings)))
            let array = try #require(f["arr"]?.array)
            #expect(array.elements == decoded(strings), "round \(round): \(strings)")
            #expect(utf8(of: array) == strings.map { Array(String(decoding: $0, as: UTF8.self).utf8) }, "round \(round): \(strings)")
        }
    }

    @Test func validatorAgreesWithStringDecoding() {
        var rng = SeededGenerator(seed: 0x7574_6638)
        let alphabet: [UInt8] = [0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC1, 0xC2, 0xDF, 0xE0, 0xE1, 0xED, 0xEE,
                                 0xEF, 0xF0, 0xF1, 0xF4, 0xF5, 0xFF]
        var valid = 0
        for _ in 0..<20_000 {
            let bytes: [UInt8] = (0..<Int.random(in: 0...20, using: &rng)).map { _ in
                Bool.random(using: &rng) ? UInt8.random(in: 0x20...0x7E, using: &rng) : alphabet.randomElement(using: &rng)!
            }
            let expected = Array(String(decoding: bytes, as: UTF8.self).utf8) == bytes
            if expected { valid += 1 }
            #expect(bytes.withUnsafeBytes(isValidUTF8) == expected, "\(bytes)")
        }
        // Both outcomes were exercised.
        #expect(valid > 1_000 && valid < 19_000, "valid: \(valid)")
    }

    @Test func aTruncatedStringIsNamedByItsIndex() {
        let dir = TemporaryDirectory()
        var bytes = stringArrayFile([Array("one".utf8), Array("two".utf8)])
        bytes.removeLast(2)
        expectGGUFError(bytes, in: dir) { error in
            error.field == "metadata[\"arr\"][1] length" && { if case .truncated = error.reason { return true } else { return false } }()
        }
    }
}

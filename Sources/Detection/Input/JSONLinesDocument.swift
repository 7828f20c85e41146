import Foundation

/// One document of JSON Lines input: an object with a `"text"` string or an `"ids"` array.
///
/// When a line has both (as `watermark embed --json` writes), the text is used: it is what a
/// reader of the published text has, and re-tokenizing it is what detection will face.
public enum JSONLinesDocument: Sendable, Equatable {
    case text(String)
    case ids([UInt32])

    private struct Shape: Decodable {
        let text: String?
        let ids: [UInt32]?
        let id: JSONValue?
    }

    /// Parses one line. Errors say what is wrong without quoting the line (it may be huge).
    public static func parse(_ line: [UInt8]) throws(InputError) -> JSONLinesDocument {
        try parseWithID(line).document
    }

    /// Parses one line, with its `"id"` (any JSON value) when it has one, to be carried to
    /// the output line.
    public static func parseWithID(_ line: [UInt8]) throws(InputError) -> (document: JSONLinesDocument, id: JSONValue?) {
        if let quick = QuickLine.parse(line) { return quick }
        return try decoded(line)
    }

    /// The `"id"` of a line that ``parseWithID(_:)`` refused, when the line is still an object
    /// that has one: so that the error entry for it can say which document it was.
    public static func id(ofRefusedLine line: [UInt8]) -> JSONValue? {
        struct IDOnly: Decodable { let id: JSONValue? }
        return (try? JSONDecoder().decode(IDOnly.self, from: Data(line)))?.id ?? nil
    }

    /// Every line through Foundation's decoder: the reference ``QuickLine`` is held to.
    static func decoded(_ line: [UInt8]) throws(InputError) -> (document: JSONLinesDocument, id: JSONValue?) {
        let shape: Shape
        do {
            shape = try JSONDecoder().decode(Shape.self, from: Data(line))
        } catch {
            // The decoder's own errors do not say which field was wrong (an out-of-range id
            // reads as "not valid JSON", and so does invalid UTF-8), so look at the bytes and
            // the object to say it.
            var validator = UTF8Validator()
            if !validator.feed(line) {
                throw InputError(source: "", problem: "is not valid UTF-8 text (byte \(validator.offset) of the line)")
            }
            if !validator.isComplete { throw InputError(source: "", problem: "is not valid UTF-8 text (it ends inside a character)") }
            guard let object = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any] else {
                throw InputError(source: "", problem: "not a JSON object with a \"text\" or \"ids\" field")
            }
            if let text = object["text"], !(text is String) { throw InputError(source: "", problem: "\"text\" must be a string") }
            if object["ids"] != nil {
                throw InputError(source: "", problem: "\"ids\" must be an array of integers 0 to 4294967295")
            }
            throw InputError(source: "", problem: "not a JSON object with a \"text\" or \"ids\" field")
        }
        switch (shape.text, shape.ids) {
        case (let text?, _): return (.text(text), shape.id)
        case (nil, let ids?): return (.ids(ids), shape.id)
        case (nil, nil): throw InputError(source: "", problem: "has neither a \"text\" nor an \"ids\" field")
        }
    }
}

/// The common line, `{"id": …, "text": "…"}` or `{"ids": […]}`, read without Foundation's
/// decoder, which cost about 4% of detection on a corpus (a `Data` copy, a value tree and a
/// keyed container per line).
///
/// It takes only what it reads exactly as the decoder does: an object whose keys are some of
/// `text`, `ids` and `id`, each once, with a string text, ids that are plain integers up to
/// 2³² − 1, and an id that is a string, a plain integer, a boolean or null. Anything else (other
/// keys, a fraction or an exponent, a lone surrogate, invalid UTF-8, a bad escape, a control
/// character, trailing bytes) returns nil, and the decoder reads the line and words any error.
/// Tests/DetectionTests/QuickLineTests.swift holds the two equal on random lines.
enum QuickLine {
    static func parse(_ line: [UInt8]) -> (document: JSONLinesDocument, id: JSONValue?)? {
        line.withUnsafeBufferPointer { bytes in
            var reader = JSONFastReader(bytes)
            return reader.lineDocument()
        }
    }
}

/// A reader of the plain JSON that documents are sent as, for front ends that read many of
/// them (the JSON Lines reader here, the service's request bodies): each method reads one
/// value and returns nil (or false) for anything Foundation's decoder might read differently
/// or refuse (a fraction or an exponent where an integer is wanted, a lone surrogate, invalid
/// UTF-8, a bad escape, a raw control character), so a caller that falls back to the decoder
/// on nil reads every input exactly as the decoder does and keeps the decoder's errors.
///
/// It reads the buffer it was made with, which must outlive it: make it inside
/// `withUnsafeBufferPointer`.
public struct JSONFastReader {
    let bytes: UnsafeBufferPointer<UInt8>
    var i = 0

    public init(_ bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    /// Whether every byte has been read.
    public var isAtEnd: Bool { i == bytes.count }

    mutating func lineDocument() -> (document: JSONLinesDocument, id: JSONValue?)? {
        var text: String?, ids: [UInt32]?, id: JSONValue?, sawID = false
        skipSpace()
        let read = object { name, r in
            switch name {
            case "text":
                guard text == nil, let s = r.string() else { return false }
                text = s
            case "ids":
                guard ids == nil, let list = r.idList() else { return false }
                ids = list
            case "id":
                guard !sawID else { return false }
                if r.literal("null") {
                    id = nil  // as the decoder reads an optional: null is no id
                } else {
                    guard let v = r.scalar() else { return false }
                    id = v
                }
                sawID = true
            default:
                return false
            }
            return true
        }
        guard read else { return nil }
        skipSpace()
        guard i == bytes.count else { return nil }
        if let text { return (.text(text), id) }
        if let ids { return (.ids(ids), id) }
        return nil  // neither: the decoder's path says so
    }

    /// Reads an object, `{"key": value, …}`, handing each key to `field`, which reads the
    /// key's value from the reader it is given and returns false to give up; false when the
    /// object is not read to its end.
    public mutating func object(_ field: (_ key: String, _ reader: inout JSONFastReader) -> Bool) -> Bool {
        guard take(UInt8(ascii: "{")) else { return false }
        skipSpace()
        if take(UInt8(ascii: "}")) { return true }
        while true {
            guard let key = plainKey() else { return false }
            skipSpace()
            guard take(UInt8(ascii: ":")) else { return false }
            skipSpace()
            guard field(key, &self) else { return false }
            skipSpace()
            if take(UInt8(ascii: ",")) { skipSpace(); continue }
            return take(UInt8(ascii: "}"))
        }
    }

    /// A key without escapes, and past it; nil for anything else.
    public mutating func plainKey() -> String? {
        guard take(UInt8(ascii: "\"")) else { return nil }
        let start = i
        while i < bytes.count, bytes[i] != UInt8(ascii: "\""), bytes[i] != UInt8(ascii: "\\"), bytes[i] >= 0x20 { i += 1 }
        guard take(UInt8(ascii: "\"")) else { return nil }
        return String(validating: UnsafeBufferPointer(rebasing: bytes[start..<(i - 1)]), as: UTF8.self)
    }

    /// Skips JSON whitespace.
    public mutating func skipSpace() {
        while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x0A || bytes[i] == 0x0D || bytes[i] == 0x09 { i += 1 }
    }

    /// Takes `byte` if it is next.
    public mutating func take(_ byte: UInt8) -> Bool {
        guard i < bytes.count, bytes[i] == byte else { return false }
        i += 1
        return true
    }

    /// A plain integer: `-?(0|[1-9][0-9]*)` followed by neither a fraction nor an exponent.
    private mutating func integer() -> (negative: Bool, magnitude: UInt64)? {
        let negative = take(UInt8(ascii: "-"))
        let start = i
        var value: UInt64 = 0
        while i < bytes.count, bytes[i] >= UInt8(ascii: "0"), bytes[i] <= UInt8(ascii: "9") {
            let (m, o1) = value.multipliedReportingOverflow(by: 10)
            let (a, o2) = m.addingReportingOverflow(UInt64(bytes[i] - UInt8(ascii: "0")))
            guard !o1, !o2 else { return nil }
            value = a
            i += 1
        }
        guard i > start, !(bytes[start] == UInt8(ascii: "0") && i - start > 1) else { return nil }
        if i < bytes.count, bytes[i] == UInt8(ascii: ".") || bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E") {
            return nil
        }
        return (negative, value)
    }

    /// An array of token ids (plain integers 0 to 2³² − 1).
    public mutating func idList() -> [UInt32]? {
        guard take(UInt8(ascii: "[")) else { return nil }
        var out: [UInt32] = []
        // Room for what the rest of the buffer could hold (an id takes two bytes at least), up
        // to a bound: the array is kept with the document, and in a batch body the rest of the
        // buffer is every later document too.
        out.reserveCapacity(min((bytes.count - i) / 2, 4096))
        skipSpace()
        if take(UInt8(ascii: "]")) { return out }
        while true {
            guard let (negative, n) = integer(), !negative || n == 0, n <= UInt64(UInt32.max) else { return nil }
            out.append(UInt32(n))
            skipSpace()
            if take(UInt8(ascii: ",")) { skipSpace(); continue }
            return take(UInt8(ascii: "]")) ? out : nil
        }
    }

    /// Takes `word` (`true`, `null`, …) if it is next.
    public mutating func literal(_ word: StaticString) -> Bool {
        let n = word.utf8CodeUnitCount
        guard bytes.count - i >= n else { return false }
        for k in 0..<n where bytes[i + k] != word.utf8Start[k] { return false }
        i += n
        return true
    }

    /// A string, a plain integer that fits in `Int`, or a boolean.
    public mutating func scalar() -> JSONValue? {
        guard i < bytes.count else { return nil }
        switch bytes[i] {
        case UInt8(ascii: "\""): return string().map(JSONValue.string)
        case UInt8(ascii: "t"): return literal("true") ? .bool(true) : nil
        case UInt8(ascii: "f"): return literal("false") ? .bool(false) : nil
        default:
            guard let (negative, n) = integer() else { return nil }
            if negative {
                guard n <= UInt64(Int.max) else { return nil }  // -2^63 itself is left to the decoder
                return .int(-Int(n))
            }
            return n <= UInt64(Int.max) ? .int(Int(n)) : nil
        }
    }

    private static func hexValue(_ b: UInt8) -> UInt32? {
        switch b {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return UInt32(b - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return UInt32(b - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return UInt32(b - UInt8(ascii: "A") + 10)
        default: return nil
        }
    }

    private mutating func hex4() -> UInt32? {
        guard bytes.count - i >= 4 else { return nil }
        var v: UInt32 = 0
        for _ in 0..<4 {
            guard let d = Self.hexValue(bytes[i]) else { return nil }
            v = v << 4 | d
            i += 1
        }
        return v
    }

    /// Moves `i` past bytes that need no unescaping: none a quote, a backslash or a control
    /// character. Sixteen at a time, since a text is mostly such runs and this scan was most
    /// of the reader's time.
    @inline(__always)
    private mutating func skipPlainRun() {
        if let base = bytes.baseAddress {
            let quote = SIMD16<UInt8>(repeating: UInt8(ascii: "\"")), backslash = SIMD16<UInt8>(repeating: UInt8(ascii: "\\"))
            let space = SIMD16<UInt8>(repeating: 0x20)
            while bytes.count - i >= 16 {
                let v = UnsafeRawPointer(base + i).loadUnaligned(as: SIMD16<UInt8>.self)
                if any((v .== quote) .| (v .== backslash) .| (v .< space)) { break }
                i += 16
            }
        }
        while i < bytes.count, bytes[i] != UInt8(ascii: "\""), bytes[i] != UInt8(ascii: "\\"), bytes[i] >= 0x20 { i += 1 }
    }

    /// A string value, unescaped; nil for anything the decoder might read differently.
    public mutating func string() -> String? {
        guard take(UInt8(ascii: "\"")) else { return nil }
        var start = i
        skipPlainRun()
        guard i < bytes.count else { return nil }
        if bytes[i] == UInt8(ascii: "\"") {
            let run = UnsafeBufferPointer(rebasing: bytes[start..<i])
            i += 1
            return String(validating: run, as: UTF8.self)
        }
        // Escapes: plain runs copied whole between them.
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count - start)
        while true {
            out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<i]))
            guard i < bytes.count else { return nil }
            let b = bytes[i]
            if b == UInt8(ascii: "\"") {
                i += 1
                return String(validating: out, as: UTF8.self)
            }
            guard b == UInt8(ascii: "\\") else { return nil }  // a raw control character
            i += 1
            guard i < bytes.count else { return nil }
            let e = bytes[i]
            i += 1
            switch e {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                guard var code = hex4() else { return nil }
                if (0xD800..<0xDC00).contains(code) {
                    guard take(UInt8(ascii: "\\")), take(UInt8(ascii: "u")), let low = hex4(), (0xDC00..<0xE000).contains(low) else { return nil }
                    code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                } else if (0xDC00..<0xE000).contains(code) {
                    return nil
                }
                guard let scalar = Unicode.Scalar(code) else { return nil }
                out.append(contentsOf: UTF8.encode(scalar)!)
            default: return nil
            }
            start = i
            skipPlainRun()
        }
    }
}

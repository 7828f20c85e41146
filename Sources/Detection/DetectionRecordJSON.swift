/// The `--json` record of one result, written by hand: on a corpus, Foundation's encoder cost
/// about 5% of detection (a keyed container, a sort and a dictionary per document), and this
/// writer gives the same bytes as `JSONLine.string(encoding:)` of the Encodable wrappers
/// (keys sorted, slashes unescaped; Tests/DetectionTests/RecordJSONTests.swift holds the two
/// equal on random results). Anything it does not write the same way (a non-finite number,
/// an `id` that is an array or an object) goes through the encoder.
extension DetectionResult {
    /// The result's JSON object with the fields that sit beside it in every front end's record
    /// merged in: `source` and `index` (the CLI), `id` (the input line's), `tokenizer` (the
    /// fingerprint of the tokenizer that read a text).
    public func jsonRecord(source: String? = nil, index: Int? = nil, id: JSONValue? = nil, tokenizer: String? = nil) -> String {
        guard let record = RecordWriter.write(self, source: source, index: index, id: id, tokenizer: tokenizer) else {
            return JSONLine.string(encoding: Fallback(result: self, source: source, index: index, id: id, tokenizer: tokenizer))
        }
        return record
    }

    /// The encoder's way, for what the writer leaves to it.
    private struct Fallback: Encodable {
        let result: DetectionResult
        let source: String?, index: Int?, id: JSONValue?, tokenizer: String?
        private enum Keys: String, CodingKey { case source, index, id, tokenizer }

        func encode(to encoder: any Encoder) throws {
            try result.encode(to: encoder)
            var container = encoder.container(keyedBy: Keys.self)
            try container.encodeIfPresent(source, forKey: .source)
            try container.encodeIfPresent(index, forKey: .index)
            try container.encodeIfPresent(id, forKey: .id)
            try container.encodeIfPresent(tokenizer, forKey: .tokenizer)
        }
    }
}

extension JSONLine {
    /// `watermark tokenize --jsonl`'s line for one document: `{"id":…,"ids":[…],"index":…,
    /// "source":…}` (`id` only when the input line had one), the bytes
    /// `string(encoding:)` gives for those fields. Foundation's encoder spent about two thirds
    /// of that command's time boxing each id; an `id` that is an array or an object still
    /// goes through it.
    public static func tokenizedRecord(ids: [UInt32], index: Int, source: String, id: JSONValue?) -> String {
        if let record = RecordWriter.write(ids: ids, index: index, source: source, id: id) { return record }
        return string(encoding: TokenizedFallback(ids: ids, index: index, source: source, id: id))
    }

    private struct TokenizedFallback: Encodable {
        let ids: [UInt32]
        let index: Int
        let source: String
        let id: JSONValue?
    }

    /// `watermark tokenize --jsonl --count`'s line for one document: `{"id":…,"index":…,
    /// "source":…,"tokens":…}` (`id` only when the input line had one), the bytes
    /// `string(encoding:)` gives for those fields.
    public static func tokenCountRecord(tokens: Int, index: Int, source: String, id: JSONValue?) -> String {
        if let record = RecordWriter.write(tokens: tokens, index: index, source: source, id: id) { return record }
        return string(encoding: CountFallback(tokens: tokens, index: index, source: source, id: id))
    }

    private struct CountFallback: Encodable {
        let tokens: Int
        let index: Int
        let source: String
        let id: JSONValue?
    }
}

/// Writes fields in the sorted order of their keys (byte order, as the encoder's
/// `.sortedKeys` sorts these ASCII names).
private struct RecordWriter {
    private var out: [UInt8] = []
    private var first = true
    /// False once a value was met that only the encoder should write.
    private var exact = true

    static func write(_ r: DetectionResult, source: String?, index: Int?, id: JSONValue?, tokenizer: String?) -> String? {
        var w = RecordWriter()
        w.out.reserveCapacity(640 + (r.attribution?.count ?? 0) * 2)
        w.out.append(UInt8(ascii: "{"))
        if let a = r.attribution {
            w.key("attribution")
            w.out.append(UInt8(ascii: "["))
            for (i, s) in a.enumerated() {
                if i > 0 { w.out.append(UInt8(ascii: ",")) }
                w.out.append(UInt8(ascii: "0") + s.rawValue)  // raw values are 0...4
            }
            w.out.append(UInt8(ascii: "]"))
        }
        w.field("calibrated", r.calibrated)
        if let n = r.commonSkipped { w.field("commonSkipped", n) }
        if let s = r.commonTuples { w.field("commonTuples", s) }
        w.field("contextWidth", r.contextWidth)
        w.field("deduplicated", r.deduplicated)
        w.field("effectiveGamma", r.effectiveGamma)
        w.field("falsePositiveRate", r.falsePositiveRate)
        w.field("gamma", r.gamma)
        w.field("green", r.green)
        if let id { w.key("id"); w.value(id) }
        if let index { w.field("index", index) }
        w.field("keyID", r.keyID)
        if let keys = r.keys {
            w.key("keys")
            w.out.append(UInt8(ascii: "["))
            for (i, k) in keys.enumerated() {
                if i > 0 { w.out.append(UInt8(ascii: ",")) }
                w.out.append(UInt8(ascii: "{"))
                w.first = true
                w.field("green", k.green)
                w.field("keyID", k.keyID)
                w.field("log10p", k.log10p)
                w.field("p", k.p)
                w.field("z", k.z)
                w.out.append(UInt8(ascii: "}"))
            }
            w.out.append(UInt8(ascii: "]"))
            w.first = false
        }
        w.field("keysTried", r.keysTried)
        w.field("log10p", r.log10p)
        w.field("log10pAdjusted", r.log10pAdjusted)
        w.field("minimumScore", r.minimumScore)
        w.field("minimumScored", r.minimumScored)
        w.field("p", r.p)
        w.field("pAdjusted", r.pAdjusted)
        w.field("scheme", r.scheme)
        w.field("scored", r.scored)
        if let source { w.field("source", source) }
        if let tokenizer { w.field("tokenizer", tokenizer) }
        w.field("tokens", r.tokens)
        w.field("verdict", r.verdict.rawValue)
        if let m = r.window {
            w.key("window")
            w.out.append(UInt8(ascii: "{"))
            w.first = true
            w.field("endToken", m.endToken)
            w.field("green", m.green)
            w.field("log10p", m.log10p)
            w.field("p", m.p)
            w.field("scored", m.scored)
            w.field("startToken", m.startToken)
            w.field("windowsTried", m.windowsTried)
            w.field("z", m.z)
            w.out.append(UInt8(ascii: "}"))
            w.first = false
        }
        w.field("z", r.z)
        w.out.append(UInt8(ascii: "}"))
        return w.exact ? String(decoding: w.out, as: UTF8.self) : nil
    }

    static func write(ids: [UInt32], index: Int, source: String, id: JSONValue?) -> String? {
        var w = RecordWriter()
        w.out.reserveCapacity(32 + ids.count * 6 + source.utf8.count)
        w.out.append(UInt8(ascii: "{"))
        if let id { w.key("id"); w.value(id) }
        w.key("ids")
        w.out.append(UInt8(ascii: "["))
        for (i, t) in ids.enumerated() {
            if i > 0 { w.out.append(UInt8(ascii: ",")) }
            w.decimal(Int(t))
        }
        w.out.append(UInt8(ascii: "]"))
        w.field("index", index)
        w.field("source", source)
        w.out.append(UInt8(ascii: "}"))
        return w.exact ? String(decoding: w.out, as: UTF8.self) : nil
    }

    static func write(tokens: Int, index: Int, source: String, id: JSONValue?) -> String? {
        var w = RecordWriter()
        w.out.reserveCapacity(48 + source.utf8.count)
        w.out.append(UInt8(ascii: "{"))
        if let id { w.key("id"); w.value(id) }
        w.field("index", index)
        w.field("source", source)
        w.field("tokens", tokens)
        w.out.append(UInt8(ascii: "}"))
        return w.exact ? String(decoding: w.out, as: UTF8.self) : nil
    }

    private mutating func key(_ name: StaticString) {
        if !first { out.append(UInt8(ascii: ",")) }
        first = false
        out.append(UInt8(ascii: "\""))
        name.withUTF8Buffer { out.append(contentsOf: $0) }
        out.append(UInt8(ascii: "\""))
        out.append(UInt8(ascii: ":"))
    }

    private mutating func field(_ name: StaticString, _ value: Bool) {
        key(name)
        out.append(contentsOf: value ? Self.trueBytes : Self.falseBytes)
    }

    private mutating func field(_ name: StaticString, _ value: Int) {
        key(name)
        decimal(value)
    }

    /// An integer's decimal digits, without a String in between (a record has a dozen).
    private mutating func decimal(_ value: Int) {
        if value < 0 { out.append(UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // room for 20 digits, reversed
        var count = 0
        withUnsafeMutableBytes(of: &digits) { d in
            repeat {
                d[count] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
                count += 1
            } while magnitude > 0
            for k in stride(from: count - 1, through: 0, by: -1) { out.append(d[k]) }
        }
    }

    private mutating func field(_ name: StaticString, _ value: Double) {
        key(name)
        number(value)
    }

    private mutating func field(_ name: StaticString, _ value: String) {
        key(name)
        string(value)
    }

    private static let trueBytes = Array("true".utf8), falseBytes = Array("false".utf8), nullBytes = Array("null".utf8)

    /// The shortest decimal that reads back as the same double, as the encoder writes it: an
    /// integral value without its ".0".
    private mutating func number(_ x: Double) {
        guard x.isFinite else {
            exact = false
            return
        }
        let text = x.description
        if text.hasSuffix(".0") { out.append(contentsOf: text.utf8.dropLast(2)) } else { out.append(contentsOf: text.utf8) }
    }

    private mutating func value(_ v: JSONValue) {
        switch v {
        case .null: out.append(contentsOf: Self.nullBytes)
        case .bool(let b): out.append(contentsOf: b ? Self.trueBytes : Self.falseBytes)
        case .int(let n): decimal(n)
        case .double(let x): number(x)
        case .string(let s): string(s)
        case .array, .object: exact = false
        }
    }

    private static let hex = Array("0123456789abcdef".utf8)

    /// A JSON string: quote and backslash escaped, control characters as the encoder writes
    /// them, everything else (slashes and non-ASCII included) as it is.
    private mutating func string(_ s: String) {
        out.append(UInt8(ascii: "\""))
        for byte in s.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out.append(UInt8(ascii: "\\")); out.append(byte)
            case UInt8(ascii: "\\"): out.append(UInt8(ascii: "\\")); out.append(byte)
            case 0x08: out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "b"))
            case 0x0C: out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "f"))
            case 0x0A: out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "n"))
            case 0x0D: out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "r"))
            case 0x09: out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "t"))
            case 0x00..<0x20:
                out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"),
                                        Self.hex[Int(byte >> 4)], Self.hex[Int(byte & 15)]])
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}

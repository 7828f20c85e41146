/// Parses token ids from bytes, incrementally: decimal integers separated by whitespace or
/// commas, optionally inside one JSON-style `[ … ]`.
///
/// Bytes can arrive in chunks of any size (a number may straddle two chunks), so a file of
/// any length is parsed in constant memory.
public struct TokenIDParser {
    private var current: UInt64 = 0
    private var digits = 0
    private var sawOpen = false
    private var sawClose = false
    private var sawAny = false
    private var offset = 0
    public private(set) var count = 0

    public init() {}

    /// Feeds the next chunk; calls `emit` for every complete id.
    /// - Throws: a description of the problem with its byte offset.
    public mutating func feed(_ bytes: some Sequence<UInt8>, emit: (UInt32) throws -> Void) throws {
        for b in bytes {
            defer { offset += 1 }
            switch b {
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                if sawClose { throw ParseFailure("text after the closing ']' at byte \(offset)") }
                current = current * 10 + UInt64(b - UInt8(ascii: "0"))
                digits += 1
                if current > UInt64(UInt32.max) || digits > 10 {
                    throw ParseFailure("token id at byte \(offset - digits + 1) is larger than 4294967295")
                }
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r"), UInt8(ascii: ","):
                try flush(emit)
            case UInt8(ascii: "["):
                if sawOpen || sawAny { throw ParseFailure("unexpected '[' at byte \(offset); expected one flat list of ids") }
                sawOpen = true
            case UInt8(ascii: "]"):
                if !sawOpen || sawClose { throw ParseFailure("unexpected ']' at byte \(offset)") }
                try flush(emit)
                sawClose = true
            default:
                let shown = (0x21...0x7E).contains(b) ? "'\(Character(Unicode.Scalar(b)))'" : String(format: b)
                throw ParseFailure("\(shown) at byte \(offset) is not part of a token id (expected integers 0 to 4294967295 separated by spaces or commas)")
            }
        }
    }

    /// Ends the input; throws if a '[' was left open or no id was found.
    public mutating func finish(emit: (UInt32) throws -> Void) throws {
        try flush(emit)
        if sawOpen && !sawClose { throw ParseFailure("the '[' is never closed") }
        if count == 0 { throw ParseFailure("no token ids found") }
    }

    private mutating func flush(_ emit: (UInt32) throws -> Void) throws {
        guard digits > 0 else { return }
        try emit(UInt32(current))
        count += 1
        sawAny = true
        current = 0
        digits = 0
    }

    /// Parses a whole buffer at once.
    public static func parse(_ bytes: some Sequence<UInt8>) throws -> [UInt32] {
        var parser = TokenIDParser()
        var out: [UInt32] = []
        try parser.feed(bytes) { out.append($0) }
        try parser.finish { out.append($0) }
        return out
    }

    public struct ParseFailure: Error, CustomStringConvertible {
        public let description: String
        init(_ description: String) { self.description = description }
    }
}

private func String(format byte: UInt8) -> String {
    let hex = Array("0123456789abcdef")
    return "byte 0x\(hex[Int(byte >> 4)])\(hex[Int(byte & 15)])"
}

/// GPT-2's reversible byte ↔ character alphabet: byte-level BPE vocabularies spell every
/// byte as a printable character (printable Latin-1 stays itself; the other 68 bytes move
/// to U+0100 and up, so a space is `Ġ` and a newline `Ċ`).
enum ByteLevel {
    /// The character standing for each byte.
    static let byteToScalar: [Unicode.Scalar] = {
        var table = [Unicode.Scalar](repeating: "\0", count: 256)
        var next: UInt32 = 256
        for b in 0..<256 {
            let printable = (0x21...0x7E).contains(b) || (0xA1...0xAC).contains(b) || (0xAE...0xFF).contains(b)
            if printable {
                table[b] = Unicode.Scalar(UInt32(b))!
            } else {
                table[b] = Unicode.Scalar(next)!
                next += 1
            }
        }
        return table
    }()

    /// The byte a character stands for, or `nil` if it is not in the alphabet.
    static func byte(for scalar: Unicode.Scalar) -> UInt8? { byte(forValue: scalar.value) }

    @inline(__always)
    private static func byte(forValue v: UInt32) -> UInt8? {
        if (0x21...0x7E).contains(v) || (0xA1...0xAC).contains(v) || (0xAE...0xFF).contains(v) {
            return UInt8(v)
        }
        guard v >= 256, v < 256 + 68 else { return nil }
        return scalarToByteHigh[Int(v - 256)]
    }

    /// Calls `body` with each byte that `token` spells, read from its UTF-8 in one pass (every
    /// character of the alphabet is one or two UTF-8 bytes); false, having stopped, at the
    /// first character outside the alphabet. Loading a vocabulary reads every spelling this way,
    /// where walking its Unicode scalars (twice: to count, then to decode) was a tenth of the load.
    @inline(__always)
    static func forEachByte(of token: String, _ body: (UInt8) -> Void) -> Bool {
        var token = token
        return token.withUTF8 { forEachByte(ofUTF8: $0, body) }
    }

    /// ``forEachByte(of:_:)`` for a spelling given as its UTF-8.
    @inline(__always)
    static func forEachByte(ofUTF8 p: UnsafeBufferPointer<UInt8>, _ body: (UInt8) -> Void) -> Bool {
        var i = 0
        while i < p.count {
            let lead = p[i]
            let value: UInt32
            if lead < 0x80 {
                value = UInt32(lead)
                i += 1
            } else if lead >= 0xC2 && lead <= 0xC5 && i + 1 < p.count {
                value = UInt32(lead & 0x1F) << 6 | UInt32(p[i + 1] & 0x3F)
                i += 2
            } else {
                return false
            }
            guard let b = byte(forValue: value) else { return false }
            body(b)
        }
        return true
    }

    /// Whether every character of `token` is in the alphabet.
    static func isSpelling(_ token: String) -> Bool { forEachByte(of: token) { _ in } }

    /// Whether every character of the spelling whose UTF-8 is `utf8` is in the alphabet.
    static func isSpelling(utf8: UnsafeBufferPointer<UInt8>) -> Bool { forEachByte(ofUTF8: utf8) { _ in } }

    private static let scalarToByteHigh: [UInt8] = {
        var t = [UInt8](repeating: 0, count: 68)
        for b in 0..<256 where byteToScalar[b].value >= 256 {
            t[Int(byteToScalar[b].value - 256)] = UInt8(b)
        }
        return t
    }()

    /// The vocabulary spelling of `bytes`.
    static func encode<C: Collection<UInt8>>(_ bytes: C) -> String {
        var s = String.UnicodeScalarView()
        for b in bytes { s.append(byteToScalar[Int(b)]) }
        return String(s)
    }

    /// The bytes a vocabulary string spells, or `nil` if some character is outside the alphabet.
    static func decode(_ token: String) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(token.utf8.count)
        return decode(token, appendingTo: &out) ? out : nil
    }

    /// Appends the bytes `token` spells to `out`; false, with `out` as it was, if some
    /// character is outside the alphabet (a tokenizer's flat byte table is filled this way).
    static func decode(_ token: String, appendingTo out: inout [UInt8]) -> Bool {
        var token = token
        return token.withUTF8 { decode(utf8: $0, appendingTo: &out) }
    }

    /// ``decode(_:appendingTo:)`` for a spelling given as its UTF-8.
    static func decode(utf8 spelling: UnsafeBufferPointer<UInt8>, appendingTo out: inout [UInt8]) -> Bool {
        let start = out.count
        if forEachByte(ofUTF8: spelling, { out.append($0) }) { return true }
        out.removeSubrange(start...)
        return false
    }
}

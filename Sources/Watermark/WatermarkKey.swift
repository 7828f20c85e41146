import Foundation
internal import CryptoSupport

/// A secret `greenlist-v1` key of 16 to 64 bytes.
///
/// The bytes are reachable only inside this module: `description`, `debugDescription` and
/// reflection all show the `keyID`, so a key that ends up in a log or an error message by
/// accident still does not leak.
public struct WatermarkKey: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    public static let validLengths = 16...64
    public static let recommendedLength = 32

    let bytes: [UInt8]
    /// `hex(SHA-256("greenlist-v1 key id" ‖ K)[0..<8])`: the only name outputs may use for a key.
    public let keyID: String

    /// Wraps raw key bytes, checking the length the scheme allows.
    public init(bytes: [UInt8]) throws(WatermarkError) {
        guard Self.validLengths.contains(bytes.count) else { throw .invalidKeyLength(bytes.count) }
        self.bytes = bytes
        do {
            let digest = try SHA256.hash(Array("greenlist-v1 key id".utf8) + bytes)
            self.keyID = Hex.encode(digest.prefix(8))
        } catch {
            throw .crypto(error)
        }
    }

    /// A new key of `length` bytes from OpenSSL's CSPRNG.
    public static func generate(length: Int = recommendedLength) throws(WatermarkError) -> WatermarkKey {
        guard validLengths.contains(length) else { throw .invalidKeyLength(length) }
        let bytes: [UInt8]
        do { bytes = try SecureRandom.bytes(length) } catch { throw .crypto(error) }
        return try WatermarkKey(bytes: bytes)
    }

    /// The key as lowercase hex, the form `keygen` writes. Handle it as the secret it is.
    public var hexEncoded: String { Hex.encode(bytes) }

    public var description: String { "WatermarkKey(keyID: \(keyID))" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["keyID": keyID]) }

    /// Reads a key from text or bytes: hex (whitespace ignored), then standard or URL-safe
    /// base64, then the raw bytes themselves.
    ///
    /// Hex wins when the text is all hex digits, so a 32-byte raw key that happens to be
    /// printable hex is read as 16 bytes of hex; `keygen` always writes hex, which avoids this.
    public init(parsing data: [UInt8]) throws(WatermarkError) {
        let trimmed = Self.trimmingASCIIWhitespace(data)
        if !trimmed.isEmpty, trimmed.count % 2 == 0, let decoded = Hex.decode(trimmed) {
            try self.init(bytes: decoded)
        } else if !trimmed.isEmpty, let decoded = Base64.decode(trimmed) {
            try self.init(bytes: decoded)
        } else if Self.validLengths.contains(data.count) {
            try self.init(bytes: data)
        } else if data.isEmpty || trimmed.isEmpty {
            throw .unparsableKey(.empty)
        } else {
            throw .unparsableKey(.notAKey(rawLength: data.count))
        }
    }

    private static func trimmingASCIIWhitespace(_ data: [UInt8]) -> ArraySlice<UInt8> {
        let isSpace: (UInt8) -> Bool = { $0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }
        guard let first = data.firstIndex(where: { !isSpace($0) }),
              let last = data.lastIndex(where: { !isSpace($0) }) else { return [] }
        return data[first...last]
    }
}

enum Base64 {
    static func decode(_ text: some Collection<UInt8>) -> [UInt8]? {
        // Accept the URL-safe alphabet too by mapping it onto the standard one.
        var normalised = text.map { c -> UInt8 in c == UInt8(ascii: "-") ? UInt8(ascii: "+") : c == UInt8(ascii: "_") ? UInt8(ascii: "/") : c }
        while normalised.count % 4 != 0 { normalised.append(UInt8(ascii: "=")) }
        guard let data = Data(base64Encoded: Data(normalised)) else { return nil }
        return [UInt8](data)
    }
}

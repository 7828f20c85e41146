internal import CCryptoShim

/// HMAC-SHA256 under one fixed key, with the OpenSSL context kept for the object's lifetime.
///
/// Re-initialising an `EVP_MAC_CTX` with a `nil` key keeps the key schedule (the ipad/opad
/// states), so each call after the first costs two SHA-256 compressions and no allocation.
/// Not thread-safe: give each thread its own instance.
final class HMACSHA256 {
    static let outputSize = 32
    private let mac: OpaquePointer
    private let context: OpaquePointer

    init(key: [UInt8]) throws(CryptoError) {
        guard let mac = EVP_MAC_fetch(nil, "HMAC", nil) else { throw OpenSSL.error("HMAC-SHA256 fetch") }
        guard let context = EVP_MAC_CTX_new(mac) else {
            EVP_MAC_free(mac)
            throw OpenSSL.error("HMAC-SHA256 context")
        }
        self.mac = mac
        self.context = context
        let ok = "digest".withCString { name -> Int32 in
            "SHA256".withCString { value -> Int32 in
                var params = [
                    OSSL_PARAM_construct_utf8_string(name, UnsafeMutablePointer(mutating: value), 0),
                    OSSL_PARAM_construct_end(),
                ]
                return key.withUnsafeBufferPointer { EVP_MAC_init(context, $0.baseAddress, $0.count, &params) }
            }
        }
        try OpenSSL.check(ok, "HMAC-SHA256 init")
    }

    deinit {
        EVP_MAC_CTX_free(context)
        EVP_MAC_free(mac)
    }

    /// Writes the 32-byte MAC of `message` to `output`.
    func authenticate(_ message: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) throws(CryptoError) {
        precondition(output.count >= Self.outputSize)
        try OpenSSL.check(EVP_MAC_init(context, nil, 0, nil), "HMAC-SHA256 reinit")
        try OpenSSL.check(
            EVP_MAC_update(context, message.baseAddress?.assumingMemoryBound(to: UInt8.self), message.count),
            "HMAC-SHA256 update")
        var written = 0
        try OpenSSL.check(
            EVP_MAC_final(context, output.baseAddress?.assumingMemoryBound(to: UInt8.self), &written, output.count),
            "HMAC-SHA256 final")
        guard written == Self.outputSize else { throw CryptoError(operation: "HMAC-SHA256 final", reason: "wrote \(written) bytes") }
    }
}

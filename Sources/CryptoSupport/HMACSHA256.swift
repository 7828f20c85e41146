internal import CCryptoShim

/// HMAC-SHA256 (RFC 2104) under one fixed key, built from two SHA-256 states of OpenSSL.
///
/// The states after absorbing `K ⊕ ipad` and `K ⊕ opad` are computed once; each MAC then
/// copies them and runs two short digests. The states are OpenSSL's `SHA256_CTX` structs,
/// copied by assignment: `EVP_MD_CTX_copy_ex` freed, allocated and cleansed the copy's state
/// each time, which with `EVP_MAC_CTX`'s parameter handling before it was most of a MAC of an
/// 18-byte message. Keys are at most 64 bytes (SHA-256's block), so no key pre-hashing
/// applies. Not thread-safe: give each thread its own instance.
package final class HMACSHA256 {
    package static let outputSize = 32
    package static let blockSize = 64
    /// inner, outer, scratch: key-derived, so kept off the stack and cleansed at the end.
    private let states: UnsafeMutablePointer<SHA256_CTX>
    private let innerDigest: UnsafeMutablePointer<UInt8>

    package init(key: [UInt8]) throws(CryptoError) {
        precondition(key.count <= Self.blockSize)
        var padded = key + [UInt8](repeating: 0, count: Self.blockSize - key.count)
        defer { OPENSSL_cleanse(&padded, padded.count) }
        var ipad = padded.map { $0 ^ 0x36 }, opad = padded.map { $0 ^ 0x5C }
        var inner = SHA256_CTX(), outer = SHA256_CTX()
        defer {
            OPENSSL_cleanse(&ipad, ipad.count)
            OPENSSL_cleanse(&opad, opad.count)
            OPENSSL_cleanse(&inner, MemoryLayout<SHA256_CTX>.size)
            OPENSSL_cleanse(&outer, MemoryLayout<SHA256_CTX>.size)
        }
        guard SHA256_Init(&inner) == 1, SHA256_Update(&inner, ipad, ipad.count) == 1,
              SHA256_Init(&outer) == 1, SHA256_Update(&outer, opad, opad.count) == 1 else {
            throw OpenSSL.error("HMAC-SHA256 key setup")
        }
        states = .allocate(capacity: 3)
        states.initialize(to: inner)
        (states + 1).initialize(to: outer)
        (states + 2).initialize(to: SHA256_CTX())
        innerDigest = .allocate(capacity: Self.outputSize)
        innerDigest.initialize(repeating: 0, count: Self.outputSize)
    }

    deinit {
        OPENSSL_cleanse(states, 3 * MemoryLayout<SHA256_CTX>.stride)
        OPENSSL_cleanse(innerDigest, Self.outputSize)
        states.deallocate()
        innerDigest.deallocate()
    }

    /// Writes the 32-byte MAC of `message` to `output`.
    package func authenticate(_ message: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) throws(CryptoError) {
        precondition(output.count >= Self.outputSize)
        let scratch = states + 2
        scratch.pointee = states[0]
        guard SHA256_Update(scratch, message.baseAddress, message.count) == 1, SHA256_Final(innerDigest, scratch) == 1 else {
            throw OpenSSL.error("HMAC-SHA256 inner digest")
        }
        scratch.pointee = states[1]
        guard SHA256_Update(scratch, innerDigest, Self.outputSize) == 1,
              SHA256_Final(output.baseAddress!.assumingMemoryBound(to: UInt8.self), scratch) == 1 else {
            throw OpenSSL.error("HMAC-SHA256 outer digest")
        }
    }
}

internal import CBlockCipher

/// One AES-128 block with the CPU's AES instructions, key schedule made on the fly.
///
/// The detector tests one token per tuple: one block under a context's seed. Through EVP that
/// block costs tens of nanoseconds of dispatch for a few nanoseconds of rounds, and each cached
/// context needs its own EVP context (about a kilobyte, scattered on the heap). Here the caller
/// keeps only the 16-byte key. OpenSSL stays the reference: tests hold this to `AESBlock` on
/// random keys and counters, and every caller falls back to OpenSSL when ``isAvailable`` is false.
package enum HardwareAES {
    /// True when this CPU has the instructions (x86-64 with AES-NI); checked once.
    package static let isAvailable: Bool = wm_block_cipher_available() != 0

    /// The 16-bit score of `token` in the AES-128-CTR keystream under the 16 bytes at `key`:
    /// bytes `2·(token mod 8)` and the next, little-endian, of block `token / 8`.
    /// Only when ``isAvailable``.
    @inline(__always)
    package static func score(key: UnsafeRawPointer, token: UInt32) -> UInt32 {
        wm_block_cipher_score(key.assumingMemoryBound(to: UInt8.self), token)
    }

    /// AES-128 of one block (16 bytes each), for tests against OpenSSL. Only when ``isAvailable``.
    package static func encrypt(key: [UInt8], block: [UInt8]) -> [UInt8] {
        precondition(key.count == 16 && block.count == 16)
        var out = [UInt8](repeating: 0, count: 16)
        wm_block_cipher_encrypt(key, block, &out)
        return out
    }
}

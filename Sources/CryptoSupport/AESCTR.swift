internal import CCryptoShim

/// AES-128-CTR keystream generation with one reused cipher context.
///
/// The scheme re-keys AES at every position, so the context is set up for the cipher once
/// and only the key and counter change per call (`EVP_EncryptInit_ex` with a nil cipher).
package final class AESCTRKeystream {
    private let context: OpaquePointer
    /// Zero plaintext: CTR mode's output on zeros is the keystream itself.
    private var zeros = UnsafeMutableRawBufferPointer.allocate(byteCount: 0, alignment: 64)

    package init() throws(CryptoError) {
        guard let context = EVP_CIPHER_CTX_new() else { throw OpenSSL.error("AES-128-CTR context") }
        self.context = context
        try OpenSSL.check(EVP_EncryptInit_ex(context, EVP_aes_128_ctr(), nil, nil, nil), "AES-128-CTR init")
    }

    deinit {
        EVP_CIPHER_CTX_free(context)
        zeros.deallocate()
    }

    /// Fills `output` with the keystream for `key` (16 bytes) starting at 16-byte block `block`.
    package func keystream(key: UnsafeRawBufferPointer, startingAtBlock block: UInt64 = 0,
                   into output: UnsafeMutableRawBufferPointer) throws(CryptoError) {
        try reset(key: key, block: block)
        try continueKeystream(into: output)
    }

    /// Sets the key and the counter block; the keystream then continues across calls to
    /// `continueKeystream`, which lets callers consume it in cache-sized pieces.
    package func reset(key: UnsafeRawBufferPointer, block: UInt64 = 0) throws(CryptoError) {
        precondition(key.count >= 16)
        // The initial counter block is a 128-bit big-endian integer; the high 64 bits stay zero.
        var iv = (UInt64(0), block.bigEndian)
        let ok = withUnsafeBytes(of: &iv) { ivBytes in
            EVP_EncryptInit_ex(context, nil, nil,
                               key.baseAddress?.assumingMemoryBound(to: UInt8.self),
                               ivBytes.baseAddress?.assumingMemoryBound(to: UInt8.self))
        }
        try OpenSSL.check(ok, "AES-128-CTR key setup")
    }

    /// The next `output.count` bytes of the keystream.
    package func continueKeystream(into output: UnsafeMutableRawBufferPointer) throws(CryptoError) {
        guard output.count > 0 else { return }
        let chunkLimit = 1 << 20
        if zeros.count < min(output.count, chunkLimit) {
            zeros.deallocate()
            zeros = .allocate(byteCount: min(output.count, chunkLimit), alignment: 64)
            zeros.initializeMemory(as: UInt8.self, repeating: 0)
        }
        var offset = 0
        while offset < output.count {
            // Bounded chunks keep the zero buffer small and fit EVP_EncryptUpdate's Int32 length.
            let chunk = min(output.count - offset, chunkLimit)
            var written: Int32 = 0
            let ok = EVP_EncryptUpdate(context,
                                       output.baseAddress!.advanced(by: offset).assumingMemoryBound(to: UInt8.self),
                                       &written, zeros.baseAddress!.assumingMemoryBound(to: UInt8.self), Int32(chunk))
            try OpenSSL.check(ok, "AES-128-CTR keystream")
            guard Int(written) == chunk else {
                throw CryptoError(operation: "AES-128-CTR keystream", reason: "wrote \(written) of \(chunk) bytes")
            }
            offset += chunk
        }
    }
}

/// One AES-128 block under a fresh key: the keystream block `block` of CTR mode is
/// `AES(key, block)`, so ECB on the counter value gives it directly.
///
/// Single-token tests re-key AES for every tuple; with a cipher fetched once and
/// `EVP_EncryptInit_ex2` that costs about 80 ns here, against 95 ns for re-initialising CTR.
package final class AESBlock {
    private let context: OpaquePointer
    private let cipher: OpaquePointer
    private var counter = (UInt64(0), UInt64(0))

    package init() throws(CryptoError) {
        guard let cipher = EVP_CIPHER_fetch(nil, "AES-128-ECB", nil) else { throw OpenSSL.error("AES-128-ECB fetch") }
        guard let context = EVP_CIPHER_CTX_new() else {
            EVP_CIPHER_free(cipher)
            throw OpenSSL.error("AES-128-ECB context")
        }
        self.cipher = cipher
        self.context = context
        try OpenSSL.check(EVP_EncryptInit_ex2(context, cipher, nil, nil, nil), "AES-128-ECB init")
        try OpenSSL.check(EVP_CIPHER_CTX_set_padding(context, 0), "AES-128-ECB padding")
    }

    deinit {
        EVP_CIPHER_CTX_free(context)
        EVP_CIPHER_free(cipher)
    }

    /// Writes `AES(key[0..<16], block as a 128-bit big-endian integer)` to `output` (16 bytes).
    package func encryptCounter(key: UnsafeRawBufferPointer, block: UInt64, into output: UnsafeMutableRawBufferPointer) throws(CryptoError) {
        try setKey(key)
        try encryptCounter(block: block, into: output)
    }

    /// Keys the cipher; later `encryptCounter(block:into:)` calls reuse the key schedule.
    package func setKey(_ key: UnsafeRawBufferPointer) throws(CryptoError) {
        precondition(key.count >= 16)
        try OpenSSL.check(EVP_EncryptInit_ex2(context, nil, key.baseAddress?.assumingMemoryBound(to: UInt8.self), nil, nil),
                          "AES-128-ECB key setup")
    }

    /// `AES(current key, block)` into `output` (16 bytes).
    package func encryptCounter(block: UInt64, into output: UnsafeMutableRawBufferPointer) throws(CryptoError) {
        precondition(output.count >= 16)
        counter = (0, block.bigEndian)
        var written: Int32 = 0
        let ok = withUnsafeBytes(of: &counter) { c in
            EVP_EncryptUpdate(context, output.baseAddress?.assumingMemoryBound(to: UInt8.self), &written,
                              c.baseAddress?.assumingMemoryBound(to: UInt8.self), 16)
        }
        try OpenSSL.check(ok, "AES-128-ECB block")
        guard written == 16 else { throw CryptoError(operation: "AES-128-ECB block", reason: "wrote \(written) bytes") }
    }
}

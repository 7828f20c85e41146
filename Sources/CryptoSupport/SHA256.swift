internal import CCryptoShim

/// SHA-256 through OpenSSL: the one digest of the package (key ids, tokenizer and
/// common-tuple fingerprints), so no target carries a second implementation.
package enum SHA256 {
    /// The digest of `data` in one call (`EVP_Digest`).
    package static func hash(_ data: [UInt8]) throws(CryptoError) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        let ok = data.withUnsafeBufferPointer { d in
            out.withUnsafeMutableBufferPointer { o in
                EVP_Digest(d.baseAddress, d.count, o.baseAddress, &length, EVP_sha256(), nil)
            }
        }
        try OpenSSL.check(ok, "SHA-256")
        return out
    }

    /// An incremental digest, for inputs built piece by piece (a tokenizer's whole vocabulary).
    ///
    /// Owns its `EVP_MD_CTX`, freed in `deinit`; `~Copyable` so the context has one owner.
    package struct Hasher: ~Copyable {
        private let context: OpaquePointer

        package init() throws(CryptoError) {
            guard let context = EVP_MD_CTX_new() else { throw OpenSSL.error("SHA-256 context") }
            guard EVP_DigestInit_ex(context, EVP_sha256(), nil) == 1 else {
                EVP_MD_CTX_free(context)
                throw OpenSSL.error("SHA-256 init")
            }
            self.context = context
        }

        deinit { EVP_MD_CTX_free(context) }

        package mutating func update(_ bytes: [UInt8]) throws(CryptoError) {
            let ok = bytes.withUnsafeBufferPointer { EVP_DigestUpdate(context, $0.baseAddress, $0.count) }
            try OpenSSL.check(ok, "SHA-256 update")
        }

        /// The digest of everything given so far.
        package consuming func finalize() throws(CryptoError) -> [UInt8] {
            var out = [UInt8](repeating: 0, count: 32)
            var length: UInt32 = 0
            let ok = out.withUnsafeMutableBufferPointer { EVP_DigestFinal_ex(context, $0.baseAddress, &length) }
            try OpenSSL.check(ok, "SHA-256 final")
            return out
        }
    }
}

internal import CCryptoShim

/// One-shot SHA-256 through OpenSSL's `EVP_Digest`.
package enum SHA256 {
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
}

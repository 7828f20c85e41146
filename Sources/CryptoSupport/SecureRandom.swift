internal import CCryptoShim

/// Bytes from OpenSSL's CSPRNG (`RAND_bytes`), which the scheme requires for new keys.
package enum SecureRandom {
    package static func bytes(_ count: Int) throws(CryptoError) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        let ok = out.withUnsafeMutableBufferPointer { RAND_bytes($0.baseAddress, Int32($0.count)) }
        try OpenSSL.check(ok, "RAND_bytes")
        return out
    }
}

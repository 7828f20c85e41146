internal import CCryptoShim

/// Every OpenSSL call goes through `check`, so that a failing return code becomes a
/// `CryptoError` with the library's reason instead of a silent wrong answer.
package enum OpenSSL {
    package static func check(_ ok: Int32, _ operation: @autoclosure () -> String) throws(CryptoError) {
        guard ok == 1 else { throw error(operation()) }
    }

    package static func error(_ operation: String) -> CryptoError {
        var reasons: [String] = []
        while true {
            let code = ERR_get_error()
            if code == 0 { break }
            var buffer = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(code, &buffer, buffer.count)
            reasons.append(String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        return CryptoError(operation: operation, reason: reasons.joined(separator: "; "))
    }
}

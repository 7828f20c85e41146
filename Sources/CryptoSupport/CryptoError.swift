/// A failure reported by the system crypto library.
///
/// Carries which primitive failed and OpenSSL's own reason string, never key material.
public struct CryptoError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The operation that failed, such as `"HMAC-SHA256 init"`.
    public let operation: String
    /// OpenSSL's error queue, rendered as text (may be empty).
    public let reason: String

    public var description: String {
        reason.isEmpty ? "\(operation) failed in OpenSSL" : "\(operation) failed in OpenSSL: \(reason)"
    }
}

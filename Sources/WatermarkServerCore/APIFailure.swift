import SystemSupport

/// A request the service refuses: the HTTP status it answers with, a one-line reason for the
/// caller, and the reason's name for metrics and the audit log.
///
/// Messages never quote a key, a token or a document's text; they name fields and limits.
public struct APIFailure: Error, Sendable, Equatable, CustomStringConvertible {
    /// Why a request was refused; the raw value is the `reason` label of
    /// `watermark_rejections_total` and the `error` code of the JSON answer.
    public enum Reason: String, Sendable, CaseIterable {
        case unauthorized
        case forbidden
        case rateLimited = "rate-limited"
        case dailyBudget = "daily-budget"
        case bodyTooLarge = "body-too-large"
        case tooManyDocuments = "too-many-documents"
        case tooManyTokens = "too-many-tokens"
        case badRequest = "bad-request"
        case notFound = "not-found"
        case methodNotAllowed = "method-not-allowed"
        case overloaded
        case timeout
        case shuttingDown = "shutting-down"
        case internalError = "internal"

        /// The HTTP status this reason is answered with.
        public var status: Int {
            switch self {
            case .unauthorized: return 401
            case .forbidden: return 403
            case .rateLimited, .dailyBudget: return 429
            case .bodyTooLarge, .tooManyDocuments, .tooManyTokens: return 413
            case .badRequest: return 400
            case .notFound: return 404
            case .methodNotAllowed: return 405
            case .overloaded, .timeout, .shuttingDown: return 503
            case .internalError: return 500
            }
        }
    }

    public let reason: Reason
    public let message: String
    /// Seconds after which the same request may succeed (`Retry-After`), for 429 and 503.
    public let retryAfter: Int?

    /// The methods a route takes (`Allow`), for 405.
    public let allow: String?

    public init(_ reason: Reason, _ message: String, retryAfter: Int? = nil, allow: String? = nil) {
        self.reason = reason
        self.message = oneLine(message, limit: 500)
        self.retryAfter = retryAfter
        self.allow = allow
    }

    public var status: Int { reason.status }
    public var description: String { "\(reason.rawValue): \(message)" }
}

/// A problem with the service's own configuration, found at start: one line naming the file
/// or the setting.
public struct ServerSetupError: Error, Sendable, CustomStringConvertible {
    public let description: String
    public init(_ message: String) { description = oneLine(message, limit: 1000) }
}

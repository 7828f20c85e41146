/// Why a key, a parameter set or a key file was refused.
///
/// Descriptions are one line, name the file where there is one, and never contain key bytes.
public enum WatermarkError: Error, CustomStringConvertible, Sendable, Equatable {
    case invalidKeyLength(Int)
    case invalidGamma(Double)
    case invalidContextWidth(Int)
    case invalidDelta(Double)
    case contextLength(expected: Int, found: Int)
    case keyFile(path: String, problem: String)
    case crypto(CryptoError)

    public var description: String {
        switch self {
        case .invalidKeyLength(let n):
            return "the key is \(n) bytes; greenlist-v1 keys are 16 to 64 bytes (32 recommended)"
        case .invalidGamma(let g):
            return "gamma must be a number strictly between 0 and 1 (got \(g))"
        case .invalidContextWidth(let h):
            return "context width must be 1 to 8 tokens (got \(h))"
        case .invalidDelta(let d):
            return "delta must be a finite number ≥ 0 (got \(d))"
        case .contextLength(let expected, let found):
            return "a context of \(expected) tokens was expected, got \(found)"
        case .keyFile(let path, let problem):
            return "\(path): \(problem)"
        case .crypto(let error):
            return error.description
        }
    }
}

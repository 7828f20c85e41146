public import CryptoSupport
internal import SystemSupport

/// Why a key, a parameter set or a key file was refused.
///
/// Descriptions are one line, name the file where there is one, and never contain key bytes.
/// They name no command-line option: a front end that has options words its own advice.
public enum WatermarkError: Error, CustomStringConvertible, Sendable, Equatable {
    case invalidKeyLength(Int)
    case invalidGamma(Double)
    case invalidContextWidth(Int)
    case invalidDelta(Double)
    /// A sampling temperature that is negative, NaN or infinite.
    case invalidTemperature(Double)
    case contextLength(expected: Int, found: Int)
    /// Key material that is neither hex, base64 nor a valid number of raw bytes.
    case unparsableKey(KeyParseProblem)
    case keyFile(path: String, problem: KeyFileProblem)
    case crypto(CryptoError)

    /// Why key material could not be read as a key.
    public enum KeyParseProblem: Sendable, Equatable {
        case empty
        /// Not hex, not base64, and this many raw bytes is no valid key length.
        case notAKey(rawLength: Int)
    }

    /// What went wrong with a key file.
    public enum KeyFileProblem: Sendable, Equatable, CustomStringConvertible {
        /// Writing without overwrite, and the file is there.
        case alreadyExists
        case isDirectory
        case notRegularFile(kind: String)
        case tooLarge(limit: Int)
        /// A system call failed; `operation` says which ("open", "read", "write", …), `reason` why.
        case system(operation: String, reason: String)
        /// The file's content is not a key.
        indirect case content(WatermarkError)

        public var description: String {
            switch self {
            case .alreadyExists: return "already exists"
            case .isDirectory: return "is a directory, not a key file"
            case .notRegularFile(let kind): return "is a \(kind), not a key file"
            case .tooLarge(let limit):
                return "is larger than \(limit) bytes; a key file holds a 16 to 64 byte key as hex, base64 or raw bytes"
            case .system(let operation, let reason): return "cannot \(operation) key file: \(reason)"
            case .content(let error): return error.description
            }
        }
    }

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
        case .invalidTemperature(let t):
            return "the sampling temperature must be a finite number ≥ 0 (got \(t))"
        case .contextLength(let expected, let found):
            return "a context of \(expected) tokens was expected, got \(found)"
        case .unparsableKey(.empty):
            return "the key is empty"
        case .unparsableKey(.notAKey(let n)):
            return "not a hex or base64 key, and \(n) raw bytes is not a valid key length (16 to 64)"
        case .keyFile(let path, let problem):
            return "\(oneLine(path, limit: 300)): \(problem)"
        case .crypto(let error):
            return error.description
        }
    }
}

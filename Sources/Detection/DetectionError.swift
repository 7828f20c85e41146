import Watermark
internal import SystemSupport

/// Why detection could not run or could not read its input.
///
/// Cases carry the values a front end needs to word its own message; ``description`` is a
/// plain one-line wording that names no command-line option.
public enum DetectionError: Error, CustomStringConvertible, Sendable, Equatable {
    case noKeys
    case minimumScoredTooSmall(Int)
    case falsePositiveRateOutOfRange(Double)
    case watermark(WatermarkError)
    /// Text was given to a pipeline that has no tokenizer (it was made for ids only), or a
    /// common-tuple list or calibration file needs one to check what it was made for.
    case noTokenizer
    /// The text is not UTF-8: the first bad byte is at this offset.
    case invalidUTF8(byteOffset: Int)
    /// The text ends inside a UTF-8 sequence.
    case truncatedUTF8
    case commonTuples(CommonTuplesProblem)
    case calibration(CalibrationProblem)
    /// A document could not be read or parsed; the error names where.
    case input(InputError)

    public var description: String {
        switch self {
        case .noKeys: return "no key given"
        case .minimumScoredTooSmall(let n): return "the minimum number of scored tokens must be at least 1 (got \(n))"
        case .falsePositiveRateOutOfRange(let rate):
            return "the false-positive rate must be strictly between 0 and 1 (got \(rate))"
        case .watermark(let error): return error.description
        case .noTokenizer: return "text needs a tokenizer, and none was given"
        case .invalidUTF8(let offset): return "is not valid UTF-8 text (byte \(offset))"
        case .truncatedUTF8: return "is not valid UTF-8 text (it ends inside a character)"
        case .commonTuples(let problem): return problem.description
        case .calibration(let problem): return problem.description
        case .input(let error): return error.description
        }
    }
}

/// Why a common-tuple list cannot be built or used.
public enum CommonTuplesProblem: Sendable, Equatable, CustomStringConvertible {
    case contextWidthOutOfRange(Int)
    /// The list's context width is not detection's.
    case contextWidth(list: Int, detection: Int)
    /// The list was counted with another tokenizer.
    case tokenizer(name: String, fingerprint: String)
    case minimumFractionOutOfRange(Double)
    case tooFewDocuments(Int, needed: Int)
    case maximumCountTooSmall(Int)
    /// The list's fingerprint could not be computed (the crypto library failed).
    case fingerprint(String)

    public var description: String {
        switch self {
        case .contextWidthOutOfRange(let h): return "context width must be 1…8 (got \(h))"
        case .contextWidth(let list, let detection):
            return "the common-tuple list was made for context width \(list), not \(detection)"
        case .tokenizer(let name, let fingerprint):
            return "was made for another tokenizer (\(oneLine(name, limit: 100)), fingerprint \(oneLine(String(fingerprint.prefix(16))))…)"
        case .minimumFractionOutOfRange(let f): return "the minimum document fraction must be in (0, 1] (got \(f))"
        case .tooFewDocuments(let n, let needed):
            return "\(n) reference document\(n == 1 ? " is" : "s are") too few to tell common tuples from chance; give at least \(needed)"
        case .maximumCountTooSmall: return "the maximum number of tuples must be at least 1"
        case .fingerprint(let reason): return reason
        }
    }
}

/// Why a calibration file cannot be used for this detection.
public enum CalibrationProblem: Error, Sendable, Equatable, CustomStringConvertible {
    /// A calibration file holds for one key; detection was given this many.
    case needsOneKey(given: Int)
    /// The file is not JSON of a calibration file, or a field is missing or of the wrong type.
    case unreadable
    /// A field holds a value no calibration could have produced (out of range, not finite,
    /// inconsistent with another field); `expected` says what it must be.
    case invalidField(field: String, value: String, expected: String)
    case mismatch(CalibrationMismatch)
    /// The file has no threshold for the false-positive rate asked for.
    case noThreshold(rate: Double, available: [Double])

    public var description: String {
        switch self {
        case .needsOneKey(let n): return "a calibration file holds for one key; \(n) were given"
        case .unreadable: return "not a calibration file"
        case .invalidField(let field, let value, let expected):
            return "field \(field) is \(oneLine(value, limit: 80)); it must be \(expected)"
        case .mismatch(let mismatch): return mismatch.description
        case .noThreshold(let rate, let available):
            return "has no threshold for the false-positive rate \(rate); it has \(available.map { String($0) }.joined(separator: ", "))"
        }
    }
}

/// The first setting in which a calibration file differs from the detection that would use it.
public enum CalibrationMismatch: Sendable, Equatable, CustomStringConvertible {
    case format(String)
    case key(file: String, detection: String)
    case tokenizer(name: String, fingerprint: String)
    case gamma(file: Double, detection: Double)
    case contextWidth(file: Int, detection: Int)
    case deduplication(file: Bool, detection: Bool)
    case normalization(file: String, detection: String)
    case minimumScored(file: Int, detection: Int)
    /// Fingerprints of the common-tuple lists (nil: none).
    case commonTuples(file: String?, detection: String?)

    public var description: String {
        switch self {
        case .format(let format): return "is not a \(CalibrationFile.formatName) file (format \"\(oneLine(format, limit: 100))\")"
        case .key(let file, let detection): return "was made for key \(oneLine(file, limit: 64)), not for key \(detection)"
        case .tokenizer(let name, let fingerprint):
            return "was made for another tokenizer (\(oneLine(name, limit: 100)), fingerprint \(oneLine(String(fingerprint.prefix(16))))…)"
        case .gamma(let file, let detection): return "was made for gamma \(file), not \(detection)"
        case .contextWidth(let file, let detection): return "was made for context width \(file), not \(detection)"
        case .deduplication(let file, let detection):
            return "was made with de-duplication \(file ? "on" : "off"); detection has it \(detection ? "on" : "off")"
        case .normalization(let file, let detection):
            return "was made with text normalisation \(oneLine(file, limit: 64)), not \(detection)"
        case .minimumScored(let file, let detection):
            return "was made with a minimum of \(file) scored tokens, not \(detection)"
        case .commonTuples(let file, let detection):
            func name(_ fingerprint: String?) -> String {
                fingerprint.map { "common-tuple list \(oneLine(String($0.prefix(16))))…" } ?? "no common-tuple list"
            }
            return "was made with \(name(file)); detection has \(name(detection))"
        }
    }
}

/// Something a front end should tell its user, though detection can go on.
public enum DetectionWarning: Sendable, Equatable {
    /// The common-tuple list was counted on text normalised otherwise than detection's text.
    /// Still a valid test (the list does not depend on the key), only a less apt one.
    case commonTuplesNormalization(list: String, detection: String)
    /// The calibration file had too few negatives to show its rate; its threshold is still
    /// never looser than `p ≤ rate`.
    case calibrationRateNotShown(falsePositives: Int, negatives: Int, upperBound95: Double, rate: Double)
}

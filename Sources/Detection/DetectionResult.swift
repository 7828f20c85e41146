import Watermark

/// How a text is judged.
public enum Verdict: String, Sendable, Codable, CaseIterable {
    case watermarked
    case notWatermarked = "not-watermarked"
    /// Fewer scored tuples than the minimum: no claim either way.
    case tooShort = "too-short"
}

/// The score of one key on one document.
public struct KeyScore: Sendable, Hashable, Codable {
    public let keyID: String
    public let green: Int
    public let z: Double
    public let p: Double
    public let log10p: Double
}

/// Everything detection says about one document. Encodes to the `--json` object.
public struct DetectionResult: Sendable, Codable {
    public let keyID: String
    public let scheme: String
    /// γ as given.
    public let gamma: Double
    /// γ' = G/65536, the fraction every statistic here uses.
    public let effectiveGamma: Double
    public let contextWidth: Int
    public let deduplicated: Bool
    /// Tokens in the document (special tokens already dropped).
    public let tokens: Int
    /// Tuples scored: positions with a full context, after de-duplication.
    public let scored: Int
    public let green: Int
    public let z: Double
    /// `P[Binomial(scored, γ') ≥ green]` for the matched key over the whole document.
    public let p: Double
    /// log10 of `p`, exact where `p` itself underflows.
    public let log10p: Double
    /// The p-value the verdict rests on: the smallest over keys (and windows, when scanned),
    /// multiplied by the number of tests made (Bonferroni), capped at 1.
    public let pAdjusted: Double
    public let log10pAdjusted: Double
    public let keysTried: Int
    public let falsePositiveRate: Double
    public let minimumScored: Int
    /// The text is watermarked iff `−log10pAdjusted` is at least this: `−log10 α`, or the
    /// calibrated value when a calibration file was used.
    public let minimumScore: Double
    public let calibrated: Bool
    public let verdict: Verdict
    /// Per key, when more than one was tried.
    public let keys: [KeyScore]?
    /// The best window of the matched key, when the windowed scan ran.
    public let window: WindowMatch?
    /// One status per token (`TokenStatus` raw values), when attribution was asked for.
    public let attribution: [TokenStatus]?
    /// The fingerprint of the common-tuple list detection left out, when one was given.
    public let commonTuples: String?
    /// Positions whose tuple was on that list.
    public let commonSkipped: Int?
}

/// A document that could not be scored, in a batch that goes on: its own `--json` record
/// (`source`, `index`, `id` and the one-line `error`) in place of a result.
public struct DocumentFailure: Encodable, Sendable {
    public let source: String
    public let index: Int
    public let id: JSONValue?
    public let error: String

    public init(source: String, index: Int, id: JSONValue? = nil, error: String) {
        self.source = source
        self.index = index
        self.id = id
        self.error = error
    }
}

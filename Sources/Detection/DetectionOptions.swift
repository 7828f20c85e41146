import Watermark

/// Detection settings beyond the scheme's own parameters.
public struct DetectionOptions: Sendable, Hashable {
    /// Count each distinct (context, token) tuple once (docs/SCHEME.md's default).
    public var deduplicate = true
    /// Fewest scored tuples for a verdict unless told otherwise (docs/SCHEME.md's default).
    public static let defaultMinimumScored = 16
    /// α unless told otherwise.
    public static let defaultFalsePositiveRate = 1e-4

    /// Below this many scored tuples the verdict is `too-short`.
    public var minimumScored = defaultMinimumScored
    /// α: the text is watermarked iff its adjusted p-value is at most this.
    public var falsePositiveRate = defaultFalsePositiveRate
    /// Also look for the most significant window (for text only partly watermarked).
    public var windowedScan = false
    /// Keep a status per token in the result.
    public var attribution = false
    /// Keep each recent context's keyed AES state: a repeated context then costs one AES block,
    /// with no HMAC and no key schedule (1.9–2.1× faster on real text).
    public var cacheSeeds = true
    /// A calibrated threshold on −log10 p (from a calibration file) that replaces the nominal
    /// `−log10 α`; calibration never makes it looser than the nominal one.
    public var calibratedMinimumScore: Double? = nil
    /// Tuples to leave out of the count (see ``CommonTuples``); nil scores every tuple, as
    /// docs/SCHEME.md's detection does.
    public var commonTuples: CommonTuples? = nil

    public init() {}

    /// These options, or the first reason they cannot be used.
    public func validated() throws(DetectionError) -> DetectionOptions {
        guard minimumScored >= 1 else { throw .minimumScoredTooSmall(minimumScored) }
        guard falsePositiveRate.isFinite, falsePositiveRate > 0, falsePositiveRate < 1 else {
            throw .falsePositiveRateOutOfRange(falsePositiveRate)
        }
        return self
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Watermark

/// How a text is judged.
public enum Verdict: String, Sendable, Codable, CaseIterable {
    case watermarked
    case notWatermarked = "not-watermarked"
    /// Fewer scored tuples than the minimum: no claim either way.
    case tooShort = "too-short"
}

/// Detection settings beyond the scheme's own parameters.
public struct DetectionOptions: Sendable, Hashable {
    /// Count each distinct (context, token) tuple once (SCHEME.md's default).
    public var deduplicate = true
    /// Below this many scored tuples the verdict is `too-short`.
    public var minimumScored = 16
    /// α: the text is watermarked iff its adjusted p-value is at most this.
    public var falsePositiveRate = 1e-4
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
    /// SCHEME.md's detection does.
    public var commonTuples: CommonTuples? = nil

    public init() {}

    public func validated() throws(DetectionError) -> DetectionOptions {
        guard minimumScored >= 1 else { throw .invalidOption("the minimum number of scored tokens must be at least 1 (got \(minimumScored))") }
        guard falsePositiveRate.isFinite, falsePositiveRate > 0, falsePositiveRate < 1 else {
            throw .invalidOption("the false-positive rate must be strictly between 0 and 1 (got \(falsePositiveRate))")
        }
        return self
    }
}

public enum DetectionError: Error, CustomStringConvertible, Sendable, Equatable {
    case invalidOption(String)
    case noKeys
    case watermark(WatermarkError)

    public var description: String {
        switch self {
        case .invalidOption(let message): return message
        case .noKeys: return "no key given: pass --key-file FILE or set WATERMARK_KEY_FILE"
        case .watermark(let error): return error.description
        }
    }
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

/// Detects the `greenlist-v1` watermark under one or several keys.
///
/// Not thread-safe (it owns OpenSSL contexts through its partitions); make one per thread.
public final class Detector {
    public let parameters: SchemeParameters
    public let options: DetectionOptions
    private let partitions: [GreenListPartition]
    /// One seed cache per key, shared by every document this detector scores.
    private let contextCaches: [ContextCache?]

    public init(keys: [WatermarkKey], parameters: SchemeParameters, options: DetectionOptions = .init()) throws(DetectionError) {
        guard !keys.isEmpty else { throw .noKeys }
        self.parameters = parameters
        self.options = try options.validated()
        try CommonTuples.check(options.commonTuples, contextWidth: parameters.contextWidth)
        var partitions: [GreenListPartition] = []
        for key in keys {
            do { partitions.append(try GreenListPartition(key: key, parameters: parameters)) } catch { throw .watermark(error) }
        }
        self.partitions = partitions
        self.contextCaches = partitions.map { options.cacheSeeds ? ContextCache(contextWidth: $0.parameters.contextWidth) : nil }
    }

    /// Detects in a document given as token ids (special tokens already removed).
    public func detect(_ ids: some Sequence<UInt32>) throws(DetectionError) -> DetectionResult {
        let session = makeSession()
        try session.append(contentsOf: ids)
        return session.finish()
    }

    /// A session that takes a document's tokens as they arrive, for inputs too large to hold.
    /// Without windowed scan or attribution its memory is bounded by the distinct tuples seen.
    public func makeSession() -> DetectionSession {
        let needStatuses = options.windowedScan || options.attribution
        return DetectionSession(detector: self, scorers: zip(partitions, contextCaches).map {
            TupleScorer(partition: $0, deduplicate: options.deduplicate, recordStatuses: needStatuses, contextCache: $1,
                        commonTuples: options.commonTuples)
        })
    }
}

/// One document being scored under every key of a `Detector`.
public final class DetectionSession {
    public let detector: Detector
    private let scorers: [TupleScorer]

    init(detector: Detector, scorers: [TupleScorer]) {
        self.detector = detector
        self.scorers = scorers
    }

    public func append(_ token: UInt32) throws(DetectionError) {
        do { for scorer in scorers { try scorer.append(token) } } catch { throw .watermark(error) }
    }

    public func append(contentsOf tokens: some Sequence<UInt32>) throws(DetectionError) {
        do {
            if scorers.count == 1 {
                try scorers[0].append(contentsOf: tokens)
            } else {
                let all = Array(tokens)  // each key reads the document once
                for scorer in scorers { try scorer.append(contentsOf: all) }
            }
        } catch {
            throw .watermark(error)
        }
    }

    /// Tokens so far.
    public var tokens: Int { scorers[0].tokens }

    /// The verdict on everything appended so far.
    public func finish() -> DetectionResult {
        let parameters = detector.parameters
        let options = detector.options
        let gamma = parameters.effectiveGamma
        var perKey: [(scorer: TupleScorer, logP: Double, window: WindowMatch?)] = []
        for scorer in scorers {
            let logP = GreenCount(scored: scorer.scored, green: scorer.green, gamma: gamma).logP
            let window = options.windowedScan
                ? WindowScan.bestWindow(statuses: scorer.statuses, gamma: gamma, minimumScored: options.minimumScored)
                : nil
            perKey.append((scorer, logP, window))
        }
        // Each key contributes its whole-document test plus, when scanned, its windows.
        var tests = 0
        var bestIndex = 0
        var bestLogP = Double.infinity
        for (i, entry) in perKey.enumerated() {
            tests += 1 + (entry.window?.windowsTried ?? 0)
            var lp = entry.logP
            if let w = entry.window { lp = min(lp, w.log10p * M_LN10) }
            if lp < bestLogP { bestLogP = lp; bestIndex = i }
        }
        let logAdjusted = min(0, bestLogP + log(Double(tests)))
        let best = perKey[bestIndex]
        let count = GreenCount(scored: best.scorer.scored, green: best.scorer.green, gamma: gamma)
        let verdict: Verdict
        let minimumScore = options.calibratedMinimumScore ?? -log10(options.falsePositiveRate)
        if count.scored < options.minimumScored {
            verdict = .tooShort
        } else {
            verdict = -logAdjusted.naturalToLog10 >= minimumScore ? .watermarked : .notWatermarked
        }
        let keys: [KeyScore]? = perKey.count > 1
            ? perKey.map { e in
                let c = GreenCount(scored: e.scorer.scored, green: e.scorer.green, gamma: gamma)
                return KeyScore(keyID: e.scorer.partition.keyID, green: c.green, z: c.z, p: exp(e.logP),
                                log10p: e.logP.naturalToLog10)
            }
            : nil
        return DetectionResult(
            keyID: best.scorer.partition.keyID, scheme: SchemeParameters.scheme, gamma: parameters.gamma,
            effectiveGamma: gamma, contextWidth: parameters.contextWidth, deduplicated: options.deduplicate,
            tokens: best.scorer.tokens, scored: count.scored, green: count.green, z: count.z,
            p: exp(best.logP), log10p: best.logP.naturalToLog10,
            pAdjusted: exp(logAdjusted), log10pAdjusted: logAdjusted.naturalToLog10,
            keysTried: perKey.count, falsePositiveRate: options.falsePositiveRate,
            minimumScored: options.minimumScored, minimumScore: minimumScore,
            calibrated: options.calibratedMinimumScore != nil, verdict: verdict, keys: keys, window: best.window,
            attribution: options.attribution ? best.scorer.statuses : nil,
            commonTuples: options.commonTuples?.fingerprint,
            commonSkipped: options.commonTuples == nil ? nil : best.scorer.skippedCommon)
    }
}

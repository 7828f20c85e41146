#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Watermark

/// Detects the `greenlist-v1` watermark under one or several keys.
///
/// Not thread-safe (it owns OpenSSL contexts through its partitions); make one per thread.
public final class Detector {
    public let parameters: SchemeParameters
    public let options: DetectionOptions
    private let partitions: [GreenListPartition]
    /// One seed cache per key, shared by every document this detector scores.
    private let contextCaches: [ContextCache?]
    /// One verdict table per key, shared with every detector given the same cache.
    private let verdictTables: [TupleVerdictCache.Table?]
    private let tupleCache: TupleVerdictCache?
    /// De-duplication tables handed from each finished document to the next.
    private let recycler: TupleSet.Recycler

    /// - Parameter tupleCache: verdicts shared with other detectors (other threads) using the
    ///   same keys; nil scores every tuple.
    public init(keys: [WatermarkKey], parameters: SchemeParameters, options: DetectionOptions = .init(),
                tupleCache: TupleVerdictCache? = nil) throws(DetectionError) {
        guard !keys.isEmpty else { throw .noKeys }
        self.parameters = parameters
        self.options = try options.validated()
        try CommonTuples.check(options.commonTuples, contextWidth: parameters.contextWidth)
        var partitions: [GreenListPartition] = []
        for key in keys {
            do { partitions.append(try GreenListPartition(key: key, parameters: parameters)) } catch { throw .watermark(error) }
        }
        self.partitions = partitions
        var caches: [ContextCache?] = []
        for partition in partitions {
            do { caches.append(options.cacheSeeds ? try ContextCache(partition: partition) : nil) } catch { throw .watermark(error) }
        }
        self.contextCaches = caches
        self.verdictTables = partitions.map { tupleCache?.table(for: $0) }
        self.tupleCache = tupleCache
        self.recycler = TupleSet.Recycler(limit: keys.count)
    }

    func count(hits: Int, lookups: Int) {
        if lookups > 0 { tupleCache?.count(hits: hits, lookups: lookups) }
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
        return DetectionSession(detector: self, scorers: partitions.indices.map {
            TupleScorer(partition: partitions[$0], deduplicate: options.deduplicate, recordStatuses: needStatuses,
                        contextCache: contextCaches[$0], verdicts: verdictTables[$0], commonTuples: options.commonTuples,
                        recycler: recycler)
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
        detector.count(hits: scorers.reduce(0) { $0 + $1.cacheHits }, lookups: scorers.reduce(0) { $0 + $1.cacheLookups })
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

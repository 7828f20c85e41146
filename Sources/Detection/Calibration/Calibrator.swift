import Foundation
import Watermark

/// One document's evidence, as calibration needs it: its whole-document score and, for
/// positives, the per-token statuses from which shorter prefixes are re-scored.
public struct CalibrationSample: Sendable {
    /// −log10 p of the whole document (larger is more watermark-like).
    public let score: Double
    public let scored: Int
    public let z: Double
    /// Statuses per token, kept for positives so that TPR by length can be computed.
    public let statuses: [TokenStatus]?

    public init(result: DetectionResult, keepStatuses: Bool) {
        score = -result.log10p
        scored = result.scored
        z = result.z
        statuses = keepStatuses ? result.attribution : nil
    }

    public init(score: Double, scored: Int, z: Double, statuses: [TokenStatus]?) {
        self.score = score
        self.scored = scored
        self.z = z
        self.statuses = statuses
    }
}

/// Computes a `CalibrationFile` from scored negatives (human text) and positives.
public enum Calibrator {
    public static let defaultRates = [1e-2, 1e-3, 1e-4, 1e-5]
    public static let lengthGrid = [16, 25, 32, 50, 64, 100, 128, 200, 256, 384, 512]

    /// The fewest negatives that can show a false-positive rate of `rate` at 95%: with none of
    /// them flagged, the one-sided Clopper–Pearson bound `1 − 0.05^(1/n)` reaches `rate` at
    /// `n = ⌈ln 0.05 / ln(1 − rate)⌉` (about 3/rate).
    public static func negativesNeeded(toShow rate: Double) -> Int {
        guard rate > 0, rate < 1 else { return 1 }
        let estimate = (log(0.05) / log1p(-rate)).rounded(.up)
        // Past any real corpus (a rate of 1e-20 needs 3·10^20) the closed form is the answer,
        // held below Int.max (the fuzzer found `Int(_:)` trapping here).
        guard estimate < 1e12 else { return Int(min(estimate, 9e18)) }
        var n = Int(estimate)
        while n > 1, ClopperPearson.upper(events: 0, trials: n - 1) <= rate { n -= 1 }
        while ClopperPearson.upper(events: 0, trials: n) > rate { n += 1 }
        return n
    }

    public static func calibrate(
        negatives: [CalibrationSample], positives: [CalibrationSample], rates: [Double],
        keyID: String, tokenizer: CalibrationFile.Tokenizer, parameters: CalibrationFile.Parameters,
        tool: String, created: Date = Date()
    ) -> CalibrationFile {
        let minimum = parameters.minimumScored
        let usableNegatives = negatives.filter { $0.scored >= minimum }.map(\.score).sorted(by: >)
        let usablePositives = positives.filter { $0.scored >= minimum }
        // Every rate re-scores the same prefixes: count them once.
        let usableCounts = usablePositives.compactMap { $0.statuses.map(runningCounts) }
        let allCounts = positives.compactMap { $0.statuses.map(runningCounts) }
        var thresholds: [CalibrationFile.Threshold] = []
        for rate in rates {
            thresholds.append(threshold(rate: rate, negatives: usableNegatives, positives: usablePositives,
                                        counts: usableCounts, gamma: parameters.effectiveGamma, minimumScored: minimum))
        }
        let byLength: [CalibrationFile.LengthCurve]? = positives.isEmpty ? nil
            : thresholds.map { t in
                .init(targetFPR: t.targetFPR,
                      points: tprByLength(counts: allCounts, minimumScore: t.minimumScore,
                                          gamma: parameters.effectiveGamma, minimumScored: minimum,
                                          contextWidth: parameters.contextWidth))
            }
        return CalibrationFile(
            format: CalibrationFile.formatName, scheme: "greenlist-v1", keyID: keyID, tokenizer: tokenizer,
            parameters: parameters, negatives: summary(negatives, minimum: minimum),
            positives: positives.isEmpty ? nil : summary(positives, minimum: minimum),
            thresholds: thresholds, tprByLength: byLength,
            auc: usablePositives.isEmpty || usableNegatives.isEmpty ? nil
                : auc(negatives: usableNegatives, positives: usablePositives.map(\.score)),
            created: ISO8601DateFormatter().string(from: created), tool: tool)
    }

    /// The stricter of the nominal threshold (p ≤ rate) and the empirical one (at most
    /// `rate · n` negatives at or above it), so the file never promises less than the exact
    /// test does, and on human text that breaks its independence assumption it promises what
    /// was observed.
    static func threshold(rate: Double, negatives sortedDescending: [Double], positives: [CalibrationSample],
                          counts: [[RunningCount]], gamma: Double, minimumScored: Int) -> CalibrationFile.Threshold {
        let n = sortedDescending.count
        var minimumScore = -log10(rate)
        let allowed = Int((rate * Double(n)).rounded(.down))
        if n > 0, allowed < n {
            // Strictly above the (allowed+1)-th largest negative score.
            let cut = sortedDescending[allowed]
            if cut >= minimumScore { minimumScore = cut.nextUp }
        }
        let falsePositives = sortedDescending.prefix { $0 >= minimumScore }.count
        let upper = n > 0 ? ClopperPearson.upper(events: falsePositives, trials: n) : 1
        var tp: Int? = nil, tpr: Double? = nil, interval: [Double]? = nil, median: Int? = nil
        if !positives.isEmpty {
            let hits = positives.filter { $0.score >= minimumScore }.count
            tp = hits
            tpr = Double(hits) / Double(positives.count)
            let ci = ClopperPearson.interval(events: hits, trials: positives.count)
            interval = [ci.lower, ci.upper]
            median = medianTokensToDetect(counts, minimumScore: minimumScore, gamma: gamma, minimumScored: minimumScored)
        }
        return CalibrationFile.Threshold(
            targetFPR: rate, minimumScore: minimumScore, falsePositives: falsePositives,
            empiricalFPR: n > 0 ? Double(falsePositives) / Double(n) : 0, fprUpperBound95: upper,
            fprDemonstrated: upper <= rate, truePositives: tp, tpr: tpr, tprInterval95: interval,
            medianTokensToDetect: median)
    }

    /// (scored, green) after some tokens of a positive's text.
    typealias RunningCount = (scored: Int, green: Int)

    /// Running counts after each token of a positive's text.
    static func runningCounts(_ statuses: [TokenStatus]) -> [RunningCount] {
        var counts: [RunningCount] = []
        counts.reserveCapacity(statuses.count)
        var scored = 0, green = 0
        for s in statuses {
            if s == .green || s == .red { scored += 1 }
            if s == .green { green += 1 }
            counts.append((scored, green))
        }
        return counts
    }

    /// Whether the first tokens of a text, with these counts, give a watermarked verdict.
    private static func detects(_ c: RunningCount, minimumScore: Double, gamma: Double, minimumScored: Int) -> Bool {
        c.scored >= minimumScored
            && -BinomialTail.logUpperTail(successes: c.green, trials: c.scored, probability: gamma) / M_LN10 >= minimumScore
    }

    /// For each positive, the fewest tokens of text (from the start, context and repeats
    /// included) after which detection says watermarked; the median over positives, counting
    /// the undetected as never. Tokens of text rather than scored tuples, so that settings which
    /// score fewer tuples (a common-tuple list) are compared on the same text.
    static func medianTokensToDetect(_ positives: [[RunningCount]], minimumScore: Double, gamma: Double,
                                     minimumScored: Int) -> Int? {
        var needed: [Int] = []
        for counts in positives {
            let first = counts.indices.first { detects(counts[$0], minimumScore: minimumScore, gamma: gamma, minimumScored: minimumScored) }
            needed.append(first.map { $0 + 1 } ?? Int.max)
        }
        guard !needed.isEmpty else { return nil }
        needed.sort()
        let middle = needed[(needed.count - 1) / 2]
        return middle == Int.max ? nil : middle
    }

    /// The lengths (tokens of text) at which TPR is reported: the shortest text that can have
    /// a verdict (`minimumScored` tuples after `contextWidth` tokens of context), then the grid.
    static func lengths(minimumScored: Int, contextWidth: Int) -> [Int] {
        let shortest = minimumScored + contextWidth
        return [shortest] + lengthGrid.filter { $0 > shortest }
    }

    /// TPR of the first L tokens of text of each positive that has L tokens.
    static func tprByLength(counts: [[RunningCount]], minimumScore: Double, gamma: Double,
                            minimumScored: Int, contextWidth: Int) -> [CalibrationFile.LengthPoint] {
        var points: [CalibrationFile.LengthPoint] = []
        for length in lengths(minimumScored: minimumScored, contextWidth: contextWidth) {
            let long = counts.filter { $0.count >= length }
            guard !long.isEmpty else { continue }
            let detected = long.filter { detects($0[length - 1], minimumScore: minimumScore, gamma: gamma, minimumScored: minimumScored) }.count
            let ci = ClopperPearson.interval(events: detected, trials: long.count)
            points.append(.init(tokens: length, documents: long.count, detected: detected,
                                tpr: Double(detected) / Double(long.count), interval95: [ci.lower, ci.upper]))
        }
        return points
    }

    /// Mann–Whitney estimate of P(positive score > negative score), ties counting half.
    static func auc(negatives: [Double], positives: [Double]) -> Double {
        let neg = negatives.sorted()
        var total = 0.0
        for p in positives {
            let below = lowerBound(neg, p), atOrBelow = upperBound(neg, p)
            total += Double(below) + 0.5 * Double(atOrBelow - below)
        }
        return total / (Double(neg.count) * Double(positives.count))
    }

    private static func lowerBound(_ a: [Double], _ x: Double) -> Int {
        var lo = 0, hi = a.count
        while lo < hi { let m = (lo + hi) / 2; if a[m] < x { lo = m + 1 } else { hi = m } }
        return lo
    }

    private static func upperBound(_ a: [Double], _ x: Double) -> Int {
        var lo = 0, hi = a.count
        while lo < hi { let m = (lo + hi) / 2; if a[m] <= x { lo = m + 1 } else { hi = m } }
        return lo
    }

    static func summary(_ samples: [CalibrationSample], minimum: Int) -> CalibrationFile.Summary {
        let usable = samples.filter { $0.scored >= minimum }
        let zs = usable.map(\.z)
        let mean = zs.isEmpty ? 0 : zs.reduce(0, +) / Double(zs.count)
        let sd = zs.count < 2 ? 0 : (zs.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(zs.count - 1)).squareRoot()
        let scores = usable.map(\.score).sorted()
        var quantiles: [String: Double] = [:]
        if !scores.isEmpty {
            for q in [0.5, 0.9, 0.99, 0.999] {
                quantiles[String(q)] = scores[min(scores.count - 1, Int((q * Double(scores.count)).rounded(.down)))]
            }
            quantiles["max"] = scores.last!
        }
        return .init(documents: samples.count, tooShort: samples.count - usable.count,
                     meanScored: usable.isEmpty ? 0 : Double(usable.map(\.scored).reduce(0, +)) / Double(usable.count),
                     meanZ: mean, sdZ: sd, scoreQuantiles: quantiles)
    }
}

import Foundation
import Testing
import TestSupport
import Detection
import Watermark

/// Detection cases from `Tools/gen_greenlist_vectors.py`, whose p-values are exact rationals
/// summed with Python integers.
typealias DetectionCase = GreenlistVectors.DetectionCase
extension DetectionCase: CustomTestStringConvertible {
    public var testDescription: String { "\(id) \(description)" }
}

let detectionCases = GreenlistVectors.detection

@Suite("greenlist-v1 detection vectors")
struct DetectionVectorTests {
    @Test func vectorFileIsComplete() {
        #expect(detectionCases.count >= 20, "Vectors/greenlist-v1/detection.json is missing or short")
        #expect(detectionCases.contains { $0.log10p < -100 })
        #expect(detectionCases.contains { !$0.dedup })
    }

    @Test(arguments: detectionCases)
    func detectionMatches(_ c: DetectionCase) throws {
        let key = try WatermarkKey(bytes: #require([UInt8](hex: c.key)))
        var options = DetectionOptions()
        options.deduplicate = c.dedup
        // Every way of scoring: with and without the seed cache, without the shared verdict
        // cache, and with a small one (many collisions), twice so that the second pass hits.
        let shared = TupleVerdictCache(slotsPerKey: 1024)
        for (seeds, verdicts, passes) in [(true, nil, 1), (false, nil, 1), (true, shared, 2), (false, shared, 2)] as [(Bool, TupleVerdictCache?, Int)] {
            options.cacheSeeds = seeds
            let detector = try Detector(keys: [key], parameters: SchemeParameters(gamma: c.gamma, contextWidth: c.contextWidth),
                                        options: options, tupleCache: verdicts)
            for _ in 0..<passes {
                let r = try detector.detect(c.ids)
                #expect(r.scored == c.scored)
                #expect(r.green == c.green)
                #expect(abs(r.z - c.z) <= 1e-9 * max(1, abs(c.z)))
                // Relative precision of p itself, i.e. absolute precision of its log.
                #expect(abs(r.log10p - c.log10p) <= 1e-9 * max(1, abs(c.log10p)), "log10p \(r.log10p) vs \(c.log10p)")
                #expect(r.tokens == c.ids.count)
                #expect(r.keyID == key.keyID)
            }
        }
        // Only tuples with both ids below 2^20 are cached (d012's ids reach 2^32 - 1).
        let cacheable = zip(c.ids, c.ids.dropFirst()).contains { ($0 | $1) < 1 << 20 }
        if c.contextWidth == 1 && c.scored > 0 && cacheable { #expect(shared.hits > 0) }
    }
}

@Suite("exact binomial tail")
struct BinomialTailTests {
    /// Direct summation of log-pmf terms in log space: slow but independent of the continued fraction.
    static func summed(_ k: Int, _ n: Int, _ q: Double) -> Double {
        guard k > 0 else { return 0 }
        var terms: [Double] = []
        for j in k...n {
            var s: Int32 = 0
            let lc = lgamma_r(Double(n + 1), &s) - lgamma_r(Double(j + 1), &s) - lgamma_r(Double(n - j + 1), &s)
            terms.append(lc + Double(j) * log(q) + Double(n - j) * log1p(-q))
        }
        let m = terms.max()!
        return m + log(terms.reduce(0) { $0 + exp($1 - m) })
    }

    @Test func agreesWithDirectSummation() {
        var rng = SeededGenerator(seed: 7)
        for _ in 0..<400 {
            let n = Int.random(in: 1...3000, using: &rng)
            let k = Int.random(in: 0...n, using: &rng)
            let q = [0.25, 0.5, 0.1, 0.9, 1.0 / 65536, Double.random(in: 0.001...0.999, using: &rng)].randomElement(using: &rng)!
            let fast = BinomialTail.logUpperTail(successes: k, trials: n, probability: q)
            let slow = Self.summed(k, n, q)
            #expect(abs(fast - slow) <= 1e-9 * max(1, abs(slow)), "n=\(n) k=\(k) q=\(q): \(fast) vs \(slow)")
        }
    }

    @Test func extremesStayFinite() {
        // All green over 1000 tokens at γ = 0.25: 0.25^1000 = 10^-602.06, far below Double's range.
        let lp = BinomialTail.logUpperTail(successes: 1000, trials: 1000, probability: 0.25)
        #expect(abs(lp / M_LN10 - 1000 * log10(0.25)) < 1e-9)
        #expect(BinomialTail.logUpperTail(successes: 0, trials: 10, probability: 0.3) == 0)
        #expect(BinomialTail.logUpperTail(successes: 11, trials: 10, probability: 0.3) == -.infinity)
        // Large n near the mean converges and is a probability.
        let mid = BinomialTail.upperTail(successes: 2_500_000, trials: 10_000_000, probability: 0.25)
        #expect(mid > 0.49 && mid < 0.51)
    }
}

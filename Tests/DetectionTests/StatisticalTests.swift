import Foundation
import Testing
import TestSupport
import Detection
import Watermark

@Suite("null distribution and power")
struct StatisticalTests {
    /// The size of the exact one-sided test at level α for n trials: the largest tail ≤ α.
    static func exactSize(n: Int, gamma: Double, alpha: Double) -> Double {
        var best = 0.0
        for s in 0...n {
            let p = BinomialTail.upperTail(successes: s, trials: n, probability: gamma)
            if p <= alpha { best = p; break }
        }
        return best
    }

    @Test func zScoresAreStandardNormalAndTheTestHasItsSize() throws {
        var rng = SeededGenerator(seed: 2024)
        let key = try seededKey(&rng)
        var options = DetectionOptions()
        options.minimumScored = 1
        let detector = try Detector(keys: [key], parameters: SchemeParameters(), options: options)
        let documents = 10_000
        var zs: [Double] = []
        var rejected = 0
        var expected = 0.0, variance = 0.0
        var sizes: [Int: Double] = [:]
        for _ in 0..<documents {
            // Key-independent random text: uniform ids over a 49 152-token vocabulary.
            let length = Int.random(in: 50...300, using: &rng)
            let ids = (0..<length).map { _ in UInt32.random(in: 0..<49_152, using: &rng) }
            let r = try detector.detect(ids)
            zs.append(r.z)
            if r.p <= 0.01 { rejected += 1 }
            let size = sizes[r.scored] ?? Self.exactSize(n: r.scored, gamma: r.effectiveGamma, alpha: 0.01)
            sizes[r.scored] = size
            expected += size
            variance += size * (1 - size)
        }
        let mean = zs.reduce(0, +) / Double(documents)
        let sd = (zs.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(documents - 1)).squareRoot()
        #expect(abs(mean) <= 0.05, "mean z \(mean)")
        #expect(abs(sd - 1) <= 0.05, "sd z \(sd)")
        // 99.9% interval for a sum of independent Bernoullis with these exact sizes.
        let half = 3.2905 * variance.squareRoot()
        #expect(Double(rejected) >= expected - half && Double(rejected) <= expected + half,
                "\(rejected) of \(documents) at p ≤ 0.01; expected \(expected) ± \(half)")
        #expect(expected < 0.01 * Double(documents))  // the exact test is conservative
    }

    @Test func samplingThroughTheProcessorIsDetectedWithin100Tokens() throws {
        var rng = SeededGenerator(seed: 99)
        let key = try seededKey(&rng)
        let parameters = try SchemeParameters(gamma: 0.25, contextWidth: 1, delta: 4)
        let processor = try WatermarkLogitsProcessor(key: key, parameters: parameters)
        let vocabulary = 49_152
        var tokens: [UInt32] = [UInt32.random(in: 0..<UInt32(vocabulary), using: &rng)]
        while tokens.count < 100 {
            // Random logits stand in for a model: standard normal scores.
            var logits = (0..<vocabulary).map { _ in Float(Self.normal(&rng)) }
            try processor.process(&logits, history: tokens)
            tokens.append(Self.sample(logits, &rng))
        }
        let r = try Detector(keys: [key], parameters: parameters).detect(tokens)
        #expect(r.p < 1e-6, "p = \(r.p), \(r.green)/\(r.scored)")
        #expect(r.verdict == .watermarked)
        // The same sampler without the processor is not detected.
        var plain: [UInt32] = [tokens[0]]
        while plain.count < 100 {
            plain.append(Self.sample((0..<vocabulary).map { _ in Float(Self.normal(&rng)) }, &rng))
        }
        #expect(try Detector(keys: [key], parameters: parameters).detect(plain).verdict == .notWatermarked)
    }

    static func normal(_ rng: inout SeededGenerator) -> Double {
        let u1 = Double.random(in: Double.ulpOfOne..<1, using: &rng), u2 = Double.random(in: 0..<1, using: &rng)
        return (-2 * log(u1)).squareRoot() * cos(2 * .pi * u2)
    }

    static func sample(_ logits: [Float], _ rng: inout SeededGenerator) -> UInt32 {
        let m = logits.max()!
        let weights = logits.map { exp(Double($0 - m)) }
        var x = Double.random(in: 0..<weights.reduce(0, +), using: &rng)
        for (i, w) in weights.enumerated() {
            x -= w
            if x < 0 { return UInt32(i) }
        }
        return UInt32(logits.count - 1)
    }
}

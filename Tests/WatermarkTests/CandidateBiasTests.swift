import Foundation
import Testing
import TestSupport
import Watermark

/// The candidates-only bias against the full-vocabulary bias, the reference: the sampled
/// distribution is the same within `candidateMassBound` (1e-9) in total variation, and greedy
/// decoding picks the same token.
@Suite("candidates-only bias")
struct CandidateBiasTests {
    /// Logits shaped like a language model's: a long Gaussian tail, a few tokens far above it.
    static func row(_ rng: inout SeededGenerator, count: Int, spread: Double, peaks: Int) -> [Float] {
        var out = (0..<count).map { _ -> Float in
            let u1 = max(Double.random(in: 0..<1, using: &rng), 1e-12), u2 = Double.random(in: 0..<1, using: &rng)
            return Float(spread * (-2 * log(u1)).squareRoot() * cos(2 * .pi * u2))
        }
        for _ in 0..<peaks { out[Int.random(in: 0..<count, using: &rng)] += Float(Double.random(in: 5...25, using: &rng)) }
        return out
    }

    static func softmax(_ logits: [Float], temperature: Double) -> [Double] {
        let m = Double(logits.max()!)
        let e = logits.map { exp((Double($0) - m) / temperature) }
        let z = e.reduce(0, +)
        return e.map { $0 / z }
    }

    static func processors(_ rng: inout SeededGenerator, delta: Double, gamma: Double = 0.25) throws -> WatermarkLogitsProcessor {
        try WatermarkLogitsProcessor(key: PartitionPropertyTests.randomKey(&rng), parameters: SchemeParameters(gamma: gamma, contextWidth: 2, delta: delta))
    }

    @Test(arguments: [0.3, 0.7, 1.0, 1.5, 3.0])
    func samplingDistributionWithinBound(temperature: Double) throws {
        var rng = SeededGenerator(seed: UInt64(temperature * 1000))
        var worst = 0.0
        var classifiedShare: [Double] = []
        for trial in 0..<24 {
            let delta = [0.5, 2.0, 5.0][trial % 3]
            let processor = try Self.processors(&rng, delta: delta)
            let count = [1000, 4099, 49_152][trial % 3]
            let original = Self.row(&rng, count: count, spread: [0.5, 2.0, 4.0][trial / 8], peaks: trial % 5)
            let history: [UInt32] = [UInt32.random(in: 0..<50_000, using: &rng), UInt32.random(in: 0..<50_000, using: &rng)]
            var full = original, candidates = original
            try processor.process(&full, history: history)
            let classified = try candidates.withUnsafeMutableBufferPointer { (b) throws(WatermarkError) in
                try processor.processCandidates(b, history: history, temperature: temperature)
            }
            let n = try #require(classified)
            classifiedShare.append(Double(n) / Double(count))
            // Every entry is either the full bias's or left as it was.
            for v in 0..<count { #expect(candidates[v] == full[v] || candidates[v] == original[v]) }
            let p = Self.softmax(full, temperature: temperature), q = Self.softmax(candidates, temperature: temperature)
            let tv = 0.5 * zip(p, q).reduce(0) { $0 + abs($1.0 - $1.1) }
            worst = max(worst, tv)
            #expect(tv <= WatermarkLogitsProcessor.candidateMassBound + 1e-13, "trial \(trial): TV \(tv)")
        }
        // The point of the exercise: peaked rows at low temperature need few tokens.
        if temperature <= 0.7 { #expect(classifiedShare.min()! < 0.5) }
        print("T=\(temperature): worst TV \(worst), share classified \(classifiedShare.min()!)–\(classifiedShare.max()!)")
    }

    @Test func greedyPicksTheSameToken() throws {
        var rng = SeededGenerator(seed: 7)
        for trial in 0..<200 {
            let processor = try Self.processors(&rng, delta: [0.5, 2.0, 8.0][trial % 3])
            var original = Self.row(&rng, count: 2000 + trial, spread: 2, peaks: trial % 4)
            if trial % 10 == 0 { original[5] = original.max()! }  // a tie for the maximum
            let history: [UInt32] = [UInt32(trial), UInt32(trial * 7)]
            var full = original, candidates = original
            try processor.process(&full, history: history)
            try candidates.withUnsafeMutableBufferPointer { (b) throws(WatermarkError) in
                _ = try processor.processCandidates(b, history: history, temperature: 0)
            }
            #expect(full.firstIndex(of: full.max()!) == candidates.firstIndex(of: candidates.max()!), "trial \(trial)")
        }
    }

    @Test func fallsBackToTheFullRowWhenItMust() throws {
        var rng = SeededGenerator(seed: 9)
        let processor = try Self.processors(&rng, delta: 2)
        // A flat row: every token is a candidate, so the row is biased exactly as the full path.
        var flat = [Float](repeating: 1, count: 5000), reference = flat
        try processor.process(&reference, history: [1, 2])
        let n = try flat.withUnsafeMutableBufferPointer { (b) throws(WatermarkError) in
            try processor.processCandidates(b, history: [1, 2], temperature: 1)
        }
        #expect(n == 5000 && flat == reference)
        // NaN in the row: the full path, never a silent skip.
        var broken = Self.row(&rng, count: 300, spread: 1, peaks: 1)
        broken[3] = .nan
        var expected = broken
        try processor.process(&expected, history: [1, 2])
        let m = try broken.withUnsafeMutableBufferPointer { (b) throws(WatermarkError) in
            try processor.processCandidates(b, history: [1, 2], temperature: 1)
        }
        #expect(m == 300)
        #expect(zip(broken, expected).allSatisfy { $0 == $1 || ($0.isNaN && $1.isNaN) })
        // Too short a history: nothing happens; a bad temperature is an error.
        var row = [Float](repeating: 0, count: 10)
        let none = try row.withUnsafeMutableBufferPointer { (b) throws(WatermarkError) in
            try processor.processCandidates(b, history: [1], temperature: 1)
        }
        #expect(none == nil && row == [Float](repeating: 0, count: 10))
        #expect(throws: WatermarkError.self) {
            try row.withUnsafeMutableBufferPointer { (b) throws(WatermarkError) in
                _ = try processor.processCandidates(b, history: [1, 2], temperature: -1)
            }
        }
    }
}

import Foundation
import Testing
import TestSupport
import Detection
import Watermark

@Suite("calibration")
struct CalibrationTests {
    @Test func clopperPearsonMatchesClosedForms() {
        // k = 0: the one-sided upper bound solves (1 − q)^n = α.
        for n in [1, 10, 2953, 100_000] {
            let expected = 1 - pow(0.05, 1 / Double(n))
            #expect(abs(ClopperPearson.upper(events: 0, trials: n) - expected) <= 1e-9 * expected)
        }
        // k = n: the lower bound solves q^n = α.
        for n in [1, 10, 500] {
            let expected = pow(0.05, 1 / Double(n))
            #expect(abs(ClopperPearson.lower(events: n, trials: n) - expected) <= 1e-9)
        }
        let ci = ClopperPearson.interval(events: 50, trials: 100)
        #expect(ci.lower < 0.5 && ci.upper > 0.5 && abs((0.5 - ci.lower) - (ci.upper - 0.5)) < 1e-9)
        // Known value: 95% two-sided CP interval for 50/100 is [0.3983, 0.6017].
        #expect(abs(ci.lower - 0.39832) < 1e-4 && abs(ci.upper - 0.60168) < 1e-4)
    }

    static func sample(_ score: Double) -> CalibrationSample {
        CalibrationSample(score: score, scored: 100, z: 0, statuses: nil)
    }

    @Test func thresholdIsNeverLooserThanNominalNorThanTheNegativesAllow() throws {
        // 1000 negatives with −log10 p = 0.001, 0.002, …, 1.0 plus ten heavy ones at 3.5.
        var negatives = (1...1000).map { Self.sample(Double($0) / 1000) }
        negatives += (0..<10).map { _ in Self.sample(3.5) }
        let positives = (0..<50).map { Self.sample(Double($0)) }
        let file = Calibrator.calibrate(
            negatives: negatives, positives: positives, rates: [1e-2, 1e-3], keyID: "k",
            tokenizer: .init(fingerprint: "f", name: "t"),
            parameters: .init(gamma: 0.25, effectiveGamma: 0.25, contextWidth: 1, deduplicate: true, minimumScored: 16),
            tool: "test")
        let loose = try #require(file.threshold(for: 1e-2))
        #expect(loose.minimumScore == 2)  // nominal: 10 heavy negatives are exactly floor(0.01·1010)
        #expect(loose.falsePositives == 10)
        let strict = try #require(file.threshold(for: 1e-3))
        #expect(strict.minimumScore > 3.5)  // the heavy tail forces it above nominal 3
        #expect(strict.falsePositives == 0)
        #expect(!strict.fprDemonstrated)  // 1010 negatives cannot show 1e-3 with 95% confidence
        #expect(strict.tpr == Double(positives.filter { $0.score >= strict.minimumScore }.count) / 50)
        #expect(file.auc! > 0.9)
    }

    @Test func aucOfSeparatedAndIdenticalClasses() {
        let apart = Calibrator.calibrate(
            negatives: (0..<20).map { Self.sample(Double($0)) }, positives: (100..<120).map { Self.sample(Double($0)) },
            rates: [0.1], keyID: "k", tokenizer: .init(fingerprint: "f", name: "t"),
            parameters: .init(gamma: 0.25, effectiveGamma: 0.25, contextWidth: 1, deduplicate: true, minimumScored: 16), tool: "t")
        #expect(apart.auc == 1)
        let same = Calibrator.calibrate(
            negatives: (0..<20).map { Self.sample(Double($0)) }, positives: (0..<20).map { Self.sample(Double($0)) },
            rates: [0.1], keyID: "k", tokenizer: .init(fingerprint: "f", name: "t"),
            parameters: .init(gamma: 0.25, effectiveGamma: 0.25, contextWidth: 1, deduplicate: true, minimumScored: 16), tool: "t")
        #expect(same.auc == 0.5)
    }

    @Test func mismatchesAreNamed() throws {
        let parameters = CalibrationFile.Parameters(gamma: 0.25, effectiveGamma: 0.25, contextWidth: 1, deduplicate: true, minimumScored: 16)
        let file = Calibrator.calibrate(negatives: [Self.sample(1)], positives: [], rates: [1e-3], keyID: "abc",
                                        tokenizer: .init(fingerprint: "f1", name: "t"), parameters: parameters, tool: "t")
        #expect(file.mismatch(keyID: "abc", tokenizerFingerprint: "f1", parameters: parameters) == nil)
        #expect(file.mismatch(keyID: "xyz", tokenizerFingerprint: "f1", parameters: parameters) == .key(file: "abc", detection: "xyz"))
        #expect(file.mismatch(keyID: "abc", tokenizerFingerprint: "f2", parameters: parameters) == .tokenizer(name: "t", fingerprint: "f1"))
        let other = CalibrationFile.Parameters(gamma: 0.5, effectiveGamma: 0.5, contextWidth: 1, deduplicate: true, minimumScored: 16)
        #expect(file.mismatch(keyID: "abc", tokenizerFingerprint: "f1", parameters: other) == .gamma(file: 0.25, detection: 0.5))
        let h2 = CalibrationFile.Parameters(gamma: 0.25, effectiveGamma: 0.25, contextWidth: 2, deduplicate: true, minimumScored: 16)
        #expect(file.mismatch(keyID: "abc", tokenizerFingerprint: "f1", parameters: h2) == .contextWidth(file: 1, detection: 2))
        let noDedup = CalibrationFile.Parameters(gamma: 0.25, effectiveGamma: 0.25, contextWidth: 1, deduplicate: false, minimumScored: 16)
        #expect(file.mismatch(keyID: "abc", tokenizerFingerprint: "f1", parameters: noDedup) == .deduplication(file: true, detection: false))
        let shorter = CalibrationFile.Parameters(gamma: 0.25, effectiveGamma: 0.25, contextWidth: 1, deduplicate: true, minimumScored: 8)
        #expect(file.mismatch(keyID: "abc", tokenizerFingerprint: "f1", parameters: shorter) == .minimumScored(file: 16, detection: 8))
        let raw = CalibrationFile.Parameters(gamma: 0.25, effectiveGamma: 0.25, contextWidth: 1, deduplicate: true, minimumScored: 16,
                                             normalization: "none")
        #expect(file.mismatch(keyID: "abc", tokenizerFingerprint: "f1", parameters: raw)
                == .normalization(file: TextNormalizer.version, detection: "none"))
        // The wording names the setting and the file's value, and no command-line option.
        #expect(CalibrationMismatch.key(file: "abc", detection: "xyz").description == "was made for key abc, not for key xyz")
        #expect(!CalibrationMismatch.minimumScored(file: 16, detection: 8).description.contains("--"))
        // The file itself never holds key material.
        let json = String(decoding: try JSONEncoder().encode(file), as: UTF8.self)
        #expect(json.contains("\"keyID\":\"abc\""))
    }

    @Test func tprByLengthAndTokensToDetectFromStatuses() {
        // A positive whose every scored token is green: at γ = 0.25, k greens in k give
        // −log10 p = 0.602·k, so 5 would cross 3 (FPR 1e-3), but a verdict needs 16 scored
        // tuples: the 17th token of text (one of context) is the first that can be detected.
        let statuses = [TokenStatus.context] + [TokenStatus](repeating: .green, count: 600)
        let positive = CalibrationSample(score: 300, scored: 600, z: 20, statuses: statuses)
        let parameters = CalibrationFile.Parameters(gamma: 0.25, effectiveGamma: 0.25, contextWidth: 1, deduplicate: true, minimumScored: 16)
        let negatives = (1...100).map { Self.sample(Double($0) / 100) }
        let file = Calibrator.calibrate(negatives: negatives, positives: [positive], rates: [1e-3], keyID: "k",
                                        tokenizer: .init(fingerprint: "f", name: "t"), parameters: parameters, tool: "t")
        #expect(file.thresholds[0].medianTokensToDetect == 17)
        #expect(file.tprByLength?.first?.points.map(\.tokens) == [17, 25, 32, 50, 64, 100, 128, 200, 256, 384, 512])
        #expect(file.tprByLength?.first?.points.allSatisfy { $0.tpr == 1 } == true)

        // Lengths are tokens of text: with every other token left out (repeated or common),
        // 16 scored tuples take 32 tokens, and the first 25 tokens are too short for a verdict.
        let sparse = [TokenStatus.context] + (0..<300).flatMap { i in [TokenStatus.green, i % 2 == 0 ? .repeated : .common] }
        let thin = Calibrator.calibrate(negatives: negatives, positives: [CalibrationSample(score: 150, scored: 300, z: 20, statuses: sparse)],
                                        rates: [1e-3], keyID: "k", tokenizer: .init(fingerprint: "f", name: "t"), parameters: parameters, tool: "t")
        #expect(thin.thresholds[0].medianTokensToDetect == 32)
        let points = thin.tprByLength?.first?.points ?? []
        #expect(points.first { $0.tokens == 25 }?.tpr == 0)
        #expect(points.first { $0.tokens == 32 }?.tpr == 1)
    }
}

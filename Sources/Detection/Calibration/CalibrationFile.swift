import Foundation
import Watermark

/// What a calibration file says, and what `detect --calibration` checks before using it.
public struct CalibrationFile: Codable, Sendable {
    public static let formatName = "swift-watermark calibration v1"

    public struct Tokenizer: Codable, Sendable, Equatable {
        public let fingerprint: String
        public let name: String

        public init(fingerprint: String, name: String) {
            self.fingerprint = fingerprint
            self.name = name
        }
    }

    public struct Parameters: Codable, Sendable, Equatable {
        public let gamma: Double
        public let effectiveGamma: Double
        public let contextWidth: Int
        public let deduplicate: Bool
        public let minimumScored: Int
        /// The text normalisation applied before tokenizing (`TextNormalizer.version` or "none").
        public let normalization: String
        /// The fingerprint of the common-tuple list detection leaves out, or nil for none.
        public let commonTuples: String?

        public init(gamma: Double, effectiveGamma: Double, contextWidth: Int, deduplicate: Bool, minimumScored: Int,
                    normalization: String = TextNormalizer.version, commonTuples: String? = nil) {
            self.commonTuples = commonTuples
            self.gamma = gamma
            self.effectiveGamma = effectiveGamma
            self.contextWidth = contextWidth
            self.deduplicate = deduplicate
            self.minimumScored = minimumScored
            self.normalization = normalization
        }

        /// The parameters of detection with `scheme` and these options; what a calibration
        /// file records and what `detect --calibration` compares it with.
        public init(scheme: SchemeParameters, options: DetectionOptions, normalization: String) {
            self.init(gamma: scheme.gamma, effectiveGamma: scheme.effectiveGamma, contextWidth: scheme.contextWidth,
                      deduplicate: options.deduplicate, minimumScored: options.minimumScored, normalization: normalization,
                      commonTuples: options.commonTuples?.fingerprint)
        }
    }

    public struct Summary: Codable, Sendable {
        public let documents: Int
        /// Documents below the minimum scored count; they are left out of every rate.
        public let tooShort: Int
        public let meanScored: Double
        public let meanZ: Double
        public let sdZ: Double
        /// Quantiles of −log10 p at 0.5, 0.9, 0.99, 0.999 and the maximum.
        public let scoreQuantiles: [String: Double]
    }

    public struct Threshold: Codable, Sendable {
        /// The false-positive rate asked for.
        public let targetFPR: Double
        /// Watermarked iff −log10 p ≥ this; never below −log10(targetFPR).
        public let minimumScore: Double
        /// Negatives at or above the threshold, and the rate with its one-sided 95%
        /// Clopper–Pearson upper bound.
        public let falsePositives: Int
        public let empiricalFPR: Double
        public let fprUpperBound95: Double
        /// True when there were too few negatives to show the target (bound above target).
        public let fprDemonstrated: Bool
        public let truePositives: Int?
        public let tpr: Double?
        public let tprInterval95: [Double]?
        /// Tokens of text needed for a watermarked verdict at this threshold, median over positives.
        public let medianTokensToDetect: Int?
    }

    /// TPR against length at one threshold.
    public struct LengthCurve: Codable, Sendable {
        public let targetFPR: Double
        public let points: [LengthPoint]
    }

    public struct LengthPoint: Codable, Sendable {
        public let tokens: Int
        public let documents: Int
        public let detected: Int
        public let tpr: Double
        public let interval95: [Double]
    }

    public let format: String
    public let scheme: String
    public let keyID: String
    public let tokenizer: Tokenizer
    public let parameters: Parameters
    public let negatives: Summary
    public let positives: Summary?
    public let thresholds: [Threshold]
    /// TPR of positive prefixes of each length, for every threshold.
    public let tprByLength: [LengthCurve]?
    /// Area under the ROC curve of −log10 p, negatives against positives.
    public let auc: Double?
    public let created: String
    public let tool: String
    /// How positives were generated on the fly, when they were (`calibrate --generate`).
    public var generation: Generation? = nil

    /// Enough to generate the same positives again.
    public struct Generation: Codable, Sendable, Equatable {
        public let documents: Int
        public let model: String
        /// Document i was sampled with seed `seed + i`.
        public let seed: UInt64
        public let delta: Double

        public init(documents: Int, model: String, seed: UInt64, delta: Double) {
            self.documents = documents
            self.model = model
            self.seed = seed
            self.delta = delta
        }
    }

    /// The first setting in which this file differs from detection with these settings, or
    /// nil when the file can be used.
    public func mismatch(keyID: String, tokenizerFingerprint: String, parameters other: Parameters) -> CalibrationMismatch? {
        if format != Self.formatName { return .format(format) }
        if keyID != self.keyID { return .key(file: self.keyID, detection: keyID) }
        if tokenizerFingerprint != tokenizer.fingerprint { return .tokenizer(name: tokenizer.name, fingerprint: tokenizer.fingerprint) }
        if other.effectiveGamma != parameters.effectiveGamma { return .gamma(file: parameters.gamma, detection: other.gamma) }
        if other.contextWidth != parameters.contextWidth {
            return .contextWidth(file: parameters.contextWidth, detection: other.contextWidth)
        }
        if other.deduplicate != parameters.deduplicate {
            return .deduplication(file: parameters.deduplicate, detection: other.deduplicate)
        }
        if other.normalization != parameters.normalization {
            return .normalization(file: parameters.normalization, detection: other.normalization)
        }
        if other.minimumScored != parameters.minimumScored {
            return .minimumScored(file: parameters.minimumScored, detection: other.minimumScored)
        }
        if other.commonTuples != parameters.commonTuples {
            return .commonTuples(file: parameters.commonTuples, detection: other.commonTuples)
        }
        return nil
    }

    /// Reads a file written by `Calibrator` (as JSON).
    public static func decode(_ data: [UInt8]) throws(DetectionError) -> CalibrationFile {
        do { return try JSONDecoder().decode(CalibrationFile.self, from: Data(data)) } catch {
            throw .calibration(.unreadable)
        }
    }

    /// The file as `calibrate` writes it: pretty-printed, keys sorted, with a final newline.
    public func encoded() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(self), as: UTF8.self) + "\n"
    }

    /// The threshold calibrated for `fpr`, or nil.
    public func threshold(for fpr: Double) -> Threshold? {
        thresholds.first { abs($0.targetFPR - fpr) <= 1e-12 * fpr }
    }
}

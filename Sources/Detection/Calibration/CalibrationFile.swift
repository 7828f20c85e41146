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

    /// Reads a file written by `Calibrator` (as JSON), checking every value for type, range,
    /// finiteness and consistency, so that nothing downstream can trap on a damaged or
    /// hand-edited file.
    public static func decode(_ data: [UInt8]) throws(DetectionError) -> CalibrationFile {
        let file: CalibrationFile
        do { file = try JSONDecoder().decode(CalibrationFile.self, from: Data(data)) } catch {
            throw .calibration(.unreadable)
        }
        do { try file.validate() } catch { throw .calibration(error) }
        return file
    }

    /// The first field that no calibration could have written, if any.
    func validate() throws(CalibrationProblem) {
        let check = FieldCheck()
        try check.hex(keyID, "keyID", length: 16)
        try check.hex(tokenizer.fingerprint, "tokenizer.fingerprint", length: 64)
        try check.that(parameters.gamma > 0 && parameters.gamma < 1, "parameters.gamma", parameters.gamma, "strictly between 0 and 1")
        try check.that(parameters.effectiveGamma > 0 && parameters.effectiveGamma < 1, "parameters.effectiveGamma",
                       parameters.effectiveGamma, "strictly between 0 and 1")
        try check.that(SchemeParameters.contextWidthRange.contains(parameters.contextWidth), "parameters.contextWidth",
                       parameters.contextWidth, "1 to 8")
        try check.that((1...Self.maximumCount).contains(parameters.minimumScored), "parameters.minimumScored",
                       parameters.minimumScored, "at least 1")
        if let list = parameters.commonTuples { try check.hex(list, "parameters.commonTuples", length: 64) }
        try check.summary(negatives, "negatives")
        try check.that(negatives.documents > negatives.tooShort, "negatives.tooShort", negatives.tooShort,
                       "below negatives.documents (\(negatives.documents))")
        if let positives { try check.summary(positives, "positives") }
        try check.that(!thresholds.isEmpty, "thresholds", "[]", "at least one threshold")
        let usable = negatives.documents - negatives.tooShort
        for (i, t) in thresholds.enumerated() {
            let at = "thresholds[\(i)]"
            try check.rate(t.targetFPR, at + ".targetFPR")
            // −log10 p of any real document stays far below 10⁶ (that is p = 10^−1 000 000).
            try check.that(t.minimumScore.isFinite && t.minimumScore >= -log10(t.targetFPR) * (1 - 1e-12) && t.minimumScore <= 1e6,
                           at + ".minimumScore", t.minimumScore, "at least −log10 of the target rate and at most 10⁶")
            try check.that((0...usable).contains(t.falsePositives), at + ".falsePositives", t.falsePositives,
                           "0 to the \(usable) usable negatives")
            try check.fraction(t.empiricalFPR, at + ".empiricalFPR")
            try check.that(t.fprUpperBound95.isFinite && t.fprUpperBound95 > 0 && t.fprUpperBound95 <= 1,
                           at + ".fprUpperBound95", t.fprUpperBound95, "in (0, 1]")
            if let tp = t.truePositives { try check.that((0...Self.maximumCount).contains(tp), at + ".truePositives", tp, "0 or more") }
            if let tpr = t.tpr { try check.fraction(tpr, at + ".tpr") }
            if let interval = t.tprInterval95 { try check.interval(interval, at + ".tprInterval95") }
            if let median = t.medianTokensToDetect {
                try check.that((1...Self.maximumCount).contains(median), at + ".medianTokensToDetect", median, "at least 1")
            }
        }
        for (i, curve) in (tprByLength ?? []).enumerated() {
            let at = "tprByLength[\(i)]"
            try check.rate(curve.targetFPR, at + ".targetFPR")
            for (j, point) in curve.points.enumerated() {
                let here = at + ".points[\(j)]"
                try check.that((1...Self.maximumCount).contains(point.tokens), here + ".tokens", point.tokens, "at least 1")
                try check.that((1...Self.maximumCount).contains(point.documents), here + ".documents", point.documents, "at least 1")
                try check.that((0...point.documents).contains(point.detected), here + ".detected", point.detected,
                               "0 to \(here).documents")
                try check.fraction(point.tpr, here + ".tpr")
                try check.interval(point.interval95, here + ".interval95")
            }
        }
        if let auc { try check.fraction(auc, "auc") }
        if let generation {
            try check.that((0...Self.maximumCount).contains(generation.documents), "generation.documents", generation.documents, "0 or more")
            try check.that(generation.delta.isFinite && generation.delta >= 0, "generation.delta", generation.delta, "finite and ≥ 0")
        }
    }

    /// Counts in a file are documents and tokens: anything above 2^48 is damage, not data.
    static let maximumCount = 1 << 48

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

/// Range checks for ``CalibrationFile/validate()``, each naming the field it refuses.
private struct FieldCheck {
    func that(_ ok: Bool, _ field: String, _ value: some CustomStringConvertible, _ expected: String) throws(CalibrationProblem) {
        guard ok else { throw .invalidField(field: field, value: value.description, expected: expected) }
    }

    func hex(_ value: String, _ field: String, length: Int) throws(CalibrationProblem) {
        let ok = value.utf8.count == length && value.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
        try that(ok, field, "\"\(value)\"", "\(length) lower-case hex digits")
    }

    func rate(_ value: Double, _ field: String) throws(CalibrationProblem) {
        try that(value.isFinite && value > 0 && value < 1, field, value, "strictly between 0 and 1")
    }

    func fraction(_ value: Double, _ field: String) throws(CalibrationProblem) {
        try that(value.isFinite && value >= 0 && value <= 1, field, value, "in [0, 1]")
    }

    func interval(_ value: [Double], _ field: String) throws(CalibrationProblem) {
        let ok = value.count == 2 && value.allSatisfy { $0.isFinite && $0 >= 0 && $0 <= 1 } && value[0] <= value[1]
        try that(ok, field, value.description, "[lower, upper] within [0, 1]")
    }

    func summary(_ s: CalibrationFile.Summary, _ field: String) throws(CalibrationProblem) {
        try that((1...CalibrationFile.maximumCount).contains(s.documents), field + ".documents", s.documents, "at least 1")
        try that((0...s.documents).contains(s.tooShort), field + ".tooShort", s.tooShort, "0 to \(field).documents")
        try that(s.meanScored.isFinite && s.meanScored >= 0, field + ".meanScored", s.meanScored, "finite and ≥ 0")
        try that(s.meanZ.isFinite, field + ".meanZ", s.meanZ, "finite")
        try that(s.sdZ.isFinite && s.sdZ >= 0, field + ".sdZ", s.sdZ, "finite and ≥ 0")
        for (key, value) in s.scoreQuantiles.sorted(by: { $0.key < $1.key }) {
            try that(value.isFinite && value >= 0, field + ".scoreQuantiles[\"\(key)\"]", value, "finite and ≥ 0")
        }
    }
}

extension CalibrationFile {
    /// The largest calibration file read.
    public static let maximumFileSize = 64 << 20

    /// Reads and checks the file at `path` (`-`: standard input). File errors come as
    /// ``DetectionError/input(_:)``, naming the file; content errors as
    /// ``DetectionError/calibration(_:)``.
    public static func load(path: String) throws(DetectionError) -> CalibrationFile {
        let bytes: [UInt8]
        do { bytes = try ByteStream(path: path).readAll(limit: maximumFileSize) } catch { throw .input(error) }
        return try decode(bytes)
    }
}

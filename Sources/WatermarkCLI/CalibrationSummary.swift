import Detection
import Foundation

/// The text `calibrate` prints about the file it wrote.
enum CalibrationSummary {
    static func text(_ file: CalibrationFile, path: String) -> String {
        let count = DetectionSummary.count, rate = DetectionSummary.formatRate
        func short(_ s: CalibrationFile.Summary) -> String { s.tooShort == 0 ? "none too short" : "\(s.tooShort) too short" }
        var lines = ["wrote \(path): key \(file.keyID), \(count(file.negatives.documents, "negative")) (\(short(file.negatives)))"
                     + (file.positives.map { ", \(count($0.documents, "positive")) (\(short($0)))" } ?? "")]
        lines.append("  negatives: mean z \(DetectionSummary.format(file.negatives.meanZ, digits: 2)), sd \(DetectionSummary.format(file.negatives.sdZ, digits: 2))")
        let usable = file.negatives.documents - file.negatives.tooShort
        for t in file.thresholds {
            var line = "  FPR \(rate(t.targetFPR)): threshold p ≤ \(DetectionSummary.formatP(log10: -t.minimumScore)); "
                + "\(count(t.falsePositives, "false positive")) of \(usable), FPR ≤ \(rate(max(t.fprUpperBound95, 1e-300))) (95% bound)"
            if !t.fprDemonstrated {
                line += "; too few negatives to show \(rate(t.targetFPR)): that needs \(Calibrator.negativesNeeded(toShow: t.targetFPR)) with none flagged"
            }
            if let tpr = t.tpr, let ci = t.tprInterval95 {
                line += "; TPR \(DetectionSummary.format(tpr, digits: 2)) [\(DetectionSummary.format(ci[0], digits: 2)), \(DetectionSummary.format(ci[1], digits: 2))]"
                if let m = t.medianTokensToDetect { line += ", median \(count(m, "token")) to detect" }
            }
            lines.append(line)
        }
        if let auc = file.auc { lines.append("  AUC \(DetectionSummary.format(auc, digits: 3))") }
        return lines.joined(separator: "\n")
    }
}

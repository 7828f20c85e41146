import Foundation
import Detection

/// The text `calibrate` prints about the file it wrote.
enum CalibrationSummary {
    static func text(_ file: CalibrationFile, path: String) -> String {
        var lines = ["wrote \(path): key \(file.keyID), \(file.negatives.documents) negatives (\(file.negatives.tooShort) too short)"
                     + (file.positives.map { ", \($0.documents) positives (\($0.tooShort) too short)" } ?? "")]
        lines.append("  negatives: mean z \(DetectionSummary.format(file.negatives.meanZ, digits: 3)), sd \(DetectionSummary.format(file.negatives.sdZ, digits: 3))")
        for t in file.thresholds {
            var line = "  FPR \(t.targetFPR): p ≤ \(DetectionSummary.formatP(log10: -t.minimumScore)); \(t.falsePositives) false positives,"
                + " FPR ≤ \(DetectionSummary.formatP(log10: log10(max(t.fprUpperBound95, 1e-300)))) (95%)"
            if !t.fprDemonstrated { line += " — too few negatives to show \(t.targetFPR)" }
            if let tpr = t.tpr, let ci = t.tprInterval95 {
                line += "; TPR \(DetectionSummary.format(tpr, digits: 3)) [\(DetectionSummary.format(ci[0], digits: 3)), \(DetectionSummary.format(ci[1], digits: 3))]"
                if let m = t.medianTokensToDetect { line += ", median \(m) tokens to detect" }
            }
            lines.append(line)
        }
        if let auc = file.auc { lines.append("  AUC \(DetectionSummary.format(auc, digits: 4))") }
        return lines.joined(separator: "\n")
    }
}

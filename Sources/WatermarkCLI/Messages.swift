import Detection
import Foundation

/// The CLI's wording of library errors: the library says what is wrong; here it is said in
/// terms of this tool's files and options.
enum Messages {
    /// A failure while reading or scoring one document.
    static func document(_ error: DetectionError, source: String) -> CLIFailure {
        switch error {
        case .input(let input): return CLIFailure(input.description)
        case .watermark(let watermark): return CLIFailure(watermark.description)
        default: return CLIFailure("\(source): \(error.description)")
        }
    }

    /// A failure while putting a pipeline together from a common-tuple list and a calibration file.
    static func setup(_ error: DetectionError, commonTuples: String?, calibration: String?, rate: Double? = nil) -> CLIFailure {
        switch error {
        case .commonTuples(let problem):
            let path = commonTuples ?? "common tuples"
            if case .contextWidth(let list, let detection) = problem {
                return CLIFailure("\(path): was made for context width \(list), not \(detection)")
            }
            return CLIFailure("\(path): \(problem.description)")
        case .calibration(let problem):
            let path = calibration ?? "calibration"
            switch problem {
            case .unreadable: return CLIFailure("\(path): not a calibration file from 'watermark calibrate'")
            case .mismatch(.minimumScored(let file, let detection)):
                return CLIFailure("\(path): was made with --min-tokens \(file), not \(detection)")
            case .noThreshold(let asked, let available):
                return CLIFailure("\(path): has no threshold for --fpr \(rate ?? asked); it has \(available.map { String($0) }.joined(separator: ", "))")
            default: return CLIFailure("\(path): \(problem.description)")
            }
        default:
            return CLIFailure(error.description)
        }
    }

    /// Prints what the pipeline wants its user to know.
    static func warn(_ warnings: [DetectionWarning], commonTuples: String?, calibration: String?) {
        for warning in warnings {
            switch warning {
            case .commonTuplesNormalization(let list, let detection):
                Console.warning("\(commonTuples ?? "common tuples"): was counted on text with normalisation \(list), and this text has \(detection)")
            case .calibrationRateNotShown(let falsePositives, let negatives, let bound, let rate):
                Console.warning("\(calibration ?? "calibration"): its \(DetectionSummary.count(falsePositives, "false positive")) in \(DetectionSummary.count(negatives, "negative")) bound the rate only by \(DetectionSummary.formatRate(bound)) (95%), above \(DetectionSummary.formatRate(rate)) (that needs \(Calibrator.negativesNeeded(toShow: rate)) negatives with none flagged); its threshold is still never looser than p ≤ \(DetectionSummary.formatRate(rate))")
            }
        }
    }
}

import Detection
import Foundation

/// The human-readable form of a detection result.
enum DetectionSummary {
    static func text(for r: DetectionResult, source: String) -> String {
        var lines: [String] = []
        let verdict: String
        switch r.verdict {
        case .watermarked: verdict = "watermarked"
        case .notWatermarked: verdict = "not watermarked"
        case .tooShort: verdict = "too short to tell"
        }
        lines.append("\(source): \(verdict)" + (r.calibrated && r.verdict != .tooShort
            ? " (by the calibration file's threshold, p ≤ \(formatP(log10: -r.minimumScore)))" : ""))
        let dedup = r.deduplicated ? "distinct " : ""
        lines.append("  p = \(formatP(log10: r.log10p)), z = \(format(r.z, digits: 2)); \(r.green) of \(r.scored) \(dedup)tuples green "
                     + "(\(r.tokens) tokens, γ' = \(format(r.effectiveGamma, digits: 4)), h = \(r.contextWidth))")
        if let skipped = r.commonSkipped {
            lines.append("  \(count(skipped, "token")) left out as common tuples (--skip-common)")
        }
        if r.verdict == .tooShort {
            lines.append("  needs at least \(r.minimumScored) scored tuples (--min-tokens) for a verdict")
        }
        if let w = r.window {
            lines.append("  best window: tokens \(w.startToken + 1)–\(w.endToken), \(w.green) of \(w.scored) green, p = \(formatP(log10: w.log10p)) (one of \(count(w.windowsTried, "window")))")
        }
        if r.keysTried > 1 {
            lines.append("  best of \(r.keysTried) keys")
        }
        if r.keysTried > 1 || r.window != nil {
            lines.append("  adjusted p = \(formatP(log10: r.log10pAdjusted)) (Bonferroni over every test made), α = \(formatP(log10: log10(r.falsePositiveRate)))")
        }
        lines.append("  key \(r.keyID)")
        return lines.joined(separator: "\n")
    }

    /// "1 token", "2 tokens".
    static func count(_ n: Int, _ noun: String) -> String { "\(n) \(noun)\(n == 1 ? "" : "s")" }

    /// What the colours (or, without colour, the markers) of ``highlighted`` mean.
    static func legend(colour: Bool) -> String {
        colour
            ? "legend: \u{1B}[42;30mgreen\u{1B}[0m scored green, \u{1B}[41;37mred\u{1B}[0m scored red, \u{1B}[2mdim\u{1B}[0m not scored (context, repeated or common tuple)"
            : "legend: [+token] scored green, [-token] scored red, plain text not scored (context, repeated or common tuple)"
    }

    /// Tokens with ANSI colours by status: green, red, dim for context, repeats and common tuples.
    static func highlighted(statuses: [TokenStatus], pieces: [String]?, ids: [UInt32]?, colour: Bool) -> String {
        var out = ""
        for (i, status) in statuses.enumerated() {
            let piece = pieces.map { i < $0.count ? $0[i] : "" } ?? ids.map { (i > 0 ? " " : "") + String($0[i]) } ?? ""
            guard colour else {
                switch status {
                case .green: out += "[+\(piece)]"
                case .red: out += "[-\(piece)]"
                case .repeated, .context, .common: out += piece
                }
                continue
            }
            switch status {
            case .green: out += "\u{1B}[42;30m\(piece)\u{1B}[0m"
            case .red: out += "\u{1B}[41;37m\(piece)\u{1B}[0m"
            case .repeated, .context, .common: out += "\u{1B}[2m\(piece)\u{1B}[0m"
            }
        }
        return out
    }

    /// A probability or rate in the one format of the text output: up to three significant
    /// digits as a decimal from 0.001 up ("0.0492", "0.01"), mantissa and exponent below
    /// ("9.8e-5", "1e-12"), computed from the log so that p below 1e-308 still prints.
    static func formatP(log10 value: Double) -> String {
        // Only our own statistics arrive here, but a number read from a file must never trap.
        guard value.isFinite else { return value.isNaN ? "nan" : value < 0 ? "0" : "inf" }
        if value >= -3 {
            let p = pow10(value)
            var text = String(format: "%.3g", p)
            if text.contains("e") { text = String(format: "%.6f", p) }  // %g's exponent form near 1e-3
            return text
        }
        var exponent = value.rounded(.down)
        var mantissa = pow10(value - exponent)
        if mantissa >= 9.95 { mantissa /= 10; exponent += 1 }
        let digits = String(format: "%.1f", mantissa)
        return (digits.hasSuffix(".0") ? String(digits.dropLast(2)) : digits) + "e" + String(format: "%.0f", exponent)
    }

    /// A rate given as a number (the `--fpr` of a calibration), in the same format.
    static func formatRate(_ rate: Double) -> String { formatP(log10: log10(rate)) }

    static func format(_ x: Double, digits: Int) -> String {
        guard x.isFinite else { return "\(x)" }
        return String(format: "%.\(digits)f", x)
    }

    private static func pow10(_ x: Double) -> Double { exp(x * 2.302585092994046) }
}

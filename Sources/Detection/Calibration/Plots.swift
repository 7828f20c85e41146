import Foundation

/// Small self-contained SVG charts for calibration reports (no dependencies, viewable in any
/// browser). Each function returns a whole SVG document.
public enum CalibrationPlots {
    static let width = 640.0, height = 400.0
    static let left = 70.0, right = 20.0, top = 40.0, bottom = 55.0

    /// Histograms of z for negatives (human) and positives (watermarked), on one axis.
    public static func scoreHistogram(negatives: [Double], positives: [Double], title: String) -> String {
        let all = negatives + positives
        guard let lo = all.min(), let hi = all.max(), hi > lo else { return empty(title) }
        let bins = 60
        let step = (hi - lo) / Double(bins)
        func counts(_ xs: [Double]) -> [Double] {
            var c = [Double](repeating: 0, count: bins)
            for x in xs { c[min(bins - 1, Int((x - lo) / step))] += 1 }
            let n = Double(max(xs.count, 1))
            return c.map { $0 / n }
        }
        let n = counts(negatives), p = counts(positives)
        let ymax = max(n.max() ?? 0, p.max() ?? 0, 1e-9)
        var svg = header(title, xLabel: "z-score", yLabel: "share of documents")
        svg += axes(xTicks: ticks(lo, hi).map { ($0, fmt($0)) }, xMap: { lo + ($0 - lo) }, x0: lo, x1: hi,
                    yTicks: ticks(0, ymax).map { ($0, fmt($0)) }, y0: 0, y1: ymax)
        for (series, colour) in [(n, "#4477aa"), (p, "#228833")] {
            for (i, v) in series.enumerated() where v > 0 {
                let x = sx(lo + Double(i) * step, lo, hi), w = sx(lo + Double(i + 1) * step, lo, hi) - x
                let y = sy(v, 0, ymax)
                svg += "<rect x=\"\(f(x))\" y=\"\(f(y))\" width=\"\(f(w))\" height=\"\(f(top + plotHeight - y))\" fill=\"\(colour)\" fill-opacity=\"0.55\"/>\n"
            }
        }
        svg += legend([("human (negatives), n = \(negatives.count)", "#4477aa"), ("watermarked (positives), n = \(positives.count)", "#228833")])
        return svg + "</svg>\n"
    }

    /// ROC curve with the false-positive rate on a log axis (from 1/n to 1).
    public static func roc(negatives: [Double], positives: [Double], title: String) -> String {
        guard !negatives.isEmpty, !positives.isEmpty else { return empty(title) }
        let neg = negatives.sorted(by: >), pos = positives.sorted(by: >)
        let floorFPR = 1 / Double(neg.count)
        var points: [(Double, Double)] = []
        var i = 0, j = 0
        // Sweep thresholds from high to low over every distinct score.
        let thresholds = Array(Set(negatives + positives)).sorted(by: >)
        for t in thresholds {
            while i < neg.count && neg[i] >= t { i += 1 }
            while j < pos.count && pos[j] >= t { j += 1 }
            points.append((max(Double(i) / Double(neg.count), floorFPR), Double(j) / Double(pos.count)))
        }
        let lx0 = log10(floorFPR), lx1 = 0.0
        var svg = header(title, xLabel: "false-positive rate (log scale; leftmost = fewer than 1 in \(neg.count))", yLabel: "true-positive rate")
        let xt = stride(from: lx0.rounded(.up), through: 0, by: 1).map { ($0, "1e\(Int($0))") }
        svg += axes(xTicks: xt, xMap: { $0 }, x0: lx0, x1: lx1, yTicks: ticks(0, 1).map { ($0, fmt($0)) }, y0: 0, y1: 1)
        let path = points.map { "\(f(sx(log10($0.0), lx0, lx1))),\(f(sy($0.1, 0, 1)))" }.joined(separator: " ")
        svg += "<polyline points=\"\(path)\" fill=\"none\" stroke=\"#228833\" stroke-width=\"2\"/>\n"
        return svg + "</svg>\n"
    }

    /// TPR against the number of scored tokens, one line per false-positive rate, with 95% intervals.
    public static func tprByLength(_ curves: [CalibrationFile.LengthCurve], title: String) -> String {
        let all = curves.flatMap(\.points)
        guard let lo = all.map(\.tokens).min(), let hi = all.map(\.tokens).max() else { return empty(title) }
        let x0 = log2(Double(lo)), x1 = log2(Double(max(hi, lo * 2)))
        var svg = header(title, xLabel: "scored tokens (log scale)", yLabel: "true-positive rate")
        let grid = Array(Set(all.map(\.tokens))).sorted()
        svg += axes(xTicks: grid.map { (log2(Double($0)), "\($0)") }, xMap: { $0 }, x0: x0, x1: x1,
                    yTicks: ticks(0, 1).map { ($0, fmt($0)) }, y0: 0, y1: 1)
        let colours = ["#228833", "#4477aa", "#aa3377", "#ccbb44", "#66ccee", "#ee6677"]
        var entries: [(String, String)] = []
        for (i, curve) in curves.enumerated() {
            let colour = colours[i % colours.count]
            var path: [String] = []
            for p in curve.points {
                let x = sx(log2(Double(p.tokens)), x0, x1)
                svg += "<line x1=\"\(f(x))\" x2=\"\(f(x))\" y1=\"\(f(sy(p.interval95[0], 0, 1)))\" y2=\"\(f(sy(p.interval95[1], 0, 1)))\" stroke=\"\(colour)\" stroke-opacity=\"0.4\"/>\n"
                path.append("\(f(x)),\(f(sy(p.tpr, 0, 1)))")
                svg += "<circle cx=\"\(f(x))\" cy=\"\(f(sy(p.tpr, 0, 1)))\" r=\"3\" fill=\"\(colour)\"/>\n"
            }
            svg += "<polyline points=\"\(path.joined(separator: " "))\" fill=\"none\" stroke=\"\(colour)\" stroke-width=\"2\"/>\n"
            entries.append(("FPR \(curve.targetFPR)", colour))
        }
        // Legend at the bottom right, where TPR curves rarely run.
        for (i, (label, colour)) in entries.enumerated() {
            let y = top + plotHeight - 10 - Double(entries.count - 1 - i) * 18
            svg += "<rect x=\"\(f(left + plotWidth - 120))\" y=\"\(f(y - 10))\" width=\"12\" height=\"12\" fill=\"\(colour)\"/>"
            svg += "<text x=\"\(f(left + plotWidth - 102))\" y=\"\(f(y))\">\(escape(label))</text>\n"
        }
        return svg + "</svg>\n"
    }

    // MARK: - Drawing helpers

    static var plotWidth: Double { width - left - right }
    static var plotHeight: Double { height - top - bottom }
    static func sx(_ x: Double, _ x0: Double, _ x1: Double) -> Double { left + (x - x0) / (x1 - x0) * plotWidth }
    static func sy(_ y: Double, _ y0: Double, _ y1: Double) -> Double { top + plotHeight - (y - y0) / (y1 - y0) * plotHeight }
    static func f(_ v: Double) -> String { String(format: "%.1f", v) }
    static func fmt(_ v: Double) -> String { abs(v) >= 100 || v == v.rounded() ? String(format: "%.0f", v) : String(format: "%.2g", v) }

    static func ticks(_ lo: Double, _ hi: Double) -> [Double] {
        let span = hi - lo
        guard span > 0 else { return [lo] }
        let raw = span / 5, magnitude = pow(10, (log10(raw)).rounded(.down))
        let step = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? raw
        return stride(from: (lo / step).rounded(.up) * step, through: hi + 1e-12, by: step).map { $0 }
    }

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }

    static func header(_ title: String, xLabel: String, yLabel: String) -> String {
        """
        <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" font-family="sans-serif" font-size="12">
        <rect width="100%" height="100%" fill="white"/>
        <text x="\(f(width / 2))" y="22" text-anchor="middle" font-size="14">\(escape(title))</text>
        <text x="\(f(left + plotWidth / 2))" y="\(f(height - 12))" text-anchor="middle">\(escape(xLabel))</text>
        <text transform="translate(16,\(f(top + plotHeight / 2))) rotate(-90)" text-anchor="middle">\(escape(yLabel))</text>

        """
    }

    static func axes(xTicks: [(Double, String)], xMap: (Double) -> Double, x0: Double, x1: Double,
                     yTicks: [(Double, String)], y0: Double, y1: Double) -> String {
        var s = "<rect x=\"\(f(left))\" y=\"\(f(top))\" width=\"\(f(plotWidth))\" height=\"\(f(plotHeight))\" fill=\"none\" stroke=\"#333\"/>\n"
        for (v, label) in xTicks {
            let x = sx(xMap(v), x0, x1)
            s += "<line x1=\"\(f(x))\" x2=\"\(f(x))\" y1=\"\(f(top))\" y2=\"\(f(top + plotHeight))\" stroke=\"#eee\"/>"
            s += "<text x=\"\(f(x))\" y=\"\(f(top + plotHeight + 16))\" text-anchor=\"middle\">\(escape(label))</text>\n"
        }
        for (v, label) in yTicks {
            let y = sy(v, y0, y1)
            s += "<line x1=\"\(f(left))\" x2=\"\(f(left + plotWidth))\" y1=\"\(f(y))\" y2=\"\(f(y))\" stroke=\"#eee\"/>"
            s += "<text x=\"\(f(left - 6))\" y=\"\(f(y + 4))\" text-anchor=\"end\">\(escape(label))</text>\n"
        }
        return s
    }

    static func legend(_ entries: [(String, String)]) -> String {
        var s = ""
        for (i, (label, colour)) in entries.enumerated() {
            let y = top + 14 + Double(i) * 18
            s += "<rect x=\"\(f(left + 10))\" y=\"\(f(y - 10))\" width=\"12\" height=\"12\" fill=\"\(colour)\" fill-opacity=\"0.55\"/>"
            s += "<text x=\"\(f(left + 28))\" y=\"\(f(y))\">\(escape(label))</text>\n"
        }
        return s
    }

    static func empty(_ title: String) -> String {
        header(title, xLabel: "", yLabel: "") + "<text x=\"\(f(width / 2))\" y=\"\(f(height / 2))\" text-anchor=\"middle\">no data</text></svg>\n"
    }
}

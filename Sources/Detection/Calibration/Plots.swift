import Foundation

/// Small self-contained SVG charts for calibration reports: no scripts, fonts or other
/// external resources, a fixed 640×400 viewBox, the Okabe–Ito and Tol colour-blind-safe
/// palettes, and only the SVG 1.1 features that browsers and librsvg draw alike. Each
/// function returns a whole SVG document.
///
/// The elements a reader (or a test) may look for carry a `class`: `threshold` and
/// `threshold-label` (histogram), `operating-point`, `operating-label`, `tpr-interval`,
/// `fpr-bound` (ROC), `error-bar`, `marker`, `series` (TPR by length), `tick-label x` or
/// `tick-label y` (every axis), `legend`. Rates are written as the axes write them: 1, 0.1,
/// 0.01, then 10⁻³, 10⁻⁴ …
public enum CalibrationPlots {
    static let width = 640.0, height = 400.0
    static let left = 64.0, right = 16.0, top = 40.0, bottom = 50.0

    /// Histograms of the score −log10 p for negatives (human text) and positives
    /// (watermarked), with one vertical line per calibrated threshold.
    ///
    /// The histogram is of −log10 p rather than z because that is the quantity thresholds are
    /// set on: a document is called watermarked exactly when its score is right of the line,
    /// whatever its length. (A z threshold would depend on the number of scored tokens.) The x
    /// axis is square-root scaled, which spreads the negatives (mostly below 2) and still fits
    /// positives scoring 50 or more; since −log10 p grows like z², it looks much like a z axis.
    public static func scoreHistogram(negatives: [Double], positives: [Double], thresholds: [CalibrationFile.Threshold],
                                      title: String) -> String {
        let neg = negatives.filter(\.isFinite).map { max(0, $0) }, pos = positives.filter(\.isFinite).map { max(0, $0) }
        let cuts = thresholds.filter { $0.minimumScore.isFinite }
        guard !neg.isEmpty || !pos.isEmpty else { return empty(title, "no scored documents") }
        let highest = max((neg + pos).max() ?? 0, (cuts.map(\.minimumScore).max() ?? 0) * 1.1, 1)
        let x1 = highest.squareRoot() * 1.02
        let bins = 50, binWidth = x1 / Double(bins)  // in √score
        func shares(_ xs: [Double]) -> [Double] {
            var c = [Double](repeating: 0, count: bins)
            for x in xs { c[min(bins - 1, Int(x.squareRoot() / binWidth))] += 1 }
            return c.map { 100 * $0 / Double(max(xs.count, 1)) }
        }
        let negShares = shares(neg), posShares = shares(pos)
        let tallest = max(negShares.max() ?? 0, posShares.max() ?? 0, 1)
        let legend: [LegendEntry] = [
            .init(.box(negativeColour), "human text, n = \(neg.count)"),
            .init(.box(positiveColour), "watermarked, n = \(pos.count)"),
        ] + cuts.enumerated().map { i, t in
            LegendEntry(.line(thresholdColour, dashes[i % dashes.count]),
                        "FPR \(rateText(t.targetFPR)): score ≥ \(decimal(t.minimumScore, decimals: 2, trim: false))")
        }
        let x = Scale(d0: 0, d1: x1, p0: left, p1: left + plotWidth, transform: { max(0, $0).squareRoot() })
        func draw(headroom: Double) -> Canvas {
            let yTicks = linearTicks(0, tallest * headroom)
            let y = Scale(d0: 0, d1: max(tallest * headroom, yTicks.values.last ?? 0), p0: top + plotHeight, p1: top, transform: { $0 })
            var canvas = Canvas()
            canvas.xTicks(tieredTicks(tiers: scoreTickTiers(upTo: highest), in: 0...highest, scale: x).map { (x($0), decimal($0, decimals: 1)) })
            canvas.yTicks(yTicks.values.map { (y($0), decimal($0, decimals: yTicks.decimals) + "%") })

            for (shares, colour, name) in [(negShares, negativeColour, "bar-negatives"), (posShares, positiveColour, "bar-positives")] {
                for (i, share) in shares.enumerated() where share > 0 {
                    let xa = left + Double(i) * binWidth / x1 * plotWidth, w = binWidth / x1 * plotWidth
                    let ya = y(share)
                    canvas.body += "<rect class=\"\(name)\" x=\"\(f(xa))\" y=\"\(f(ya))\" width=\"\(f(w))\" height=\"\(f(top + plotHeight - ya))\" fill=\"\(colour)\" fill-opacity=\"0.6\"/>\n"
                    canvas.obstacles.append(Box(x: xa, y: ya, w: w, h: top + plotHeight - ya))
                }
            }
            // Threshold lines, labelled at the top; labels that would collide drop a row.
            var rowEnds: [Double] = [], lines = "", labels = ""
            for (i, t) in cuts.enumerated().sorted(by: { $0.element.minimumScore < $1.element.minimumScore }) {
                let px = x(t.minimumScore), dash = dashes[i % dashes.count]
                lines += "<line class=\"threshold\" data-fpr=\"\(t.targetFPR)\" x1=\"\(f(px))\" x2=\"\(f(px))\" y1=\"\(f(top))\" y2=\"\(f(top + plotHeight))\" stroke=\"\(thresholdColour)\" stroke-width=\"1.5\"\(dashAttribute(dash))/>\n"
                let label = rateText(t.targetFPR), w = textWidth(label, size: 11)
                // Right of the line, or left of it at the right edge.
                let lx = px + 3 + w <= left + plotWidth - 2 ? px + 3 : px - 3 - w
                let row = rowEnds.firstIndex { $0 + 5 <= lx } ?? rowEnds.count
                if row == rowEnds.count { rowEnds.append(0) }
                rowEnds[row] = lx + w
                let ly = top + 13 + Double(row) * 14
                labels += "<rect x=\"\(f(lx - 1.5))\" y=\"\(f(ly - 10))\" width=\"\(f(w + 3))\" height=\"13\" fill=\"white\" fill-opacity=\"0.85\"/>"
                labels += "<text class=\"threshold-label\" x=\"\(f(lx))\" y=\"\(f(ly))\" font-size=\"11\" fill=\"\(thresholdColour)\">\(escape(label))</text>\n"
                canvas.obstacles.append(Box(x: px, y: top, w: 2, h: plotHeight))
                canvas.obstacles.append(Box(x: lx, y: ly - 10, w: w, h: 13))
            }
            canvas.body += lines + labels
            return canvas
        }
        // Raise the top of the y axis until the legend fits above the bars.
        var canvas = draw(headroom: 1.12), cost = legendBox(legend, avoiding: canvas.obstacles).cost
        for headroom in [1.35, 1.6, 1.9, 2.3] where cost > 0 {
            let taller = draw(headroom: headroom), tallerCost = legendBox(legend, avoiding: taller.obstacles).cost
            if tallerCost < cost { (canvas, cost) = (taller, tallerCost) }
        }
        return canvas.document(title: title, xLabel: "score = −log10 p (square-root scale)",
                               yLabel: "documents per bin (% of each group)", legend: legend)
    }

    /// ROC curve: the false-positive rate on a log axis from 1/n (n negatives) to 1, with an
    /// extra slot on the left for a rate of 0; the true-positive rate on a linear axis. Each
    /// calibrated threshold is marked at its empirical (FPR, TPR) with the 95% Clopper–Pearson
    /// interval of its TPR (vertical bar) and the one-sided 95% upper bound of its FPR
    /// (horizontal bar). TPR stays linear: with tens of positives it moves in steps of a few
    /// per cent, and the common TPRs of 0 and 1 have no place on a logit axis.
    public static func roc(negatives: [Double], positives: [Double], thresholds: [CalibrationFile.Threshold],
                           title: String) -> String {
        let neg = negatives.filter(\.isFinite).sorted(by: >), pos = positives.filter(\.isFinite).sorted(by: >)
        guard !neg.isEmpty, !pos.isEmpty else {
            return empty(title, neg.isEmpty ? "no negatives: a ROC curve needs human text" : "no positives: a ROC curve needs watermarked text")
        }
        let n = Double(neg.count), m = Double(pos.count)
        let lowest = log10(1 / n), zeroSlot = lowest - 0.35
        let x = Scale(d0: zeroSlot - 0.12, d1: 0.03, p0: left, p1: left + plotWidth, transform: { $0 > 0 ? log10($0) : zeroSlot })
        let y = Scale(d0: 0, d1: 1, p0: top + plotHeight, p1: top, transform: { $0 })
        var canvas = Canvas()
        var xTicks: [(Double, String)] = [(x(0), "0")]
        for k in Int(lowest.rounded(.up))...0 { xTicks.append((x(pow(10, Double(k))), power(k))) }
        var minor: [Double] = []
        for k in Int(lowest.rounded(.down))..<0 {
            for mantissa in 2...9 {
                let v = Double(mantissa) * pow(10, Double(k))
                if v >= 1 / n * (1 - 1e-9) && v < 1 { minor.append(x(v)) }
            }
        }
        canvas.xTicks(xTicks, minor: minor)
        let yTicks = linearTicks(0, 1)
        canvas.yTicks(yTicks.values.map { (y($0), decimal($0, decimals: yTicks.decimals)) })
        // The break between the slot for 0 and the log axis.
        let bx = (x(0) + x(1 / n)) / 2, by = top + plotHeight
        canvas.body += "<path class=\"axis-break\" d=\"M\(f(bx - 5)),\(f(by + 4)) L\(f(bx - 1)),\(f(by - 4)) M\(f(bx + 1)),\(f(by + 4)) L\(f(bx + 5)),\(f(by - 4))\" stroke=\"#333\" stroke-width=\"1.2\" fill=\"none\"/>\n"

        // Chance: TPR = FPR.
        let chance = (0...60).map { pow(10, lowest * (1 - Double($0) / 60)) }.map { (x($0), y($0)) }
        canvas.polyline(chance, cls: "chance", colour: "#888888", width: 1.2, dash: "2 3", weight: 0.2)
        // The empirical curve, one vertex per distinct score (high to low).
        var vertices = [(x(0), y(0))]
        var i = 0, j = 0
        for t in Array(Set(neg + pos)).sorted(by: >) {
            while i < neg.count && neg[i] >= t { i += 1 }
            while j < pos.count && pos[j] >= t { j += 1 }
            vertices.append((x(Double(i) / n), y(Double(j) / m)))
        }
        canvas.polyline(vertices, cls: "roc", colour: curveColour, width: 2, dash: nil)

        var legend: [LegendEntry] = [
            .init(.line(curveColour, nil), "ROC: \(neg.count) human, \(pos.count) watermarked; AUC \(decimal(Calibrator.auc(negatives: neg, positives: pos), decimals: 3, trim: false))"),
            .init(.line("#888888", "2 3"), "chance (TPR = FPR)"),
        ]
        // Operating points that coincide (same FPR and TPR) are set side by side and share a label.
        typealias Point = (k: Int, threshold: CalibrationFile.Threshold, tpr: Double)
        var groups: [[Point]] = []
        for (k, t) in thresholds.enumerated() {
            guard let tpr = t.tpr, tpr.isFinite else { continue }
            let near = groups.firstIndex {
                abs(x($0[0].threshold.empiricalFPR) - x(t.empiricalFPR)) < 4 && abs(y($0[0].tpr) - y(tpr)) < 4
            }
            if let near { groups[near].append((k, t, tpr)) } else { groups.append([(k, t, tpr)]) }
        }
        for group in groups {
            let cx = x(group[0].threshold.empiricalFPR), cy = y(group[0].tpr)
            for (g, point) in group.enumerated() {
                let t = point.threshold, style = seriesStyle(point.k)
                let offset = Double(g) - Double(group.count - 1) / 2
                let px = cx + 8 * offset, by = cy + 3 * offset
                if let ci = t.tprInterval95, ci.count == 2 {
                    canvas.errorBar(x: px, y0: y(ci[0]), y1: y(ci[1]), cls: "tpr-interval", colour: style.colour)
                }
                let bound = x(t.fprUpperBound95)
                canvas.body += "<path class=\"fpr-bound\" d=\"M\(f(px)),\(f(by)) H\(f(bound)) M\(f(bound)),\(f(by - 3)) V\(f(by + 3))\" stroke=\"\(style.colour)\" stroke-width=\"1.2\" fill=\"none\"/>\n"
                canvas.obstacles.append(Box(x: min(px, bound), y: by - 3, w: abs(bound - px), h: 6))
                canvas.marker(style.marker, x: px, y: cy, colour: style.colour, cls: "operating-point")
                let interval = t.tprInterval95.map { " [\(decimal($0[0], decimals: 2)), \(decimal($0[1], decimals: 2))]" } ?? ""
                legend.append(.init(.marker(style.marker, style.colour),
                                    "FPR \(rateText(t.targetFPR)): TPR \(decimal(point.tpr, decimals: 2))\(interval)"))
            }
        }
        // Labels last, where they cover the least of what is drawn.
        for group in groups {
            let cx = x(group[0].threshold.empiricalFPR), cy = y(group[0].tpr)
            let parts = group.map { (rateText($0.threshold.targetFPR), seriesStyle($0.k).colour) }
            // One line per rate, stacked: narrow, since points crowd together along a log axis.
            let w = parts.map { textWidth($0.0, size: 11) }.max() ?? 0, h = 12 * Double(parts.count) + 1
            let half = 4 * Double(group.count - 1) + 6
            var spots: [(Double, Double)] = []
            for dy in [5.0, -h - 5, 18, -h - 18, 31, 44] {
                spots += [(cx + half, cy + dy), (cx - half - w, cy + dy)]
            }
            let box = canvas.place(width: w, height: h, near: spots + [(cx - w / 2, cy + 9), (cx - w / 2, cy - h - 9)])
            for (line, (label, colour)) in parts.enumerated() {
                canvas.body += "<text class=\"operating-label\" x=\"\(f(box.x))\" y=\"\(f(box.y + 10 + 12 * Double(line)))\" font-size=\"11\" fill=\"\(colour)\">\(escape(label))</text>\n"
            }
        }
        if legend.count > 2 {
            legend.append(.init(.none, "bars: TPR 95% interval, FPR 95% upper bound"))
        }
        return canvas.document(title: title, xLabel: "false-positive rate: share of human texts flagged (log scale)",
                               yLabel: "true-positive rate", legend: legend)
    }

    /// TPR against the number of tokens of text, one series per false-positive rate (colour,
    /// marker and dash differ), each point with its 95% Clopper–Pearson interval as an error bar.
    public static func tprByLength(_ curves: [CalibrationFile.LengthCurve], title: String) -> String {
        let all = curves.flatMap(\.points)
        guard let lo = all.map(\.tokens).min(), let hi = all.map(\.tokens).max() else {
            return empty(title, "no positives: TPR by length needs watermarked text")
        }
        let l0 = log10(Double(lo)), l1 = log10(Double(hi)), pad = max(0.05, 0.04 * (l1 - l0))
        let x = Scale(d0: l0 - pad, d1: l1 + pad, p0: left, p1: left + plotWidth, transform: { log10($0) })
        let y = Scale(d0: 0, d1: 1, p0: top + plotHeight, p1: top, transform: { $0 })
        var canvas = Canvas()
        var ticks = tieredTicks(tiers: lengthTickTiers(Double(lo), Double(hi)), in: Double(lo)...Double(hi), scale: x)
        if ticks.count < 2 { ticks = Array(Set([Double(lo), Double(hi)] + ticks)).sorted() }
        canvas.xTicks(ticks.map { (x($0), decimal($0, decimals: 0)) })
        let yTicks = linearTicks(0, 1)
        canvas.yTicks(yTicks.values.map { (y($0), decimal($0, decimals: yTicks.decimals)) })
        // Series side by side at each length, so that their error bars do not hide each other.
        let spread = min(4.0, 16 / Double(max(curves.count - 1, 1)))
        var legend: [LegendEntry] = []
        for (k, curve) in curves.enumerated() {
            let style = seriesStyle(k)
            let dx = (Double(k) - Double(curves.count - 1) / 2) * spread
            let points = curve.points.map { (x(Double($0.tokens)) + dx, y($0.tpr)) }
            canvas.polyline(points, cls: "series", colour: style.colour, width: 1.6, dash: style.dash)
            for p in curve.points where p.interval95.count == 2 {
                canvas.errorBar(x: x(Double(p.tokens)) + dx, y0: y(p.interval95[0]), y1: y(p.interval95[1]),
                                cls: "error-bar", colour: style.colour)
            }
            for (px, py) in points { canvas.marker(style.marker, x: px, y: py, colour: style.colour, cls: "marker") }
            legend.append(.init(.series(style.marker, style.colour, style.dash), "FPR \(rateText(curve.targetFPR))"))
        }
        return canvas.document(title: title, xLabel: "length of text (tokens, log scale); bars: 95% Clopper–Pearson intervals",
                               yLabel: "true-positive rate (share detected)", legend: legend)
    }

    // MARK: - Styles

    /// Tol's bright blue and red for the two histograms; Okabe–Ito for the series.
    static let negativeColour = "#4477AA", positiveColour = "#EE6677"
    static let thresholdColour = "#222222", curveColour = "#333333"
    static let seriesColours = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000"]
    static let dashes: [String?] = [nil, "7 3", "2 2.5", "9 3 2 3", "4 4", "12 4", "1 3"]

    enum Marker: CaseIterable { case circle, square, triangle, diamond, invertedTriangle, cross }

    struct SeriesStyle { let colour: String; let marker: Marker; let dash: String? }

    /// The style of the k-th rate, the same in the ROC and TPR-by-length plots (and the dash in
    /// the histogram).
    static func seriesStyle(_ k: Int) -> SeriesStyle {
        SeriesStyle(colour: seriesColours[k % seriesColours.count], marker: Marker.allCases[k % Marker.allCases.count],
                    dash: dashes[k % dashes.count])
    }

    // MARK: - Numbers as text

    /// A rate as the axes write it: 1, 0.1, 0.01, then 10⁻³, 10⁻⁴ …; others as 0.05 or 2.5×10⁻⁴.
    static func rateText(_ r: Double) -> String {
        guard r.isFinite, r > 0 else { return decimal(r, decimals: 3) }
        let e = log10(r), k = e.rounded()
        if abs(e - k) < 1e-9 { return power(Int(k)) }
        let floorK = Int(e.rounded(.down))
        if floorK >= -2 { return decimal(r, decimals: 2 - floorK) }
        return decimal(r / pow(10, Double(floorK)), decimals: 2) + "×" + power(floorK)
    }

    /// 10^k: plain decimals from 0.01 to 100, powers of ten with superscripts beyond.
    static func power(_ k: Int) -> String {
        switch k {
        case -2...0: return decimal(pow(10, Double(k)), decimals: -k)
        case 1...2: return decimal(pow(10, Double(k)), decimals: 0)
        default:
            let digits: [Character: Character] = ["0": "⁰", "1": "¹", "2": "²", "3": "³", "4": "⁴", "5": "⁵", "6": "⁶",
                                                  "7": "⁷", "8": "⁸", "9": "⁹", "-": "⁻"]
            return "10" + String(String(k).map { digits[$0] ?? $0 })
        }
    }

    /// `v` with at most `decimals` decimals (trailing zeros trimmed unless `trim` is false),
    /// never "-0", and with a true minus sign.
    static func decimal(_ v: Double, decimals: Int, trim: Bool = true) -> String {
        guard v.isFinite else { return v.isNaN ? "n/a" : (v > 0 ? "∞" : "−∞") }
        var s = String(format: "%.\(max(0, decimals))f", v)
        if trim && s.contains(".") {
            while s.hasSuffix("0") { s.removeLast() }
            if s.hasSuffix(".") { s.removeLast() }
        }
        if s.hasPrefix("-") {
            s.removeFirst()
            if s.contains(where: { $0 != "0" && $0 != "." }) { s = "−" + s }
        }
        return s
    }

    /// Coordinates, to a tenth of a pixel.
    static func f(_ v: Double) -> String { v.isFinite ? decimal(v, decimals: 1) : "0" }

    // MARK: - Ticks

    /// 1, 2 or 5 × 10^k steps giving four to eight ticks in [lo, hi], and the decimals they need.
    static func linearTicks(_ lo: Double, _ hi: Double) -> (values: [Double], decimals: Int) {
        let span = hi - lo
        guard span > 0, span.isFinite else { return ([lo], 0) }
        let raw = span / 7, magnitude = pow(10, log10(raw).rounded(.down))
        let step = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= raw * (1 - 1e-9) } ?? raw
        let first = (lo / step).rounded(.up), last = (hi / step + 1e-9).rounded(.down)
        let values = stride(from: first, through: last, by: 1).map { abs($0) < 1e-9 ? 0 : $0 * step }
        return (values, max(0, -Int(log10(step).rounded(.down))))
    }

    /// Ticks for the score axis: 0 and powers of ten first, then 2 and 5 ×, then 3 × and 0.5.
    static func scoreTickTiers(upTo hi: Double) -> [[Double]] {
        let decades = (0...max(0, Int(log10(max(hi, 1)).rounded(.up)))).map { pow(10, Double($0)) }
        return [[0] + decades, decades.flatMap { [2 * $0, 5 * $0] }, decades.map { 3 * $0 } + [0.5]]
    }

    /// Ticks for a length axis: powers of ten, then 2 and 5 ×, then 3 and 4 ×.
    static func lengthTickTiers(_ lo: Double, _ hi: Double) -> [[Double]] {
        let decades = (Int(log10(lo).rounded(.down))...Int(log10(hi).rounded(.up))).map { pow(10, Double($0)) }
        return [decades, decades.flatMap { [2 * $0, 5 * $0] }, decades.flatMap { [3 * $0, 4 * $0] }]
    }

    /// The candidates within `range`, tier by tier, each kept only if it is at least
    /// `spacing` pixels from every tick already kept.
    static func tieredTicks(tiers: [[Double]], in range: ClosedRange<Double>, scale: Scale, spacing: Double = 32) -> [Double] {
        var kept: [Double] = []
        for tier in tiers {
            for v in tier where range.contains(v) && !kept.contains(v) {
                if kept.allSatisfy({ abs(scale($0) - scale(v)) >= spacing }) { kept.append(v) }
            }
        }
        return kept.sorted()
    }

    // MARK: - Drawing

    static var plotWidth: Double { width - left - right }
    static var plotHeight: Double { height - top - bottom }

    /// A map from data to pixels through `transform` (log, square root …).
    struct Scale {
        let d0: Double, d1: Double, p0: Double, p1: Double
        let transform: (Double) -> Double
        func callAsFunction(_ v: Double) -> Double { p0 + (transform(v) - d0) / (d1 - d0) * (p1 - p0) }
    }

    /// A rectangle in pixels; `weight` is how much covering it costs (per square pixel).
    struct Box {
        var x: Double, y: Double, w: Double, h: Double
        var weight = 1.0
        func overlap(_ o: Box) -> Double {
            max(0, min(x + w, o.x + o.w) - max(x, o.x)) * max(0, min(y + h, o.y + o.h) - max(y, o.y))
        }
        func overlaps(_ o: Box) -> Bool { x < o.x + o.w && o.x < x + w && y < o.y + o.h && o.y < y + h }
    }

    struct LegendEntry {
        /// A filled box, a line (colour, dash), a marker alone, a marker on a line, or nothing.
        enum Swatch { case box(String), line(String, String?), marker(Marker, String), series(Marker, String, String?), none }
        let swatch: Swatch, text: String
        init(_ swatch: Swatch, _ text: String) { self.swatch = swatch; self.text = text }
    }

    /// The plot's elements, and the boxes they cover (for placing the legend).
    struct Canvas {
        var grid = "", axes = "", body = ""
        var obstacles: [Box] = []

        mutating func xTicks(_ ticks: [(Double, String)], minor: [Double] = []) {
            let base = top + plotHeight
            for px in minor {
                grid += "<line x1=\"\(f(px))\" x2=\"\(f(px))\" y1=\"\(f(top))\" y2=\"\(f(base))\" stroke=\"#f0f0f0\"/>\n"
            }
            for (px, label) in ticks {
                grid += "<line x1=\"\(f(px))\" x2=\"\(f(px))\" y1=\"\(f(top))\" y2=\"\(f(base))\" stroke=\"#dddddd\"/>\n"
                axes += "<line x1=\"\(f(px))\" x2=\"\(f(px))\" y1=\"\(f(base))\" y2=\"\(f(base + 4))\" stroke=\"#333333\"/>"
                axes += "<text class=\"tick-label x\" x=\"\(f(px))\" y=\"\(f(base + 17))\" text-anchor=\"middle\">\(escape(label))</text>\n"
            }
        }

        mutating func yTicks(_ ticks: [(Double, String)]) {
            for (py, label) in ticks {
                grid += "<line x1=\"\(f(left))\" x2=\"\(f(left + plotWidth))\" y1=\"\(f(py))\" y2=\"\(f(py))\" stroke=\"#dddddd\"/>\n"
                axes += "<line x1=\"\(f(left - 4))\" x2=\"\(f(left))\" y1=\"\(f(py))\" y2=\"\(f(py))\" stroke=\"#333333\"/>"
                axes += "<text class=\"tick-label y\" x=\"\(f(left - 7))\" y=\"\(f(py + 4))\" text-anchor=\"end\">\(escape(label))</text>\n"
            }
        }

        mutating func polyline(_ points: [(Double, Double)], cls: String, colour: String, width: Double, dash: String?,
                               weight: Double = 1) {
            guard let last = points.last else { return }
            // Points within half a pixel of the one before add nothing (a ROC curve of 10⁵
            // negatives has most of its steps there).
            var kept = [points[0]]
            for p in points.dropFirst().dropLast() where hypot(p.0 - kept[kept.count - 1].0, p.1 - kept[kept.count - 1].1) >= 0.5 {
                kept.append(p)
            }
            if points.count > 1 { kept.append(last) }
            let points = kept
            let list = points.map { "\(f($0.0)),\(f($0.1))" }.joined(separator: " ")
            body += "<polyline class=\"\(cls)\" points=\"\(list)\" fill=\"none\" stroke=\"\(colour)\" stroke-width=\"\(f(width))\" stroke-linejoin=\"round\"\(dashAttribute(dash))/>\n"
            // Sample the line every few pixels as obstacles.
            for (a, b) in zip(points, points.dropFirst() + [points[points.count - 1]]) {
                let steps = max(1, Int((hypot(b.0 - a.0, b.1 - a.1) / 4).rounded(.up)))
                for s in 0..<steps {
                    let t = Double(s) / Double(steps)
                    obstacles.append(Box(x: a.0 + t * (b.0 - a.0) - 2, y: a.1 + t * (b.1 - a.1) - 2, w: 4, h: 4, weight: weight))
                }
            }
        }

        mutating func errorBar(x: Double, y0: Double, y1: Double, cls: String, colour: String) {
            let lo = max(y0, y1), hi = min(y0, y1)
            body += "<path class=\"\(cls)\" d=\"M\(f(x)),\(f(lo)) V\(f(hi)) M\(f(x - 3)),\(f(lo)) H\(f(x + 3)) M\(f(x - 3)),\(f(hi)) H\(f(x + 3))\" stroke=\"\(colour)\" stroke-width=\"1.2\" fill=\"none\"/>\n"
            obstacles.append(Box(x: x - 3, y: hi, w: 6, h: lo - hi))
        }

        mutating func marker(_ marker: Marker, x: Double, y: Double, colour: String, cls: String) {
            body += CalibrationPlots.marker(marker, x: x, y: y, colour: colour, cls: cls) + "\n"
            obstacles.append(Box(x: x - 5, y: y - 5, w: 10, h: 10))
        }

        /// Of the candidate top-left corners, the one whose box covers the least, kept inside
        /// the picture; the box then counts as covered (heavily: labels must not overlap).
        mutating func place(width w: Double, height h: Double, near candidates: [(Double, Double)]) -> Box {
            var best = (cost: Double.infinity, box: Box(x: 0, y: 0, w: w, h: h))
            for (cx, cy) in candidates {
                let box = Box(x: min(max(cx, 2), CalibrationPlots.width - 2 - w), y: min(max(cy, top - 14), top + plotHeight - h), w: w, h: h)
                let inside = box.overlap(Box(x: left, y: top, w: plotWidth, h: plotHeight))
                let cost = obstacles.reduce(0) { $0 + $1.weight * $1.overlap(box) } + 2 * (w * h - inside)
                if cost < best.cost - 1e-9 { best = (cost, box) }
            }
            var box = best.box
            box.weight = 20
            obstacles.append(box)
            return box
        }

        func document(title: String, xLabel: String, yLabel: String, legend: [LegendEntry]) -> String {
            var svg = header(title: title, xLabel: xLabel, yLabel: yLabel)
            svg += grid + axes
            svg += "<rect x=\"\(f(left))\" y=\"\(f(top))\" width=\"\(f(plotWidth))\" height=\"\(f(plotHeight))\" fill=\"none\" stroke=\"#333333\"/>\n"
            svg += body + CalibrationPlots.legend(legend, avoiding: obstacles)
            return svg + "</svg>\n"
        }
    }

    static func dashAttribute(_ dash: String?) -> String { dash.map { " stroke-dasharray=\"\($0)\"" } ?? "" }

    static func marker(_ marker: Marker, x: Double, y: Double, r: Double = 4, colour: String, cls: String) -> String {
        let paint = "class=\"\(cls)\" fill=\"\(colour)\" stroke=\"white\" stroke-width=\"0.8\""
        func path(_ points: [(Double, Double)]) -> String {
            "<path \(paint) d=\"M" + points.map { "\(f(x + $0.0 * r)),\(f(y + $0.1 * r))" }.joined(separator: " L") + " Z\"/>"
        }
        switch marker {
        case .circle: return "<circle \(paint) cx=\"\(f(x))\" cy=\"\(f(y))\" r=\"\(f(r))\"/>"
        case .square: return "<rect \(paint) x=\"\(f(x - 0.9 * r))\" y=\"\(f(y - 0.9 * r))\" width=\"\(f(1.8 * r))\" height=\"\(f(1.8 * r))\"/>"
        case .triangle: return path([(0, -1.2), (1.1, 0.8), (-1.1, 0.8)])
        case .diamond: return path([(0, -1.3), (1.1, 0), (0, 1.3), (-1.1, 0)])
        case .invertedTriangle: return path([(0, 1.2), (1.1, -0.8), (-1.1, -0.8)])
        case .cross:
            return "<path class=\"\(cls)\" d=\"M\(f(x - r)),\(f(y - r)) L\(f(x + r)),\(f(y + r)) M\(f(x - r)),\(f(y + r)) L\(f(x + r)),\(f(y - r))\" stroke=\"\(colour)\" stroke-width=\"2\" fill=\"none\"/>"
        }
    }

    /// About how wide `text` is in the default sans-serif at `size` (generous, so that labels
    /// never touch in wider fonts).
    static func textWidth(_ text: String, size: Double = 12) -> Double {
        text.unicodeScalars.reduce(0) { width, u in
            let superscript = (0x2070...0x209F).contains(u.value) || u == "¹" || u == "²" || u == "³"
            let narrow = "il.,:;|!'()[] ".unicodeScalars.contains(u)
            return width + (superscript ? 0.45 : narrow ? 0.36 : 0.62) * size
        }
    }

    static let legendRow = 15.0, legendSwatch = 30.0, legendFont = 11.0

    /// Where the legend goes (whichever corner or edge middle of the plot covers the least of
    /// the data, the obstacles), and how much it covers there.
    static func legendBox(_ entries: [LegendEntry], avoiding obstacles: [Box]) -> (box: Box, cost: Double) {
        let w = min(plotWidth - 16, legendSwatch + 14 + (entries.map { textWidth($0.text, size: legendFont) }.max() ?? 0))
        let h = Double(entries.count) * legendRow + 8
        // Corners first, then along the edges, then inside.
        var spots: [(Double, Double)] = [(1, 0), (0, 0), (1, 1), (0, 1)]
        for a in [0.5, 0.25, 0.75] { spots += [(a, 0), (1, a), (a, 1), (0, a)] }
        for a in [0.25, 0.5, 0.75] { for b in [0.25, 0.5, 0.75] { spots.append((a, b)) } }
        var best = (box: Box(x: 0, y: 0, w: w, h: h), cost: Double.infinity)
        for (ax, ay) in spots {
            let box = Box(x: left + 6 + ax * (plotWidth - 12 - w), y: top + 6 + ay * (plotHeight - 12 - h), w: w, h: h)
            let margin = Box(x: box.x - 4, y: box.y - 4, w: w + 8, h: h + 8)  // keep clear of the data, too
            let cost = obstacles.reduce(0) { $0 + $1.weight * $1.overlap(margin) }
            if cost < best.cost - 1e-9 { best = (box, cost) }
        }
        return best
    }

    static func legend(_ entries: [LegendEntry], avoiding obstacles: [Box]) -> String {
        guard !entries.isEmpty else { return "" }
        let row = legendRow, swatch = legendSwatch
        let b = legendBox(entries, avoiding: obstacles).box
        var s = "<g class=\"legend\">\n<rect x=\"\(f(b.x))\" y=\"\(f(b.y))\" width=\"\(f(b.w))\" height=\"\(f(b.h))\" fill=\"white\" fill-opacity=\"0.9\" stroke=\"#bbbbbb\"/>\n"
        for (i, entry) in entries.enumerated() {
            let cy = b.y + 4 + row * (Double(i) + 0.5), sx = b.x + 8
            switch entry.swatch {
            case .box(let colour):
                s += "<rect x=\"\(f(sx + 6))\" y=\"\(f(cy - 6))\" width=\"12\" height=\"12\" fill=\"\(colour)\" fill-opacity=\"0.6\"/>"
            case .line(let colour, let dash):
                s += "<line x1=\"\(f(sx))\" x2=\"\(f(sx + swatch - 6))\" y1=\"\(f(cy))\" y2=\"\(f(cy))\" stroke=\"\(colour)\" stroke-width=\"1.8\"\(dashAttribute(dash))/>"
            case .marker(let m, let colour):
                s += marker(m, x: sx + (swatch - 6) / 2, y: cy, colour: colour, cls: "legend-marker")
            case .series(let m, let colour, let dash):
                s += "<line x1=\"\(f(sx))\" x2=\"\(f(sx + swatch - 6))\" y1=\"\(f(cy))\" y2=\"\(f(cy))\" stroke=\"\(colour)\" stroke-width=\"1.6\"\(dashAttribute(dash))/>"
                s += marker(m, x: sx + (swatch - 6) / 2, y: cy, colour: colour, cls: "legend-marker")
            case .none:
                break
            }
            let tx = { if case .none = entry.swatch { return sx } else { return sx + swatch } }()
            let colour = { if case .none = entry.swatch { return "#555555" } else { return "#222222" } }()
            s += "<text x=\"\(f(tx))\" y=\"\(f(cy + 4))\" font-size=\"\(Int(legendFont))\" fill=\"\(colour)\">\(escape(entry.text))</text>\n"
        }
        return s + "</g>\n"
    }

    /// Text for XML character data or attributes: markup characters escaped, characters
    /// XML 1.0 forbids dropped, line breaks as spaces.
    static func escape(_ s: String) -> String {
        var out = ""
        for u in s.unicodeScalars {
            switch u {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            case "\t", "\n", "\r": out += " "
            default:
                if u.value < 0x20 || u.value == 0xFFFE || u.value == 0xFFFF { continue }
                out.unicodeScalars.append(u)
            }
        }
        return out
    }

    static func header(title: String, xLabel: String, yLabel: String) -> String {
        """
        <?xml version="1.0" encoding="UTF-8"?>
        <svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="\(Int(width))" height="\(Int(height))" viewBox="0 0 \(Int(width)) \(Int(height))" font-family="DejaVu Sans, Verdana, Arial, sans-serif" font-size="12">
        <title>\(escape(title))</title>
        <rect x="0" y="0" width="\(Int(width))" height="\(Int(height))" fill="white"/>
        <text class="title" x="\(f(width / 2))" y="24" text-anchor="middle" font-size="15" font-weight="bold">\(escape(title))</text>
        <text class="axis-label" x="\(f(left + plotWidth / 2))" y="\(f(height - 10))" text-anchor="middle">\(escape(xLabel))</text>
        <text class="axis-label" transform="translate(17,\(f(top + plotHeight / 2))) rotate(-90)" text-anchor="middle">\(escape(yLabel))</text>

        """
    }

    static func empty(_ title: String, _ message: String) -> String {
        header(title: title, xLabel: "", yLabel: "")
            + "<text class=\"no-data\" x=\"\(f(width / 2))\" y=\"\(f(height / 2))\" text-anchor=\"middle\">\(escape(message))</text>\n</svg>\n"
    }
}

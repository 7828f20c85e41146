import Evaluation
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
@testable import Detection

/// The SVG plots of `watermark calibrate --plots`: well-formed XML, the marks they promise
/// (threshold lines, operating points, error bars), tidy tick labels, escaped text.
@Suite("calibration plots")
struct PlotsTests {
    // MARK: - Data

    struct Fixture {
        let file: CalibrationFile
        let negatives: [Double]
        let positives: [Double]
    }

    /// Scores and a calibration from simulated documents: human text with a slightly
    /// over-dispersed green rate (so that some thresholds move above nominal), watermarked text
    /// with green rate `green`, lengths varied so that TPR by length has several points.
    static func fixture(negatives n: Int = 2000, positives m: Int = 60, green: Double = 0.42,
                        rates: [Double] = [1e-2, 1e-3, 1e-4, 1e-5], seed: UInt64 = 7) -> Fixture {
        var rng = SplitMix64(seed: seed)
        func uniform() -> Double { Double(rng.next() >> 11) / Double(1 << 53) }
        func sample(length: Int, rate: Double, keep: Bool) -> CalibrationSample {
            var statuses: [TokenStatus] = [.context]
            for _ in 1..<length {
                let u = uniform()
                statuses.append(u < 0.05 ? .repeated : (uniform() < rate ? .green : .red))
            }
            let scored = statuses.count { $0 == .green || $0 == .red }, greens = statuses.count { $0 == .green }
            let score = -BinomialTail.logUpperTail(successes: greens, trials: scored, probability: 0.25) / M_LN10
            let z = (Double(greens) - 0.25 * Double(scored)) / (Double(scored) * 0.25 * 0.75).squareRoot()
            return CalibrationSample(score: score, scored: scored, z: z, statuses: keep ? statuses : nil)
        }
        let negatives = (0..<n).map { _ in
            sample(length: 40 + Int(uniform() * 360), rate: 0.25 + 0.03 * (uniform() - 0.5), keep: false)
        }
        let positives = (0..<m).map { _ in sample(length: 30 + Int(uniform() * 300), rate: green, keep: true) }
        let file = Calibrator.calibrate(
            negatives: negatives, positives: positives, rates: rates, keyID: "0123456789abcdef",
            tokenizer: .init(fingerprint: String(repeating: "0", count: 64), name: "test"),
            parameters: .init(gamma: 0.25, effectiveGamma: 0.25, contextWidth: 1, deduplicate: true, minimumScored: 16),
            tool: "test")
        return Fixture(file: file, negatives: negatives.filter { $0.scored >= 16 }.map(\.score),
                       positives: positives.filter { $0.scored >= 16 }.map(\.score))
    }

    static let standard = fixture()

    static func plots(_ f: Fixture, title: String = "test") -> [String: String] {
        [
            "histogram": CalibrationPlots.scoreHistogram(negatives: f.negatives, positives: f.positives,
                                                         thresholds: f.file.thresholds, title: title),
            "roc": CalibrationPlots.roc(negatives: f.negatives, positives: f.positives, thresholds: f.file.thresholds, title: title),
            "tpr-by-length": CalibrationPlots.tprByLength(f.file.tprByLength ?? [], title: title),
        ]
    }

    // MARK: - Reading SVG back

    struct Element {
        let name: String
        let attributes: [String: String]
        var text = ""
        var classes: [String] { (attributes["class"] ?? "").split(separator: " ").map(String.init) }
    }

    /// Parses `svg` with Foundation's XMLParser; every element, with its own text.
    final class Collector: NSObject, XMLParserDelegate {
        var elements: [Element] = []
        var open: [Int] = []
        var failure: String?

        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                    attributes: [String: String] = [:]) {
            open.append(elements.count)
            elements.append(Element(name: name, attributes: attributes))
        }

        func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
            open.removeLast()
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) {
            // Text belongs to every open element (a <text> gathers its <tspan>s).
            for i in open { elements[i].text += string }
        }

        func parser(_ parser: XMLParser, parseErrorOccurred error: any Error) { failure = "\(error)" }
    }

    static func parse(_ svg: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> [Element] {
        let collector = Collector()
        let parser = XMLParser(data: Data(svg.utf8))
        parser.delegate = collector
        let ok = parser.parse()
        #expect(ok && collector.failure == nil, "not well-formed XML: \(collector.failure ?? "?")", sourceLocation: sourceLocation)
        try #require(ok, sourceLocation: sourceLocation)
        return collector.elements
    }

    static func count(_ elements: [Element], _ cls: String) -> Int { elements.count { $0.classes.contains(cls) } }

    // MARK: - Tests

    @Test func everyPlotIsWellFormedSelfContainedSVG() throws {
        for (name, svg) in Self.plots(Self.standard) {
            let elements = try Self.parse(svg)
            let root = try #require(elements.first)
            #expect(root.name == "svg", "\(name)")
            #expect(root.attributes["viewBox"] == "0 0 640 400", "\(name)")
            #expect(root.attributes["xmlns"] == "http://www.w3.org/2000/svg", "\(name)")
            // Nothing fetched from elsewhere, nothing run.
            #expect(!elements.contains { ["image", "script", "style", "foreignObject", "use"].contains($0.name) }, "\(name)")
            #expect(!elements.contains { $0.attributes.keys.contains { $0.hasSuffix("href") } }, "\(name)")
            #expect(!svg.contains("url("), "\(name)")
            // No coordinate is NaN or infinite.
            let values = elements.flatMap(\.attributes.values)
            #expect(!values.contains { $0.localizedCaseInsensitiveContains("nan") || $0.localizedCaseInsensitiveContains("inf") }, "\(name)")
            #expect(Self.count(elements, "legend") == 1, "\(name)")
        }
    }

    @Test func tickLabelsAreTidy() throws {
        let fixtures = [Self.standard, Self.fixture(negatives: 150, positives: 12, green: 0.3, rates: [0.05, 2.5e-4], seed: 3)]
        for fixture in fixtures {
            for (name, svg) in Self.plots(fixture) {
                let elements = try Self.parse(svg)
                for axis in ["x", "y"] {
                    let ticks = elements.filter { $0.classes.contains("tick-label") && $0.classes.contains(axis) }.map(\.text)
                    #expect((3...12).contains(ticks.count), "\(name) \(axis): \(ticks)")
                    for tick in ticks {
                        #expect(tick != "-0" && tick != "−0" && !tick.hasPrefix("-0.") && !tick.hasPrefix("−0."), "\(name): \(tick)")
                        #expect(tick.range(of: #"\de[-+]?\d"#, options: .regularExpression) == nil, "\(name): \(tick)")
                        #expect(!tick.isEmpty)
                    }
                    #expect(Set(ticks).count == ticks.count, "\(name) \(axis): repeated tick labels \(ticks)")
                }
                if let folder = ProcessInfo.processInfo.environment["PLOTS_TEST_OUTPUT"] {
                    // For a look at the plots: PLOTS_TEST_OUTPUT=/tmp/plots swift test --filter PlotsTests
                    try svg.write(toFile: "\(folder)/\(fixture.file.thresholds.count)-\(name).svg", atomically: true, encoding: .utf8)
                }
            }
        }
        // The log axis of the ROC: decades as 1, 0.1, 0.01, then powers of ten.
        let roc = try Self.parse(Self.plots(Self.standard)["roc"]!).filter { $0.classes == ["tick-label", "x"] }.map(\.text)
        #expect(["0", "10⁻³", "0.01", "0.1", "1"].allSatisfy(roc.contains), "\(roc)")
    }

    @Test func numbersAreWrittenOneWay() {
        #expect(CalibrationPlots.rateText(1) == "1")
        #expect(CalibrationPlots.rateText(0.1) == "0.1")
        #expect(CalibrationPlots.rateText(0.01) == "0.01")
        #expect(CalibrationPlots.rateText(1e-3) == "10⁻³")
        #expect(CalibrationPlots.rateText(1e-12) == "10⁻¹²")
        #expect(CalibrationPlots.rateText(0.05) == "0.05")
        #expect(CalibrationPlots.rateText(2.5e-4) == "2.5×10⁻⁴")
        #expect(CalibrationPlots.decimal(-0.0001, decimals: 2) == "0")
        #expect(CalibrationPlots.decimal(-0.0, decimals: 0) == "0")
        #expect(CalibrationPlots.decimal(-1.5, decimals: 1) == "−1.5")
        #expect(CalibrationPlots.decimal(0.8000000000000002, decimals: 1) == "0.8")
        let unit = CalibrationPlots.linearTicks(0, 1)
        #expect(unit.values.map { CalibrationPlots.decimal($0, decimals: unit.decimals) } == ["0", "0.2", "0.4", "0.6", "0.8", "1"])
        let percent = CalibrationPlots.linearTicks(0, 26)
        #expect(percent.values.map { CalibrationPlots.decimal($0, decimals: percent.decimals) } == ["0", "5", "10", "15", "20", "25"])
    }

    @Test func histogramDrawsOneLinePerThresholdOnTheScoreAxis() throws {
        let fixture = Self.standard
        let elements = try Self.parse(Self.plots(fixture)["histogram"]!)
        let lines = elements.filter { $0.classes.contains("threshold") }
        #expect(lines.count == fixture.file.thresholds.count)
        #expect(Set(lines.compactMap { $0.attributes["data-fpr"].flatMap(Double.init) }) == Set(fixture.file.thresholds.map(\.targetFPR)))
        // Further right for stricter rates, and at the score the file records.
        let xs = fixture.file.thresholds.map { t in
            lines.first { Double($0.attributes["data-fpr"] ?? "") == t.targetFPR }.flatMap { Double($0.attributes["x1"] ?? "") } ?? .nan
        }
        #expect(xs == xs.sorted(), "\(xs)")
        // Labelled on the plot and named in the legend by target rate.
        let labels = elements.filter { $0.classes.contains("threshold-label") }.map(\.text)
        #expect(Set(labels) == ["0.01", "10⁻³", "10⁻⁴", "10⁻⁵"])
        let legend = elements.filter { $0.name == "text" }.map(\.text)
        for t in fixture.file.thresholds {
            let expected = "FPR \(CalibrationPlots.rateText(t.targetFPR)): score ≥ \(String(format: "%.2f", t.minimumScore))"
            #expect(legend.contains(expected), "\(expected)")
        }
        #expect(Self.count(elements, "bar-negatives") > 3 && Self.count(elements, "bar-positives") > 3)
    }

    @Test func rocMarksEveryOperatingPointWithItsIntervals() throws {
        let fixture = Self.standard
        let elements = try Self.parse(Self.plots(fixture)["roc"]!)
        let n = fixture.file.thresholds.count
        #expect(Self.count(elements, "operating-point") == n)
        #expect(Self.count(elements, "tpr-interval") == n)
        #expect(Self.count(elements, "fpr-bound") == n)
        #expect(Self.count(elements, "roc") == 1 && Self.count(elements, "chance") == 1)
        let labels = Set(elements.filter { $0.classes.contains("operating-label") }.map(\.text))
        #expect(labels == Set(fixture.file.thresholds.map { CalibrationPlots.rateText($0.targetFPR) }))
        // Each point in its own colour.
        let colours = elements.filter { $0.classes.contains("operating-point") }.compactMap { $0.attributes["fill"] }
        #expect(Set(colours).count == n)
    }

    @Test func tprByLengthHasAnErrorBarForEveryPoint() throws {
        let fixture = Self.standard
        let curves = try #require(fixture.file.tprByLength)
        let elements = try Self.parse(Self.plots(fixture)["tpr-by-length"]!)
        let points = curves.map(\.points.count).reduce(0, +)
        #expect(points > 3 * curves.count)
        #expect(Self.count(elements, "error-bar") == points)
        #expect(Self.count(elements, "marker") == points)
        let series = elements.filter { $0.classes.contains("series") }
        #expect(series.count == curves.count)
        // Distinguishable: colour, dash and marker shape all differ.
        #expect(Set(series.compactMap { $0.attributes["stroke"] }).count == curves.count)
        #expect(Set(series.map { $0.attributes["stroke-dasharray"] ?? "solid" }).count == curves.count)
        let shapes = elements.filter { $0.classes.contains("legend-marker") }.map { $0.name + ($0.attributes["d"].map { "\($0.count { $0 == "L" })" } ?? "") }
        #expect(Set(shapes).count == curves.count, "\(shapes)")
        let legend = elements.filter { $0.name == "text" }.map(\.text)
        for curve in curves { #expect(legend.contains("FPR \(CalibrationPlots.rateText(curve.targetFPR))")) }
        // Error bars span the interval (in pixels, y grows downward).
        let bars = elements.filter { $0.classes.contains("error-bar") }.compactMap { $0.attributes["d"] }
        #expect(bars.allSatisfy { $0.hasPrefix("M") && $0.contains(" V") })
    }

    @Test func aLargeCalibrationGivesASmallROC() throws {
        let negatives = (0..<100_000).map { Double($0) / 20_000 }, positives = (0..<5_000).map { 3 + Double($0) / 1000 }
        let svg = CalibrationPlots.roc(negatives: negatives, positives: positives, thresholds: [], title: "t")
        #expect(svg.utf8.count < 200_000, "\(svg.utf8.count) bytes")
        let ticks = try Self.parse(svg).filter { $0.classes == ["tick-label", "x"] }.map(\.text)
        #expect(ticks == ["0", "10⁻⁵", "10⁻⁴", "10⁻³", "0.01", "0.1", "1"])
    }

    @Test func textIsEscaped() throws {
        let title = "Scores <&> \"key\" 'x'"
        for (name, svg) in Self.plots(Self.standard, title: title) {
            #expect(!svg.contains("<&>"), "\(name)")
            #expect(svg.contains("Scores &lt;&amp;&gt; &quot;key&quot; &apos;x&apos;"), "\(name)")
            let elements = try Self.parse(svg)
            #expect(elements.contains { $0.name == "title" && $0.text == title }, "\(name)")
            #expect(elements.contains { $0.classes.contains("title") && $0.text == title }, "\(name)")
        }
        // Characters XML cannot hold at all are dropped, not written.
        let odd = CalibrationPlots.roc(negatives: [0.1], positives: [5], thresholds: [], title: "a\u{0}b\u{1B}c")
        let elements = try Self.parse(odd)
        #expect(elements.contains { $0.name == "title" && $0.text == "abc" })
    }

    @Test func emptyAndDegenerateInputsStillGiveValidPlots() throws {
        let none = CalibrationPlots.scoreHistogram(negatives: [], positives: [], thresholds: [], title: "t")
        #expect(Self.count(try Self.parse(none), "no-data") == 1)
        let noPositives = CalibrationPlots.roc(negatives: [0.1, 0.2], positives: [], thresholds: [], title: "t")
        #expect(Self.count(try Self.parse(noPositives), "no-data") == 1)
        #expect(Self.count(try Self.parse(CalibrationPlots.tprByLength([], title: "t")), "no-data") == 1)
        // One negative, scores that are all equal, non-finite values, a single length.
        let odd = CalibrationPlots.scoreHistogram(negatives: [0, 0, .nan], positives: [.infinity, 0], thresholds: Self.standard.file.thresholds, title: "t")
        #expect(Self.count(try Self.parse(odd), "threshold") == 4)
        _ = try Self.parse(CalibrationPlots.roc(negatives: [1], positives: [1], thresholds: Self.standard.file.thresholds, title: "t"))
        let single = CalibrationFile.LengthCurve(targetFPR: 1e-3, points: [.init(tokens: 50, documents: 3, detected: 3, tpr: 1, interval95: [0.29, 1])])
        let elements = try Self.parse(CalibrationPlots.tprByLength([single], title: "t"))
        #expect(Self.count(elements, "error-bar") == 1)
        #expect(elements.filter { $0.classes.contains("tick-label") }.count >= 2)
    }
}

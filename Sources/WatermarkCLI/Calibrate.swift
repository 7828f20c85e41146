import ArgumentParser
import Detection
import SystemSupport
import Foundation
import Tokenizer
import Watermark

struct Calibrate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure thresholds on your own human text (and watermarked text) for the false-positive rates you promise.",
        discussion: """
            Negatives are human-written documents: files, folders (every file inside) or .jsonl \
            files ("text" or "ids" per line). Positives are watermarked documents, typically the \
            output of 'watermark embed --json'. For each rate the threshold is the stricter of the \
            nominal one (p ≤ rate) and the one the negatives show, with a Clopper–Pearson bound on \
            the false-positive rate it achieves.
            """)

    @OptionGroup var keys: KeyOptions
    @OptionGroup var scheme: SchemeOptions
    @OptionGroup var common: CommonTupleOptions

    @Option(name: .customLong("negatives"), help: ArgumentHelp("Human text: a file, a folder or a .jsonl file (repeatable).", valueName: "path"))
    var negatives: [String] = []

    @Option(name: .customLong("positives"), help: ArgumentHelp("Watermarked text as JSON Lines, e.g. from 'watermark embed --json' (repeatable).", valueName: "file"))
    var positives: [String] = []

    @Option(name: .customLong("generate"), help: ArgumentHelp("Also generate this many watermarked positives with the model, prompted with the openings of the human documents.", valueName: "n"))
    var generateCount = 0

    @Option(help: ArgumentHelp("With --generate: keep each generated document in this JSON Lines file as it is made (the format of 'embed --json'); a run that was stopped resumes from it.", valueName: "file"))
    var generated: String?

    @Option(help: ArgumentHelp("Model for --generate (default: the default model); its tokenizer is then the tokenizer.", valueName: "path"))
    var model: String?

    @Option(help: ArgumentHelp("Bias δ for --generate.", valueName: "logits"))
    var delta = SchemeParameters.defaultDelta

    @OptionGroup(title: "Generation (with --generate)") var generation: GenerationOptions

    @OptionGroup var tokenizerOption: TokenizerOption

    @Option(name: .customLong("fpr"), parsing: .singleValue,
            help: ArgumentHelp("False-positive rates to calibrate (repeatable; default 1e-2, 1e-3, 1e-4, 1e-5).", valueName: "rate"))
    var rates: [Double] = []

    @OptionGroup var settings: DetectionSettingsOptions

    @Option(name: .shortAndLong, help: ArgumentHelp("Where to write the calibration file (JSON).", valueName: "file"))
    var out: String

    @Option(help: ArgumentHelp("Also write SVG plots (histogram, ROC, TPR by length) into this folder.", valueName: "folder"))
    var plots: String?

    @Flag(help: "Replace an existing calibration file.")
    var force = false

    @Flag(name: .shortAndLong, help: "Leave out warnings (errors are still reported).")
    var quiet = false

    @Flag(help: "Print the calibration file to stdout as well, as one line of JSON.")
    var json = false

    func validate() throws {
        guard !negatives.isEmpty else { throw ValidationError("give human text with --negatives") }
        guard generateCount >= 0 else { throw ValidationError("--generate must be 0 or more (got \(generateCount))") }
        if generateCount > 0 && tokenizerOption.tokenizer != nil { throw ValidationError("with --generate the model's own tokenizer is used; drop --tokenizer") }
        if generated != nil && generateCount == 0 { throw ValidationError("--generated keeps the documents of --generate N; add --generate") }
        guard delta.isFinite, delta >= 0 else { throw ValidationError("--delta must be a finite number ≥ 0 (got \(delta))") }
        for r in rates where !(r > 0 && r < 1) { throw ValidationError("--fpr must be strictly between 0 and 1 (got \(r))") }
    }

    func run() throws {
        Console.quiet = quiet
        try refuseToReplace(out, force: force)
        let keys = try self.keys.loadKeys()
        guard keys.count == 1 else { throw CLIFailure("calibration is made for one key; \(keys.count) were given") }
        let parameters = try scheme.parameters(delta: delta)
        let tokenizer = generateCount > 0
            ? try LoadedTokenizer(path: model ?? DefaultModel.requirePath(for: "model"), normalize: settings.normalize)
            : try tokenizerOption.load(normalize: settings.normalize)
        var options = settings.options
        options.commonTuples = try common.load()
        let negativePipeline = try pipeline(keys, parameters, options, tokenizer)
        options.attribution = true  // positives keep their statuses, for TPR by length
        let positivePipeline = try pipeline(keys, parameters, options, tokenizer)

        let negativeSamples = try score(negatives, with: negativePipeline, label: "negatives", keep: false)
        var positiveSamples = try score(positives, with: positivePipeline, label: "positives", keep: true)
        var generation: CalibrationFile.Generation? = nil
        if generateCount > 0 {
            let made = try generatePositives(key: keys[0], parameters: parameters, pipeline: positivePipeline)
            positiveSamples += made.samples
            generation = made.generation
        }
        guard negativeSamples.contains(where: { $0.scored >= settings.minTokens }) else {
            throw CLIFailure("no negative document has \(settings.minTokens) scored tokens; give more or longer human text")
        }
        var file = Calibrator.calibrate(
            negatives: negativeSamples, positives: positiveSamples,
            rates: (rates.isEmpty ? Calibrator.defaultRates : rates).sorted(by: >),
            keyID: keys[0].keyID, tokenizer: tokenizer.descriptor, parameters: negativePipeline.calibrationParameters,
            tool: "watermark \(WatermarkCommand.configuration.version)")
        file.generation = generation
        let text = try file.encoded()
        try writeFile(text, to: out)
        if let plots { try writePlots(file, negatives: negativeSamples, positives: positiveSamples, into: plots) }
        if json { print(JSONOutput.line(encoding: file)) } else { print(CalibrationSummary.text(file, path: out)) }
    }

    private func pipeline(_ keys: [WatermarkKey], _ parameters: SchemeParameters, _ options: DetectionOptions,
                          _ tokenizer: LoadedTokenizer) throws -> DetectionPipeline {
        do {
            let pipeline = try DetectionPipeline(keys: keys, parameters: parameters, options: options, tokenizer: tokenizer.detection,
                                                 tupleCache: TupleVerdictCache())
            if !options.attribution { Messages.warn(pipeline.warnings, commonTuples: common.path, calibration: nil) }
            return pipeline
        } catch {
            throw Messages.setup(error, commonTuples: common.path, calibration: nil)
        }
    }

    private func score(_ paths: [String], with pipeline: DetectionPipeline, label: String, keep: Bool) throws -> [CalibrationSample] {
        var progress = Progress(label + " documents")
        defer { progress.finish() }
        var skipped = 0
        defer {
            if skipped > 0 {
                Console.warning("\(skipped) \(label) document\(skipped == 1 ? "" : "s") could not be read and \(skipped == 1 ? "was" : "were") left out")
            }
        }
        do {
            return try pipeline.calibrationSamples(in: paths, keepStatuses: keep, threads: generation.threads ?? Processors.available,
                                                   onError: { error in
                Console.error(error.description)
                skipped += 1
            }, onDocument: { progress.advance() })
        } catch {
            throw Messages.document(error, source: paths.joined(separator: ", "))
        }
    }

    private func writePlots(_ file: CalibrationFile, negatives: [CalibrationSample], positives: [CalibrationSample],
                            into folder: String) throws {
        do { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) } catch {
            throw CLIFailure("\(folder): cannot create the folder: \(error.localizedDescription)")
        }
        let usableNegatives = negatives.filter { $0.scored >= settings.minTokens }
        let usablePositives = positives.filter { $0.scored >= settings.minTokens }
        try writeFile(CalibrationPlots.scoreHistogram(negatives: usableNegatives.map(\.score), positives: usablePositives.map(\.score),
                                                      thresholds: file.thresholds, title: "Scores of human and watermarked text, key \(file.keyID)"),
                      to: folder + "/histogram.svg")
        try writeFile(CalibrationPlots.roc(negatives: usableNegatives.map(\.score), positives: usablePositives.map(\.score),
                                           thresholds: file.thresholds, title: "ROC, key \(file.keyID)"), to: folder + "/roc.svg")
        try writeFile(CalibrationPlots.tprByLength(file.tprByLength ?? [], title: "TPR by length"), to: folder + "/tpr-by-length.svg")
    }
}

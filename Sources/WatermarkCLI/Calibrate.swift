import ArgumentParser
import Detection
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

    @Option(help: ArgumentHelp("Tokenizer (default: the default model's).", valueName: "path"))
    var tokenizer: String?

    @Option(name: .customLong("fpr"), parsing: .singleValue,
            help: ArgumentHelp("False-positive rates to calibrate (repeatable; default 1e-2, 1e-3, 1e-4, 1e-5).", valueName: "rate"))
    var rates: [Double] = []

    @Flag(name: .customLong("no-normalize"), help: "Tokenize text exactly as given: no removal of zero-width characters and emoji, no folding of look-alike letters and exotic spaces.")
    var noNormalize = false

    @Flag(name: .customLong("no-dedup"), help: "Calibrate for detection without de-duplication.")
    var noDedup = false

    @Option(name: .customLong("min-tokens"), help: ArgumentHelp("Fewest scored tuples for a verdict.", valueName: "n"))
    var minTokens = 16

    @Option(name: .shortAndLong, help: ArgumentHelp("Where to write the calibration file (JSON).", valueName: "file"))
    var out: String

    @Option(help: ArgumentHelp("Also write SVG plots (histogram, ROC, TPR by length) into this folder.", valueName: "folder"))
    var plots: String?

    @Flag(help: "Replace an existing calibration file.")
    var force = false

    @Flag(help: "Print the calibration file to stdout as well.")
    var json = false

    func validate() throws {
        guard !negatives.isEmpty else { throw ValidationError("give human text with --negatives") }
        guard generateCount >= 0 else { throw ValidationError("--generate must be 0 or more (got \(generateCount))") }
        if generateCount > 0 && tokenizer != nil { throw ValidationError("with --generate the model's own tokenizer is used; drop --tokenizer") }
        if generated != nil && generateCount == 0 { throw ValidationError("--generated keeps the documents of --generate N; add --generate") }
        guard delta.isFinite, delta >= 0 else { throw ValidationError("--delta must be a finite number ≥ 0 (got \(delta))") }
        guard minTokens >= 1 else { throw ValidationError("--min-tokens must be at least 1 (got \(minTokens))") }
        for r in rates where !(r > 0 && r < 1) { throw ValidationError("--fpr must be strictly between 0 and 1 (got \(r))") }
    }

    func run() throws {
        if !force && FileManager.default.fileExists(atPath: out) {
            throw CLIFailure("\(out): already exists; pass --force to replace it")
        }
        let keys = try self.keys.loadKeys()
        guard keys.count == 1 else { throw CLIFailure("calibration is made for one key; \(keys.count) were given") }
        let parameters = try scheme.parameters(delta: delta)
        let input = TextInput(tokenizerPath: generateCount > 0 ? try (model ?? DefaultModel.requirePath(for: "model")) : tokenizer,
                              normalize: !noNormalize)
        let tok = try input.tokenizer()
        var options = DetectionOptions()
        options.deduplicate = !noDedup
        options.minimumScored = minTokens
        options.attribution = false
        options.commonTuples = try common.load(tokenizer: input, contextWidth: parameters.contextWidth)
        let negativeDetector: Detector, positiveDetector: Detector
        do {
            negativeDetector = try Detector(keys: keys, parameters: parameters, options: options)
            options.attribution = true
            positiveDetector = try Detector(keys: keys, parameters: parameters, options: options)
        } catch { throw CLIFailure(error.description) }

        func score(_ paths: [String], with detector: Detector, label: String, keep: Bool) throws -> [CalibrationSample] {
            var samples: [CalibrationSample] = []
            var progress = Progress(label + " documents")
            do {
                try Documents.forEach(in: paths) { source, content in
                    let ids: [UInt32]
                    switch content {
                    case .ids(let list): ids = list
                    case .text(let text):
                        guard !text.isEmpty else { return }
                        ids = try input.tokenize(text, source: source).ids
                    }
                    let result: DetectionResult
                    do { result = try detector.detect(ids) } catch { throw CLIFailure("\(error)") }
                    samples.append(CalibrationSample(result: result, keepStatuses: keep))
                    progress.advance()
                }
            } catch let error as InputError { throw CLIFailure(error.description) }
            progress.finish()
            return samples
        }

        let negativeSamples = try score(negatives, with: negativeDetector, label: "negatives", keep: false)
        var positiveSamples = try score(positives, with: positiveDetector, label: "positives", keep: true)
        var generation: CalibrationFile.Generation? = nil
        if generateCount > 0 {
            let made = try generatePositives(key: keys[0], parameters: parameters, detector: positiveDetector, input: input)
            positiveSamples += made.samples
            generation = made.generation
        }
        guard negativeSamples.contains(where: { $0.scored >= minTokens }) else {
            throw CLIFailure("no negative document has \(minTokens) scored tokens; give more or longer human text")
        }
        var file = Calibrator.calibrate(
            negatives: negativeSamples, positives: positiveSamples,
            rates: (rates.isEmpty ? Calibrator.defaultRates : rates).sorted(by: >),
            keyID: keys[0].keyID,
            tokenizer: .init(fingerprint: tok.fingerprint, name: input.tokenizerName),
            parameters: .init(scheme: parameters, options: options, normalization: input.normalization),
            tool: "watermark \(WatermarkCommand.configuration.version)")
        file.generation = generation
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let text = String(decoding: try encoder.encode(file), as: UTF8.self) + "\n"
        try writeAtomically(text, to: out)
        if let plots {
            try FileManager.default.createDirectory(atPath: plots, withIntermediateDirectories: true)
            let usableNegatives = negativeSamples.filter { $0.scored >= minTokens }
            let usablePositives = positiveSamples.filter { $0.scored >= minTokens }
            try writeAtomically(CalibrationPlots.scoreHistogram(negatives: usableNegatives.map(\.z), positives: usablePositives.map(\.z),
                                                                title: "z-scores, key \(file.keyID)"), to: plots + "/histogram.svg")
            try writeAtomically(CalibrationPlots.roc(negatives: usableNegatives.map(\.score), positives: usablePositives.map(\.score),
                                                     title: "ROC, key \(file.keyID)"), to: plots + "/roc.svg")
            try writeAtomically(CalibrationPlots.tprByLength(file.tprByLength ?? [], title: "TPR by length"),
                                to: plots + "/tpr-by-length.svg")
        }
        if json { print(text, terminator: "") } else { print(CalibrationSummary.text(file, path: out)) }
    }
}

extension Calibrate {
    /// Watermarked positives written by the model on the fly: each prompt is the opening (40
    /// words) of one of the human documents, so the model writes on the same subjects; the
    /// text is then detected exactly as a submitted text would be.
    func generatePositives(key: WatermarkKey, parameters: SchemeParameters, detector: Detector,
                           input: TextInput) throws -> (samples: [CalibrationSample], generation: CalibrationFile.Generation) {
        var openings: [String] = []
        try Documents.forEach(in: negatives) { _, content in
            guard openings.count < generateCount, case .text(let text) = content else { return }
            let words = text.split(whereSeparator: { $0 == " " || $0 == "\n" }).prefix(40)
            if words.count >= 10 { openings.append(words.joined(separator: " ")) }
        }
        guard !openings.isEmpty else { throw CLIFailure("--generate needs human text documents to take prompts from") }
        let modelPath = try model ?? DefaultModel.requirePath(for: "model")
        let modelName = (modelPath as NSString).lastPathComponent
        let prompts = openings.map { "Continue this text in the same style:\n\n" + $0 }
        var kept = try generated.map {
            try KeptPositives(path: $0, keyID: key.keyID, parameters: parameters, model: modelName, prompts: prompts)
        }
        func sample(_ text: String, source: String) throws -> CalibrationSample {
            do { return CalibrationSample(result: try detector.detect(try input.tokenize(text, source: source).ids), keepStatuses: true) } catch let error as DetectionError {
                throw CLIFailure(error.description)
            }
        }
        var samples: [CalibrationSample] = []
        for record in (kept?.records ?? []).prefix(openings.count) where !record.text.isEmpty {
            samples.append(try sample(record.text, source: "\(generated!):\(record.index + 1)"))
        }
        let done = min(kept?.records.count ?? 0, openings.count)
        // A resumed run continues the seed sequence of the run it resumes.
        let baseSeed = generation.seed ?? kept?.baseSeed ?? UInt64.random(in: 0...UInt64(UInt32.max))
        let made = CalibrationFile.Generation(documents: openings.count, model: modelName, seed: baseSeed, delta: parameters.delta)
        guard done < openings.count else { return (samples, made) }
        let runner = try ModelRunner(modelPath: modelPath, raw: false, system: nil, ignoreEOS: false, threads: generation.threads)
        let processor: WatermarkLogitsProcessor
        do { processor = try WatermarkLogitsProcessor(key: key, parameters: parameters) } catch { throw CLIFailure(error.description) }
        var progress = Progress("positives generated", total: openings.count)
        for _ in 0..<done { progress.advance() }
        for i in done..<openings.count {
            let prompt = prompts[i]
            let ids = try runner.encode(prompt, source: "--generate \(i + 1)")
            let sampling = generation.sampling(seed: baseSeed &+ UInt64(i))
            let result = try runner.generate(after: ids, sampling: sampling, processor: processor, maxTokens: generation.maxTokens)
            let text = runner.tokenizer.decode(result.tokens, skipSpecialTokens: true)
            try kept?.append(EmbedRecord(
                index: i, id: nil, prompt: prompt, chat: runner.chat != nil, text: text, ids: result.tokens, keyID: key.keyID,
                watermark: true, scheme: SchemeParameters.scheme, gamma: parameters.gamma, contextWidth: parameters.contextWidth,
                delta: parameters.delta, maxTokens: generation.maxTokens, sampling: sampling, model: modelName,
                promptTokens: ids.count, generatedTokens: result.tokens.count, stopReason: result.stopReason.rawValue,
                tokensPerSecond: result.tokensPerSecond, promptTokensPerSecond: result.promptTokensPerSecond,
                watermarkMillisecondsPerToken: nil, perplexity: nil))
            if !text.isEmpty { samples.append(try sample(text, source: "--generate \(i + 1)")) }
            progress.advance()
        }
        progress.finish()
        return (samples, made)
    }
}

/// The `--generated` file: positives already made by an earlier (perhaps stopped) run, and
/// where new ones are appended, one complete line at a time.
struct KeptPositives {
    struct Record {
        let index: Int
        let text: String
        let seed: UInt64?
    }

    let path: String
    private(set) var records: [Record] = []
    private let handle: FileHandle

    /// The seed of document 0 in the run that wrote the file, when it says.
    var baseSeed: UInt64? { records.first.flatMap { r in r.seed.map { $0 &- UInt64(r.index) } } }

    /// Reads what is there, refusing documents made with another key, scheme parameters,
    /// model or prompts; a last line cut short by a stopped run is dropped.
    init(path: String, keyID: String, parameters: SchemeParameters, model: String, prompts: [String]) throws {
        self.path = path
        var good = Data()
        if FileManager.default.fileExists(atPath: path) {
            let data = Data(try ByteStream(path: path).readAll(limit: 1 << 30))
            var lines = data.split(separator: 0x0A, omittingEmptySubsequences: false)
            if data.last != 0x0A { lines.removeLast() }  // unfinished (or empty) tail
            for (n, line) in lines.enumerated() where !line.isEmpty {
                let where_ = "\(path):\(n + 1)"
                guard let object = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any],
                      let text = object["text"] as? String, let index = object["index"] as? Int, index == records.count else {
                    throw CLIFailure("\(where_): not a document this command wrote; give --generated a new file")
                }
                let made = (object["keyID"] as? String, object["gamma"] as? Double, object["contextWidth"] as? Int,
                            object["delta"] as? Double, object["model"] as? String)
                guard made.0 == keyID, made.1 == parameters.gamma, made.2 == parameters.contextWidth,
                      made.3 == parameters.delta, made.4 == model else {
                    throw CLIFailure("\(where_): was generated with another key, gamma, context width, delta or model; give --generated a new file")
                }
                if index < prompts.count, object["prompt"] as? String != prompts[index] {
                    throw CLIFailure("\(where_): was generated from another prompt (other --negatives); give --generated a new file")
                }
                records.append(Record(index: index, text: text, seed: (object["seed"] as? NSNumber)?.uint64Value))
                good.append(line)
                good.append(0x0A)
            }
            if good.count != data.count { try writeAtomically(String(decoding: good, as: UTF8.self), to: path) }
        } else {
            guard FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o644]) else {
                throw CLIFailure("\(path): cannot create the file")
            }
        }
        guard let handle = FileHandle(forWritingAtPath: path) else { throw CLIFailure("\(path): cannot open it for writing") }
        self.handle = handle
        do { try handle.seekToEnd() } catch { throw CLIFailure("\(path): \(error.localizedDescription)") }
    }

    /// Appends one document as a whole line, flushed before the next is generated.
    mutating func append(_ record: EmbedRecord) throws {
        do {
            try handle.write(contentsOf: Data((JSONOutput.line(encoding: record) + "\n").utf8))
            try handle.synchronize()
        } catch {
            throw CLIFailure("\(path): cannot write (\(error.localizedDescription))")
        }
        records.append(Record(index: record.index, text: record.text, seed: record.sampling.seed))
    }
}

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

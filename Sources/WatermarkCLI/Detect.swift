import ArgumentParser
import Detection
import Foundation
import SystemSupport
import Watermark

struct Detect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Test texts or token ids for the watermark and report a p-value.",
        discussion: """
            Exit status: 0 if any document is watermarked, 1 if none is (or all are too short), \
            2 on a usage or input error.
            """)

    @OptionGroup var keys: KeySetOptions
    @OptionGroup var scheme: SchemeOptions
    @OptionGroup var common: CommonTupleOptions

    @Argument(help: ArgumentHelp("Files to test; '-' or none reads standard input. Each file is one document (with --jsonl, one per line).",
                                 valueName: "file"))
    var files: [String] = []

    @Flag(help: "Input is token ids (integers separated by spaces or commas, or a JSON array), not text.")
    var ids = false

    @Flag(help: "Input is JSON Lines: one document per line, an object with a \"text\" or \"ids\" field. Streamed.")
    var jsonl = false

    @OptionGroup var tokenizerOption: TokenizerOption
    @OptionGroup var settings: DetectionSettingsOptions

    @Option(help: ArgumentHelp("Target false-positive rate α: watermarked iff the adjusted p-value ≤ α.", valueName: "rate"))
    var fpr = 1e-4

    @Flag(help: "Also scan windows for a watermarked stretch inside longer text; the p-value is corrected for every window tried.")
    var scan = false

    @Flag(help: "With --json, include one status per token (0 context, 1 green, 2 red, 3 repeated, 4 common).")
    var attribution = false

    @Option(help: ArgumentHelp("A calibration file from 'watermark calibrate' for this key, tokenizer and parameters: its threshold for --fpr decides.", valueName: "file"))
    var calibration: String?

    @Flag(help: "Print one JSON object per document (JSON Lines).")
    var json = false

    @Flag(help: "Show each token: green or red when scored, dimmed for context, repeats and common tuples (a legend line says which); see --color.")
    var highlight = false

    @Option(help: ArgumentHelp("Colour for --highlight: auto (only on a terminal, and not when NO_COLOR is set), always or never (markers [+token] [-token] instead).", valueName: "when"))
    var color: ColorChoice = .auto

    @Flag(name: .shortAndLong, help: "Leave out warnings (errors are still reported).")
    var quiet = false

    @Flag(name: .customLong("no-seed-cache"), help: .hidden)
    var noSeedCache = false

    /// Input is read in blocks of this many bytes (tests make it small to exercise the seams).
    @Option(name: .customLong("chunk-bytes"), help: .hidden)
    var chunkBytes = 1 << 16

    func validate() throws {
        guard chunkBytes >= 1 else { throw ValidationError("--chunk-bytes must be positive") }
        guard fpr.isFinite, fpr > 0, fpr < 1 else { throw ValidationError("--fpr must be strictly between 0 and 1 (got \(fpr))") }
        if json && highlight { throw ValidationError("--highlight is for terminal output; it cannot be combined with --json") }
        if attribution && !json { throw ValidationError("--attribution adds per-token statuses to --json output; add --json") }
    }

    func run() throws {
        Console.quiet = quiet
        let setup = try loadSetup()
        // JSON Lines may hold only ids, which need no tokenizer: it is loaded at the first text.
        let eager = !(ids || jsonl) || common.path != nil || calibration != nil
        var pipeline = try makePipeline(setup, tokenizer: eager ? tokenizerOption.load(normalize: settings.normalize).detection : nil,
                                        warn: true)
        var batch = Batch(json: json)
        try batch.forEach(input: files, chunkBytes: chunkBytes, jsonLines: jsonl, line: { line, source, batch in
            try detect(line: line, source: source, with: &pipeline, setup: setup, into: &batch)
        }, whole: { stream, batch in
            try detect(stream: stream, with: pipeline, into: &batch)
        })
        try batch.finish()
    }

    /// One whole input (a file or standard input) as one document: ids or text, streamed.
    private func detect(stream: ByteStream, with pipeline: DetectionPipeline, into batch: inout Batch) throws {
        if ids {
            var kept: [UInt32] = []  // only for --highlight; otherwise the ids stream through
            let result: DetectionResult
            do { result = try pipeline.detect(idStream: stream) { if highlight { kept.append($0) } } } catch {
                throw Messages.document(error, source: stream.name)
            }
            report(result, source: stream.name, into: &batch, pieces: nil, ids: kept)
        } else {
            var seen: [UInt32] = []
            let result: DetectionResult
            do { result = try pipeline.detect(textStream: stream) { if highlight { seen += $0 } } } catch {
                throw Messages.document(error, source: stream.name)
            }
            let tokenizer = pipeline.tokenizer!
            report(result, source: stream.name, into: &batch, pieces: highlight ? tokenizer.pieces(for: seen) : nil,
                   tokenizer: tokenizer.fingerprint)
        }
    }

    /// What every pipeline of this run is made of, loaded and checked once.
    private struct Setup {
        let keys: [WatermarkKey]
        let parameters: SchemeParameters
        let options: DetectionOptions
        let calibration: CalibrationFile?
    }

    private func loadSetup() throws -> Setup {
        let parameters = try scheme.parameters()
        var options = settings.options
        options.falsePositiveRate = fpr
        options.windowedScan = scan
        options.attribution = attribution || highlight
        options.cacheSeeds = !noSeedCache
        let loadedKeys = try keys.loadKeys()
        options.commonTuples = try common.load()
        let file = try calibration.map { path in
            do throws(DetectionError) { return try CalibrationFile.load(path: path) } catch {
                if case .input(let problem) = error { throw CLIFailure(problem.description) }
                throw Messages.setup(error, commonTuples: common.path, calibration: path)
            }
        }
        return Setup(keys: loadedKeys, parameters: parameters, options: options, calibration: file)
    }

    /// The pipeline: keys, tokenizer, common-tuple list and calibration file, checked against
    /// each other.
    private func makePipeline(_ setup: Setup, tokenizer: DetectionTokenizer?, warn: Bool) throws -> DetectionPipeline {
        do {
            let pipeline = try DetectionPipeline(keys: setup.keys, parameters: setup.parameters, options: setup.options,
                                                 tokenizer: tokenizer, calibration: setup.calibration)
            if warn { Messages.warn(pipeline.warnings, commonTuples: common.path, calibration: calibration) }
            return pipeline
        } catch {
            throw Messages.setup(error, commonTuples: common.path, calibration: calibration, rate: fpr)
        }
    }

    /// One JSON Lines document: ids or text.
    private func detect(line: [UInt8], source: String, with pipeline: inout DetectionPipeline, setup: Setup,
                        into batch: inout Batch) throws {
        let parsed: (document: JSONLinesDocument, id: JSONValue?)
        do { parsed = try JSONLinesDocument.parseWithID(line) } catch { throw CLIFailure(InputError(source: source, problem: error.problem).description) }
        do {
            switch parsed.document {
            case .ids(let list):
                // An empty list is a mistake in the input (as an ids file with no ids is), not a text.
                guard !list.isEmpty else { throw CLIFailure(InputError(source: source, problem: "\"ids\" is empty").description) }
                report(try pipeline.detect(ids: list), source: source, id: parsed.id, into: &batch, pieces: nil, ids: list)
            case .text(let string):
                guard !ids else { throw CLIFailure(InputError(source: source, problem: "is text, but --ids was given").description) }
                if pipeline.tokenizer == nil {
                    pipeline = try makePipeline(setup, tokenizer: tokenizerOption.load(normalize: settings.normalize).detection, warn: false)
                }
                guard let tokenizer = pipeline.tokenizer else { throw CLIFailure("\(source): text needs a tokenizer") }
                let tokens = try pipeline.tokenize(string)
                report(try pipeline.detect(ids: tokens), source: source, id: parsed.id, into: &batch,
                       pieces: tokenizer.pieces(for: tokens), tokenizer: tokenizer.fingerprint)
            }
        } catch let error as DetectionError {
            throw Messages.document(error, source: source)
        }
    }

    /// Prints one document's result; `tokenizer` is the fingerprint of the tokenizer that read
    /// it (text input only).
    private func report(_ result: DetectionResult, source: String, id: JSONValue? = nil, into batch: inout Batch,
                        pieces: [String]?, ids: [UInt32]? = nil, tokenizer: String? = nil) {
        if json {
            print(JSONLine.string(encoding: SourcedDetectionResult(source: source, index: batch.nextIndex, id: id, result: result,
                                                                   tokenizer: tokenizer)))
        } else {
            print(DetectionSummary.text(for: result, source: source))
            if highlight, let statuses = result.attribution {
                let colour = color.enabled(on: Console.stdoutIsTerminal)
                if !batch.legendShown {
                    print(DetectionSummary.legend(colour: colour))
                    batch.legendShown = true
                }
                print(DetectionSummary.highlighted(statuses: statuses, pieces: pieces, ids: ids, colour: colour))
            }
        }
        batch.scored(watermarked: result.verdict == .watermarked)
    }
}

/// `--color`, as grep, ls and git take it.
enum ColorChoice: String, ExpressibleByArgument, CaseIterable {
    case auto, always, never

    /// Whether to write colour codes: `auto` colours a terminal, unless NO_COLOR is set.
    func enabled(on terminal: Bool) -> Bool {
        switch self {
        case .always: return true
        case .never: return false
        case .auto: return terminal && (currentEnvironment()["NO_COLOR"] ?? "").isEmpty
        }
    }
}

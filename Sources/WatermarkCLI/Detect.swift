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

    @Option(help: ArgumentHelp("Threads scoring documents at once, answers still in input order (default: the processors this process may use, after affinity and cgroup limits).", valueName: "n"))
    var threads: Int?

    @Flag(name: .customLong("no-seed-cache"), help: .hidden)
    var noSeedCache = false

    /// Scores every tuple without the shared verdict cache (for tests and benchmarks).
    @Flag(name: .customLong("no-tuple-cache"), help: .hidden)
    var noTupleCache = false

    /// Prints the shared verdict cache's hit rate on standard error at the end.
    @Flag(name: .customLong("cache-stats"), help: .hidden)
    var cacheStats = false

    /// Prints on standard error how many threads score, for checking the default (hidden).
    @Flag(name: .customLong("show-threads"), help: .hidden)
    var showThreads = false

    /// Slots per key of the shared tuple cache, for measuring its size (hidden).
    @Option(name: .customLong("tuple-cache-slots"), help: .hidden)
    var tupleCacheSlots: Int = TupleVerdictCache.defaultSlotsPerKey

    /// Input is read in blocks of this many bytes (tests make it small to exercise the seams).
    @Option(name: .customLong("chunk-bytes"), help: .hidden)
    var chunkBytes = 1 << 16

    func validate() throws {
        guard chunkBytes >= 1 else { throw ValidationError("--chunk-bytes must be positive") }
        if let threads, !(1...1024).contains(threads) { throw ValidationError("--threads must be 1 to 1024 (got \(threads))") }
        guard fpr.isFinite, fpr > 0, fpr < 1 else { throw ValidationError("--fpr must be strictly between 0 and 1 (got \(fpr))") }
        if json && highlight { throw ValidationError("--highlight is for terminal output; it cannot be combined with --json") }
        if attribution && !json { throw ValidationError("--attribution adds per-token statuses to --json output; add --json") }
    }

    func run() throws {
        Console.quiet = quiet
        let setup = try loadSetup()
        // JSON Lines may hold only ids, which need no tokenizer: it is loaded at the first text.
        let eager = !(ids || jsonl) || common.path != nil || calibration != nil
        let tokenizer = SharedTokenizer(load: { [tokenizerOption, settings] in try tokenizerOption.load(normalize: settings.normalize).detection })
        let first = try makePipeline(setup, tokenizer: eager ? tokenizer.get() : nil, warn: true)
        let config = WorkConfig(setup: setup, ids: ids, json: json, highlight: highlight,
                                colour: color.enabled(on: Console.stdoutIsTerminal), chunkBytes: chunkBytes,
                                commonPath: common.path, calibrationPath: calibration, rate: fpr, tokenizer: tokenizer)
        let firstBox = PipelineHandOff(first)
        var batch = Batch(json: json)
        let threadCount = threads ?? Processors.available
        if showThreads { Console.note("threads: \(threadCount)") }
        try OrderedParallel.run(threads: threadCount, state: {
            // The first worker takes the pipeline built (and checked) above; the others build their own.
            WorkerState(pipeline: try? firstBox.next())
        }, produce: { submit in
            try Batch.walk(input: files, chunkBytes: chunkBytes, jsonLines: jsonl) { job in try submit(job) }
        }, work: { state, job in
            Detect.work(job, state: &state, config: config)
        }, consume: { outcome in
            switch outcome {
            case .report(let text, let highlighted, let watermarked):
                print(text)
                if let highlighted {
                    if !batch.legendShown {
                        print(DetectionSummary.legend(colour: config.colour))
                        batch.legendShown = true
                    }
                    print(highlighted)
                }
                batch.scored(watermarked: watermarked)
            case .failure(let message, let source, let id):
                batch.fail(message, source: source, id: id)
            }
        })
        if cacheStats, let cache = setup.tupleCache {
            let rate = cache.lookups > 0 ? Double(cache.hits) / Double(cache.lookups) : 0
            Console.note("tuple cache: \(cache.hits) hits of \(cache.lookups) lookups (\(DetectionSummary.format(100 * rate, digits: 3))%)")
        }
        try batch.finish()
    }

    /// What every pipeline of this run is made of, loaded and checked once.
    struct Setup: Sendable {
        let keys: [WatermarkKey]
        let parameters: SchemeParameters
        let options: DetectionOptions
        let calibration: CalibrationFile?
        /// Shared by every thread's pipeline.
        let tupleCache: TupleVerdictCache?
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
        return Setup(keys: loadedKeys, parameters: parameters, options: options, calibration: file,
                     tupleCache: noTupleCache ? nil : TupleVerdictCache(slotsPerKey: tupleCacheSlots))
    }

    /// The pipeline: keys, tokenizer, common-tuple list and calibration file, checked against
    /// each other.
    private func makePipeline(_ setup: Setup, tokenizer: DetectionTokenizer?, warn: Bool) throws -> DetectionPipeline {
        let pipeline = try WorkConfig.makePipeline(setup, tokenizer: tokenizer, commonPath: common.path, calibrationPath: calibration, rate: fpr)
        if warn { Messages.warn(pipeline.warnings, commonTuples: common.path, calibration: calibration) }
        return pipeline
    }

    /// What the workers share: the loaded setup and how to report.
    struct WorkConfig: Sendable {
        let setup: Setup
        let ids: Bool
        let json: Bool
        let highlight: Bool
        let colour: Bool
        let chunkBytes: Int
        let commonPath: String?
        let calibrationPath: String?
        let rate: Double
        let tokenizer: SharedTokenizer

        static func makePipeline(_ setup: Setup, tokenizer: DetectionTokenizer?, commonPath: String?, calibrationPath: String?,
                                 rate: Double) throws -> DetectionPipeline {
            do {
                return try DetectionPipeline(keys: setup.keys, parameters: setup.parameters, options: setup.options,
                                             tokenizer: tokenizer, calibration: setup.calibration, tupleCache: setup.tupleCache)
            } catch {
                throw Messages.setup(error, commonTuples: commonPath, calibration: calibrationPath, rate: rate)
            }
        }

        func makePipeline(tokenizer: DetectionTokenizer?) throws -> DetectionPipeline {
            try Self.makePipeline(setup, tokenizer: tokenizer, commonPath: commonPath, calibrationPath: calibrationPath, rate: rate)
        }
    }

    /// A worker's own pipeline (nil only if building it failed, which the first one did not).
    struct WorkerState {
        var pipeline: DetectionPipeline?
    }

    /// One document's printed answer, or its failure, in input order.
    enum Outcome: Sendable {
        case report(text: String, highlighted: String?, watermarked: Bool)
        case failure(message: String, source: String, id: JSONValue?)
    }

    /// One document on a worker thread: JSON Lines line or whole input, ids or text.
    static func work(_ job: Batch.Job, state: inout WorkerState, config: WorkConfig) -> Outcome {
        guard let pipeline = state.pipeline else {
            return .failure(message: "\(job.source): no detection pipeline", source: job.source, id: nil)
        }
        do {
            switch job.content {
            case .failed(let message):
                return .failure(message: message, source: job.source, id: nil)
            case .line(let bytes):
                return try detect(line: bytes, source: job.source, index: job.index, state: &state, pipeline: pipeline, config: config)
            case .whole(let path):
                let stream: ByteStream
                do { stream = try ByteStream(path: path, chunkSize: config.chunkBytes) } catch {
                    return .failure(message: error.description, source: path, id: nil)
                }
                return try detect(stream: stream, index: job.index, pipeline: pipeline, config: config)
            }
        } catch let failure as CLIFailure {
            return .failure(message: failure.message, source: job.source, id: nil)
        } catch {
            return .failure(message: "\(job.source): \(error)", source: job.source, id: nil)
        }
    }

    /// One whole input (a file or standard input) as one document: ids or text, streamed.
    private static func detect(stream: ByteStream, index: Int, pipeline: DetectionPipeline, config: WorkConfig) throws -> Outcome {
        if config.ids {
            var kept: [UInt32] = []  // only for --highlight; otherwise the ids stream through
            let result: DetectionResult
            do { result = try pipeline.detect(idStream: stream) { if config.highlight { kept.append($0) } } } catch {
                throw Messages.document(error, source: stream.name)
            }
            return report(result, source: stream.name, index: index, config: config, pieces: nil, ids: kept)
        } else {
            var seen: [UInt32] = []
            let result: DetectionResult
            do { result = try pipeline.detect(textStream: stream) { if config.highlight { seen += $0 } } } catch {
                throw Messages.document(error, source: stream.name)
            }
            let tokenizer = pipeline.tokenizer!
            return report(result, source: stream.name, index: index, config: config,
                          pieces: config.highlight ? tokenizer.pieces(for: seen) : nil, tokenizer: tokenizer.fingerprint)
        }
    }

    /// One JSON Lines document: ids or text.
    private static func detect(line: [UInt8], source: String, index: Int, state: inout WorkerState, pipeline: DetectionPipeline,
                               config: WorkConfig) throws -> Outcome {
        let parsed: (document: JSONLinesDocument, id: JSONValue?)
        do { parsed = try JSONLinesDocument.parseWithID(line) } catch {
            // The error entry still names the document when the line is an object with an id.
            return .failure(message: InputError(source: source, problem: error.problem).description, source: source,
                            id: JSONLinesDocument.id(ofRefusedLine: line))
        }
        do {
            switch parsed.document {
            case .ids(let list):
                // An empty list is a mistake in the input (as an ids file with no ids is), not a text.
                guard !list.isEmpty else { throw CLIFailure(InputError(source: source, problem: "\"ids\" is empty").description) }
                return report(try pipeline.detect(ids: list), source: source, index: index, id: parsed.id, config: config,
                              pieces: nil, ids: list)
            case .text(let string):
                guard !config.ids else { throw CLIFailure(InputError(source: source, problem: "is text, but --ids was given").description) }
                var pipeline = pipeline
                if pipeline.tokenizer == nil {
                    pipeline = try config.makePipeline(tokenizer: try config.tokenizer.get())
                    state.pipeline = pipeline
                }
                let tokenizer = pipeline.tokenizer!
                let tokens = try pipeline.tokenize(string)
                return report(try pipeline.detect(ids: tokens), source: source, index: index, id: parsed.id, config: config,
                              pieces: config.highlight ? tokenizer.pieces(for: tokens) : nil, tokenizer: tokenizer.fingerprint)
            }
        } catch let error as DetectionError {
            return .failure(message: Messages.document(error, source: source).message, source: source, id: parsed.id)
        } catch let failure as CLIFailure {
            return .failure(message: failure.message, source: source, id: parsed.id)
        }
    }

    /// One document's printed answer; `tokenizer` is the fingerprint of the tokenizer that read
    /// it (text input only).
    private static func report(_ result: DetectionResult, source: String, index: Int, id: JSONValue? = nil, config: WorkConfig,
                               pieces: [String]?, ids: [UInt32]? = nil, tokenizer: String? = nil) -> Outcome {
        let watermarked = result.verdict == .watermarked
        if config.json {
            return .report(text: result.jsonRecord(source: source, index: index, id: id, tokenizer: tokenizer),
                           highlighted: nil, watermarked: watermarked)
        }
        var highlighted: String? = nil
        if config.highlight, let statuses = result.attribution {
            highlighted = DetectionSummary.highlighted(statuses: statuses, pieces: pieces, ids: ids, colour: config.colour)
        }
        return .report(text: DetectionSummary.text(for: result, source: source), highlighted: highlighted, watermarked: watermarked)
    }
}

/// The tokenizer, loaded once for the whole run by whichever thread needs it first; the other
/// workers wait on the lock for the whole load (`Locked`, which ThreadSanitizer can follow).
final class SharedTokenizer: Sendable {
    private let load: @Sendable () throws -> DetectionTokenizer
    private let loaded = Locked<Result<DetectionTokenizer, CLIFailure>?>(nil)

    init(load: @escaping @Sendable () throws -> DetectionTokenizer) { self.load = load }

    func get() throws -> DetectionTokenizer {
        try loaded.withLock { loaded in
            if let loaded { return loaded }
            let result: Result<DetectionTokenizer, CLIFailure>
            do { result = .success(try load()) } catch let failure as CLIFailure {
                result = .failure(failure)
            } catch {
                result = .failure(CLIFailure("\(error)"))
            }
            loaded = result
            return result
        }.get()
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

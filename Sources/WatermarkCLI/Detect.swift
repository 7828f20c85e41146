import ArgumentParser
import Detection
import Foundation
import Watermark

struct Detect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Test texts or token ids for the watermark and report a p-value.",
        discussion: """
            Exit status: 0 if any document is watermarked, 1 if none is (or all are too short), \
            2 on a usage or input error.
            """)

    @OptionGroup var keys: KeyOptions
    @OptionGroup var scheme: SchemeOptions
    @OptionGroup var common: CommonTupleOptions

    @Argument(help: ArgumentHelp("Files to test; '-' or none reads standard input. Each file is one document (with --jsonl, one per line).",
                                 valueName: "file"))
    var files: [String] = []

    @Flag(help: "Input is token ids (integers separated by spaces or commas, or a JSON array), not text.")
    var ids = false

    @Flag(help: "Input is JSON Lines: one document per line, an object with a \"text\" or \"ids\" field. Streamed.")
    var jsonl = false

    @Option(help: ArgumentHelp("Tokenizer for text input: a GGUF model, a tokenizer.json or a rank file.", valueName: "path"))
    var tokenizer: String?

    @Flag(name: .customLong("no-normalize"), help: "Tokenize text exactly as given: no removal of zero-width characters and emoji, no folding of look-alike letters and exotic spaces.")
    var noNormalize = false

    @Flag(name: .customLong("no-dedup"), help: "Count repeated (context, token) tuples every time (inflates scores on repetitive text).")
    var noDedup = false

    @Option(name: .customLong("min-tokens"), help: ArgumentHelp("Fewest scored tuples for a verdict; fewer gives 'too-short'.", valueName: "n"))
    var minTokens = 16

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

    @Flag(help: "Show each token coloured: green, red, dimmed for repeats and context (ANSI; honours NO_COLOR).")
    var highlight = false

    @Flag(name: .customLong("no-seed-cache"), help: .hidden)
    var noSeedCache = false

    /// Input is read in blocks of this many bytes (tests make it small to exercise the seams).
    @Option(name: .customLong("chunk-bytes"), help: .hidden)
    var chunkBytes = 1 << 16

    func validate() throws {
        guard chunkBytes >= 1 else { throw ValidationError("--chunk-bytes must be positive") }
        guard minTokens >= 1 else { throw ValidationError("--min-tokens must be at least 1 (got \(minTokens))") }
        guard fpr.isFinite, fpr > 0, fpr < 1 else { throw ValidationError("--fpr must be strictly between 0 and 1 (got \(fpr))") }
        if json && highlight { throw ValidationError("--highlight is for terminal output; it cannot be combined with --json") }
        if attribution && !json { throw ValidationError("--attribution adds per-token statuses to --json output; add --json") }
    }

    func run() throws {
        let parameters = try scheme.parameters()
        var options = DetectionOptions()
        options.deduplicate = !noDedup
        options.minimumScored = minTokens
        options.falsePositiveRate = fpr
        options.windowedScan = scan
        options.attribution = attribution || highlight
        options.cacheSeeds = !noSeedCache
        let loadedKeys = try keys.loadKeys()
        // Loaded lazily: once for text, and for a calibration file's fingerprint check.
        let input = TextInput(tokenizerPath: tokenizer, normalize: !noNormalize)
        let text = ids ? nil : input
        options.commonTuples = try common.load(tokenizer: input, contextWidth: parameters.contextWidth)
        if let calibration {
            options.calibratedMinimumScore = try calibratedThreshold(
                calibration, keys: loadedKeys, tokenizer: input,
                parameters: .init(scheme: parameters, options: options, normalization: input.normalization))
        }
        let detector: Detector
        do { detector = try Detector(keys: loadedKeys, parameters: parameters, options: options) } catch {
            throw CLIFailure(error.description)
        }
        var anyWatermarked = false
        let sources = files.isEmpty ? ["-"] : files
        for path in sources {
            do {
                let stream = try ByteStream(path: path, chunkSize: chunkBytes)
                if jsonl {
                    var lines = LineReader(stream: stream)
                    while let line = try lines.nextLine() {
                        if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }
                        let source = "\(stream.name):\(lines.lineNumber)"
                        let document: JSONLinesDocument
                        do { document = try JSONLinesDocument.parse(line) } catch {
                            throw InputError(source: source, problem: error.problem)
                        }
                        let result: DetectionResult
                        var pieces: [String]? = nil
                        var listed: [UInt32]? = nil
                        switch document {
                        case .ids(let list):
                            guard !list.isEmpty else { throw InputError(source: source, problem: "\"ids\" is empty") }
                            result = try detect(list, with: detector)
                            listed = list
                        case .text(let string):
                            let input = try TextInput.require(text, source: source)
                            let tokens = try input.tokenize(string, source: source)
                            result = try detect(tokens.ids, with: detector)
                            pieces = tokens.pieces
                        }
                        anyWatermarked = report(result, source: source, pieces: pieces, ids: listed,
                                                tokenizer: pieces == nil ? nil : try text?.tokenizer().fingerprint) || anyWatermarked
                    }
                } else if ids {
                    let session = detector.makeSession()
                    var parser = TokenIDParser()
                    var kept: [UInt32] = []  // only for --highlight; otherwise the ids stream through
                    var batch: [UInt32] = []
                    batch.reserveCapacity(4096)
                    let take: (UInt32) throws -> Void = { id in
                        batch.append(id)
                        if highlight { kept.append(id) }
                        if batch.count == 4096 {
                            try session.append(contentsOf: batch)
                            batch.removeAll(keepingCapacity: true)
                        }
                    }
                    do {
                        while let chunk = try stream.nextChunk() { try parser.feed(chunk, emit: take) }
                        try parser.finish(emit: take)
                        try session.append(contentsOf: batch)
                    } catch let failure as TokenIDParser.ParseFailure {
                        throw InputError(source: stream.name, problem: failure.description)
                    } catch let error as DetectionError {
                        throw CLIFailure(error.description)
                    }
                    anyWatermarked = report(session.finish(), source: stream.name, pieces: nil, ids: kept) || anyWatermarked
                } else {
                    let input = try TextInput.require(text, source: stream.name)
                    let session = detector.makeSession()
                    let streamed = try input.tokenizeStream(stream, keepPieces: highlight) { ids in
                        do { try session.append(contentsOf: ids) } catch { throw CLIFailure("\(error)") }
                    }
                    anyWatermarked = report(session.finish(), source: stream.name, pieces: streamed.pieces,
                                            tokenizer: try input.tokenizer().fingerprint) || anyWatermarked
                }
            } catch let error as InputError {
                throw CLIFailure(error.description)
            }
        }
        if !anyWatermarked { throw ExitCode(1) }
    }

    /// Loads a calibration file and returns its threshold for `--fpr`, refusing a file made for
    /// another key, tokenizer, scheme or parameters.
    private func calibratedThreshold(_ path: String, keys: [WatermarkKey], tokenizer input: TextInput,
                                     parameters mine: CalibrationFile.Parameters) throws -> Double {
        guard keys.count == 1 else { throw CLIFailure("\(path): a calibration file holds for one key; \(keys.count) were given") }
        let data = try ByteStream(path: path).readAll(limit: 64 << 20)
        let file: CalibrationFile
        do { file = try JSONDecoder().decode(CalibrationFile.self, from: Data(data)) } catch {
            throw CLIFailure("\(path): not a calibration file from 'watermark calibrate'")
        }
        // Ids carry no tokenizer of their own: they are taken to come from --tokenizer (or the default).
        let fingerprint = try input.tokenizer().fingerprint
        if let problem = file.mismatch(keyID: keys[0].keyID, tokenizerFingerprint: fingerprint, parameters: mine) {
            throw CLIFailure("\(path): \(problem)")
        }
        guard let threshold = file.threshold(for: fpr) else {
            throw CLIFailure("\(path): has no threshold for --fpr \(fpr); it has \(file.thresholds.map { String($0.targetFPR) }.joined(separator: ", "))")
        }
        if !threshold.fprDemonstrated {
            Console.warning("\(path): its \(threshold.falsePositives) false positives in \(file.negatives.documents - file.negatives.tooShort) negatives bound the rate only by \(DetectionSummary.formatP(log10: log10(threshold.fprUpperBound95))) (95%), above \(fpr); its threshold is still never looser than p ≤ \(fpr)")
        }
        return threshold.minimumScore
    }

    private func detect(_ tokens: [UInt32], with detector: Detector) throws -> DetectionResult {
        do { return try detector.detect(tokens) } catch { throw CLIFailure(error.description) }
    }

    /// Prints one document's result; `tokenizer` is the fingerprint of the tokenizer that read
    /// it (text input only). Returns whether it was watermarked.
    private func report(_ result: DetectionResult, source: String, pieces: [String]?, ids: [UInt32]? = nil,
                        tokenizer: String? = nil) -> Bool {
        if json {
            print(JSONOutput.line(encoding: SourcedResult(source: source, result: result, tokenizer: tokenizer)))
        } else {
            print(DetectionSummary.text(for: result, source: source))
            if highlight, let statuses = result.attribution {
                print(DetectionSummary.highlighted(statuses: statuses, pieces: pieces, ids: ids,
                                                   colour: (currentEnvironment()["NO_COLOR"] ?? "").isEmpty))
            }
        }
        return result.verdict == .watermarked
    }
}

/// A result with the document it came from (and the tokenizer that read it, for text),
/// flattened into one JSON object.
struct SourcedResult: Encodable {
    let source: String
    let result: DetectionResult
    let tokenizer: String?

    private enum Keys: String, CodingKey { case source, tokenizer }

    func encode(to encoder: any Encoder) throws {
        try result.encode(to: encoder)
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(source, forKey: .source)
        try container.encodeIfPresent(tokenizer, forKey: .tokenizer)
    }
}

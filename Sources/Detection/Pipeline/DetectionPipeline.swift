import Foundation
import Tokenizer
import Watermark

/// The whole detection path in one object: text → normalised → tokens → scored under every
/// key → an exact p-value → a verdict, nominal or calibrated.
///
/// Every front end (the `watermark` CLI, the C ABI, the service) detects through this type,
/// so they give the same answer to the bit. It owns the tokenizer and its normalisation, the
/// keys, the scheme parameters, and the optional common-tuple list and calibration file, and
/// checks when it is made that they belong together: a calibration file made for another
/// key, tokenizer or setting is refused, never silently applied.
///
/// ```swift
/// let pipeline = try DetectionPipeline(keys: [key], tokenizer: DetectionTokenizer(tokenizer))
/// let result = try pipeline.detect(text: essay)
/// ```
///
/// Not thread-safe: it keeps per-key cryptographic contexts and a cache of recent contexts.
/// Make one per thread; the `DetectionTokenizer` and `CommonTuples` inside can be shared.
public final class DetectionPipeline {
    public let parameters: SchemeParameters
    /// The options in force, with the calibrated threshold filled in when a file was given.
    public let options: DetectionOptions
    /// Turns text into ids; nil for a pipeline that only scores ids.
    public let tokenizer: DetectionTokenizer?
    /// The calibration file's threshold for `options.falsePositiveRate`, when one was given.
    public let calibrationThreshold: CalibrationFile.Threshold?
    /// What a front end should tell its user (detection goes on regardless).
    public let warnings: [DetectionWarning]
    private let detector: Detector
    /// What this pipeline was made from, for ``replica()``.
    private let keys: [WatermarkKey]
    private let requestedOptions: DetectionOptions
    private let calibration: CalibrationFile?
    private let tupleCache: TupleVerdictCache?
    /// This pipeline's encoder: its piece cache serves every text the pipeline tokenizes.
    private var encoder: DetectionTokenizer.Encoder?

    /// - Parameters:
    ///   - keys: one or more keys; the result names the best by keyID and corrects the
    ///     p-value for how many were tried.
    ///   - tokenizer: needed for text, and to check a common-tuple list or calibration file
    ///     against (ids carry no tokenizer of their own: they are taken to come from it).
    ///   - calibration: a file from ``Calibrator`` for exactly this key, tokenizer and options;
    ///     its threshold for `options.falsePositiveRate` decides the verdict.
    ///   - tupleCache: green/red verdicts shared with the other pipelines (threads) of a run
    ///     using the same keys (see ``TupleVerdictCache``); nil scores every tuple.
    public init(keys: [WatermarkKey], parameters: SchemeParameters = .defaults,
                options: DetectionOptions = DetectionOptions(), tokenizer: DetectionTokenizer?,
                calibration: CalibrationFile? = nil, tupleCache: TupleVerdictCache? = nil) throws(DetectionError) {
        guard !keys.isEmpty else { throw .noKeys }
        self.keys = keys
        requestedOptions = options
        self.calibration = calibration
        self.tupleCache = tupleCache
        var options = try options.validated()
        var warnings: [DetectionWarning] = []
        if let list = options.commonTuples {
            guard let tokenizer else { throw .noTokenizer }
            if let warning = try list.check(tokenizer: tokenizer, contextWidth: parameters.contextWidth) {
                warnings.append(warning)
            }
        }
        var threshold: CalibrationFile.Threshold? = nil
        if let calibration {
            guard keys.count == 1 else { throw .calibration(.needsOneKey(given: keys.count)) }
            guard let tokenizer else { throw .noTokenizer }
            let mine = CalibrationFile.Parameters(scheme: parameters, options: options, normalization: tokenizer.normalization)
            if let mismatch = calibration.mismatch(keyID: keys[0].keyID, tokenizerFingerprint: tokenizer.fingerprint, parameters: mine) {
                throw .calibration(.mismatch(mismatch))
            }
            guard let found = calibration.threshold(for: options.falsePositiveRate) else {
                throw .calibration(.noThreshold(rate: options.falsePositiveRate, available: calibration.thresholds.map(\.targetFPR)))
            }
            if !found.fprDemonstrated {
                warnings.append(.calibrationRateNotShown(
                    falsePositives: found.falsePositives, negatives: calibration.negatives.documents - calibration.negatives.tooShort,
                    upperBound95: found.fprUpperBound95, rate: options.falsePositiveRate))
            }
            options.calibratedMinimumScore = found.minimumScore
            threshold = found
        }
        self.parameters = parameters
        self.options = options
        self.tokenizer = tokenizer
        encoder = tokenizer?.makeEncoder()
        self.calibrationThreshold = threshold
        self.warnings = warnings
        detector = try Detector(keys: keys, parameters: parameters, options: options, tupleCache: tupleCache)
    }

    /// What a calibration file made with this pipeline records, and what a file used with it
    /// must match.
    public var calibrationParameters: CalibrationFile.Parameters {
        CalibrationFile.Parameters(scheme: parameters, options: options, normalization: tokenizer?.normalization ?? TextNormalizer.version)
    }

    /// The ids detection scores for `text` (none for empty text).
    public func tokenize(_ text: String) throws(DetectionError) -> [UInt32] {
        guard encoder != nil else { throw .noTokenizer }
        return encoder!.ids(for: text)
    }

    /// Detects in a text. Empty or blank text is no error: like any text too short to judge,
    /// its verdict is `too-short`.
    public func detect(text: String) throws(DetectionError) -> DetectionResult {
        try detect(ids: try tokenize(text))
    }

    /// Detects in a document given as token ids (special tokens already removed).
    public func detect(ids: some Sequence<UInt32>) throws(DetectionError) -> DetectionResult {
        try detector.detect(ids)
    }

    /// A session that takes one document's ids as they arrive.
    public func makeSession() -> DetectionSession { detector.makeSession() }

    /// Detects in a text read from `stream` block by block, in memory bounded by its distinct
    /// tuples; `onIDs` sees the ids as they are scored (for showing them afterwards).
    public func detect(textStream stream: ByteStream, onIDs: ([UInt32]) -> Void = { _ in }) throws(DetectionError) -> DetectionResult {
        guard let tokenizer else { throw .noTokenizer }
        var text = tokenizer.makeStream()
        let session = makeSession()
        func score(_ ids: [UInt32]) throws(DetectionError) {
            onIDs(ids)
            try session.append(contentsOf: ids)
        }
        while true {
            let chunk: ArraySlice<UInt8>?
            do { chunk = try stream.nextChunk() } catch { throw .input(error) }
            guard let chunk else { break }
            try score(try text.feed(chunk))
        }
        try score(try text.finish())
        return session.finish()
    }

    /// Detects in token ids read from `stream` (integers separated by spaces or commas, or a
    /// JSON array), streamed in batches; `onID` sees each id.
    public func detect(idStream stream: ByteStream, onID: (UInt32) -> Void = { _ in }) throws(DetectionError) -> DetectionResult {
        let session = makeSession()
        var parser = TokenIDParser()
        var batch: [UInt32] = []
        batch.reserveCapacity(4096)
        let take: (UInt32) throws -> Void = { id in
            batch.append(id)
            onID(id)
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
            throw .input(InputError(source: stream.name, problem: failure.description))
        } catch let error as InputError {
            throw .input(error)
        } catch let error as DetectionError {
            throw error
        } catch {
            throw .input(InputError(source: stream.name, problem: "\(error)"))
        }
        return session.finish()
    }
}

extension DetectionPipeline {
    /// A new pipeline made from the same keys, parameters, options, tokenizer and calibration
    /// file, for another thread (the tokenizer and common-tuple list are shared, not copied).
    public func replica() throws(DetectionError) -> DetectionPipeline {
        try DetectionPipeline(keys: keys, parameters: parameters, options: requestedOptions, tokenizer: tokenizer, calibration: calibration,
                              tupleCache: tupleCache)
    }

    /// Scores every document under `paths` (files, folders, `.jsonl` files; see ``Documents``)
    /// for calibration, on `threads` threads (each with its own ``replica()``; the samples
    /// come back in corpus order whatever the count); empty texts are left out. A document that
    /// cannot be read goes to `onError` and is left out too (the rest are still scored);
    /// `onDocument` is called after each document scored.
    public func calibrationSamples(in paths: [String], keepStatuses: Bool, threads: Int = 1, onError: (InputError) -> Void,
                                   onDocument: () -> Void = {}) throws(DetectionError) -> [CalibrationSample] {
        var samples: [CalibrationSample] = []
        let first = PipelineHandOff(self)
        do {
            try OrderedParallel.run(threads: threads, state: { () -> Result<DetectionPipeline, DetectionError> in
                Result { () throws(DetectionError) in try first.next() }
            }, produce: { submit in
                try Documents.forEach(in: paths, onError: { error, _ in onError(error) }) { item in try submit(item) }
            }, work: { pipeline, item -> Result<CalibrationSample?, DetectionError> in
                Result { () throws(DetectionError) -> CalibrationSample? in
                    let pipeline = try pipeline.get()
                    let ids: [UInt32]
                    switch item.content {
                    case .ids(let list): ids = list
                    case .text(let text):
                        guard !text.isEmpty else { return nil }
                        ids = try pipeline.tokenize(text)
                    }
                    return CalibrationSample(result: try pipeline.detect(ids: ids), keepStatuses: keepStatuses)
                }
            }, consume: { outcome in
                guard let sample = try outcome.get() else { return }
                samples.append(sample)
                onDocument()
            })
        } catch let error as DetectionError {
            throw error
        } catch {
            throw .input(error as? InputError ?? InputError(source: paths.joined(separator: ", "), problem: "\(error)"))
        }
        return samples
    }
}

/// One pipeline for each of several threads: the first caller gets the pipeline itself (built
/// and checked once), every later one a ``DetectionPipeline/replica()`` of it, which only reads
/// it.
public final class PipelineHandOff: @unchecked Sendable {
    // `taken` is guarded by `lock`; `template`'s state that replica() reads never changes.
    private let template: DetectionPipeline
    private var taken = false
    private let lock = NSLock()

    public init(_ pipeline: DetectionPipeline) { template = pipeline }

    public func next() throws(DetectionError) -> DetectionPipeline {
        lock.lock()
        let first = !taken
        taken = true
        lock.unlock()
        return first ? template : try template.replica()
    }
}

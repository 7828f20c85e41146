import CryptoSupport
import Detection
import Foundation
import GGUF
import SystemSupport
import Tokenizer
import Watermark

/// Everything detection needs, loaded and checked once at start: the same inputs
/// `watermark detect` takes, so the service answers as the CLI does.
public struct DetectionSetup: Sendable {
    public let keys: [WatermarkKey]
    public let parameters: SchemeParameters
    public let options: DetectionOptions
    public let tokenizer: DetectionTokenizer
    public let calibration: CalibrationFile?
    /// Verdicts shared by every worker thread's pipelines.
    public let tupleCache = TupleVerdictCache()
    /// Things to tell the operator at start (a key file others can read, a calibration file
    /// whose rate is not demonstrated); detection goes on.
    public let warnings: [String]

    /// Loads the keys, tokenizer, common-tuple list and calibration file, and builds one
    /// pipeline to check they fit together. Errors name the file.
    public init(keyFiles: [String], tokenizerPath: String, normalize: Bool, parameters: SchemeParameters,
                options base: DetectionOptions, commonTuplesPath: String?, calibrationPath: String?) throws(ServerSetupError) {
        guard !keyFiles.isEmpty else { throw ServerSetupError("no key given: pass --key-file FILE (repeat it for several keys)") }
        let loaded: KeyFile.LoadedSet
        do { loaded = try KeyFile.readAll(paths: keyFiles) } catch { throw ServerSetupError(error.description) }
        let keys = loaded.keys
        var warnings = loaded.warnings
        do {
            tokenizer = DetectionTokenizer(try BPETokenizer.load(path: tokenizerPath), normalize: normalize)
        } catch let error as TokenizerError {
            throw ServerSetupError(error.description)
        } catch let error as GGUFError {
            throw ServerSetupError(error.description)  // it names the file already
        } catch {
            throw ServerSetupError("\(tokenizerPath): \(error)")
        }
        var options = base
        if let commonTuplesPath {
            do throws(DetectionError) { options.commonTuples = try CommonTuples.load(path: commonTuplesPath) } catch {
                throw ServerSetupError(error.description)
            }
        }
        if let calibrationPath {
            do throws(DetectionError) { calibration = try CalibrationFile.load(path: calibrationPath) } catch {
                if case .input(let problem) = error { throw ServerSetupError(problem.description) }
                throw ServerSetupError("\(calibrationPath): \(error.description)")
            }
        } else {
            calibration = nil
        }
        self.keys = keys
        self.parameters = parameters
        self.options = options
        let pipeline: DetectionPipeline
        do {
            pipeline = try DetectionPipeline(keys: keys, parameters: parameters, options: options, tokenizer: tokenizer,
                                             calibration: calibration)
        } catch {
            switch error {
            case .commonTuples: throw ServerSetupError("\(commonTuplesPath ?? "common tuples"): \(error.description)")
            case .calibration: throw ServerSetupError("\(calibrationPath ?? "calibration"): \(error.description)")
            default: throw ServerSetupError(error.description)
            }
        }
        for warning in pipeline.warnings {
            switch warning {
            case .commonTuplesNormalization(let list, let detection):
                warnings.append("\(commonTuplesPath ?? "common tuples"): counted on text with normalisation \(list), and this service normalises with \(detection)")
            case .calibrationRateNotShown(let falsePositives, let negatives, let bound, let rate):
                warnings.append("\(calibrationPath ?? "calibration"): \(falsePositives) false positives in \(negatives) negatives bound the rate only by \(bound) (95%), above \(rate); its threshold is still never looser than p ≤ \(rate)")
            }
        }
        self.warnings = warnings
    }

    /// A pipeline with the per-request options: one per worker thread and combination.
    func makePipeline(scan: Bool, attribution: Bool) throws -> DetectionPipeline {
        var options = options
        options.windowedScan = scan
        options.attribution = attribution
        return try DetectionPipeline(keys: keys, parameters: parameters, options: options, tokenizer: tokenizer, calibration: calibration,
                                     tupleCache: tupleCache)
    }
}

/// The service's limits on what one request may ask.
public struct ServiceLimits: Sendable {
    public var maximumBodyBytes = 4 << 20
    public var maximumDocuments = 256
    public var maximumTokensPerDocument = 100_000
    public var requestTimeout: Duration = .seconds(10)
    public var threads = Processors.available
    public var queueCapacity = 256

    public init() {}
}

/// One document's answer: its JSON object, and what the audit log and the budget need.
public struct DocumentAnswer: Sendable {
    public let json: String
    /// Tokens the document had (what is charged to the day's budget).
    public let tokens: Int
    /// The verdict's name, or `error`.
    public let verdict: String
    public let digest: String
    public let failure: APIFailure?
}

/// Detection as the service does it, apart from HTTP: documents in, one answer each, scored
/// on the worker threads through the library's `DetectionPipeline`.
public final class DetectionService: Sendable {
    public let setup: DetectionSetup
    public let limits: ServiceLimits
    public let workers: DetectionWorkers

    public init(setup: DetectionSetup, limits: ServiceLimits) {
        self.setup = setup
        self.limits = limits
        workers = DetectionWorkers(threads: limits.threads, capacity: limits.queueCapacity) { scan, attribution in
            try setup.makePipeline(scan: scan, attribution: attribution)
        }
    }

    /// Scores every document (those that failed to parse get their error entry), splitting
    /// the batch across the worker threads; answers come back in request order.
    public func answer(_ documents: [Result<DocumentRequest, APIFailure>], scope: Scope,
                       deadline: ContinuousClock.Instant) async throws(APIFailure) -> [DocumentAnswer] {
        guard !documents.isEmpty else { return [] }
        let chunks = min(documents.count, workers.threads)
        let size = (documents.count + chunks - 1) / chunks
        let slices = stride(from: 0, to: documents.count, by: size).map { Array(documents[$0..<min($0 + size, documents.count)]) }
        if slices.count == 1 { return try await run(slices[0], scope: scope, deadline: deadline) }
        // One job per slice, all queued at once so the threads share the batch.
        let tasks = slices.map { slice in
            Task { () -> Result<[DocumentAnswer], APIFailure> in
                do { return .success(try await self.run(slice, scope: scope, deadline: deadline)) } catch let error as APIFailure {
                    return .failure(error)
                } catch {
                    return .failure(APIFailure(.internalError, "detection failed"))
                }
            }
        }
        var answers: [DocumentAnswer] = []
        answers.reserveCapacity(documents.count)
        var failure: APIFailure? = nil
        for task in tasks {
            switch await task.value {
            case .success(let part): answers += part
            case .failure(let error): failure = failure ?? error
            }
        }
        if let failure { throw failure }
        return answers
    }

    private func run(_ slice: [Result<DocumentRequest, APIFailure>], scope: Scope,
                     deadline: ContinuousClock.Instant) async throws(APIFailure) -> [DocumentAnswer] {
        let setup = setup, limits = limits
        return try await workers.run(deadline: deadline) { pipelines in
            slice.map { document in Self.answer(document, scope: scope, pipelines: pipelines, setup: setup, limits: limits) }
        }
    }

    /// One document on a worker thread.
    static func answer(_ document: Result<DocumentRequest, APIFailure>, scope: Scope, pipelines: PipelineSet,
                       setup: DetectionSetup, limits: ServiceLimits) -> DocumentAnswer {
        let request: DocumentRequest
        switch document {
        case .failure(let failure): return failed(failure, id: nil, digest: "", tokens: 0)
        case .success(let r): request = r
        }
        let digest = Self.digest(of: request.input)
        if request.attribution && scope != .full {
            return failed(APIFailure(.forbidden, "\"attribution\" shows which tokens are green and needs a token with scope full"),
                          id: request.id, digest: digest, tokens: 0)
        }
        do {
            let pipeline = try pipelines.pipeline(scan: request.scan, attribution: request.attribution)
            let ids: [UInt32]
            switch request.input {
            case .ids(let list): ids = list
            case .text(let text): ids = try pipeline.tokenize(text)
            }
            guard ids.count <= limits.maximumTokensPerDocument else {
                return failed(APIFailure(.tooManyTokens, "the document has \(ids.count) tokens; at most \(limits.maximumTokensPerDocument)"),
                              id: request.id, digest: digest, tokens: 0)
            }
            let result = try pipeline.detect(ids: ids)
            let isText: Bool
            if case .text = request.input { isText = true } else { isText = false }
            let json: String
            switch scope {
            case .full:
                json = result.jsonRecord(id: request.id, tokenizer: isText ? setup.tokenizer.fingerprint : nil)
            case .verdict:
                json = JSONLine.string(encoding: VerdictAnswer(id: request.id, verdict: result.verdict, p: roundedToTwoDigits(result.pAdjusted)))
            }
            return DocumentAnswer(json: json, tokens: ids.count, verdict: result.verdict.rawValue, digest: digest, failure: nil)
        } catch let error as DetectionError {
            return failed(APIFailure(.badRequest, "the document " + error.description), id: request.id, digest: digest, tokens: 0)
        } catch {
            return failed(APIFailure(.internalError, "detection failed"), id: request.id, digest: digest, tokens: 0)
        }
    }

    private static func failed(_ failure: APIFailure, id: JSONValue?, digest: String, tokens: Int) -> DocumentAnswer {
        DocumentAnswer(json: JSONLine.string(encoding: ErrorAnswer(error: failure.message, reason: failure.reason.rawValue, id: id)),
                       tokens: tokens, verdict: "error", digest: digest, failure: failure)
    }

    /// SHA-256 of a document for the audit log: its text's UTF-8 bytes, or its ids as decimal
    /// numbers joined by commas.
    static func digest(of input: DocumentRequest.Input) -> String {
        let bytes: [UInt8]
        switch input {
        case .text(let text): bytes = Array(text.utf8)
        case .ids(let ids): bytes = Array(ids.map(String.init).joined(separator: ",").utf8)
        }
        return (try? SHA256.hash(bytes)).map { Hex.encode($0) } ?? ""
    }
}

/// A p-value to two significant digits: what scope `verdict` may see. Coarse on purpose, so
/// repeated queries on edited texts leak little about which tokens are green.
public func roundedToTwoDigits(_ p: Double) -> Double {
    guard p.isFinite, p > 0 else { return p }
    return Double(String(format: "%.1e", p)) ?? p
}

/// Scope `verdict`: the verdict and the rounded p-value the verdict rests on.
struct VerdictAnswer: Encodable {
    let id: JSONValue?
    let verdict: Verdict
    let p: Double
}

/// A document, or a whole request, that was refused.
struct ErrorAnswer: Encodable {
    let error: String
    let reason: String
    let id: JSONValue?
}

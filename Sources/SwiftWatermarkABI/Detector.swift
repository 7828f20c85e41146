import CSwiftWatermark
import Detection
import Dispatch
import Foundation
internal import SystemSupport
import Synchronization
import Tokenizer
import Watermark

// Detection: the same DetectionPipeline as `watermark detect`, one per concurrent caller.

/// A detector behind `swm_detector *`: everything a pipeline needs, loaded once and shared;
/// the pipelines themselves (not thread-safe) are pooled.
final class DetectorObject: Sendable {
    let pipelines: Pool<PipelineBox>
    let tokenizer: DetectionTokenizer?
    let fingerprint: OwnedCString?
    let warnings: OwnedCString

    init(keys: [WatermarkKey], parameters: SchemeParameters, options: DetectionOptions, tokenizer: DetectionTokenizer?,
         calibration: CalibrationFile?, describe: @escaping @Sendable (DetectionError) -> ABIFailure) throws(ABIFailure) {
        let cache = TupleVerdictCache()  // shared by the pooled pipelines, so by the caller's threads
        @Sendable func make() throws(ABIFailure) -> PipelineBox {
            do {
                return PipelineBox(try DetectionPipeline(keys: keys, parameters: parameters, options: options, tokenizer: tokenizer,
                                                         calibration: calibration, tupleCache: cache))
            } catch { throw describe(error) }
        }
        let first = try make()
        self.tokenizer = tokenizer
        fingerprint = tokenizer.map { OwnedCString($0.fingerprint) }
        warnings = OwnedCString(first.pipeline.warnings.map(describeWarning).joined(separator: "\n"))
        pipelines = Pool(first: first, make: make)
    }
}

final class PipelineBox {
    let pipeline: DetectionPipeline
    init(_ pipeline: DetectionPipeline) { self.pipeline = pipeline }
}

private func describeWarning(_ warning: DetectionWarning) -> String {
    switch warning {
    case .commonTuplesNormalization(let list, let detection):
        return "common tuples: counted on text with normalisation \(list), and this detector normalises with \(detection)"
    case .calibrationRateNotShown(let falsePositives, let negatives, let bound, let rate):
        return "calibration: \(falsePositives) false positives in \(negatives) negatives bound the rate only by \(bound) (95%), above \(rate); its threshold is still never looser than p ≤ \(rate)"
    }
}

/// A document's error as one JSON line.
struct ErrorJSON: Encodable {
    let error: String
    /// A JSON Lines document's own "id", when its line was read.
    var id: JSONValue? = nil
}

/// One document of a batch, in the caller's memory.
private enum BatchInput {
    case ids(UnsafeBufferPointer<UInt32>)
    case text(UnsafeBufferPointer<UInt8>)
    /// A JSON Lines line, read as `watermark detect --jsonl` reads it.
    case line(UnsafeBufferPointer<UInt8>)
}

private func fill(_ out: UnsafeMutablePointer<swm_result>, _ r: DetectionResult) {
    var c = swm_result()
    c.struct_size = UInt32(MemoryLayout<swm_result>.size)
    switch r.verdict {
    case .watermarked: c.verdict = SWM_VERDICT_WATERMARKED
    case .notWatermarked: c.verdict = SWM_VERDICT_NOT_WATERMARKED
    case .tooShort: c.verdict = SWM_VERDICT_TOO_SHORT
    }
    withUnsafeMutableBytes(of: &c.key_id) { raw in
        raw.initializeMemory(as: UInt8.self, repeating: 0)
        let id = Array(r.keyID.utf8.prefix(raw.count - 1))
        raw.copyBytes(from: id)
    }
    c.tokens = UInt64(r.tokens)
    c.scored = UInt64(r.scored)
    c.green = UInt64(r.green)
    c.z = r.z
    c.p = r.p
    c.log10p = r.log10p
    c.p_adjusted = r.pAdjusted
    c.log10p_adjusted = r.log10pAdjusted
    c.false_positive_rate = r.falsePositiveRate
    c.minimum_score = r.minimumScore
    c.keys_tried = UInt32(r.keysTried)
    c.calibrated = r.calibrated ? 1 : 0
    // A caller compiled against an older, shorter struct gets only what it has room for.
    let size = min(Int(out.pointee.struct_size == 0 ? UInt32(MemoryLayout<swm_result>.size) : out.pointee.struct_size),
                   MemoryLayout<swm_result>.size)
    withUnsafeBytes(of: &c) { source in
        UnsafeMutableRawPointer(out).copyMemory(from: source.baseAddress!, byteCount: size)
    }
}

func detectionFailure(_ error: DetectionError) -> ABIFailure {
    switch error {
    case .invalidUTF8, .truncatedUTF8, .noTokenizer: return ABIFailure(SWM_ERR_INPUT, error.description)
    case .input: return ABIFailure(SWM_ERR_FILE, error.description)
    case .noKeys: return ABIFailure(SWM_ERR_ARGUMENT, error.description)
    case .minimumScoredTooSmall, .falsePositiveRateOutOfRange: return ABIFailure(SWM_ERR_PARAMETERS, error.description)
    case .watermark(let inner): return watermarkFailure(inner)
    case .commonTuples, .calibration: return ABIFailure(SWM_ERR_FILE, error.description)
    }
}

/// UTF-8 bytes as a String, refusing what is not UTF-8 (with the byte offset).
private func text(_ bytes: UnsafeBufferPointer<UInt8>) throws(ABIFailure) -> String {
    var validator = UTF8Validator()
    guard validator.feed(bytes) else { throw detectionFailure(.invalidUTF8(byteOffset: validator.offset)) }
    guard validator.isComplete else { throw detectionFailure(.truncatedUTF8) }
    return String(decoding: bytes, as: UTF8.self)
}

extension DetectorObject {
    /// One document, ids or text, through a pooled pipeline.
    func detect(ids: UnsafeBufferPointer<UInt32>?, text bytes: UnsafeBufferPointer<UInt8>?) throws(ABIFailure) -> (DetectionResult, String?) {
        if let ids { return try onPipeline { (try $0.detect(ids: ids), nil) } }
        guard let tokenizer else { throw detectionFailure(.noTokenizer) }
        let string = try text(bytes ?? UnsafeBufferPointer(start: nil, count: 0))
        return try onPipeline { (try $0.detect(text: string), tokenizer.fingerprint) }
    }

    /// A JSON Lines line as `watermark detect --jsonl` reads it: the line's "id" (also of a
    /// line that is an object but not a document), and its document's result with the
    /// tokenizer's fingerprint for text, or why it failed. The id comes back either way, so
    /// that an error entry carries it.
    func detect(line bytes: UnsafeBufferPointer<UInt8>) -> (id: JSONValue?, outcome: Result<(DetectionResult, String?), ABIFailure>) {
        let parsed: (document: JSONLinesDocument, id: JSONValue?)
        let line = Array(bytes)
        do { parsed = try JSONLinesDocument.parseWithID(line) } catch {
            return (JSONLinesDocument.id(ofRefusedLine: line), .failure(ABIFailure(SWM_ERR_INPUT, error.problem)))
        }
        let outcome = Result { () throws(ABIFailure) -> (DetectionResult, String?) in
            switch parsed.document {
            case .ids(let list):
                // As the CLI: an empty list is a mistake in the input, not an empty text.
                guard !list.isEmpty else { throw ABIFailure(SWM_ERR_INPUT, "\"ids\" is empty") }
                return try onPipeline { (try $0.detect(ids: list), nil) }
            case .text(let string):
                // Already a String the parser checked: no second UTF-8 pass.
                guard let tokenizer else { throw detectionFailure(.noTokenizer) }
                return try onPipeline { (try $0.detect(text: string), tokenizer.fingerprint) }
            }
        }
        return (parsed.id, outcome)
    }

    /// `body` on a pooled pipeline, with detection's errors as the ABI's.
    private func onPipeline<R>(_ body: (DetectionPipeline) throws -> R) throws(ABIFailure) -> R {
        try pipelines.with { (box) throws(ABIFailure) -> R in
            do {
                return try body(box.pipeline)
            } catch let error as DetectionError {
                throw detectionFailure(error)
            } catch let error as ABIFailure {
                throw error
            } catch {
                throw ABIFailure(SWM_ERR_INTERNAL, "\(error)")
            }
        }
    }
}

@_cdecl("swm_detector_options_init")
public func swm_detector_options_init(_ options: UnsafeMutablePointer<swm_detector_options>?) {
    guard let options else { return }
    let d = DetectionOptions()
    options.pointee = swm_detector_options(
        struct_size: UInt32(MemoryLayout<swm_detector_options>.size), false_positive_rate: d.falsePositiveRate,
        minimum_scored: UInt32(d.minimumScored), deduplicate: d.deduplicate ? 1 : 0, normalize: 1,
        windowed_scan: d.windowedScan ? 1 : 0, attribution: d.attribution ? 1 : 0,
        tokenizer_path: nil, common_tuples_path: nil, calibration_path: nil)
}

@_cdecl("swm_detector_new")
public func swm_detector_new(_ keys: UnsafePointer<OpaquePointer?>?, _ keyCount: Int, _ params: UnsafePointer<swm_params>?,
                             _ options: UnsafePointer<swm_detector_options>?, _ out: UnsafeMutablePointer<OpaquePointer?>?) -> swm_status {
    guarded { () throws(ABIFailure) in
        let out = try required(out, "out")
        out.pointee = nil
        let n = try count(keyCount, "key_count")
        guard n > 0 else { throw argument("key_count is 0; a detector needs at least one key") }
        guard n <= 4096 else { throw argument("key_count is \(n); at most 4096 keys") }
        let handles = try buffer(keys, n, "keys")
        var list: [WatermarkKey] = []
        for (i, handle) in handles.enumerated() {
            list.append(try Handle.get(handle, as: KeyObject.self, "keys[\(i)]").key)
        }
        let parameters = try schemeParameters(try required(params, "params"))
        var c = swm_detector_options()
        swm_detector_options_init(&c)
        if let options {
            guard options.pointee.struct_size == UInt32(MemoryLayout<swm_detector_options>.size) else {
                throw argument("options->struct_size is \(options.pointee.struct_size), expected \(MemoryLayout<swm_detector_options>.size) (call swm_detector_options_init)")
            }
            c = options.pointee
        }
        var settings = DetectionOptions()
        settings.falsePositiveRate = c.false_positive_rate
        settings.minimumScored = Int(c.minimum_scored)
        settings.deduplicate = c.deduplicate != 0
        settings.windowedScan = c.windowed_scan != 0
        settings.attribution = c.attribution != 0
        func path(_ p: UnsafePointer<CChar>?) -> String? { p.map { String(cString: $0) } }
        let tokenizerPath = path(c.tokenizer_path), commonPath = path(c.common_tuples_path), calibrationPath = path(c.calibration_path)
        var tokenizer: DetectionTokenizer? = nil
        if let tokenizerPath {
            do {
                tokenizer = DetectionTokenizer(try BPETokenizer.load(path: tokenizerPath), normalize: c.normalize != 0)
            } catch let error as TokenizerError {
                throw ABIFailure(SWM_ERR_FILE, error.description)
            } catch let error as CustomStringConvertible {
                throw ABIFailure(SWM_ERR_FILE, error.description)  // GGUF errors name their file
            } catch {
                throw ABIFailure(SWM_ERR_FILE, "\(tokenizerPath): \(error)")
            }
        }
        if let commonPath {
            do throws(DetectionError) { settings.commonTuples = try CommonTuples.load(path: commonPath) } catch { throw ABIFailure(SWM_ERR_FILE, error.description) }
        }
        var calibration: CalibrationFile? = nil
        if let calibrationPath {
            do throws(DetectionError) { calibration = try CalibrationFile.load(path: calibrationPath) } catch {
                if case .input(let problem) = error { throw ABIFailure(SWM_ERR_FILE, problem.description) }
                throw ABIFailure(SWM_ERR_FILE, "\(calibrationPath): \(error.description)")
            }
        }
        let object = try DetectorObject(keys: list, parameters: parameters, options: settings, tokenizer: tokenizer,
                                        calibration: calibration) { error in
            let failure = detectionFailure(error)
            switch error {
            case .commonTuples: return ABIFailure(failure.status, "\(commonPath ?? "common tuples"): \(failure.message)")
            case .calibration: return ABIFailure(failure.status, "\(calibrationPath ?? "calibration"): \(failure.message)")
            default: return failure
            }
        }
        out.pointee = Handle.make(object)
    }
}

@_cdecl("swm_detector_free")
public func swm_detector_free(_ detector: OpaquePointer?) { Handle.release(detector) }

@_cdecl("swm_detector_tokenizer_fingerprint")
public func swm_detector_tokenizer_fingerprint(_ detector: OpaquePointer?) -> UnsafePointer<CChar>? {
    guard let object = try? Handle.get(detector, as: DetectorObject.self, "detector") else { return nil }
    return object.fingerprint.map { UnsafePointer($0.pointer) }
}

@_cdecl("swm_detector_warnings")
public func swm_detector_warnings(_ detector: OpaquePointer?) -> UnsafePointer<CChar>? {
    guard let object = try? Handle.get(detector, as: DetectorObject.self, "detector") else { return nil }
    return UnsafePointer(object.warnings.pointer)
}

@_cdecl("swm_detector_tokenize")
public func swm_detector_tokenize(_ detector: OpaquePointer?, _ textPointer: UnsafePointer<CChar>?, _ length: Int,
                                  _ ids: UnsafeMutablePointer<UInt32>?, _ capacity: Int, _ countOut: UnsafeMutablePointer<Int>?) -> swm_status {
    guarded { () throws(ABIFailure) in
        let object = try Handle.get(detector, as: DetectorObject.self, "detector")
        let countOut = try required(countOut, "count")
        countOut.pointee = 0
        guard let tokenizer = object.tokenizer else { throw detectionFailure(.noTokenizer) }
        let bytes = try buffer(UnsafeRawPointer(textPointer)?.assumingMemoryBound(to: UInt8.self), try count(length, "length"), "text")
        let out = try mutableBuffer(ids, try count(capacity, "capacity"), "ids")
        let list = tokenizer.ids(for: try text(bytes))
        for (i, id) in list.prefix(out.count).enumerated() { out[i] = id }
        countOut.pointee = list.count
    }
}

private func detectOne(_ detector: OpaquePointer?, ids: UnsafeBufferPointer<UInt32>?, text: UnsafeBufferPointer<UInt8>?,
                       _ result: UnsafeMutablePointer<swm_result>?, _ json: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> swm_status {
    json?.pointee = nil
    return guarded { () throws(ABIFailure) in
        let object = try Handle.get(detector, as: DetectorObject.self, "detector")
        let (r, fingerprint) = try object.detect(ids: ids, text: text)
        if let result { fill(result, r) }
        if let json { json.pointee = cString(r.jsonRecord(tokenizer: fingerprint)) }
    }
}

@_cdecl("swm_detect_ids")
public func swm_detect_ids(_ detector: OpaquePointer?, _ ids: UnsafePointer<UInt32>?, _ count: Int,
                           _ result: UnsafeMutablePointer<swm_result>?, _ json: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> swm_status {
    let list: UnsafeBufferPointer<UInt32>
    do { list = try buffer(ids, try SwiftWatermarkABI.count(count, "count"), "ids") } catch {
        LastError.set(error)
        return error.status
    }
    return detectOne(detector, ids: list, text: nil, result, json)
}

@_cdecl("swm_detect_text")
public func swm_detect_text(_ detector: OpaquePointer?, _ textPointer: UnsafePointer<CChar>?, _ length: Int,
                            _ result: UnsafeMutablePointer<swm_result>?, _ json: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> swm_status {
    let bytes: UnsafeBufferPointer<UInt8>
    do {
        bytes = try buffer(UnsafeRawPointer(textPointer)?.assumingMemoryBound(to: UInt8.self), try count(length, "length"), "text")
    } catch {
        LastError.set(error)
        return error.status
    }
    return detectOne(detector, ids: nil, text: bytes, result, json)
}

/// The next document of a batch, handed out once each.
private final class Counter: Sendable {
    private let value = Atomic<Int>(0)
    func take() -> Int { value.wrappingAdd(1, ordering: .relaxed).oldValue }
}

/// A sendable view of caller memory that the batch's threads write at distinct indices.
private struct Shared<T>: @unchecked Sendable {
    let base: UnsafeMutablePointer<T>?
}

private func detectBatch(_ detector: OpaquePointer?, count documents: Int, offsets: UnsafePointer<UInt64>?, total: Int?,
                         threads: Int, results: UnsafeMutablePointer<swm_result>?, statuses: UnsafeMutablePointer<swm_status>?,
                         jsonl: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?,
                         document: @escaping @Sendable (Int, Int) -> BatchInput) -> swm_status {
    jsonl?.pointee = nil
    return guarded { () throws(ABIFailure) in
        let object = try Handle.get(detector, as: DetectorObject.self, "detector")
        let n = try count(documents, "count")
        guard n > 0 else {
            if let jsonl { jsonl.pointee = cString("") }
            return
        }
        let bounds = try buffer(offsets, n + 1, "offsets")
        guard let total else { throw argument("ids or text is NULL") }
        for d in 0..<n {
            guard bounds[d] <= bounds[d + 1], bounds[d + 1] <= UInt64(total) else {
                throw argument("offsets[\(d)..\(d + 1)] = \(bounds[d])..\(bounds[d + 1]) is not an ordered range within \(total)")
            }
        }
        let workers = max(1, min(threads == 0 ? Processors.available : threads, n, 256))
        let lines = UnsafeMutableBufferPointer<String>.allocate(capacity: n)
        lines.initialize(repeating: "")
        defer { lines.deinitialize().deallocate() }
        let next = Counter()
        let shared = (results: Shared(base: results), statuses: Shared(base: statuses), lines: Shared(base: lines.baseAddress))
        let bounded = Shared(base: UnsafeMutablePointer(mutating: bounds.baseAddress))
        // Each thread takes the next document until none is left; results go to its own slot.
        do {
            let work = { @Sendable (_: Int) in
                while true {
                    let d = next.take()
                    if d >= n { return }
                    let start = Int(bounded.base![d]), end = Int(bounded.base![d + 1])
                    var id: JSONValue? = nil
                    do {
                        let r: DetectionResult, fingerprint: String?
                        switch document(start, end) {
                        case .ids(let ids): (r, fingerprint) = try object.detect(ids: ids, text: nil)
                        case .text(let text): (r, fingerprint) = try object.detect(ids: nil, text: text)
                        case .line(let line):
                            let read = object.detect(line: line)
                            id = read.id
                            (r, fingerprint) = try read.outcome.get()
                        }
                        if let base = shared.results.base { fill(base + d, r) }
                        shared.statuses.base?[d] = SWM_OK
                        shared.lines.base![d] = r.jsonRecord(id: id, tokenizer: fingerprint)
                    } catch let failure as ABIFailure {
                        shared.statuses.base?[d] = failure.status
                        shared.lines.base![d] = JSONLine.string(encoding: ErrorJSON(error: failure.message, id: id))
                    } catch {
                        shared.statuses.base?[d] = SWM_ERR_INTERNAL
                        shared.lines.base![d] = JSONLine.string(encoding: ErrorJSON(error: "\(error)", id: id))
                    }
                }
            }
            if workers == 1 { work(0) } else { DispatchQueue.concurrentPerform(iterations: workers, execute: work) }
        }
        if let jsonl {
            var joined = ""
            joined.reserveCapacity(lines.reduce(0) { $0 + $1.utf8.count + 1 })
            for line in lines { joined += line; joined += "\n" }
            jsonl.pointee = cString(joined)
        }
    }
}

/// The length of a batch's data, `offsets[count]`; nil when it cannot be trusted (no offsets,
/// a negative count, or data that is NULL but said to be non-empty).
private func batchLength<T>(_ offsets: UnsafePointer<UInt64>?, count: Int, data: UnsafePointer<T>?) -> Int? {
    guard let offsets, count >= 0, count <= Int.max / 16 else { return nil }
    if data == nil && offsets[count] > 0 { return nil }
    return Int(clamping: offsets[count])
}

@_cdecl("swm_detect_ids_batch")
public func swm_detect_ids_batch(_ detector: OpaquePointer?, _ ids: UnsafePointer<UInt32>?, _ offsets: UnsafePointer<UInt64>?,
                                 _ count: Int, _ threads: Int, _ results: UnsafeMutablePointer<swm_result>?,
                                 _ statuses: UnsafeMutablePointer<swm_status>?, _ jsonl: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> swm_status {
    let base = Shared(base: UnsafeMutablePointer(mutating: ids))
    let total = batchLength(offsets, count: count, data: ids)
    return detectBatch(detector, count: count, offsets: offsets, total: total, threads: threads, results: results, statuses: statuses,
                       jsonl: jsonl) { start, end in
        .ids(UnsafeBufferPointer(start: base.base.map { $0 + start }, count: end - start))
    }
}

/// A batch whose documents are byte ranges of one buffer: texts, or JSON Lines lines.
private func detectByteBatch(_ detector: OpaquePointer?, _ data: UnsafePointer<CChar>?, _ offsets: UnsafePointer<UInt64>?,
                             _ count: Int, _ threads: Int, _ results: UnsafeMutablePointer<swm_result>?,
                             _ statuses: UnsafeMutablePointer<swm_status>?, _ jsonl: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?,
                             as input: @escaping @Sendable (UnsafeBufferPointer<UInt8>) -> BatchInput) -> swm_status {
    let base = Shared(base: UnsafeMutableRawPointer(mutating: data)?.assumingMemoryBound(to: UInt8.self))
    let total = batchLength(offsets, count: count, data: data)
    return detectBatch(detector, count: count, offsets: offsets, total: total, threads: threads, results: results, statuses: statuses,
                       jsonl: jsonl) { start, end in
        input(UnsafeBufferPointer(start: base.base.map { $0 + start }, count: end - start))
    }
}

@_cdecl("swm_detect_text_batch")
public func swm_detect_text_batch(_ detector: OpaquePointer?, _ text: UnsafePointer<CChar>?, _ offsets: UnsafePointer<UInt64>?,
                                  _ count: Int, _ threads: Int, _ results: UnsafeMutablePointer<swm_result>?,
                                  _ statuses: UnsafeMutablePointer<swm_status>?, _ jsonl: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> swm_status {
    detectByteBatch(detector, text, offsets, count, threads, results, statuses, jsonl, as: BatchInput.text)
}

@_cdecl("swm_detect_jsonl_batch")
public func swm_detect_jsonl_batch(_ detector: OpaquePointer?, _ lines: UnsafePointer<CChar>?, _ offsets: UnsafePointer<UInt64>?,
                                   _ count: Int, _ threads: Int, _ results: UnsafeMutablePointer<swm_result>?,
                                   _ statuses: UnsafeMutablePointer<swm_status>?, _ jsonl: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> swm_status {
    detectByteBatch(detector, lines, offsets, count, threads, results, statuses, jsonl, as: BatchInput.line)
}


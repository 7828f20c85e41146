import CSwiftWatermark
import Watermark

// The partition and the bias, for engines that sample themselves.

/// One thread's cryptographic state for a processor: the logits processor (and its
/// partition), a prepared context for single-token tests, and scratch for scores.
final class ProcessorWorker {
    let processor: WatermarkLogitsProcessor
    let prepared: PreparedContext
    let block: UnsafeMutableRawBufferPointer
    let scratch: UnsafeMutableRawBufferPointer
    static let chunkTokens = 2048

    init(key: WatermarkKey, parameters: SchemeParameters) throws(ABIFailure) {
        do throws(WatermarkError) {
            let processor = try WatermarkLogitsProcessor(key: key, parameters: parameters)
            let zeros = [UInt32](repeating: 0, count: parameters.contextWidth)
            prepared = try zeros.withUnsafeBufferPointer { (c) throws(WatermarkError) in try processor.partition.prepareContext(afterContext: c) }
            self.processor = processor
        } catch {
            throw ABIFailure(SWM_ERR_INTERNAL, error.description)
        }
        block = .allocate(byteCount: 16, alignment: 16)
        block.initializeMemory(as: UInt8.self, repeating: 0)
        scratch = .allocate(byteCount: 2 * Self.chunkTokens, alignment: 64)
        scratch.initializeMemory(as: UInt8.self, repeating: 0)
    }

    deinit {
        block.deallocate()
        scratch.deallocate()
    }

    var partition: GreenListPartition { processor.partition }
}

/// A processor behind `swm_processor *`.
final class ProcessorObject: Sendable {
    let parameters: SchemeParameters
    let workers: Pool<ProcessorWorker>

    init(key: WatermarkKey, parameters: SchemeParameters) throws(ABIFailure) {
        self.parameters = parameters
        let first = try ProcessorWorker(key: key, parameters: parameters)
        workers = Pool(first: first) { () throws(ABIFailure) in try ProcessorWorker(key: key, parameters: parameters) }
    }

    /// The context argument, which must be exactly h tokens.
    func context(_ pointer: UnsafePointer<UInt32>?, _ length: Int) throws(ABIFailure) -> UnsafeBufferPointer<UInt32> {
        let h = parameters.contextWidth
        guard length == h else { throw argument("context_length is \(length); this processor's context width is \(h)") }
        return try buffer(pointer, length, "context")
    }
}

func watermarkFailure(_ error: WatermarkError) -> ABIFailure {
    switch error {
    case .invalidTemperature, .invalidGamma, .invalidDelta, .invalidContextWidth: return ABIFailure(SWM_ERR_PARAMETERS, error.description)
    case .contextLength: return ABIFailure(SWM_ERR_ARGUMENT, error.description)
    default: return ABIFailure(SWM_ERR_INTERNAL, error.description)
    }
}

@_cdecl("swm_processor_new")
public func swm_processor_new(_ key: OpaquePointer?, _ params: UnsafePointer<swm_params>?,
                              _ out: UnsafeMutablePointer<OpaquePointer?>?) -> swm_status {
    guarded { () throws(ABIFailure) in
        let out = try required(out, "out")
        out.pointee = nil
        let key = try Handle.get(key, as: KeyObject.self, "key")
        let parameters = try schemeParameters(try required(params, "params"))
        out.pointee = Handle.make(try ProcessorObject(key: key.key, parameters: parameters))
    }
}

@_cdecl("swm_processor_free")
public func swm_processor_free(_ processor: OpaquePointer?) { Handle.release(processor) }

@_cdecl("swm_partition_scores")
public func swm_partition_scores(_ processor: OpaquePointer?, _ context: UnsafePointer<UInt32>?, _ contextLength: Int,
                                 _ scores: UnsafeMutablePointer<UInt16>?, _ count: Int) -> swm_status {
    guarded { () throws(ABIFailure) in
        let object = try Handle.get(processor, as: ProcessorObject.self, "processor")
        let c = try object.context(context, contextLength)
        let out = try mutableBuffer(scores, try SwiftWatermarkABI.count(count, "count"), "scores")
        try object.workers.with { (worker) throws(ABIFailure) in
            do throws(WatermarkError) {
                try worker.partition.fillScores(after: c, into: UnsafeMutableRawBufferPointer(out))
            } catch { throw watermarkFailure(error) }
            #if _endian(big)
            for i in out.indices { out[i] = UInt16(littleEndian: out[i]) }
            #endif
        }
    }
}

/// Streams the green flags of tokens `0..<count` to `body(token, isGreen)` in pieces.
private func forEachGreen(_ object: ProcessorObject, context: UnsafeBufferPointer<UInt32>, count: Int,
                          _ body: (Int, UnsafeRawBufferPointer, UInt32) -> Void) throws(ABIFailure) {
    try object.workers.with { (worker) throws(ABIFailure) in
        do throws(WatermarkError) {
            try worker.partition.forEachScoreChunk(after: context, count: count, chunkTokens: ProcessorWorker.chunkTokens,
                                                   scratch: worker.scratch) { first, scores in
                body(first, scores, object.parameters.greenThreshold)
            }
        } catch { throw watermarkFailure(error) }
    }
}

@inline(__always)
private func score(_ scores: UnsafeRawBufferPointer, _ i: Int) -> UInt32 {
    UInt32(scores[2 * i]) | UInt32(scores[2 * i + 1]) << 8
}

@_cdecl("swm_partition_green_bytes")
public func swm_partition_green_bytes(_ processor: OpaquePointer?, _ context: UnsafePointer<UInt32>?, _ contextLength: Int,
                                      _ green: UnsafeMutablePointer<UInt8>?, _ count: Int) -> swm_status {
    guarded { () throws(ABIFailure) in
        let object = try Handle.get(processor, as: ProcessorObject.self, "processor")
        let c = try object.context(context, contextLength)
        let out = try mutableBuffer(green, try SwiftWatermarkABI.count(count, "count"), "green")
        guard count > 0 else { return }
        try forEachGreen(object, context: c, count: count) { first, scores, g in
            for i in 0..<(scores.count / 2) { out[first + i] = score(scores, i) < g ? 1 : 0 }
        }
    }
}

@_cdecl("swm_partition_green_bits")
public func swm_partition_green_bits(_ processor: OpaquePointer?, _ context: UnsafePointer<UInt32>?, _ contextLength: Int,
                                     _ bits: UnsafeMutablePointer<UInt8>?, _ bytes: Int, _ count: Int) -> swm_status {
    guarded { () throws(ABIFailure) in
        let object = try Handle.get(processor, as: ProcessorObject.self, "processor")
        let c = try object.context(context, contextLength)
        let n = try SwiftWatermarkABI.count(count, "count")
        let needed = (n + 7) / 8
        guard bytes >= needed else { throw argument("bytes is \(bytes); \(n) tokens need \(needed)") }
        let out = try mutableBuffer(bits, needed, "bits")
        guard n > 0 else { return }
        out.initialize(repeating: 0)
        try forEachGreen(object, context: c, count: n) { first, scores, g in
            for i in 0..<(scores.count / 2) where score(scores, i) < g {
                let v = first + i
                out[v >> 3] |= UInt8(1) << UInt8(v & 7)
            }
        }
    }
}

@_cdecl("swm_classify")
public func swm_classify(_ processor: OpaquePointer?, _ context: UnsafePointer<UInt32>?, _ contextLength: Int,
                         _ candidates: UnsafePointer<UInt32>?, _ count: Int, _ green: UnsafeMutablePointer<UInt8>?) -> swm_status {
    guarded { () throws(ABIFailure) in
        let object = try Handle.get(processor, as: ProcessorObject.self, "processor")
        let c = try object.context(context, contextLength)
        let n = try SwiftWatermarkABI.count(count, "count")
        let ids = try buffer(candidates, n, "candidates")
        let out = try mutableBuffer(green, n, "green")
        guard n > 0 else { return }
        let g = object.parameters.greenThreshold
        try object.workers.with { (worker) throws(ABIFailure) in
            do throws(WatermarkError) {
                try worker.partition.rekey(worker.prepared, afterContext: c)
                var current = UInt32.max
                for i in 0..<n {
                    let b = ids[i] >> 3
                    if b != current {
                        try worker.partition.encryptBlock(Int(b), prepared: worker.prepared, into: worker.block)
                        current = b
                    }
                    let offset = Int(ids[i] & 7) * 2
                    let u = UInt32(worker.block[offset]) | UInt32(worker.block[offset + 1]) << 8
                    out[i] = u < g ? 1 : 0
                }
            } catch { throw watermarkFailure(error) }
        }
    }
}

/// Biases one row whose context is `context` (exactly h tokens).
@inline(__always)
private func bias(_ row: UnsafeMutableBufferPointer<Float>, context: UnsafeBufferPointer<UInt32>, worker: ProcessorWorker,
                  mode: swm_bias_mode, temperature: Double) throws(ABIFailure) {
    do throws(WatermarkError) {
        if mode == SWM_BIAS_CANDIDATES {
            try worker.processor.processCandidates(row, context: context, temperature: temperature)
        } else {
            try worker.processor.process(row, history: context)
        }
    } catch { throw watermarkFailure(error) }
}

private func checkMode(_ mode: swm_bias_mode, _ temperature: Double) throws(ABIFailure) {
    guard mode == SWM_BIAS_FULL || mode == SWM_BIAS_CANDIDATES else { throw argument("mode \(mode.rawValue) is not a swm_bias_mode") }
    if mode == SWM_BIAS_CANDIDATES, !(temperature.isFinite && temperature >= 0) {
        throw ABIFailure(SWM_ERR_PARAMETERS, WatermarkError.invalidTemperature(temperature).description)
    }
}

@_cdecl("swm_bias_row")
public func swm_bias_row(_ processor: OpaquePointer?, _ history: UnsafePointer<UInt32>?, _ historyLength: Int,
                         _ logits: UnsafeMutablePointer<Float>?, _ length: Int, _ mode: swm_bias_mode, _ temperature: Double,
                         _ applied: UnsafeMutablePointer<Int32>?) -> swm_status {
    guarded { () throws(ABIFailure) in
        applied?.pointee = 0
        let object = try Handle.get(processor, as: ProcessorObject.self, "processor")
        try checkMode(mode, temperature)
        let past = try buffer(history, try SwiftWatermarkABI.count(historyLength, "history_length"), "history")
        let row = try mutableBuffer(logits, try SwiftWatermarkABI.count(length, "length"), "logits")
        let h = object.parameters.contextWidth
        guard past.count >= h, row.count > 0 else { return }
        let context = UnsafeBufferPointer(rebasing: past[(past.count - h)...])
        try object.workers.with { (worker) throws(ABIFailure) in
            try bias(row, context: context, worker: worker, mode: mode, temperature: temperature)
        }
        applied?.pointee = 1
    }
}

@_cdecl("swm_bias_rows")
public func swm_bias_rows(_ processor: OpaquePointer?, _ logits: UnsafeMutablePointer<Float>?, _ rows: Int, _ rowStride: Int,
                          _ rowLength: Int, _ contexts: UnsafePointer<UInt32>?, _ contextsLength: Int,
                          _ active: UnsafePointer<UInt8>?, _ mode: swm_bias_mode, _ temperature: Double) -> swm_status {
    guarded { () throws(ABIFailure) in
        let object = try Handle.get(processor, as: ProcessorObject.self, "processor")
        try checkMode(mode, temperature)
        let rows = try SwiftWatermarkABI.count(rows, "rows"), stride = try SwiftWatermarkABI.count(rowStride, "row_stride")
        let length = try SwiftWatermarkABI.count(rowLength, "row_length")
        let h = object.parameters.contextWidth
        guard rows > 0, length > 0 else { return }
        guard stride >= length else { throw argument("row_stride (\(stride)) is less than row_length (\(length))") }
        let (span, overflow) = (rows - 1).multipliedReportingOverflow(by: stride)
        guard !overflow, span <= Int.max / 8 - length else { throw argument("rows × row_stride does not fit in memory") }
        guard contextsLength == rows * h else {
            throw argument("contexts_length is \(contextsLength); \(rows) rows of context width \(h) need \(rows * h)")
        }
        let all = try mutableBuffer(logits, span + length, "logits")
        let ctx = try buffer(contexts, contextsLength, "contexts")
        let mask = active.map { UnsafeBufferPointer(start: $0, count: rows) }
        try object.workers.with { (worker) throws(ABIFailure) in
            for r in 0..<rows where mask?[r] ?? 1 != 0 {
                let row = UnsafeMutableBufferPointer(rebasing: all[(r * stride)..<(r * stride + length)])
                let context = UnsafeBufferPointer(rebasing: ctx[(r * h)..<(r * h + h)])
                try bias(row, context: context, worker: worker, mode: mode, temperature: temperature)
            }
        }
    }
}

/// Adds δ to the logits of green tokens before a token is sampled.
///
/// It knows nothing of any runtime: hand it the logits of the next position (a buffer of any
/// length; a model padded past its tokenizer's vocabulary is fine, since green-ness does not
/// depend on the vocabulary size) and the tokens so far, prompt included. Positions with fewer
/// than `h` tokens before them are left alone, as SCHEME.md requires.
///
/// One call costs one HMAC, `2·count` bytes of AES-CTR keystream and one vectorised pass over
/// the logits. The keystream buffer is kept and reused. Not thread-safe.
public final class WatermarkLogitsProcessor {
    public let partition: GreenListPartition
    private var scratch: UnsafeMutableRawBufferPointer

    public init(key: WatermarkKey, parameters: SchemeParameters) throws(WatermarkError) {
        partition = try GreenListPartition(key: key, parameters: parameters)
        scratch = .allocate(byteCount: 0, alignment: 64)
    }

    deinit { scratch.deallocate() }

    public var parameters: SchemeParameters { partition.parameters }

    /// Biases `logits` in place for the position after `history`.
    /// - Returns: false when the history is shorter than the context width and nothing changed.
    @discardableResult
    public func process(_ logits: inout [Float], history: some BidirectionalCollection<UInt32>) throws(WatermarkError) -> Bool {
        try logits.withUnsafeMutableBufferPointer { (buffer) throws(WatermarkError) -> Bool in
            try process(buffer, history: history)
        }
    }

    /// Biases a raw logits buffer in place for the position after `history`.
    @discardableResult
    public func process(_ logits: UnsafeMutableBufferPointer<Float>, history: some BidirectionalCollection<UInt32>) throws(WatermarkError) -> Bool {
        let h = parameters.contextWidth
        guard history.count >= h, logits.count > 0 else { return false }
        let needed = 2 * logits.count
        if scratch.count < needed {
            scratch.deallocate()
            scratch = .allocate(byteCount: needed, alignment: 64)
        }
        let scores = UnsafeMutableRawBufferPointer(rebasing: scratch[0..<needed])
        try partition.fillScores(after: history.suffix(h), into: scores)
        GreenBias.add(Float(parameters.delta), to: logits, scores: UnsafeRawBufferPointer(scores),
                      threshold: parameters.greenThreshold)
        return true
    }
}

/// The vectorised inner loop: `logits[v] += δ` where `u(v) < G`.
enum GreenBias {
    static func add(_ delta: Float, to logits: UnsafeMutableBufferPointer<Float>, scores: UnsafeRawBufferPointer,
                    threshold: UInt32) {
        let n = logits.count
        precondition(scores.count >= 2 * n)
        guard let base = logits.baseAddress, let s = scores.baseAddress else { return }
        let g = Int32(threshold)
        let lanes = 16
        let gVec = SIMD16<Int32>(repeating: g)
        let dVec = SIMD16<Float>(repeating: delta)
        var i = 0
        #if _endian(little)
        while i + lanes <= n {
            // Scores are little-endian 16-bit words, so on a little-endian CPU they load directly.
            let u = s.loadUnaligned(fromByteOffset: 2 * i, as: SIMD16<UInt16>.self)
            let wide = SIMD16<Int32>(truncatingIfNeeded: u)
            let p = UnsafeMutableRawPointer(base + i)
            var x = p.loadUnaligned(as: SIMD16<Float>.self)
            x.replace(with: x + dVec, where: wide .< gVec)
            p.storeBytes(of: x, as: SIMD16<Float>.self)
            i += lanes
        }
        #endif
        while i < n {
            let u = Int32(s.load(fromByteOffset: 2 * i, as: UInt8.self)) | Int32(s.load(fromByteOffset: 2 * i + 1, as: UInt8.self)) << 8
            if u < g { base[i] += delta }
            i += 1
        }
    }
}

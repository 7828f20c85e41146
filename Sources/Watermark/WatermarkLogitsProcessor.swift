/// Adds δ to the logits of green tokens before a token is sampled.
///
/// It knows nothing of any runtime: hand it the logits of the next position (a buffer of any
/// length; a model padded past its tokenizer's vocabulary is fine, since green-ness does not
/// depend on the vocabulary size) and the tokens so far, prompt included. Positions with fewer
/// than `h` tokens before them are left alone, as docs/SCHEME.md requires.
///
/// One call costs one HMAC, `2·count` bytes of AES-CTR keystream and one vectorised pass over
/// the logits. The keystream buffer is kept and reused. Not thread-safe.
public final class WatermarkLogitsProcessor {
    public let partition: GreenListPartition
    private let scratch: UnsafeMutableRawBufferPointer

    /// Tokens per keystream piece: 4 KiB of scores and 8 KiB of logits stay in L1 together.
    static let chunkTokens = 2048

    public init(key: WatermarkKey, parameters: SchemeParameters) throws(WatermarkError) {
        partition = try GreenListPartition(key: key, parameters: parameters)
        scratch = .allocate(byteCount: 2 * Self.chunkTokens, alignment: 64)
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
        let delta = Float(parameters.delta), threshold = parameters.greenThreshold
        try partition.forEachScoreChunk(after: history.suffix(h), count: logits.count, chunkTokens: Self.chunkTokens,
                                        scratch: scratch) { first, scores in
            let piece = UnsafeMutableBufferPointer(rebasing: logits[first..<(first + scores.count / 2)])
            GreenBias.add(delta, to: piece, scores: scores, threshold: threshold)
        }
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
        var i = 0
        #if _endian(little)
        // Baseline x86-64 (SSE2) has only a signed 16-bit compare, so both sides get their sign
        // bit flipped; the all-ones lanes of the mask then select δ's bits. Measured 1.5× faster
        // than a widening unsigned compare with `replace(with:where:)` at V = 49 152.
        let flip = SIMD8<UInt16>(repeating: 0x8000)
        let g = SIMD8<Int16>(repeating: Int16(bitPattern: UInt16(truncatingIfNeeded: min(threshold, 65535)) ^ 0x8000))
        let deltaBits = SIMD4<UInt32>(repeating: delta.bitPattern)
        while i + 8 <= n {
            let u = unsafeBitCast(s.loadUnaligned(fromByteOffset: 2 * i, as: SIMD8<UInt16>.self) ^ flip, to: SIMD8<Int16>.self)
            let mask = SIMD8<Int32>(truncatingIfNeeded: unsafeBitCast(u .< g, to: SIMD8<Int16>.self))
            let low = unsafeBitCast(unsafeBitCast(mask.lowHalf, to: SIMD4<UInt32>.self) & deltaBits, to: SIMD4<Float>.self)
            let high = unsafeBitCast(unsafeBitCast(mask.highHalf, to: SIMD4<UInt32>.self) & deltaBits, to: SIMD4<Float>.self)
            let p = UnsafeMutableRawPointer(base + i)
            p.storeBytes(of: p.loadUnaligned(as: SIMD4<Float>.self) + low, as: SIMD4<Float>.self)
            p.storeBytes(of: p.loadUnaligned(fromByteOffset: 16, as: SIMD4<Float>.self) + high, toByteOffset: 16, as: SIMD4<Float>.self)
            i += 8
        }
        #endif
        let g32 = threshold
        while i < n {
            let u = UInt32(s.load(fromByteOffset: 2 * i, as: UInt8.self)) | UInt32(s.load(fromByteOffset: 2 * i + 1, as: UInt8.self)) << 8
            if u < g32 { base[i] += delta }
            i += 1
        }
    }
}

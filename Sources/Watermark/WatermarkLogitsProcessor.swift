import Foundation

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

    private let prepared: PreparedContext
    private let block: UnsafeMutableRawBufferPointer

    public init(key: WatermarkKey, parameters: SchemeParameters) throws(WatermarkError) {
        let partition = try GreenListPartition(key: key, parameters: parameters)
        let zeros = [UInt32](repeating: 0, count: parameters.contextWidth)
        prepared = try zeros.withUnsafeBufferPointer { (context) throws(WatermarkError) in
            try partition.prepareContext(afterContext: context)
        }
        self.partition = partition
        scratch = .allocate(byteCount: 2 * Self.chunkTokens, alignment: 64)
        block = .allocate(byteCount: 16, alignment: 16)
        block.initializeMemory(as: UInt8.self, repeating: 0)
    }

    deinit {
        scratch.deallocate()
        block.deallocate()
    }

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

    /// The probability mass a candidates-only bias may leave misplaced: see
    /// ``processCandidates(_:history:temperature:)``.
    public static let candidateMassBound = 1e-9

    /// Biases only the tokens that can matter, for sampling at `temperature` (0: greedy).
    ///
    /// CTR mode is random access, so a token's score costs one AES block, shared by the eight
    /// tokens of that block; the full partition costs `2·count` bytes of keystream. This
    /// classifies only the row's candidates, the tokens close enough to the maximum logit `m`
    /// that they could be drawn:
    ///
    /// - **Greedy** (`temperature == 0`): the tokens with `ℓ ≥ m − δ`. A token below that stays
    ///   below `m` even with δ added, so the argmax is the full bias's argmax.
    /// - **Sampling** at temperature T: the tokens with `(m − ℓ)/T < k`, for the smallest
    ///   whole k at which the bound below holds. Tokens are counted into one-nat bins of
    ///   `(m − ℓ)/T` (the last bin open-ended); with `c_b` tokens in bin b, the full-bias
    ///   softmax puts on the tokens left out at most
    ///   `e^{δ/T}·Σ_{b≥k} c_b·e^{−b} / Σ_{b<k} c_b·e^{−(b+1)}` of its mass, and k is chosen so
    ///   that this is below ``candidateMassBound`` (1e-9). Both distributions agree on the
    ///   candidates up to normalisation, so their total-variation distance is below it too.
    ///
    /// When no k meets the bound, or a logit is NaN or +∞, the whole row is biased
    /// (``process(_:history:)``), so the result is never further than the bound from it.
    /// - Returns: how many tokens were classified (the row's length when it fell back to the
    ///   full partition), or nil when the history is shorter than the context width and nothing
    ///   changed.
    @discardableResult
    public func processCandidates(_ logits: UnsafeMutableBufferPointer<Float>, history: some BidirectionalCollection<UInt32>,
                                  temperature: Double) throws(WatermarkError) -> Int? {
        let h = parameters.contextWidth
        guard history.count >= h else { return nil }
        let context = history.suffix(h)
        let run = { (c: UnsafeBufferPointer<UInt32>) -> Result<Int?, WatermarkError> in
            do throws(WatermarkError) { return .success(try self.processCandidates(logits, context: c, temperature: temperature)) } catch {
                return .failure(error)
            }
        }
        let outcome = context.withContiguousStorageIfAvailable(run) ?? Array(context).withUnsafeBufferPointer(run)
        return try outcome.get()
    }

    /// ``processCandidates(_:history:temperature:)`` for a context of exactly h tokens in
    /// contiguous memory; it does not allocate.
    @discardableResult
    public func processCandidates(_ logits: UnsafeMutableBufferPointer<Float>, context: UnsafeBufferPointer<UInt32>,
                                  temperature: Double) throws(WatermarkError) -> Int? {
        guard temperature.isFinite, temperature >= 0 else { throw .invalidTemperature(temperature) }
        guard logits.count > 0 else { return nil }
        // Each candidate costs up to one AES block on its own, the full row about a sixteenth
        // of that per token in bulk; past V/32 candidates the full partition is cheaper (and
        // exact), so it is used.
        guard let limit = Self.candidateLimit(UnsafeBufferPointer(logits), delta: parameters.delta, temperature: temperature,
                                              maximumCandidates: logits.count / 32) else {
            try process(logits, history: context)
            return logits.count
        }
        try partition.rekey(prepared, afterContext: context)
        let delta = Float(parameters.delta)
        let threshold = parameters.greenThreshold
        var currentBlock = -1
        var classified = 0
        func classify(_ v: Int) throws(WatermarkError) {
            let b = v >> 3
            if b != currentBlock {
                try partition.encryptBlock(b, prepared: prepared, into: block)
                currentBlock = b
            }
            let offset = (v & 7) * 2
            let u = UInt32(block.load(fromByteOffset: offset, as: UInt8.self)) | UInt32(block.load(fromByteOffset: offset + 1, as: UInt8.self)) << 8
            if u < threshold { logits[v] += delta }
            classified += 1
        }
        // Candidates are few: find them eight lanes at a time.
        let n = logits.count
        var v = 0
        if let base = logits.baseAddress {
            let bound = SIMD8<Float>(repeating: limit)
            while v + 8 <= n {
                let lanes = UnsafeRawPointer(base + v).loadUnaligned(as: SIMD8<Float>.self)
                let hit = lanes .>= bound
                if any(hit) {
                    for lane in 0..<8 where hit[lane] { try classify(v + lane) }
                }
                v += 8
            }
        }
        while v < n {
            if logits[v] >= limit { try classify(v) }
            v += 1
        }
        return classified
    }

    /// The smallest logit that is a candidate, or nil when the whole row must be biased (it
    /// holds NaN or +∞, no cut meets the bound, or more than `maximumCandidates` tokens would be
    /// classified).
    package static func candidateLimit(_ logits: UnsafeBufferPointer<Float>, delta: Double, temperature: Double,
                                       maximumCandidates: Int = .max) -> Float? {
        var m = -Float.infinity
        var i = 0
        let n = logits.count
        if let base = logits.baseAddress {
            var top = SIMD8<Float>(repeating: -.infinity)
            var bad = SIMDMask<SIMD8<Int32>>(repeating: false)
            while i + 8 <= n {
                let lanes = UnsafeRawPointer(base + i).loadUnaligned(as: SIMD8<Float>.self)
                bad .|= (lanes .!= lanes) .| (lanes .== SIMD8(repeating: .infinity))
                top = pointwiseMax(top, lanes)
                i += 8
            }
            if any(bad) { return nil }
            m = top.max()
        }
        while i < n {
            let l = logits[i]
            if l.isNaN || l == .infinity { return nil }
            m = max(m, l)
            i += 1
        }
        guard m.isFinite else { return nil }  // every logit −∞: nothing can be sampled anyway
        if temperature == 0 { return m - Float(delta) }
        // Bins of one nat of (m − ℓ)/T; the last is open-ended.
        let binCount = 64
        let inverse = Float(1 / temperature)
        return withUnsafeTemporaryAllocation(of: Int.self, capacity: binCount) { counts -> Float? in
            counts.initialize(repeating: 0)
            // Scalar on purpose: SIMD8<Int32>(_:rounding:) and vector compare-and-count both
            // measured several times slower than this loop in Swift 6.3.
            for l in logits {
                counts[Int(min((m - l) * inverse, Float(binCount - 1)))] += 1
            }
            let boost = Foundation.exp(delta / temperature)
            // Σ_{b≥k} c_b·e^{−b}, summed from the tail so that small tails stay exact.
            return withUnsafeTemporaryAllocation(of: Double.self, capacity: binCount + 1) { tail -> Float? in
                tail[binCount] = 0
                for b in stride(from: binCount - 1, through: 0, by: -1) {
                    tail[b] = tail[b + 1] + Double(counts[b]) * Foundation.exp(-Double(b))
                }
                var inside = 0.0
                var insideCount = 0
                for k in 1..<binCount {
                    inside += Double(counts[k - 1]) * Foundation.exp(-Double(k))
                    insideCount += counts[k - 1]
                    if insideCount > maximumCandidates { return nil }
                    if insideCount == logits.count || boost * tail[k] <= candidateMassBound * inside {
                        // A relative margin keeps tokens that rounding put in a lower bin inside.
                        return (m - Float(Double(k) * temperature * (1 + 1e-5))).nextDown
                    }
                }
                return nil
            }
        }
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

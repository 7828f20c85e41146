#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// One conversation with a model: a KV cache and the scratch of the forward pass.
///
/// Feed tokens with ``evaluate(_:)`` (prompt processing, in batches) or ``step(_:)`` (one
/// token); each returns a copy of the logits for the position after the last token. The
/// generation loop uses ``advance(_:)`` and reads the logits in place (``withLogits(_:)``) instead. The cache grows on demand up to
/// ``contextLimit``. Not thread-safe: use a session from one thread at a time (it runs its
/// own worker threads inside each call).
public final class InferenceSession {
    /// The model this session runs.
    public let model: LlamaModel
    /// Most tokens the session can hold.
    public let contextLimit: Int
    /// Threads used by the forward pass (the caller's included).
    public var threadCount: Int { pool.threadCount }
    /// The tokens in the cache, in order.
    public private(set) var tokens: [UInt32] = []

    /// Tokens per forward batch during prompt processing.
    public static let batchSize = 32

    private let pool: ThreadPool
    private let c: LlamaConfiguration
    private var capacity = 0
    private var keys: [UnsafeMutablePointer<Float>] = []
    private var values: [UnsafeMutablePointer<Float>] = []
    private var attentionScratch: [UnsafeMutablePointer<Float>] = []

    private let x, xn, q, attention, gate, up: UnsafeMutablePointer<Float>
    private let ropeCos, ropeSin: UnsafeMutablePointer<Float>
    private let activations: ActivationBatch
    private let logitsBuffer: UnsafeMutablePointer<Float>
    private var allLogits: UnsafeMutablePointer<Float>?

    init(model: LlamaModel, contextLimit: Int?, threads: Int?) {
        self.model = model
        c = model.configuration
        self.contextLimit = max(1, min(contextLimit ?? c.contextLength, c.contextLength))
        let processors = Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        pool = ThreadPool(threads: max(1, min(threads ?? processors, 64)))
        let b = Self.batchSize
        let e = c.embeddingLength, f = c.feedForwardLength, qw = c.queryWidth
        x = .allocate(capacity: b * e)
        xn = .allocate(capacity: b * max(e, qw))
        q = .allocate(capacity: b * qw)
        attention = .allocate(capacity: b * qw)
        gate = .allocate(capacity: b * f)
        up = .allocate(capacity: b * f)
        ropeCos = .allocate(capacity: b * c.ropeDimensionCount / 2)
        ropeSin = .allocate(capacity: b * c.ropeDimensionCount / 2)
        activations = ActivationBatch(tokens: b, columns: max(e, f, qw))
        logitsBuffer = .allocate(capacity: c.vocabularySize)
        logitsBuffer.initialize(repeating: 0, count: c.vocabularySize)
    }

    deinit {
        for p in keys + values + attentionScratch { p.deallocate() }
        for p in [x, xn, q, attention, gate, up, ropeCos, ropeSin, logitsBuffer] { p.deallocate() }
        allLogits?.deallocate()
    }

    /// Number of tokens in the cache.
    public var count: Int { tokens.count }

    /// The logits after the last token evaluated (zeros before any), in place: valid only
    /// while this session is alive and until its next ``advance(_:)``, ``step(_:)`` or
    /// ``evaluate(_:)``. Logits processors may change them.
    package var logits: UnsafeMutableBufferPointer<Float> {
        UnsafeMutableBufferPointer(start: logitsBuffer, count: c.vocabularySize)
    }

    /// Calls `body` with the logits after the last token evaluated (zeros before any), in
    /// place and without a copy; `body` may change them (as a logits processor does) but must
    /// not keep the buffer: it is reused by the next step.
    public func withLogits<R>(_ body: (UnsafeMutableBufferPointer<Float>) throws -> R) rethrows -> R {
        try body(logits)
    }

    /// Forgets every token (the cache's memory is kept for reuse).
    public func reset() { tokens.removeAll(keepingCapacity: true) }

    /// Forgets the tokens after the first `count` (to reuse a shared prefix).
    public func truncate(to count: Int) {
        precondition(count >= 0 && count <= tokens.count)
        tokens.removeSubrange(count...)
    }

    /// Appends `newTokens` to the context and returns (a copy of) the logits for the next position.
    ///
    /// The copy costs ~0.2% of a step; ``advance(_:)`` plus ``withLogits(_:)`` avoids it.
    @discardableResult
    public func evaluate(_ newTokens: some Collection<UInt32>) throws(GenerationError) -> [Float] {
        try run(Array(newTokens), everyPosition: false) { _, _ in }
        return Array(logits)
    }

    /// Appends one token and returns (a copy of) the logits for the next position.
    @discardableResult
    public func step(_ token: UInt32) throws(GenerationError) -> [Float] {
        try run([token], everyPosition: false) { _, _ in }
        return Array(logits)
    }

    /// Appends `newTokens` without copying the logits; read them from ``logits``.
    public func advance(_ newTokens: some Collection<UInt32>) throws(GenerationError) {
        try run(Array(newTokens), everyPosition: false) { _, _ in }
    }

    /// Appends `newTokens`, calling `body(i, logits)` with the logits after each `newTokens[i]`.
    public func evaluate(_ newTokens: some Collection<UInt32>,
                         logitsAtEveryPosition body: (Int, UnsafeBufferPointer<Float>) -> Void) throws(GenerationError) {
        try run(Array(newTokens), everyPosition: true, body)
    }

    // MARK: Forward pass

    private func run(_ new: [UInt32], everyPosition: Bool,
                     _ body: (Int, UnsafeBufferPointer<Float>) -> Void) throws(GenerationError) {
        guard !new.isEmpty else { return }
        for t in new where Int(t) >= c.vocabularySize {
            throw GenerationError(path: model.file.path, reason: .tokenOutOfRange(token: t, vocabularySize: c.vocabularySize))
        }
        guard tokens.count + new.count <= contextLimit else {
            throw GenerationError(path: model.file.path, reason: .contextFull(capacity: contextLimit))
        }
        reserve(tokens.count + new.count)
        var start = 0
        while start < new.count {
            let n = min(Self.batchSize, new.count - start)
            let chunk = Array(new[start..<(start + n)])
            let offset = start
            forward(chunk, everyPosition: everyPosition) { i, l in body(offset + i, l) }
            tokens.append(contentsOf: chunk)
            start += n
        }
    }

    /// Grows the KV cache (doubling) to hold at least `needed` tokens.
    private func reserve(_ needed: Int) {
        guard needed > capacity else { return }
        var newCapacity = max(256, capacity)
        while newCapacity < needed { newCapacity *= 2 }
        newCapacity = min(newCapacity, contextLimit)
        let kw = c.kvWidth
        for layer in 0..<c.blockCount {
            let k = UnsafeMutablePointer<Float>.allocate(capacity: newCapacity * kw)
            let v = UnsafeMutablePointer<Float>.allocate(capacity: newCapacity * kw)
            if layer < keys.count {
                k.update(from: keys[layer], count: tokens.count * kw)
                v.update(from: values[layer], count: tokens.count * kw)
                keys[layer].deallocate()
                values[layer].deallocate()
                keys[layer] = k
                values[layer] = v
            } else {
                keys.append(k)
                values.append(v)
            }
        }
        for p in attentionScratch { p.deallocate() }
        attentionScratch = (0..<pool.threadCount).map { _ in .allocate(capacity: newCapacity) }
        capacity = newCapacity
    }

    private struct Target {
        let w: WeightMatrix
        let out: UnsafeMutablePointer<Float>
        let stride: Int
    }

    /// `activations` (already prepared) times every target's matrix, rows spread over the pool.
    private func multiply(_ targets: [Target]) {
        let totalRows = targets.reduce(0) { $0 + $1.w.rows }
        let tokens = activations.tokens
        // Aim for ~8 tasks per thread, but keep tasks big enough to amortise hand-out.
        var grain = totalRows / (pool.threadCount * 8)
        grain = max(tokens > 4 ? 8 : 16, min(512, grain)) & ~3
        var counts = (0, 0, 0)
        for (i, t) in targets.enumerated() {
            let n = (t.w.rows + grain - 1) / grain
            switch i {
            case 0: counts.0 = n
            case 1: counts.1 = n
            default: counts.2 = n
            }
        }
        precondition(targets.count <= 3)
        let activations = self.activations
        pool.run(tasks: counts.0 + counts.1 + counts.2) { task, _ in
            var index = 0, chunk = task
            if chunk >= counts.0 {
                chunk -= counts.0
                index = 1
                if chunk >= counts.1 {
                    chunk -= counts.1
                    index = 2
                }
            }
            let target = targets[index]
            let lower = chunk * grain
            Kernels.multiply(target.w, rows: lower..<min(target.w.rows, lower + grain), activations,
                             out: target.out, stride: target.stride)
        }
    }

    private func forward(_ chunk: [UInt32], everyPosition: Bool, _ body: (Int, UnsafeBufferPointer<Float>) -> Void) {
        let n = chunk.count
        let p0 = tokens.count
        let e = c.embeddingLength, f = c.feedForwardLength, qw = c.queryWidth, kw = c.kvWidth
        let d = c.headDimension, heads = c.headCount, group = c.headCount / c.headCountKV
        let eps = c.rmsNormEpsilon

        for (t, token) in chunk.enumerated() { Kernels.dequantizeRow(model.tokenEmbedding, Int(token), into: x + t * e) }
        fillRope(positions: p0, count: n)

        for (l, layer) in model.layers.enumerated() {
            layer.attentionNorm.withUnsafeBufferPointer { w in
                for t in 0..<n { VectorMath.rmsNorm(x + t * e, weight: w.baseAddress!, epsilon: eps, into: xn + t * e, e) }
            }
            activations.prepare(xn, tokens: n, columns: e)
            let kCache = keys[l], vCache = values[l]
            multiply([Target(w: layer.query, out: q, stride: qw),
                      Target(w: layer.key, out: kCache + p0 * kw, stride: kw),
                      Target(w: layer.value, out: vCache + p0 * kw, stride: kw)])
            for t in 0..<n {
                rotate(q + t * qw, heads: heads, token: t)
                rotate(kCache + (p0 + t) * kw, heads: c.headCountKV, token: t)
            }

            // Attention: one task per (token, head).
            let scale = 1 / Float(d).squareRoot()
            let q = self.q, attention = self.attention, scratch = attentionScratch
            pool.run(tasks: n * heads) { task, thread in
                let t = task / heads, h = task % heads
                let length = p0 + t + 1
                let qv = q + t * qw + h * d
                let kvOffset = (h / group) * d
                let s = scratch[thread]
                for j in 0..<length { s[j] = VectorMath.dot(qv, kCache + j * kw + kvOffset, d) * scale }
                let m = VectorMath.max(s, length)
                let inverse = 1 / VectorMath.expInPlace(s, length, shift: m)
                let out = attention + t * qw + h * d
                out.initialize(repeating: 0, count: d)
                for j in 0..<length { VectorMath.addScaled(out, vCache + j * kw + kvOffset, s[j] * inverse, d) }
            }
            activations.prepare(attention, tokens: n, columns: qw)
            multiply([Target(w: layer.attentionOutput, out: xn, stride: e)])
            addInPlace(x, xn, n * e)

            layer.feedForwardNorm.withUnsafeBufferPointer { w in
                for t in 0..<n { VectorMath.rmsNorm(x + t * e, weight: w.baseAddress!, epsilon: eps, into: xn + t * e, e) }
            }
            activations.prepare(xn, tokens: n, columns: e)
            multiply([Target(w: layer.gate, out: gate, stride: f), Target(w: layer.up, out: up, stride: f)])
            VectorMath.swiglu(gate, up, n * f)
            activations.prepare(gate, tokens: n, columns: f)
            multiply([Target(w: layer.down, out: xn, stride: e)])
            addInPlace(x, xn, n * e)
        }

        // Output: every position if asked, else only the last.
        let first = everyPosition ? 0 : n - 1
        let count = n - first
        model.outputNorm.withUnsafeBufferPointer { w in
            for t in first..<n {
                VectorMath.rmsNorm(x + t * e, weight: w.baseAddress!, epsilon: eps, into: xn + (t - first) * e, e)
            }
        }
        activations.prepare(xn, tokens: count, columns: e)
        let v = c.vocabularySize
        if everyPosition {
            if allLogits == nil { allLogits = .allocate(capacity: Self.batchSize * v) }
            let all = allLogits!
            multiply([Target(w: model.output, out: all, stride: v)])
            for t in 0..<n { body(t, UnsafeBufferPointer(start: all + t * v, count: v)) }
            logitsBuffer.update(from: all + (n - 1) * v, count: v)
        } else {
            multiply([Target(w: model.output, out: logitsBuffer, stride: v)])
        }
    }

    private func addInPlace(_ a: UnsafeMutablePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) {
        VectorMath.addScaled(a, b, 1, n)
    }

    /// cos/sin of every rotated pair for `count` positions from `start` (angles in double:
    /// position × frequency reaches thousands of radians).
    private func fillRope(positions start: Int, count: Int) {
        let half = c.ropeDimensionCount / 2
        let factors = model.ropeFrequencyFactors
        for t in 0..<count {
            let position = Double(start + t) / c.ropeLinearScale
            for i in 0..<half {
                var frequency = pow(c.ropeFrequencyBase, -2 * Double(i) / Double(c.ropeDimensionCount))
                if let factors { frequency /= Double(factors[i]) }
                let angle = position * frequency
                ropeCos[t * half + i] = Float(cos(angle))
                ropeSin[t * half + i] = Float(sin(angle))
            }
        }
    }

    /// RoPE as GGUF Llama files expect it ("normal" mode): each head's adjacent pairs
    /// (x[2i], x[2i+1]) rotate by position·θ_i. (The converter permuted the Q/K rows so this
    /// equals Hugging Face's rotate-half on the original weights.)
    private func rotate(_ v: UnsafeMutablePointer<Float>, heads: Int, token t: Int) {
        let half = c.ropeDimensionCount / 2
        let d = c.headDimension
        let cs = ropeCos + t * half, sn = ropeSin + t * half
        for h in 0..<heads {
            let p = v + h * d
            for i in 0..<half {
                let a = p[2 * i], b = p[2 * i + 1]
                p[2 * i] = a * cs[i] - b * sn[i]
                p[2 * i + 1] = a * sn[i] + b * cs[i]
            }
        }
    }
}

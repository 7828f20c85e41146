#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// A hook that changes the logits of the next position before anything else looks at them
/// (before the repetition penalty, filtering, temperature and greedy choice).
///
/// The watermark's green-list bias is one; the runtime itself knows nothing of watermarks.
public protocol LogitsProcessor {
    /// Changes `logits` (one per vocabulary entry) in place for the position after `history`
    /// (every token in the session so far, prompt included, oldest first).
    mutating func process(logits: UnsafeMutableBufferPointer<Float>, history: [UInt32]) throws
}

/// How the next token is chosen.
///
/// The chain, applied after every ``LogitsProcessor``: repetition penalty → (greedy: arg-max)
/// → top-k → top-p → min-p → temperature → a draw from the seeded generator. Top-p and min-p
/// look at the distribution before temperature (as llama.cpp does), so they keep the same
/// tokens at any temperature.
public struct SamplingParameters: Sendable, Hashable, Codable {
    /// Always take the most likely token (after processors and the repetition penalty).
    public var greedy: Bool
    /// Softmax temperature; 0 means greedy.
    public var temperature: Float
    /// Keep only the `topK` most likely tokens; 0 turns it off.
    public var topK: Int
    /// Keep the smallest set of most likely tokens whose probability reaches `topP`; 1 turns it off.
    public var topP: Float
    /// Drop tokens less likely than `minP` times the most likely one; 0 turns it off.
    public var minP: Float
    /// Divide positive logits (multiply negative ones) of recently seen tokens by this; 1 turns it off.
    public var repetitionPenalty: Float
    /// How many of the latest tokens (prompt included) the repetition penalty looks at.
    public var repetitionWindow: Int
    /// Seed of the random generator: the same seed, model, prompt and parameters give the same tokens.
    public var seed: UInt64

    public static let defaultTemperature: Float = 0.8
    public static let defaultTopP: Float = 0.95
    public static let defaultMinP: Float = 0.05
    public static let defaultRepetitionPenalty: Float = 1.1
    public static let defaultRepetitionWindow = 64

    public init(greedy: Bool = false, temperature: Float = defaultTemperature, topK: Int = 0,
                topP: Float = defaultTopP, minP: Float = defaultMinP,
                repetitionPenalty: Float = defaultRepetitionPenalty, repetitionWindow: Int = defaultRepetitionWindow,
                seed: UInt64 = 0) {
        self.greedy = greedy
        self.temperature = temperature
        self.topK = topK
        self.topP = topP
        self.minP = minP
        self.repetitionPenalty = repetitionPenalty
        self.repetitionWindow = repetitionWindow
        self.seed = seed
    }

    /// A one-line problem with the parameters, or `nil` if they are usable.
    public var problem: String? {
        if !temperature.isFinite || temperature < 0 { return "temperature must be ≥ 0 (got \(temperature))" }
        if topK < 0 { return "top-k must be ≥ 0 (got \(topK))" }
        if !(topP > 0 && topP <= 1) { return "top-p must be in (0, 1] (got \(topP))" }
        if !(minP >= 0 && minP < 1) { return "min-p must be in [0, 1) (got \(minP))" }
        if !(repetitionPenalty > 0) || !repetitionPenalty.isFinite { return "repetition penalty must be > 0 (got \(repetitionPenalty))" }
        if repetitionWindow < 0 { return "repetition window must be ≥ 0 (got \(repetitionWindow))" }
        return nil
    }
}

/// Chooses tokens from logits by ``SamplingParameters``, with its own seeded generator.
///
/// One call costs one pass over the logits (max, threshold) plus a sort of the few hundred
/// tokens that survive the cut-off; without top-k, top-p and min-p it draws from the whole
/// vocabulary with a vectorised exp.
public struct Sampler {
    public let parameters: SamplingParameters
    private var random: Xoshiro256
    private var candidates: [(id: UInt32, logit: Float)] = []

    public init(parameters: SamplingParameters) {
        self.parameters = parameters
        random = Xoshiro256(seed: parameters.seed)
    }

    /// Applies the repetition penalty to `logits` in place and returns the chosen token.
    public mutating func sample(_ logits: UnsafeMutableBufferPointer<Float>, history: [UInt32]) -> UInt32 {
        let p = parameters
        let n = logits.count
        guard n > 0, let base = logits.baseAddress else { return 0 }
        if p.repetitionPenalty != 1, p.repetitionWindow > 0 {
            var seen = Set<UInt32>()
            for t in history.suffix(p.repetitionWindow) where Int(t) < n && seen.insert(t).inserted {
                let l = base[Int(t)]
                base[Int(t)] = l > 0 ? l / p.repetitionPenalty : l * p.repetitionPenalty
            }
        }
        let maximum = VectorMath.max(base, n)
        if p.greedy || p.temperature == 0 || !maximum.isFinite {
            return argmax(base, n, maximum)
        }
        let filtering = p.topK > 0 || p.topP < 1 || p.minP > 0
        if !filtering {
            // Whole vocabulary: e^((l − max)/T), then one draw.
            return withUnsafeTemporaryAllocation(of: Float.self, capacity: n) { buffer in
                let w = buffer.baseAddress!
                let inverseT = 1 / p.temperature
                for i in 0..<n { w[i] = (base[i] - maximum) * inverseT }
                let total = VectorMath.expInPlace(w, n, shift: 0)
                var u = Float(random.nextUnit()) * total
                for i in 0..<n {
                    u -= w[i]
                    if u < 0 { return UInt32(i) }
                }
                return UInt32(argmax(base, n, maximum))
            }
        }
        // Candidates: tokens within min-p of the best (or e^-30, below which nothing can matter).
        let floor = maximum + max(log(max(p.minP, 1e-13)), -30)
        candidates.removeAll(keepingCapacity: true)
        for i in 0..<n where base[i] >= floor { candidates.append((UInt32(i), base[i])) }
        candidates.sort { $0.logit > $1.logit || ($0.logit == $1.logit && $0.id < $1.id) }
        var keep = candidates.count
        if p.topK > 0 { keep = min(keep, p.topK) }
        if p.topP < 1 {
            var total: Float = 0
            for i in 0..<keep { total += exp(candidates[i].logit - maximum) }
            var cumulative: Float = 0
            for i in 0..<keep {
                cumulative += exp(candidates[i].logit - maximum) / total
                if cumulative >= p.topP {
                    keep = i + 1
                    break
                }
            }
        }
        keep = max(1, keep)
        var total: Float = 0
        let inverseT = 1 / p.temperature
        for i in 0..<keep {
            let w = exp((candidates[i].logit - maximum) * inverseT)
            candidates[i].logit = w
            total += w
        }
        var u = Float(random.nextUnit()) * total
        for i in 0..<keep {
            u -= candidates[i].logit
            if u < 0 { return candidates[i].id }
        }
        return candidates[keep - 1].id
    }

    private func argmax(_ base: UnsafeMutablePointer<Float>, _ n: Int, _ maximum: Float) -> UInt32 {
        for i in 0..<n where base[i] == maximum { return UInt32(i) }
        return 0  // all NaN
    }
}

/// xoshiro256** seeded through SplitMix64: fast, and the same sequence on every platform.
struct Xoshiro256 {
    private var s: (UInt64, UInt64, UInt64, UInt64)

    init(seed: UInt64) {
        var x = seed
        func splitMix() -> UInt64 {
            x &+= 0x9E37_79B9_7F4A_7C15
            var z = x
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        s = (splitMix(), splitMix(), splitMix(), splitMix())
    }

    mutating func next() -> UInt64 {
        let result = ((s.1 &* 5) << 7 | (s.1 &* 5) >> 57) &* 9
        let t = s.1 << 17
        s.2 ^= s.0
        s.3 ^= s.1
        s.1 ^= s.2
        s.0 ^= s.3
        s.2 ^= t
        s.3 = s.3 << 45 | s.3 >> 19
        return result
    }

    /// Uniform in [0, 1) with 53 bits.
    mutating func nextUnit() -> Double { Double(next() >> 11) * 0x1p-53 }
}

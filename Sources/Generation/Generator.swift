import Foundation
#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Why generation ended.
public enum StopReason: String, Sendable, Codable {
    /// The model produced one of the stop tokens (not included in the output).
    case endOfGeneration = "eog"
    /// The token limit was reached.
    case maxTokens = "max-tokens"
    /// The session's context is full.
    case contextFull = "context-full"
    /// The token callback asked to stop.
    case cancelled
}

/// The tokens a ``Generator`` produced, and where the time went.
public struct GenerationResult: Sendable {
    /// Generated token ids (the stop token excluded).
    public var tokens: [UInt32] = []
    /// Why generation ended.
    public var stopReason: StopReason = .maxTokens
    /// The stop token, when ``stopReason`` is ``StopReason/endOfGeneration``.
    public var stopToken: UInt32?
    /// Prompt tokens evaluated by this call.
    public var promptTokens = 0
    /// Seconds spent evaluating the prompt.
    public var promptSeconds = 0.0
    /// Seconds from the first logits to the last token (forward steps, processors, sampling, callbacks).
    public var generationSeconds = 0.0
    /// Of ``generationSeconds``, the time spent in logits processors.
    public var processorSeconds = 0.0
    /// Of ``generationSeconds``, the time spent in the sampler.
    public var samplerSeconds = 0.0
    /// Forward steps taken after the prompt (one per generated token except the last).
    public var steps = 0
    /// Σ ln p(token) of the generated tokens under the model's own distribution (raw logits,
    /// temperature 1, before any processor), when `recordsLikelihood` was set.
    public var logLikelihood: Double?

    /// exp(−mean log-likelihood): how surprising the text is to the model that wrote it, the
    /// usual measure of what a watermark costs in quality.
    public var perplexity: Double? {
        guard let logLikelihood, !tokens.isEmpty else { return nil }
        return Foundation.exp(-logLikelihood / Double(tokens.count))
    }

    /// Prompt tokens per second.
    public var promptTokensPerSecond: Double { promptSeconds > 0 ? Double(promptTokens) / promptSeconds : 0 }
    /// Generated tokens per second.
    public var tokensPerSecond: Double { generationSeconds > 0 ? Double(tokens.count) / generationSeconds : 0 }
}

/// The generation loop: evaluate the prompt, then repeatedly run the processors, sample,
/// report the token and feed it back, until a stop token, the token limit or a full context.
public struct Generator {
    /// Chooses each token.
    public var sampler: Sampler
    /// Applied in order to every position's logits before the sampler sees them.
    public var processors: [any LogitsProcessor]
    /// Most tokens to generate.
    public var maxTokens: Int
    /// Tokens that end generation (end of sequence, ChatML's `<|im_end|>`, …).
    public var stopTokens: Set<UInt32>

    /// Record each sampled token's log-probability under the unprocessed model (costs a copy
    /// and a log-sum-exp of the logits per step, a few percent of a step).
    public var recordsLikelihood = false

    public init(sampler: Sampler, processors: [any LogitsProcessor] = [], maxTokens: Int, stopTokens: Set<UInt32>) {
        self.sampler = sampler
        self.processors = processors
        self.maxTokens = maxTokens
        self.stopTokens = stopTokens
    }

    /// Appends `prompt` to `session` and generates after it.
    ///
    /// `onToken` sees each generated token as soon as it is chosen (before the next forward
    /// step) and returns `false` to stop. Errors from processors are wrapped in
    /// ``GenerationError/Reason/processorFailed(_:)``; errors thrown by `onToken` propagate.
    public mutating func generate(in session: InferenceSession, prompt: [UInt32],
                                  onToken: (UInt32) throws -> Bool = { _ in true }) throws -> GenerationResult {
        var result = GenerationResult()
        result.promptTokens = prompt.count
        let start = Clock.now()
        if !prompt.isEmpty { try session.advance(prompt) }
        let logits = session.logits
        let generationStart = Clock.now()
        result.promptSeconds = generationStart - start
        defer { result.generationSeconds = Clock.now() - generationStart }
        var raw: [Float] = recordsLikelihood ? [Float](repeating: 0, count: logits.count) : []
        if recordsLikelihood { result.logLikelihood = 0 }
        while result.tokens.count < maxTokens {
            let history = session.tokens
            var logNormaliser = 0.0
            if recordsLikelihood {
                var maximum = -Float.infinity
                for i in 0..<logits.count {
                    raw[i] = logits[i]
                    maximum = max(maximum, logits[i])
                }
                var sum = 0.0
                for i in 0..<logits.count { sum += Double(Foundation.exp(raw[i] - maximum)) }
                logNormaliser = Double(maximum) + Foundation.log(sum)
            }
            if !processors.isEmpty {
                let t0 = Clock.now()
                for i in processors.indices {
                    do { try processors[i].process(logits: logits, history: history) } catch {
                        throw GenerationError(path: session.model.file.path, reason: .processorFailed("\(error)"))
                    }
                }
                result.processorSeconds += Clock.now() - t0
            }
            guard Self.areUsable(logits) else {
                throw GenerationError(path: session.model.file.path, reason: .nonFiniteLogits(position: result.tokens.count))
            }
            let t1 = Clock.now()
            let token = sampler.sample(logits, history: history)
            result.samplerSeconds += Clock.now() - t1
            if stopTokens.contains(token) {
                result.stopReason = .endOfGeneration
                result.stopToken = token
                result.generationSeconds = Clock.now() - generationStart
                return result
            }
            result.tokens.append(token)
            if recordsLikelihood { result.logLikelihood! += Double(raw[Int(token)]) - logNormaliser }
            guard try onToken(token) else {
                result.stopReason = .cancelled
                result.generationSeconds = Clock.now() - generationStart
                return result
            }
            if result.tokens.count == maxTokens { break }
            if session.count >= session.contextLimit {
                result.stopReason = .contextFull
                result.generationSeconds = Clock.now() - generationStart
                return result
            }
            try session.advance(CollectionOfOne(token))
            result.steps += 1
        }
        result.stopReason = .maxTokens
        result.generationSeconds = Clock.now() - generationStart
        return result
    }
}

extension Generator {
    /// Whether logits can be sampled from: no NaN, no +∞, and at least one finite value.
    /// The sum is finite for any usable row (about 10 µs for 49 152 logits, 0.2% of a step);
    /// only a row whose sum is not finite is looked at one by one.
    static func areUsable(_ logits: UnsafeMutableBufferPointer<Float>) -> Bool {
        var sum: Float = 0
        for x in logits { sum += x }
        if sum.isFinite { return true }
        var anyFinite = false
        for x in logits {
            if x.isNaN || x == .infinity { return false }
            if x.isFinite { anyFinite = true }
        }
        return anyFinite
    }
}

/// Monotonic seconds.
enum Clock {
    static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
    }
}

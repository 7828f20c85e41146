import Detection
import Generation
import Watermark

/// One generated document as JSON: what `embed --json` writes and what a resumed calibration
/// reads back, through the same `Codable` conformance.
public struct GenerationRecord: Codable, Sendable {
    public var index: Int
    public var id: JSONValue?
    public var prompt: String
    public var chat: Bool
    public var text: String
    public var ids: [UInt32]
    /// nil for a run without the watermark (written as JSON null).
    public var keyID: String?
    public var watermark: Bool
    public var scheme: String
    public var gamma: Double
    public var contextWidth: Int
    public var delta: Double
    public var maxTokens: Int
    public var sampling: SamplingParameters
    public var model: String
    public var promptTokens: Int
    public var generatedTokens: Int
    public var stopReason: String
    /// `stop` when the model ended its turn, `length` when the token budget or the context ran
    /// out (the names OpenAI-style APIs use).
    public var finishReason: String
    public var tokensPerSecond: Double
    public var promptTokensPerSecond: Double
    public var watermarkMillisecondsPerToken: Double?
    public var perplexity: Double?

    public init(index: Int, id: JSONValue?, prompt: String, chat: Bool, text: String, ids: [UInt32], keyID: String?,
                parameters: SchemeParameters, maxTokens: Int, sampling: SamplingParameters, model: String,
                result: GenerationResult, promptTokens: Int, watermarkMillisecondsPerToken: Double?, perplexity: Double?,
                rounding: (Double) -> Double = { $0 }) {
        self.index = index
        self.id = id
        self.prompt = prompt
        self.chat = chat
        self.text = text
        self.ids = ids
        self.keyID = keyID
        self.watermark = keyID != nil
        self.scheme = SchemeParameters.scheme
        self.gamma = parameters.gamma
        self.contextWidth = parameters.contextWidth
        self.delta = parameters.delta
        self.maxTokens = maxTokens
        self.sampling = sampling
        self.model = model
        self.promptTokens = promptTokens
        self.generatedTokens = result.tokens.count
        self.stopReason = result.stopReason.rawValue
        self.finishReason = Self.finishReason(result.stopReason)
        self.tokensPerSecond = rounding(result.tokensPerSecond)
        self.promptTokensPerSecond = rounding(result.promptTokensPerSecond)
        self.watermarkMillisecondsPerToken = watermarkMillisecondsPerToken
        self.perplexity = perplexity
    }

    // Sampling settings sit at the top level of the record, beside the rest.
    private enum Keys: String, CodingKey {
        case index, id, prompt, chat, text, ids, keyID, watermark, scheme, gamma, contextWidth, delta, maxTokens
        case temperature, topK, topP, minP, repetitionPenalty, seed, greedy
        case model, promptTokens, generatedTokens, stopReason, finishReason, tokensPerSecond, promptTokensPerSecond
        case watermarkMillisecondsPerToken, perplexity
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: Keys.self)
        index = try c.decode(Int.self, forKey: .index)
        id = try c.decodeIfPresent(JSONValue.self, forKey: .id)
        prompt = try c.decode(String.self, forKey: .prompt)
        chat = try c.decode(Bool.self, forKey: .chat)
        text = try c.decode(String.self, forKey: .text)
        ids = try c.decode([UInt32].self, forKey: .ids)
        keyID = try c.decodeIfPresent(String.self, forKey: .keyID)
        watermark = try c.decode(Bool.self, forKey: .watermark)
        scheme = try c.decodeIfPresent(String.self, forKey: .scheme) ?? ""
        gamma = try c.decodeIfPresent(Double.self, forKey: .gamma) ?? .nan
        contextWidth = try c.decodeIfPresent(Int.self, forKey: .contextWidth) ?? 0
        delta = try c.decodeIfPresent(Double.self, forKey: .delta) ?? .nan
        maxTokens = try c.decode(Int.self, forKey: .maxTokens)
        sampling = SamplingParameters(
            greedy: try c.decode(Bool.self, forKey: .greedy), temperature: try c.decode(Float.self, forKey: .temperature),
            topK: try c.decode(Int.self, forKey: .topK), topP: try c.decode(Float.self, forKey: .topP),
            minP: try c.decode(Float.self, forKey: .minP), repetitionPenalty: try c.decode(Float.self, forKey: .repetitionPenalty),
            seed: try c.decode(UInt64.self, forKey: .seed))
        model = try c.decode(String.self, forKey: .model)
        promptTokens = try c.decode(Int.self, forKey: .promptTokens)
        generatedTokens = try c.decode(Int.self, forKey: .generatedTokens)
        stopReason = try c.decode(String.self, forKey: .stopReason)
        finishReason = try c.decodeIfPresent(String.self, forKey: .finishReason) ?? ""
        tokensPerSecond = try c.decode(Double.self, forKey: .tokensPerSecond)
        promptTokensPerSecond = try c.decode(Double.self, forKey: .promptTokensPerSecond)
        watermarkMillisecondsPerToken = try c.decodeIfPresent(Double.self, forKey: .watermarkMillisecondsPerToken)
        perplexity = try c.decodeIfPresent(Double.self, forKey: .perplexity)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(index, forKey: .index)
        try c.encodeIfPresent(id, forKey: .id)
        try c.encode(prompt, forKey: .prompt)
        try c.encode(chat, forKey: .chat)
        try c.encode(text, forKey: .text)
        try c.encode(ids, forKey: .ids)
        if let keyID { try c.encode(keyID, forKey: .keyID) } else { try c.encodeNil(forKey: .keyID) }
        try c.encode(watermark, forKey: .watermark)
        // A control run has no watermark, so it reports none of the watermark's parameters.
        if watermark {
            try c.encode(scheme, forKey: .scheme)
            try c.encode(gamma, forKey: .gamma)
            try c.encode(contextWidth, forKey: .contextWidth)
            try c.encode(delta, forKey: .delta)
        }
        try c.encode(maxTokens, forKey: .maxTokens)
        try c.encode(sampling.greedy, forKey: .greedy)
        try c.encode(sampling.temperature, forKey: .temperature)
        try c.encode(sampling.topK, forKey: .topK)
        try c.encode(sampling.topP, forKey: .topP)
        try c.encode(sampling.minP, forKey: .minP)
        try c.encode(sampling.repetitionPenalty, forKey: .repetitionPenalty)
        try c.encode(sampling.seed, forKey: .seed)
        try c.encode(model, forKey: .model)
        try c.encode(promptTokens, forKey: .promptTokens)
        try c.encode(generatedTokens, forKey: .generatedTokens)
        try c.encode(stopReason, forKey: .stopReason)
        try c.encode(finishReason, forKey: .finishReason)
        try c.encode(tokensPerSecond, forKey: .tokensPerSecond)
        try c.encode(promptTokensPerSecond, forKey: .promptTokensPerSecond)
        try c.encodeIfPresent(watermarkMillisecondsPerToken, forKey: .watermarkMillisecondsPerToken)
        try c.encodeIfPresent(perplexity, forKey: .perplexity)
    }

    static func finishReason(_ reason: StopReason) -> String {
        switch reason {
        case .endOfGeneration, .cancelled: return "stop"
        case .maxTokens, .contextFull: return "length"
        }
    }
}

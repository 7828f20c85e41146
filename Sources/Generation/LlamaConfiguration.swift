import GGUF

/// The hyper-parameters of a Llama-family model, read from a GGUF file's `{arch}.*` metadata.
public struct LlamaConfiguration: Sendable, Hashable {
    /// Architectures whose GGUF layout this runtime runs (Llama's tensor names and shapes).
    public static let supportedArchitectures = ["llama", "mistral"]

    /// `general.architecture`.
    public var architecture: String
    /// Training context length in tokens (`{arch}.context_length`).
    public var contextLength: Int
    /// Width of the residual stream (`{arch}.embedding_length`).
    public var embeddingLength: Int
    /// Number of transformer blocks (`{arch}.block_count`).
    public var blockCount: Int
    /// Hidden width of the SwiGLU feed-forward network (`{arch}.feed_forward_length`).
    public var feedForwardLength: Int
    /// Query heads (`{arch}.attention.head_count`).
    public var headCount: Int
    /// Key/value heads (`{arch}.attention.head_count_kv`; grouped-query attention when fewer than ``headCount``).
    public var headCountKV: Int
    /// Width of one head (`{arch}.attention.key_length`, default `embeddingLength / headCount`).
    public var headDimension: Int
    /// RoPE base frequency (`{arch}.rope.freq_base`, default 10 000).
    public var ropeFrequencyBase: Double
    /// Dimensions of each head that RoPE rotates (`{arch}.rope.dimension_count`, default the head width).
    public var ropeDimensionCount: Int
    /// Linear RoPE scaling factor (`{arch}.rope.scaling.factor` with type `linear`; 1 when absent).
    public var ropeLinearScale: Double
    /// RMSNorm epsilon (`{arch}.attention.layer_norm_rms_epsilon`, default 1e-5).
    public var rmsNormEpsilon: Float
    /// Number of rows of the token embedding (the logits' length).
    public var vocabularySize: Int

    /// Reads the configuration; `vocabularySize` comes from the token embedding's shape.
    public init(file: GGUFFile) throws(GenerationError) {
        let path = file.path
        func fail(_ r: GenerationError.Reason) -> GenerationError { GenerationError(path: path, reason: r) }
        guard let arch = file["general.architecture"]?.string else {
            throw fail(.missingMetadata(key: "general.architecture", expected: "a string"))
        }
        guard Self.supportedArchitectures.contains(arch) else { throw fail(.unsupportedArchitecture(arch)) }
        architecture = arch
        func int(_ key: String, default value: Int? = nil) throws(GenerationError) -> Int {
            let full = "\(arch).\(key)"
            guard let v = file[full] else {
                if let value { return value }
                throw fail(.missingMetadata(key: full, expected: "an integer"))
            }
            guard let i = v.int else { throw fail(.missingMetadata(key: full, expected: "an integer")) }
            guard i > 0, i <= 1 << 24 else { throw fail(.invalidMetadata(key: full, problem: "\(i) is out of range")) }
            return i
        }
        func double(_ key: String, default value: Double) throws(GenerationError) -> Double {
            let full = "\(arch).\(key)"
            guard let v = file[full] else { return value }
            guard let d = v.double, d.isFinite, d > 0 else {
                throw fail(.invalidMetadata(key: full, problem: "expected a positive number, found \(v)"))
            }
            return d
        }
        contextLength = try int("context_length")
        embeddingLength = try int("embedding_length")
        blockCount = try int("block_count")
        feedForwardLength = try int("feed_forward_length")
        headCount = try int("attention.head_count")
        headCountKV = try int("attention.head_count_kv", default: headCount)
        guard embeddingLength % headCount == 0 else {
            throw fail(.invalidMetadata(key: "\(arch).attention.head_count",
                                        problem: "\(headCount) does not divide the embedding length \(embeddingLength)"))
        }
        headDimension = try int("attention.key_length", default: embeddingLength / headCount)
        let valueLength = try int("attention.value_length", default: headDimension)
        guard valueLength == headDimension, headDimension % 2 == 0 else {
            throw fail(.invalidMetadata(key: "\(arch).attention.value_length",
                                        problem: "key length \(headDimension) and value length \(valueLength) must be equal and even"))
        }
        guard headCount % headCountKV == 0 else {
            throw fail(.invalidMetadata(key: "\(arch).attention.head_count_kv",
                                        problem: "\(headCountKV) does not divide the head count \(headCount)"))
        }
        ropeFrequencyBase = try double("rope.freq_base", default: 10_000)
        ropeDimensionCount = try int("rope.dimension_count", default: headDimension)
        guard ropeDimensionCount <= headDimension, ropeDimensionCount % 2 == 0 else {
            throw fail(.invalidMetadata(key: "\(arch).rope.dimension_count",
                                        problem: "\(ropeDimensionCount) must be even and at most the head width \(headDimension)"))
        }
        ropeLinearScale = 1
        if let type = file["\(arch).rope.scaling.type"]?.string, type != "none" {
            guard type == "linear" else {
                throw fail(.invalidMetadata(key: "\(arch).rope.scaling.type", problem: "\"\(type)\" is not supported (only linear)"))
            }
            ropeLinearScale = try double("rope.scaling.factor", default: 1)
        }
        rmsNormEpsilon = Float(try double("attention.layer_norm_rms_epsilon", default: 1e-5))
        guard let embedding = file.tensor(named: "token_embd.weight") else { throw fail(.missingTensor("token_embd.weight")) }
        guard embedding.dimensions.count == 2, embedding.dimensions[0] == embeddingLength else {
            throw fail(.shapeMismatch(tensor: "token_embd.weight", expected: [embeddingLength, -1], found: embedding.dimensions))
        }
        vocabularySize = embedding.dimensions[1]
    }

    /// Width of the key/value projections (`headCountKV · headDimension`).
    public var kvWidth: Int { headCountKV * headDimension }
    /// Width of the query projection (`headCount · headDimension`).
    public var queryWidth: Int { headCount * headDimension }
}

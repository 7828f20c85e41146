import GGUF

/// A Llama-family model whose weights stay in the GGUF file's memory mapping.
///
/// Loading reads the hyper-parameters, checks every tensor's presence, shape and type, and
/// copies only the (small) normalisation vectors; matrices are used in place, so memory is
/// about the file's size plus each session's KV cache. The output matrix is
/// `output.weight`, or the token embedding when the file has none (tied embeddings).
///
/// Immutable and `Sendable`: several ``InferenceSession``s may share one model.
public final class LlamaModel: @unchecked Sendable {
    /// The file the weights are mapped from (kept alive by the model).
    public let file: GGUFFile
    /// Hyper-parameters.
    public let configuration: LlamaConfiguration
    /// Whether the output projection is the token embedding (no `output.weight`).
    public let hasTiedOutput: Bool

    struct Layer {
        let attentionNorm: [Float]
        let query, key, value, attentionOutput: WeightMatrix
        let feedForwardNorm: [Float]
        let gate, up, down: WeightMatrix
    }

    let layers: [Layer]
    let tokenEmbedding: WeightMatrix
    let output: WeightMatrix
    let outputNorm: [Float]
    /// Per-frequency divisors from `rope_freqs.weight` (Llama 3.1-style scaling), if present.
    let ropeFrequencyFactors: [Float]?

    /// Number of logits per position.
    public var vocabularySize: Int { configuration.vocabularySize }

    /// Opens and maps the GGUF file at `path` and loads the model from it.
    public convenience init(path: String) throws(GenerationError) {
        let file: GGUFFile
        do { file = try GGUFFile(path: path) } catch { throw GenerationError(path: path, reason: .file(error.description)) }
        try self.init(file: file)
    }

    /// Loads the model from an opened GGUF file.
    public init(file: GGUFFile) throws(GenerationError) {
        self.file = file
        let c = try LlamaConfiguration(file: file)
        configuration = c
        let path = file.path
        func fail(_ r: GenerationError.Reason) -> GenerationError { GenerationError(path: path, reason: r) }

        func matrix(_ name: String, columns: Int, rows: Int?) throws(GenerationError) -> WeightMatrix {
            guard let info = file.tensor(named: name) else { throw fail(.missingTensor(name)) }
            guard info.dimensions.count == 2 || (info.dimensions.count > 2 && info.dimensions[2...].allSatisfy { $0 == 1 }),
                info.dimensions[0] == columns, rows == nil || info.dimensions[1] == rows!
            else {
                throw fail(.shapeMismatch(tensor: name, expected: [columns, rows ?? -1], found: info.dimensions))
            }
            guard let kind = Kernels.kind(for: info.type), let layout = info.type.layout else {
                throw fail(.unsupportedTensorType(tensor: name, type: info.type.name))
            }
            if (kind == .q4_K || kind == .q6_K) && columns % 256 != 0 {
                throw fail(.shapeMismatch(tensor: name, expected: [columns - columns % 256 + 256, rows ?? -1], found: info.dimensions))
            }
            let data: UnsafeRawBufferPointer
            do { data = try file.tensorData(for: info) } catch { throw fail(.file(error.description)) }
            return WeightMatrix(name: name, kind: kind, rows: info.dimensions[1], columns: columns,
                                base: data.baseAddress!, rowBytes: columns / layout.blockSize * layout.bytesPerBlock)
        }
        func vector(_ name: String, length: Int) throws(GenerationError) -> [Float] {
            guard let info = file.tensor(named: name) else { throw fail(.missingTensor(name)) }
            guard info.elementCount == length, info.dimensions.first == length else {
                throw fail(.shapeMismatch(tensor: name, expected: [length], found: info.dimensions))
            }
            guard let kind = Kernels.kind(for: info.type), kind == .f32 || kind == .f16 || kind == .bf16 else {
                throw fail(.unsupportedTensorType(tensor: name, type: info.type.name))
            }
            let data: UnsafeRawBufferPointer
            do { data = try file.tensorData(for: info) } catch { throw fail(.file(error.description)) }
            let view = WeightMatrix(name: name, kind: kind, rows: 1, columns: length, base: data.baseAddress!,
                                    rowBytes: data.count)
            return [Float](unsafeUninitializedCapacity: length) { buffer, count in
                Kernels.dequantizeRow(view, 0, into: buffer.baseAddress!)
                count = length
            }
        }

        let e = c.embeddingLength
        tokenEmbedding = try matrix("token_embd.weight", columns: e, rows: nil)
        if file.tensor(named: "output.weight") != nil {
            output = try matrix("output.weight", columns: e, rows: c.vocabularySize)
            hasTiedOutput = false
        } else {
            output = tokenEmbedding
            hasTiedOutput = true
        }
        outputNorm = try vector("output_norm.weight", length: e)
        var layers: [Layer] = []
        layers.reserveCapacity(c.blockCount)
        for i in 0..<c.blockCount {
            let p = "blk.\(i)."
            layers.append(Layer(
                attentionNorm: try vector(p + "attn_norm.weight", length: e),
                query: try matrix(p + "attn_q.weight", columns: e, rows: c.queryWidth),
                key: try matrix(p + "attn_k.weight", columns: e, rows: c.kvWidth),
                value: try matrix(p + "attn_v.weight", columns: e, rows: c.kvWidth),
                attentionOutput: try matrix(p + "attn_output.weight", columns: c.queryWidth, rows: e),
                feedForwardNorm: try vector(p + "ffn_norm.weight", length: e),
                gate: try matrix(p + "ffn_gate.weight", columns: e, rows: c.feedForwardLength),
                up: try matrix(p + "ffn_up.weight", columns: e, rows: c.feedForwardLength),
                down: try matrix(p + "ffn_down.weight", columns: c.feedForwardLength, rows: e)))
        }
        self.layers = layers
        ropeFrequencyFactors = file.tensor(named: "rope_freqs.weight") != nil
            ? try vector("rope_freqs.weight", length: c.ropeDimensionCount / 2) : nil
    }

    /// A new session with an empty KV cache.
    ///
    /// - Parameters:
    ///   - contextLimit: most tokens the session may hold; default (and at most) the model's context length.
    ///     The cache grows as needed, so a large limit costs nothing until it is used.
    ///   - threads: threads for the forward pass; default the number of processors the process may use.
    public func makeSession(contextLimit: Int? = nil, threads: Int? = nil) -> InferenceSession {
        InferenceSession(model: self, contextLimit: contextLimit, threads: threads)
    }

    /// The element type of every weight matrix, by GGML name, with counts (e.g. `["Q4_1": 210, "Q8_0": 1]`).
    public var matrixTypes: [String: Int] {
        var out: [String: Int] = [:]
        for name in ["token_embd.weight", "output.weight"] + layers.indices.flatMap({ i in
            ["attn_q", "attn_k", "attn_v", "attn_output", "ffn_gate", "ffn_up", "ffn_down"].map { "blk.\(i).\($0).weight" }
        }) {
            if let t = file.tensor(named: name) { out[t.type.name, default: 0] += 1 }
        }
        return out
    }
}

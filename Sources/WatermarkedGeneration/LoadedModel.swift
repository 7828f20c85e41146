import GGUF
import Generation
import Tokenizer
import Watermark

/// A model loaded with its tokenizer, chat format and end-of-turn tokens, ready to generate
/// with or without the watermark: what every front end that writes text shares.
///
/// ```swift
/// let model = try LoadedModel(path: modelPath)
/// let watermark = try WatermarkLogitsProcessor(key: key, parameters: .defaults)
/// let output = try model.generate(prompt: "Write about lighthouses.", watermark: watermark, maxTokens: 64)
/// ```
///
/// Not thread-safe: it owns one inference session (KV cache and a thread pool).
public final class LoadedModel {
    public let path: String
    public let file: GGUFFile
    public let tokenizer: BPETokenizer
    /// The chat format in use, or nil when prompts are sent raw.
    public var chat: ChatTemplate? { prompter.chat }
    /// Tokens that end generation (none with `ignoreEndOfTurn`).
    public let stopTokens: Set<UInt32>
    public let session: InferenceSession
    private let prompter: PromptEncoder

    /// Loads the Llama-family GGUF at `path`.
    /// - Parameters:
    ///   - raw: send prompts as they are, without the model's chat format.
    ///   - system: the chat format's system message (nil: the template's own default).
    ///   - ignoreEndOfTurn: keep generating past end-of-turn tokens (for benchmarks).
    ///   - threads: threads for the forward pass (nil: every processor).
    public init(path: String, raw: Bool = false, system: String? = nil, ignoreEndOfTurn: Bool = false,
                threads: Int? = nil) throws(WatermarkedGenerationError) {
        self.path = path
        do { file = try GGUFFile(path: path) } catch { throw .model(error) }
        let llama: LlamaModel
        do { llama = try LlamaModel(file: file) } catch { throw .runtime(error) }
        do { tokenizer = try BPETokenizer(gguf: file) } catch { throw .tokenizer(error) }
        prompter = PromptEncoder(tokenizer: tokenizer, chat: raw ? nil : ChatTemplate(file: file), system: system,
                                 addBOS: file["tokenizer.ggml.add_bos_token"]?.bool ?? false)
        stopTokens = ignoreEndOfTurn ? [] : Self.stopTokens(tokenizer: tokenizer, file: file)
        session = llama.makeSession(threads: threads)
    }

    /// The prompt's ids, in the chat format unless raw; refused if it fills the context.
    public func encode(_ prompt: String) throws(WatermarkedGenerationError) -> [UInt32] {
        let ids = try prompter.encode(prompt)
        guard ids.count < session.contextLimit else { throw .promptTooLong(tokens: ids.count, limit: session.contextLimit) }
        return ids
    }

    /// Generates after `ids`, with the watermark when `watermark` is given; `onToken` sees
    /// each token as it is chosen.
    public func generate(after ids: [UInt32], sampling: SamplingParameters = SamplingParameters(),
                         watermark: WatermarkLogitsProcessor?, maxTokens: Int, recordsLikelihood: Bool = false,
                         onToken: (UInt32) -> Void = { _ in }) throws(WatermarkedGenerationError) -> GenerationResult {
        var generator = Generator(sampler: Sampler(parameters: sampling),
                                  processors: watermark.map { [WatermarkHook($0)] } ?? [],
                                  maxTokens: maxTokens, stopTokens: stopTokens)
        generator.recordsLikelihood = recordsLikelihood
        session.reset()
        do {
            return try generator.generate(in: session, prompt: ids) { token in
                onToken(token)
                return true
            }
        } catch let error as GenerationError {
            throw .runtime(error)
        } catch {
            throw .runtime(GenerationError(path: path, reason: .processorFailed("\(error)")))
        }
    }

    /// Generates a reply to `prompt` and decodes it (special tokens left out).
    public func generate(prompt: String, sampling: SamplingParameters = SamplingParameters(),
                         watermark: WatermarkLogitsProcessor?, maxTokens: Int) throws(WatermarkedGenerationError) -> (text: String, result: GenerationResult) {
        let result = try generate(after: try encode(prompt), sampling: sampling, watermark: watermark, maxTokens: maxTokens)
        return (tokenizer.decode(result.tokens, skipSpecialTokens: true), result)
    }

    /// End-of-generation tokens: the file's EOS and EOT ids and ChatML's `<|im_end|>`.
    static func stopTokens(tokenizer: BPETokenizer, file: GGUFFile) -> Set<UInt32> {
        var stops = Set<UInt32>()
        if let eos = tokenizer.eosTokenID { stops.insert(eos) }
        for key in ["tokenizer.ggml.eot_token_id", "tokenizer.ggml.eom_token_id"] {
            if let v = file[key]?.int, let id = UInt32(exactly: v) { stops.insert(id) }
        }
        for spelling in ["<|im_end|>", "<|endoftext|>", "<|eot_id|>"] {
            if let id = tokenizer.id(for: spelling), tokenizer.isSpecial(id) { stops.insert(id) }
        }
        return stops
    }
}

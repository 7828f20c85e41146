import GGUF
import Generation
import Tokenizer
import Watermark

/// A model loaded with its tokenizer, chat format and end-of-turn tokens, ready to generate:
/// what `embed` and `calibrate --generate` share.
final class ModelRunner {
    let path: String
    let file: GGUFFile
    let tokenizer: BPETokenizer
    let chat: ChatTemplate?
    let session: InferenceSession
    let stops: Set<UInt32>
    private let prompter: PromptEncoder

    /// Loads `modelPath` (default: the default model from the cache); one-line errors name the file.
    init(modelPath: String?, raw: Bool, system: String?, ignoreEOS: Bool, threads: Int?) throws {
        path = try modelPath ?? DefaultModel.requirePath(for: "model")
        do { file = try GGUFFile(path: path) } catch { throw CLIFailure(error.description) }
        let llama: LlamaModel
        do { llama = try LlamaModel(file: file) } catch { throw CLIFailure(error.description) }
        do { tokenizer = try BPETokenizer(gguf: file) } catch { throw CLIFailure(error.description) }
        chat = raw ? nil : ChatTemplate(file: file)
        prompter = PromptEncoder(tokenizer: tokenizer, chat: chat, system: system,
                                 addBOS: file["tokenizer.ggml.add_bos_token"]?.bool ?? false)
        stops = ignoreEOS ? [] : Self.stopTokens(tokenizer: tokenizer, file: file)
        session = llama.makeSession(threads: threads)
    }

    /// The prompt's ids, in the chat format unless raw.
    func encode(_ prompt: String, source: String) throws -> [UInt32] {
        let ids = try prompter.encode(prompt, source: source)
        guard ids.count < session.contextLimit else {
            throw CLIFailure("\(source): the prompt has \(ids.count) tokens; the model's context holds \(session.contextLimit)")
        }
        return ids
    }

    /// Generates after `ids`, with the watermark when `processor` is given.
    func generate(after ids: [UInt32], sampling: SamplingParameters, processor: WatermarkLogitsProcessor?, maxTokens: Int,
                  recordsLikelihood: Bool = false, onToken: (UInt32) -> Void = { _ in }) throws -> GenerationResult {
        var generator = Generator(sampler: Sampler(parameters: sampling),
                                  processors: processor.map { [WatermarkBias(processor: $0)] } ?? [],
                                  maxTokens: maxTokens, stopTokens: stops)
        generator.recordsLikelihood = recordsLikelihood
        session.reset()
        do {
            return try generator.generate(in: session, prompt: ids) { token in
                onToken(token)
                return true
            }
        } catch let error as GenerationError {
            throw CLIFailure(error.description)
        }
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

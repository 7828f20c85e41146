import GGUF
import Generation
import Tokenizer
import Watermark

/// Why a model could not be loaded or could not generate.
public enum WatermarkedGenerationError: Error, CustomStringConvertible, Sendable, Equatable {
    case model(GGUFError)
    case runtime(GenerationError)
    case tokenizer(TokenizerError)
    case watermark(WatermarkError)
    /// The chat template uses a control token that the vocabulary lacks.
    case chatTokenMissing(String)
    /// The prompt has `tokens` tokens; the model's context holds `limit`.
    case promptTooLong(tokens: Int, limit: Int)

    public var description: String {
        switch self {
        case .model(let error): return error.description
        case .runtime(let error): return error.description
        case .tokenizer(let error): return error.description
        case .watermark(let error): return error.description
        case .chatTokenMissing(let spelling): return "the model's chat template uses \(spelling), which its vocabulary lacks"
        case .promptTooLong(let tokens, let limit): return "the prompt has \(tokens) tokens; the model's context holds \(limit)"
        }
    }
}

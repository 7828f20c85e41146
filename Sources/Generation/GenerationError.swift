internal import SystemSupport
import GGUF

/// A model could not be loaded or run.
///
/// `description` is one line naming the file (and the tensor or metadata key, where one
/// applies), suitable for a command-line error message.
public struct GenerationError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What went wrong.
    public enum Reason: Sendable, Equatable {
        /// The GGUF file itself is malformed (the reader's message).
        case file(String)
        /// `general.architecture` names a model family this runtime does not run.
        case unsupportedArchitecture(String)
        /// A required metadata key is missing or has the wrong type.
        case missingMetadata(key: String, expected: String)
        /// A metadata value is out of range or inconsistent with the others.
        case invalidMetadata(key: String, problem: String)
        /// A required tensor is missing.
        case missingTensor(String)
        /// A tensor's element type has no kernel in this runtime.
        case unsupportedTensorType(tensor: String, type: String)
        /// A tensor's shape does not match the hyper-parameters.
        case shapeMismatch(tensor: String, expected: [Int], found: [Int])
        /// The session's context is full.
        case contextFull(capacity: Int)
        /// A token id is not below the model's vocabulary size.
        case tokenOutOfRange(token: UInt32, vocabularySize: Int)
        /// A logits processor failed (its message).
        case processorFailed(String)
        /// The logits for the token at this 0-based position of the generated text held NaN
        /// or +∞, or nothing finite: the weights (or a processor) are broken, and sampling
        /// from them would be meaningless.
        case nonFiniteLogits(position: Int)
    }

    /// Path of the model file.
    public let path: String
    /// What went wrong.
    public let reason: Reason

    public init(path: String, reason: Reason) {
        self.path = path
        self.reason = reason
    }

    public var description: String {
        let message: String
        switch reason {
        case .file(let m): return m
        case .unsupportedArchitecture(let a):
            message = "unsupported model architecture \"\(a)\" (supported: \(LlamaConfiguration.supportedArchitectures.joined(separator: ", ")))"
        case .missingMetadata(let key, let expected): message = "metadata \"\(key)\": missing or not \(expected)"
        case .invalidMetadata(let key, let problem): message = "metadata \"\(key)\": \(problem)"
        case .missingTensor(let name): message = "tensor \"\(name)\" is missing"
        case .unsupportedTensorType(let name, let type):
            message = "tensor \"\(name)\" has type \(type), which this runtime cannot compute with (supported: \(Kernels.supportedTypeNames))"
        case .shapeMismatch(let name, let expected, let found):
            message = "tensor \"\(name)\" has shape \(found), expected \(expected)"
        case .contextFull(let capacity): message = "context is full (\(capacity) tokens)"
        case .tokenOutOfRange(let token, let size): message = "token id \(token) is not below the vocabulary size \(size)"
        case .processorFailed(let m): message = "logits processor failed: \(m)"
        case .nonFiniteLogits(let position):
            message = "the model gave non-finite logits (NaN or infinity) for generated token \(position + 1); its weights may be damaged"
        }
        return oneLine("\(path): \(message)", limit: 1000)
    }

}

internal import SystemSupport
import GGUF
/// A tokenizer definition could not be loaded or is not supported.
///
/// `description` is one line naming the source (a file path, or "tokenizer definition" for
/// values built in code) and what was found.
public struct TokenizerError: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// The definition is valid but uses something this module does not implement
        /// (WordPiece, Unigram, SentencePiece-style BPE, an unknown pre-tokenizer …).
        case unsupported
        /// The definition is malformed (missing field, wrong type, unknown token in a merge …).
        case invalid
        /// The file could not be read or parsed.
        case unreadable
    }

    public let kind: Kind
    /// Where the definition came from (a path).
    public let source: String
    /// What was found, in words.
    public let message: String

    public init(_ kind: Kind, source: String, _ message: String) {
        self.kind = kind
        self.source = source
        self.message = message
    }

    public var description: String {
        let what: String
        switch kind {
        case .unsupported: what = "unsupported tokenizer"
        case .invalid: what = "invalid tokenizer"
        case .unreadable: what = "cannot read tokenizer"
        }
        return oneLine("\(source): \(what): \(oneLine(message, limit: 400))")
    }
}


import GGUF

/// A piece of a rendered chat prompt: text to tokenize as plain text, or a control token
/// given by its spelling (such as `<|im_start|>`), which the caller maps to its id.
///
/// Keeping the two apart means a user's message that happens to contain `<|im_end|>` stays
/// text and cannot inject a control token.
public enum PromptPiece: Sendable, Hashable {
    case text(String)
    case special(String)
}

/// The chat format of an instruct model, recognised from its `tokenizer.chat_template`.
///
/// This does not run Jinja: it recognises the ChatML shape (`<|im_start|>role\n…<|im_end|>\n`,
/// used by SmolLM2, Qwen 2 and others) and the default system message such templates insert
/// when the conversation does not start with one.
public struct ChatTemplate: Sendable, Hashable {
    /// The system message the template inserts when none is given, if it has one.
    public let defaultSystemPrompt: String?

    /// Recognises a ChatML template, or returns `nil` for any other.
    public init?(template: String) {
        guard template.contains("<|im_start|>"), template.contains("<|im_end|>") else { return nil }
        defaultSystemPrompt = Self.defaultSystem(in: template)
    }

    /// The chat format named by the file's `tokenizer.chat_template`, or `nil` if it has none
    /// or it is not ChatML.
    public init?(file: GGUFFile) {
        guard let t = file["tokenizer.chat_template"]?.string else { return nil }
        self.init(template: t)
    }

    /// The prompt for one user message, ending with the assistant's header so the model
    /// answers. `system` replaces the default system message; an empty string leaves it out.
    public func render(user: String, system: String? = nil) -> [PromptPiece] {
        var pieces: [PromptPiece] = []
        if let s = system ?? defaultSystemPrompt, !s.isEmpty {
            pieces += [.special("<|im_start|>"), .text("system\n" + s), .special("<|im_end|>"), .text("\n")]
        }
        pieces += [.special("<|im_start|>"), .text("user\n" + user), .special("<|im_end|>"), .text("\n"),
                   .special("<|im_start|>"), .text("assistant\n")]
        return pieces
    }

    /// The text of a literal `<|im_start|>system\n…<|im_end|>` in the template (newline
    /// written either as a character or as Jinja's `\n` escape), if it is a constant.
    static func defaultSystem(in template: String) -> String? {
        let marker = "<|im_start|>system"
        var rest = Substring(template)
        while let r = rest.firstRange(of: marker) {
            rest = rest[r.upperBound...]
            var body = rest
            if body.hasPrefix("\n") {
                body = body.dropFirst()
            } else if body.hasPrefix("\\n") {
                body = body.dropFirst(2)
            } else {
                continue
            }
            guard let end = body.firstRange(of: "<|im_end|>") else { continue }
            let text = body[..<end.lowerBound]
            // A constant message has no quote, concatenation or template syntax inside.
            if text.isEmpty || text.contains(where: { "'\"{}+".contains($0) }) { continue }
            return String(text).replacingOccurrences(of: "\\n", with: "\n")
        }
        return nil
    }
}

extension String {
    fileprivate func replacingOccurrences(of target: String, with replacement: String) -> String {
        split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}

import Generation
import Tokenizer

/// Turns a prompt into ids: the chat format's control tokens by id, the text between them as
/// plain text, so that a prompt cannot inject control tokens.
public struct PromptEncoder: Sendable {
    public let tokenizer: BPETokenizer
    /// The model's chat format, or nil to send the prompt as it is.
    public let chat: ChatTemplate?
    /// The system message (nil: the template's own default, if it has one).
    public let system: String?
    public let addBOS: Bool

    public init(tokenizer: BPETokenizer, chat: ChatTemplate?, system: String? = nil, addBOS: Bool) {
        self.tokenizer = tokenizer
        self.chat = chat
        self.system = system
        self.addBOS = addBOS
    }

    public func encode(_ prompt: String) throws(WatermarkedGenerationError) -> [UInt32] {
        var ids: [UInt32] = []
        if addBOS, let bos = tokenizer.bosTokenID { ids.append(bos) }
        guard let chat else { return ids + tokenizer.encode(prompt, specialTokens: .plainText) }
        for piece in chat.render(user: prompt, system: system) {
            switch piece {
            case .text(let text): ids += tokenizer.encode(text, specialTokens: .plainText)
            case .special(let spelling):
                guard let id = tokenizer.id(for: spelling) else { throw .chatTokenMissing(spelling) }
                ids.append(id)
            }
        }
        return ids
    }
}

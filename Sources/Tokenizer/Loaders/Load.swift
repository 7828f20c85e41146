import Foundation
internal import SystemSupport
import GGUF

extension BPETokenizer {
    /// Loads a tokenizer from a GGUF file, a Hugging Face `tokenizer.json` or a tiktoken rank
    /// file, recognised by content (`GGUF` magic, a JSON object, or `base64 rank` lines).
    ///
    /// A rank file needs its split pattern: `pattern`, or else the file name tells it
    /// (`cl100k_base.tiktoken`, `qwen.tiktoken`, `gpt2.tiktoken`, `qwen3_6.tiktoken`, a
    /// Llama 3 `tokenizer.model`); `specialTokens` are added beside the ranks (for the names
    /// above, the standard special tokens are used when none are given).
    public static func load(
        path: String, pattern: TiktokenPattern? = nil, specialTokens: [String: UInt32]? = nil
    ) throws -> BPETokenizer {
        let head: [UInt8]
        do {
            let fd = try SystemFile.openForReading(path, regularOnly: true)
            defer { try? fd.close() }
            var buffer = [UInt8](repeating: 0, count: 64)
            let n = try SystemFile.read(fd, into: &buffer)
            head = Array(buffer[0..<n])
        } catch {
            throw TokenizerError(.unreadable, source: path, error.description)
        }
        if head.starts(with: Array("GGUF".utf8)) {
            return try BPETokenizer(gguf: try GGUFFile(path: path))
        }
        if let first = head.first(where: { ![0x20, 0x09, 0x0A, 0x0D, 0xEF, 0xBB, 0xBF].contains($0) }),
            first == UInt8(ascii: "{")
        {
            return try BPETokenizer(tokenizerJSONPath: path)
        }
        if head.isEmpty { throw TokenizerError(.invalid, source: path, "empty file") }
        let name = URL(fileURLWithPath: path).lastPathComponent.lowercased()
        guard let p = pattern ?? Self.guessPattern(fileName: name) else {
            throw TokenizerError(
                .invalid, source: path,
                "looks like a tiktoken rank file but its split pattern is unknown; name one (\(TiktokenPattern.allCases.map(\.rawValue).joined(separator: ", ")))"
            )
        }
        let specials = specialTokens ?? Self.standardSpecialTokens(fileName: name, pattern: p)
        return try BPETokenizer(tiktokenRanks: path, pattern: p, specialTokens: specials)
    }

    /// Token ids must be below this (2^21 = 2 097 152; the largest vocabularies in use have
    /// about 262 000), so that a hostile definition cannot size the token table at will.
    public static let maximumTokenCount = 1 << 21

    /// Definitions are read whole; the largest in use (Qwen's, Llama 3's) are about 10 MB.
    static let maximumDefinitionBytes = 256 << 20

    /// The bytes of a definition file, refusing what is not a regular file or is too large.
    static func readDefinition(_ path: String) throws(TokenizerError) -> [UInt8] {
        do { return try SystemFile.read(path: path, limit: maximumDefinitionBytes, regularOnly: true) } catch {
            throw TokenizerError(.unreadable, source: path, error.description)
        }
    }

    static func guessPattern(fileName: String) -> TiktokenPattern? {
        if fileName.hasPrefix("cl100k") { return .cl100k }
        if fileName.hasPrefix("o200k") { return .o200k }
        if fileName.hasPrefix("qwen3_5") || fileName.hasPrefix("qwen3_6") { return .qwen35 }
        if fileName.hasPrefix("qwen") { return .qwen2 }
        if fileName.hasPrefix("gpt2") || fileName.hasPrefix("r50k") { return .gpt2 }
        if fileName == "tokenizer.model" { return .llama3 }
        return nil
    }

    /// Special tokens of well-known rank files (ids immediately follow the ranks).
    static func standardSpecialTokens(fileName: String, pattern: TiktokenPattern) -> [String: UInt32] {
        if fileName.hasPrefix("cl100k") {
            return [
                "<|endoftext|>": 100257, "<|fim_prefix|>": 100258, "<|fim_middle|>": 100259, "<|fim_suffix|>": 100260,
                "<|endofprompt|>": 100276,
            ]
        }
        if fileName.hasPrefix("o200k") { return ["<|endoftext|>": 199999, "<|endofprompt|>": 200018] }
        if fileName.hasPrefix("gpt2") || fileName.hasPrefix("r50k") { return ["<|endoftext|>": 50256] }
        if pattern == .qwen2 { return ["<|endoftext|>": 151643, "<|im_start|>": 151644, "<|im_end|>": 151645] }
        if pattern == .llama3 && fileName == "tokenizer.model" {
            // Llama 3: 128 000 ranks, then 256 special tokens.
            var s: [String: UInt32] = [:]
            let named = [
                "<|begin_of_text|>", "<|end_of_text|>", "<|reserved_special_token_0|>", "<|reserved_special_token_1|>",
                "<|finetune_right_pad_id|>", "<|step_id|>", "<|start_header_id|>", "<|end_header_id|>", "<|eom_id|>",
                "<|eot_id|>", "<|python_tag|>", "<|image|>",
            ]
            for (i, n) in named.enumerated() { s[n] = UInt32(128000 + i) }
            for i in named.count..<256 { s["<|reserved_special_token_\(i - named.count + 2)|>"] = UInt32(128000 + i) }
            return s
        }
        return [:]
    }
}

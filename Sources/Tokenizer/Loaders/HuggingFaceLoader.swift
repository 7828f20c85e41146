import Foundation
internal import SystemSupport

extension BPETokenizer {
    /// Loads a Hugging Face `tokenizer.json` file.
    public convenience init(tokenizerJSONPath path: String) throws(TokenizerError) {
        let data = Data(try Self.readDefinition(path))
        try self.init(tokenizerJSON: data, source: path)
    }

    /// Loads a Hugging Face `tokenizer.json` definition.
    ///
    /// Requires `model.type = "BPE"` over the GPT-2 byte alphabet, and a pre-tokenizer of a
    /// known shape: `ByteLevel` (GPT-2 rules), `Sequence[Digits(individual), ByteLevel]`
    /// (SmolLM), or `Sequence[Split(Regex …, Isolated), ByteLevel(use_regex: false)]` with the
    /// Llama 3, cl100k, o200k, Qwen 2 or Qwen 3.5 pattern. Normalizer: none or `NFC`. Merges may be
    /// `"a b"` strings or `["a", "b"]` pairs. WordPiece, Unigram, WordLevel, SentencePiece-style
    /// BPE (`▁`, byte fallback) and unknown shapes throw ``TokenizerError`` naming what was found.
    public convenience init(tokenizerJSON data: Data, source: String = "tokenizer.json") throws(TokenizerError) {
        let root: [String: Any]
        do {
            guard let r = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
                throw TokenizerError(.invalid, source: source, "top level is not a JSON object")
            }
            root = r
        } catch let e as TokenizerError {
            throw e
        } catch {
            throw TokenizerError(.unreadable, source: source, "not valid JSON (\(error.localizedDescription))")
        }
        func invalid(_ m: String) -> TokenizerError { TokenizerError(.invalid, source: source, m) }
        func unsupported(_ m: String) -> TokenizerError { TokenizerError(.unsupported, source: source, m) }

        guard let model = root["model"] as? [String: Any] else { throw invalid("missing \"model\" object") }
        let type = model["type"] as? String ?? (model["merges"] != nil ? "BPE" : "?")
        switch type {
        case "BPE": break
        case "WordPiece": throw unsupported("model.type = \"WordPiece\" (BERT-style); only byte-level BPE is supported")
        case "Unigram":
            throw unsupported("model.type = \"Unigram\" (SentencePiece unigram); only byte-level BPE is supported")
        case "WordLevel": throw unsupported("model.type = \"WordLevel\"; only byte-level BPE is supported")
        default: throw unsupported("model.type = \"\(type)\"; only byte-level BPE is supported")
        }
        if (model["byte_fallback"] as? Bool) == true {
            throw unsupported(
                "SentencePiece-style BPE (model.byte_fallback = true, <0xNN> byte tokens); only byte-level BPE is supported"
            )
        }
        if let s = model["continuing_subword_prefix"] as? String, !s.isEmpty {
            throw unsupported("model.continuing_subword_prefix = \"\(s)\"")
        }
        if let s = model["end_of_word_suffix"] as? String, !s.isEmpty {
            throw unsupported("model.end_of_word_suffix = \"\(s)\"")
        }
        if let d = model["dropout"] as? Double, d > 0 {
            throw unsupported("model.dropout = \(d) (non-deterministic BPE)")
        }
        let ignoreMerges = model["ignore_merges"] as? Bool ?? false

        if let n = root["normalizer"] as? [String: Any], let s = Self.sentencePieceMarker(n) {
            throw unsupported("SentencePiece-style BPE (normalizer \(s))")
        }
        let normalization: Normalization
        switch root["normalizer"] {
        case nil, is NSNull: normalization = .none
        case let n as [String: Any] where n["type"] as? String == "NFC": normalization = .nfc
        case let n as [String: Any]
        where n["type"] as? String == "Sequence" && (n["normalizers"] as? [Any])?.isEmpty == true:
            normalization = .none
        case let n as [String: Any]: throw unsupported("normalizer \(Self.describe(n))")
        default: throw invalid("normalizer is not an object")
        }

        let pre = root["pre_tokenizer"]
        if let p = pre as? [String: Any], let s = Self.sentencePieceMarker(p) {
            throw unsupported("SentencePiece-style BPE (pre_tokenizer \(s))")
        }
        let preTokenizer = try Self.recognizePreTokenizer(pre, source: source)

        guard let vocab = model["vocab"] as? [String: Any] else { throw invalid("missing model.vocab object") }
        var maxID = -1
        var pairs: [(String, Int)] = []
        pairs.reserveCapacity(vocab.count)
        for (k, v) in vocab {
            guard let n = v as? NSNumber, let i = Int(exactly: n.doubleValue), i >= 0 else {
                throw invalid("model.vocab[\"\(oneLine(k, limit: 100))\"] is not a token id")
            }
            // The token table is sized by the largest id: bound it before allocating.
            guard i < Self.maximumTokenCount else {
                throw invalid("model.vocab[\"\(oneLine(k, limit: 100))\"] has id \(i), not below \(Self.maximumTokenCount)")
            }
            pairs.append((k, i))
            maxID = max(maxID, i)
        }
        var tokens = [String?](repeating: nil, count: maxID + 1)
        for (k, i) in pairs {
            if let existing = tokens[i] { throw invalid("ids \(i) used by both \"\(existing)\" and \"\(k)\"") }
            tokens[i] = k
        }
        if tokens.count > 0, tokens.compactMap({ $0 }).contains(where: { $0.hasPrefix("▁") }),
            !tokens.compactMap({ $0 }).contains(where: { $0.hasPrefix("Ġ") })
        {
            throw unsupported("SentencePiece-style BPE (vocabulary spelled with \"▁\")")
        }

        var merges: [(String, String)] = []
        guard let rawMerges = model["merges"] as? [Any] else { throw invalid("missing model.merges array") }
        merges.reserveCapacity(rawMerges.count)
        for (i, m) in rawMerges.enumerated() {
            if let s = m as? String {
                guard let space = s.firstIndex(of: " ") else { throw invalid("merge \(i) \"\(s)\" has no space") }
                merges.append((String(s[..<space]), String(s[s.index(after: space)...])))
            } else if let a = m as? [Any], a.count == 2, let l = a[0] as? String, let r = a[1] as? String {
                merges.append((l, r))
            } else {
                throw invalid("merge \(i) is neither \"a b\" nor [\"a\", \"b\"]")
            }
        }

        var added: [AddedToken] = []
        for (i, t) in ((root["added_tokens"] as? [Any]) ?? []).enumerated() {
            guard let t = t as? [String: Any], let content = t["content"] as? String,
                let idNumber = t["id"] as? NSNumber, let id = UInt32(exactly: idNumber.doubleValue)
            else {
                throw invalid("added_tokens[\(i)] needs \"id\" and \"content\"")
            }
            added.append(
                AddedToken(
                    id: id, content: content, isSpecial: t["special"] as? Bool ?? false,
                    leftStrip: t["lstrip"] as? Bool ?? false, rightStrip: t["rstrip"] as? Bool ?? false,
                    singleWord: t["single_word"] as? Bool ?? false))
        }
        try self.init(
            vocabularyTokens: tokens, merges: merges, addedTokens: added, preTokenizer: preTokenizer,
            normalization: normalization, ignoresMerges: ignoreMerges, source: source)
    }

    /// The regexes of the supported families, as Hugging Face and tiktoken write them.
    static let knownSplitPatterns: [String: PreTokenizer] = [
        #"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"#: .gpt2,
        #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#:
            .llama3,
        // tiktoken's earlier cl100k form, equivalent to Llama 3's
        #"'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]++[\r\n]*|\s*[\r\n]|\s+(?!\S)|\s+"#:
            .llama3,
        // tiktoken's current cl100k form
        #"'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++$|\s*[\r\n]|\s+(?!\S)|\s"#:
            .cl100k,
        #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#:
            .qwen2,
        #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?[\p{L}\p{M}]+|\p{N}| ?[^\s\p{L}\p{M}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#:
            .qwen35,
        #"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+"#:
            .o200k,
    ]

    /// Maps a `pre_tokenizer` JSON value to a scanner, or throws naming the shape found.
    static func recognizePreTokenizer(_ value: Any?, source: String) throws(TokenizerError) -> PreTokenizer {
        func unsupported(_ what: String) -> TokenizerError {
            TokenizerError(
                .unsupported, source: source,
                "pre_tokenizer \(what) (supported: ByteLevel; Sequence[Digits(individual_digits), ByteLevel]; Sequence[Split(Regex of GPT-2, Llama 3, cl100k, o200k, Qwen 2 or Qwen 3.5, Isolated), ByteLevel(use_regex: false)])"
            )
        }
        guard let p = value as? [String: Any] else {
            throw unsupported(value == nil || value is NSNull ? "null" : "of unknown form")
        }
        func isByteLevel(_ p: [String: Any], regex: Bool) -> Bool {
            guard p["type"] as? String == "ByteLevel", (p["add_prefix_space"] as? Bool ?? false) == false else {
                return false
            }
            return (p["use_regex"] as? Bool ?? true) == regex
        }
        if isByteLevel(p, regex: true) { return .gpt2 }
        guard p["type"] as? String == "Sequence", let steps = p["pretokenizers"] as? [[String: Any]] else {
            throw unsupported(describe(p))
        }
        if steps.count == 2, steps[0]["type"] as? String == "Digits", steps[0]["individual_digits"] as? Bool == true,
            isByteLevel(steps[1], regex: true)
        {
            return .smollm
        }
        if steps.count == 2, steps[0]["type"] as? String == "Split", isByteLevel(steps[1], regex: false),
            (steps[0]["behavior"] as? String) == "Isolated", (steps[0]["invert"] as? Bool ?? false) == false,
            let pattern = steps[0]["pattern"] as? [String: Any], let regex = pattern["Regex"] as? String
        {
            if let known = knownSplitPatterns[regex] { return known }
            throw unsupported("Split with unknown regex \(regex)")
        }
        throw unsupported(describe(p))
    }

    /// A short rendering of a JSON component for error messages: its type and nested types.
    static func describe(_ p: [String: Any]) -> String {
        let type = p["type"] as? String ?? "?"
        if let steps = (p["pretokenizers"] ?? p["normalizers"]) as? [[String: Any]] {
            return "\(type)[" + steps.map { describe($0) }.joined(separator: ", ") + "]"
        }
        return type
    }

    /// Names the SentencePiece marker in a normalizer or pre-tokenizer, if any.
    static func sentencePieceMarker(_ p: [String: Any]) -> String? {
        let type = p["type"] as? String ?? ""
        if type == "Metaspace" { return "Metaspace" }
        if type == "Prepend", (p["prepend"] as? String) == "▁" { return "Prepend(\"▁\")" }
        if type == "Replace", (p["content"] as? String) == "▁" { return "Replace(\" \" → \"▁\")" }
        for key in ["pretokenizers", "normalizers"] {
            for step in (p[key] as? [[String: Any]]) ?? [] {
                if let m = sentencePieceMarker(step) { return m }
            }
        }
        return nil
    }
}

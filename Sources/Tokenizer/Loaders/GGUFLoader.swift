import GGUF

extension BPETokenizer {
    /// Loads the tokenizer stored in a GGUF file's metadata (`tokenizer.ggml.*`).
    ///
    /// Requires `tokenizer.ggml.model = "gpt2"` (byte-level BPE) and a known
    /// `tokenizer.ggml.pre`. CONTROL tokens become special added tokens, USER_DEFINED tokens
    /// non-special added tokens. Other models (`llama` = SentencePiece BPE, `bert` =
    /// WordPiece, `t5` = Unigram, …) throw ``TokenizerError`` naming what was found.
    public convenience init(gguf file: GGUFFile) throws(TokenizerError) {
        let source = file.path
        func string(_ key: String) throws(TokenizerError) -> String {
            guard let v = file[key] else { throw TokenizerError(.invalid, source: source, "missing \(key)") }
            guard let s = v.string else {
                throw TokenizerError(.invalid, source: source, "\(key) is \(v.type), expected string")
            }
            return s
        }
        func optionalID(_ key: String) throws(TokenizerError) -> UInt32? {
            guard let v = file[key] else { return nil }
            guard let i = v.int, let id = UInt32(exactly: i) else {
                throw TokenizerError(.invalid, source: source, "\(key) is \(v), expected a token id")
            }
            return id
        }

        let model = try string("tokenizer.ggml.model")
        guard model == "gpt2" else {
            throw TokenizerError(
                .unsupported, source: source,
                "tokenizer.ggml.model = \"\(model)\" (\(describeGGUFModel(model))); only \"gpt2\" (byte-level BPE) is supported"
            )
        }
        guard let preValue = file["tokenizer.ggml.pre"] else {
            throw TokenizerError(
                .unsupported, source: source,
                "tokenizer.ggml.pre is missing; cannot tell which pre-tokenizer rules apply")
        }
        guard let pre = preValue.string else {
            throw TokenizerError(.invalid, source: source, "tokenizer.ggml.pre is \(preValue.type), expected string")
        }
        guard let preTokenizer = PreTokenizer(ggufName: pre) else {
            throw TokenizerError(
                .unsupported, source: source,
                "tokenizer.ggml.pre = \"\(pre)\" (supported: gpt2, smollm, llama-bpe, qwen2, qwen35, gpt-4o)")
        }
        // Read as UTF-8, never as one `String` per token or merge (a fifth of the load).
        guard let tokenStrings = file["tokenizer.ggml.tokens"]?.array?.withUTF8Strings({ $0 }) else {
            throw TokenizerError(
                .invalid, source: source, "tokenizer.ggml.tokens is missing or not an array of strings")
        }
        var tokens = SpellingList(reservingCapacity: tokenStrings.count, bytes: 0)
        tokenStrings.withAllBytes { bytes, ends in
            var start = 0
            for end in ends {
                tokens.append(utf8: UnsafeBufferPointer(rebasing: bytes[start..<end]))
                start = end
            }
        }
        guard tokens.count < Int(UInt32.max) else {
            throw TokenizerError(.invalid, source: source, "too many tokens (\(tokens.count))")
        }
        var types = [Int](repeating: 1, count: tokens.count)
        if let tv = file["tokenizer.ggml.token_type"] {
            guard let t = tv.intArray, t.count == tokens.count else {
                throw TokenizerError(
                    .invalid, source: source, "tokenizer.ggml.token_type must be \(tokens.count) integers")
            }
            types = t
        }
        guard let mergeStrings = file["tokenizer.ggml.merges"]?.array?.withUTF8Strings({ $0 }) else {
            throw TokenizerError(
                .invalid, source: source, "tokenizer.ggml.merges is missing or not an array of strings")
        }

        // llama.cpp token types: 1 normal, 2 unknown, 3 control, 4 user-defined, 5 unused, 6 byte.
        var added: [AddedToken] = []
        for (i, t) in types.enumerated() where t == 3 || t == 4 {
            // Every element is a string (the array's type was checked above).
            if let content = tokens.string(i) { added.append(AddedToken(id: UInt32(i), content: content, isSpecial: t == 3)) }
        }
        try self.init(
            spellings: tokens, mergeList: .joinedUTF8(mergeStrings), addedTokens: added, preTokenizer: preTokenizer,
            normalization: preTokenizer == .qwen2 ? .nfc : .none,
            // llama.cpp applies ignore_merges for the Llama 3 rules, as the HF definition does.
            ignoresMerges: preTokenizer == .llama3,
            bosTokenID: try optionalID("tokenizer.ggml.bos_token_id"),
            eosTokenID: try optionalID("tokenizer.ggml.eos_token_id"),
            source: source)
    }

    /// Loads the tokenizer of the GGUF file at `path`.
    public convenience init(ggufPath path: String) throws {
        try self.init(gguf: try GGUFFile(path: path))
    }
}

func describeGGUFModel(_ model: String) -> String {
    switch model {
    case "llama": return "SentencePiece-style BPE"
    case "bert": return "WordPiece"
    case "t5": return "Unigram"
    case "rwkv": return "RWKV trie tokenizer"
    case "no_vocab", "none": return "no vocabulary"
    default: return "unknown tokenizer model"
    }
}

/// Merge rules as a loader has them: pairs of spellings, or GGUF's `"left right"` strings,
/// which are looked up in place (two new strings per rule were a tenth of the load).
enum MergeList {
    case pairs([(String, String)])
    case joined([String])
    /// GGUF's strings as the file has them, UTF-8 in one buffer.
    case joinedUTF8(GGUFUTF8Strings)

    var count: Int {
        switch self {
        case .pairs(let p): return p.count
        case .joined(let j): return j.count
        case .joinedUTF8(let j): return j.count
        }
    }
}

/// Where each `"left right"` merge string splits: its first space after the first character
/// (a byte-level spelling never contains a space, so this is unambiguous).
func mergeSplits(utf8 merge: UnsafeBufferPointer<UInt8>) -> Int? {
    guard merge.count > 1 else { return nil }
    return merge[1...].firstIndex(of: 0x20)
}

func mergeSplits(_ merges: [String], source: String) throws(TokenizerError) -> [Int] {
    var out: [Int] = []
    out.reserveCapacity(merges.count)
    for (i, m) in merges.enumerated() {
        var m = m
        let space = m.withUTF8 { p -> Int? in
            guard p.count > 1 else { return nil }
            return p[1...].firstIndex(of: 0x20)
        }
        guard let space else {
            throw TokenizerError(.invalid, source: source, "merge \(i) \"\(m)\" is not two tokens separated by a space")
        }
        out.append(space)
    }
    return out
}

extension BPETokenizer {
    /// Builds a tokenizer from a vocabulary in the GPT-2 byte alphabet, indexed by id (the
    /// form GGUF files and Hugging Face definitions use).
    ///
    /// - Parameters:
    ///   - vocabularyTokens: the spelling of each id (`nil` for an unused id).
    ///   - merges: merge rules, highest priority first.
    ///   - addedTokens: tokens matched in raw text before pre-tokenization; an id past the
    ///     vocabulary extends it.
    public convenience init(
        vocabularyTokens: [String?], merges: [(String, String)], addedTokens: [AddedToken] = [],
        preTokenizer: PreTokenizer, normalization: Normalization = .none, ignoresMerges: Bool = false,
        bosTokenID: UInt32? = nil, eosTokenID: UInt32? = nil, source: String = "tokenizer definition"
    ) throws(TokenizerError) {
        try self.init(vocabularyTokens: vocabularyTokens, mergeList: .pairs(merges), addedTokens: addedTokens,
                      preTokenizer: preTokenizer, normalization: normalization, ignoresMerges: ignoresMerges,
                      bosTokenID: bosTokenID, eosTokenID: eosTokenID, source: source)
    }

    convenience init(
        vocabularyTokens: [String?], mergeList: MergeList, addedTokens: [AddedToken],
        preTokenizer: PreTokenizer, normalization: Normalization, ignoresMerges: Bool,
        bosTokenID: UInt32?, eosTokenID: UInt32?, source: String
    ) throws(TokenizerError) {
        try self.init(spellings: SpellingList(vocabularyTokens), mergeList: mergeList, addedTokens: addedTokens,
                      preTokenizer: preTokenizer, normalization: normalization, ignoresMerges: ignoresMerges,
                      bosTokenID: bosTokenID, eosTokenID: eosTokenID, source: source)
    }

    convenience init(
        spellings vocabularyTokens: SpellingList, mergeList: MergeList, addedTokens: [AddedToken],
        preTokenizer: PreTokenizer, normalization: Normalization, ignoresMerges: Bool,
        bosTokenID: UInt32?, eosTokenID: UInt32?, source: String
    ) throws(TokenizerError) {
        let modelCount = vocabularyTokens.count
        var tokens = vocabularyTokens
        guard modelCount <= Self.maximumTokenCount else {
            throw TokenizerError(.invalid, source: source, "\(modelCount) tokens is more than the \(Self.maximumTokenCount) this loader accepts")
        }
        for t in addedTokens {
            let i = Int(t.id)
            guard i < Self.maximumTokenCount else {
                throw TokenizerError(.invalid, source: source, "added token id \(t.id) is not below \(Self.maximumTokenCount)")
            }
            while tokens.count < i { tokens.appendAbsent() }
            tokens = tokens.setting(i, to: t.content)
        }
        var ids = SpellingIndex(capacity: modelCount)
        for i in 0..<modelCount {
            _ = vocabularyTokens.withSpelling(i) { ids.insertIfAbsent(utf8: $0, value: UInt32(i)) }
        }
        var rules: [(left: UInt32, right: UInt32, rank: UInt32, merged: UInt32)] = []
        rules.reserveCapacity(mergeList.count)
        var pairs: [(UInt32, UInt32)] = []
        pairs.reserveCapacity(mergeList.count)
        // Both kinds of list come down to three byte lookups a rule; the spellings are made as
        // strings only for a rule that fails.
        let empty = UnsafeBufferPointer<UInt8>(start: nil, count: 0)
        func lookUp(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> (UInt32?, UInt32?, UInt32?) {
            (ids.find(a, empty), ids.find(b, empty), ids.find(a, b))
        }
        func add(_ rank: Int, _ found: (UInt32?, UInt32?, UInt32?), spellings: () -> (String, String)) throws(TokenizerError) {
            guard let l = found.0, let r = found.1, let m = found.2 else {
                let (a, b) = spellings()
                let what = found.0 == nil ? a : found.1 == nil ? b : a + b
                throw TokenizerError(.invalid, source: source, "merge \(rank) \"\(a) \(b)\": \"\(what)\" is not in the vocabulary")
            }
            rules.append((l, r, UInt32(rank), m))
            pairs.append((l, r))
        }
        switch mergeList {
        case .pairs(let merges):
            for (rank, (a, b)) in merges.enumerated() {
                var a = a, b = b
                let found = a.withUTF8 { pa in b.withUTF8 { pb in lookUp(pa, pb) } }
                try add(rank, found) { (a, b) }
            }
        case .joined(let merges):
            let splits = try mergeSplits(merges, source: source)
            for (rank, merge) in merges.enumerated() {
                var merge = merge
                let space = splits[rank]
                let found = merge.withUTF8 { p in
                    lookUp(UnsafeBufferPointer(rebasing: p[..<space]), UnsafeBufferPointer(rebasing: p[(space + 1)...]))
                }
                try add(rank, found) {
                    let cut = merge.utf8.index(merge.startIndex, offsetBy: space)
                    return (String(merge[..<cut]), String(merge[merge.utf8.index(after: cut)...]))
                }
            }
        case .joinedUTF8(let merges):
            try merges.withAllBytes { (bytes, ends) throws(TokenizerError) in
                var start = 0
                for rank in 0..<ends.count {
                    let merge = UnsafeBufferPointer(rebasing: bytes[start..<ends[rank]])
                    start = ends[rank]
                    guard let space = mergeSplits(utf8: merge) else {
                        throw TokenizerError(.invalid, source: source,
                                             "merge \(rank) \"\(String(decoding: merge, as: UTF8.self))\" is not two tokens separated by a space")
                    }
                    let left = UnsafeBufferPointer(rebasing: merge[..<space])
                    let right = UnsafeBufferPointer(rebasing: merge[(space + 1)...])
                    try add(rank, lookUp(left, right)) {
                        (String(decoding: left, as: UTF8.self), String(decoding: right, as: UTF8.self))
                    }
                }
            }
        }
        // The index of every spelling, built once: the vocabulary's, then the ids past it in
        // order, as the designated initializer would build it from `tokens`, unless an added
        // token respelled a vocabulary id (then the vocabulary's index is not that one).
        let respelled = addedTokens.contains { t in
            Int(t.id) < modelCount && !vocabularyTokens.spells(Int(t.id), t.content.utf8)
        }
        var spellings: SpellingIndex? = nil
        if !respelled {
            for i in modelCount..<tokens.count { _ = tokens.withSpelling(i) { ids.insertIfAbsent(utf8: $0, value: UInt32(i)) } }
            spellings = ids
        }
        // Decoding follows the byte-level decoder: a spelling entirely in the byte alphabet
        // maps back to bytes; any other (an added token such as `<|im_end|>` with characters
        // outside it) is its own UTF-8.
        var decode = ByteStrings(reservingCapacity: tokens.count, bytes: tokens.count * 8)
        for i in 0..<tokens.count {
            if tokens.withSpelling(i, { decode.append(decodingUTF8: $0) }) == nil { decode.append(EmptyCollection()) }
        }
        try self.init(
            tokens: tokens, spellings: spellings, modelTokenCount: modelCount, decodeBytes: decode, mergeRules: rules,
            mergeSource: .rules(pairs),
            addedTokens: addedTokens, preTokenizer: preTokenizer, normalization: normalization,
            ignoresMerges: ignoresMerges,
            bosTokenID: bosTokenID, eosTokenID: eosTokenID, unknownID: nil, source: source)
    }
}

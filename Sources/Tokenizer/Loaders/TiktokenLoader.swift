#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
internal import SystemSupport
#endif

extension BPETokenizer {
    /// The split patterns a rank file can be used with.
    public enum TiktokenPattern: String, Sendable, CaseIterable {
        /// GPT-2 / r50k (`gpt2` rules).
        case gpt2
        /// OpenAI cl100k.
        case cl100k
        /// Llama 3.
        case llama3
        /// Qwen, Qwen 2, Qwen 2.5.
        case qwen2
        /// Qwen 3.5 / 3.6 (marks join letters).
        case qwen35
        /// OpenAI o200k.
        case o200k

        var preTokenizer: PreTokenizer {
            switch self {
            case .gpt2: return .gpt2
            case .cl100k: return .cl100k
            case .llama3: return .llama3
            case .qwen2: return .qwen2
            case .qwen35: return .qwen35
            case .o200k: return .o200k
            }
        }
    }

    /// Loads a tiktoken rank file: one `base64(token bytes) rank` pair a line; the rank is
    /// the token id and the merge priority. Special tokens are not in the file and are given
    /// beside it (`content → id`).
    ///
    /// Encoding follows tiktoken: a piece that is itself a token is that token; otherwise
    /// adjacent parts merge lowest-rank first.
    public convenience init(
        tiktokenRanks path: String, pattern: TiktokenPattern, specialTokens: [String: UInt32] = [:],
        normalization: Normalization = .none
    ) throws(TokenizerError) {
        let data = Data(try Self.readDefinition(path))
        try self.init(
            tiktokenRankData: data, pattern: pattern, specialTokens: specialTokens, normalization: normalization,
            source: path)
    }

    /// Loads tiktoken ranks from the file's bytes; see ``init(tiktokenRanks:pattern:specialTokens:normalization:)``.
    public convenience init(
        tiktokenRankData data: Data, pattern: TiktokenPattern, specialTokens: [String: UInt32] = [:],
        normalization: Normalization = .none, source: String = "tiktoken ranks"
    ) throws(TokenizerError) {
        var byRank: [[UInt8]?] = []
        var lineNumber = 0
        var parseError: TokenizerError? = nil
        data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
            let bytes = raw.bindMemory(to: UInt8.self)
            var i = 0
            let n = bytes.count
            while i < n {
                lineNumber += 1
                var e = i
                while e < n && bytes[e] != 0x0A { e += 1 }
                var lineEnd = e
                if lineEnd > i && bytes[lineEnd - 1] == 0x0D { lineEnd -= 1 }
                defer { i = e + 1 }
                if lineEnd == i { continue }  // blank line
                guard let space = (i..<lineEnd).first(where: { bytes[$0] == 0x20 }) else {
                    parseError = TokenizerError(
                        .invalid, source: source, "line \(lineNumber): expected \"base64-token rank\"")
                    return
                }
                guard let token = decodeBase64(UnsafeBufferPointer(rebasing: bytes[i..<space])) else {
                    parseError = TokenizerError(.invalid, source: source, "line \(lineNumber): invalid base64 token")
                    return
                }
                var rank = 0
                var digits = 0
                for k in (space + 1)..<lineEnd {
                    let d = bytes[k]
                    guard d >= 0x30 && d <= 0x39, rank < 1 << 31 else {
                        parseError = TokenizerError(.invalid, source: source, "line \(lineNumber): invalid rank")
                        return
                    }
                    rank = rank * 10 + Int(d - 0x30)
                    digits += 1
                }
                guard digits > 0, rank < Self.maximumTokenCount else {
                    parseError = TokenizerError(.invalid, source: source, "line \(lineNumber): invalid rank")
                    return
                }
                if rank >= byRank.count { byRank += [[UInt8]?](repeating: nil, count: rank + 1 - byRank.count) }
                if byRank[rank] != nil {
                    parseError = TokenizerError(
                        .invalid, source: source, "line \(lineNumber): rank \(rank) appears twice")
                    return
                }
                byRank[rank] = token
            }
        }
        if let parseError { throw parseError }
        guard !byRank.isEmpty else { throw TokenizerError(.invalid, source: source, "no ranks found") }
        try self.init(
            rankedTokens: byRank, preTokenizer: pattern.preTokenizer, specialTokens: specialTokens,
            normalization: normalization, source: source)
    }

    /// Builds a tiktoken-style tokenizer from token bytes indexed by rank.
    convenience init(
        rankedTokens byRank: [[UInt8]?], preTokenizer: PreTokenizer, specialTokens: [String: UInt32],
        normalization: Normalization, source: String
    ) throws(TokenizerError) {
        let table = ByteStringTable(byRank.enumerated().compactMap { i, b in b.map { ($0, UInt32(i)) } })
        guard table.count == byRank.lazy.compactMap({ $0 }).count else {
            throw TokenizerError(.invalid, source: source, "the same token bytes appear under two ranks")
        }
        // tiktoken merges two adjacent parts when their concatenation is a token, lowest rank
        // first; every split of a token into two tokens is such a rule.
        var rules: [(left: UInt32, right: UInt32, rank: UInt32, merged: UInt32)] = []
        rules.reserveCapacity(byRank.count * 2)
        for (rank, token) in byRank.enumerated() {
            guard let token, token.count >= 2 else { continue }
            token.withUnsafeBufferPointer { b in
                let p = b.baseAddress!
                for k in 1..<token.count {
                    if let l = table.lookup(p, k), let r = table.lookup(p + k, token.count - k) {
                        rules.append((l, r, UInt32(rank), UInt32(rank)))
                    }
                }
            }
        }
        var tokens: [String?] = byRank.map { $0.map { ByteLevel.encode($0) } }
        var decode: [[UInt8]] = byRank.map { $0 ?? [] }
        var added: [AddedToken] = []
        for (content, id) in specialTokens.sorted(by: { $0.value < $1.value }) {
            let i = Int(id)
            guard i < Self.maximumTokenCount else {
                throw TokenizerError(.invalid, source: source, "special token id \(id) is not below \(Self.maximumTokenCount)")
            }
            if i < byRank.count, byRank[i] != nil {
                throw TokenizerError(
                    .invalid, source: source, "special token \(content) has id \(id), which is already a ranked token")
            }
            if i >= tokens.count {
                tokens += [String?](repeating: nil, count: i + 1 - tokens.count)
                decode += [[UInt8]](repeating: [], count: i + 1 - decode.count)
            }
            tokens[i] = content
            decode[i] = Array(content.utf8)
            added.append(AddedToken(id: id, content: content, isSpecial: true))
        }
        try self.init(
            tokens: SpellingList(tokens), modelTokenCount: byRank.count, decodeBytes: ByteStrings(decode), mergeRules: rules,
            mergeSource: .derivedFromRanks,
            addedTokens: added, preTokenizer: preTokenizer, normalization: normalization, ignoresMerges: true,
            bosTokenID: nil, eosTokenID: nil, unknownID: nil, source: source)
    }
}

/// Standard base64 (with or without padding); `nil` on any other character.
func decodeBase64(_ s: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
    var out: [UInt8] = []
    out.reserveCapacity(s.count * 3 / 4)
    var acc: UInt32 = 0
    var bits = 0
    for c in s {
        let v: UInt32
        switch c {
        case 0x41...0x5A: v = UInt32(c - 0x41)
        case 0x61...0x7A: v = UInt32(c - 0x61 + 26)
        case 0x30...0x39: v = UInt32(c - 0x30 + 52)
        case 0x2B: v = 62
        case 0x2F: v = 63
        case 0x3D: continue
        default: return nil
        }
        acc = acc << 6 | v
        bits += 6
        if bits >= 8 {
            bits -= 8
            out.append(UInt8(truncatingIfNeeded: acc >> UInt32(bits)))
        }
    }
    return out
}

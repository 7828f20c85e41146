internal import CryptoSupport
import Foundation

#if canImport(FoundationEssentials)
    import FoundationEssentials
#endif

/// A byte-level BPE tokenizer (GPT-2 family: GPT-2, SmolLM, Llama 3, Qwen 2, tiktoken
/// rank files), identical id for id to the reference implementations on the same definition.
///
/// Immutable and `Sendable`: one instance can serve many threads; each `encode` call keeps
/// its own scratch state. Load one with ``load(path:)``, ``init(gguf:)``,
/// ``init(tokenizerJSON:source:)`` or ``init(tiktokenRanks:pattern:specialTokens:source:)``.
public final class BPETokenizer: Sendable {
    /// What to do with special-token text (such as `<|im_end|>`) found in the input.
    public enum SpecialTokenHandling: Sendable {
        /// Special-token text becomes the special token's id (for trusted prompts).
        case parse
        /// Special-token text is ordinary text and is split like any other (the safe choice
        /// for untrusted input: a user cannot inject control tokens). Non-special added
        /// tokens are still recognised, as in the reference.
        case plainText
    }

    /// The pre-tokenizer rules.
    public let preTokenizer: PreTokenizer
    /// Normalization applied to text between added tokens.
    public let normalization: Normalization
    /// When true, a piece that is itself a vocabulary entry becomes that token without
    /// merging (Hugging Face `ignore_merges`, tiktoken's behaviour).
    public let ignoresMerges: Bool
    /// Added tokens (special and not), in id order.
    public let addedTokens: [AddedToken]
    /// Beginning-of-sequence token id, if the definition names one.
    public let bosTokenID: UInt32?
    /// End-of-sequence token id, if the definition names one.
    public let eosTokenID: UInt32?
    /// One more than the largest token id.
    public let vocabularySize: Int
    /// Number of merge rules (for rank files: the number of pairs derived from the ranks).
    public let mergeCount: Int
    /// SHA-256 (hex) of the canonical content: vocabulary, merges, pre-tokenizer,
    /// normalization, `ignoresMerges` and added tokens. Equal fingerprints mean equal
    /// tokenization; calibration files and JSON outputs carry it.
    public let fingerprint: String

    /// The special tokens among ``addedTokens``.
    public var specialTokens: [AddedToken] { addedTokens.filter(\.isSpecial) }
    /// Their ids, ascending: detection asks ``isSpecial(_:)`` of every token.
    private let specialIDs: [UInt32]

    // Lookup tables.
    private let tokenStrings: SpellingList  // vocabulary spelling by id
    private let stringToID: SpellingIndex
    private let decodeBytesByID: ByteStrings
    let byteIDTable: ByteIDTable
    let pairs: PairTable
    private let wholeTokens: ByteStringTable?
    let unknownID: UInt32?
    let parseMatcher: AddedTokenMatcher
    let plainMatcher: AddedTokenMatcher

    /// How the merge rules were given, for the fingerprint.
    enum MergeSource {
        case rules([(UInt32, UInt32)])
        case derivedFromRanks
    }

    /// The designated initializer all loaders use.
    ///
    /// - Parameters:
    ///   - tokens: vocabulary spelling (GPT-2 byte alphabet) by id; `nil` for unused ids.
    ///   - modelTokenCount: ids below this belong to the BPE model vocabulary (the rest are
    ///     added tokens only).
    ///   - spellings: `tokens` indexed, if the caller has built that index already.
    ///   - decodeBytes: the bytes each id decodes to.
    init(
        tokens: SpellingList, spellings: SpellingIndex? = nil, modelTokenCount: Int, decodeBytes: ByteStrings,
        mergeRules: [(left: UInt32, right: UInt32, rank: UInt32, merged: UInt32)],
        mergeSource: MergeSource, addedTokens: [AddedToken], preTokenizer: PreTokenizer, normalization: Normalization,
        ignoresMerges: Bool, bosTokenID: UInt32?, eosTokenID: UInt32?, unknownID: UInt32?, source: String
    ) throws(TokenizerError) {
        self.preTokenizer = preTokenizer
        self.normalization = normalization
        self.ignoresMerges = ignoresMerges
        self.addedTokens = addedTokens.sorted { $0.id < $1.id }
        specialIDs = self.addedTokens.filter(\.isSpecial).map(\.id)
        self.bosTokenID = bosTokenID
        self.eosTokenID = eosTokenID
        self.unknownID = unknownID
        self.tokenStrings = tokens
        self.decodeBytesByID = decodeBytes
        vocabularySize = tokens.count

        if let spellings {
            stringToID = spellings
        } else {
            var s2i = SpellingIndex(capacity: tokens.count)
            for i in 0..<tokens.count {
                _ = tokens.withSpelling(i) { s2i.insertIfAbsent(utf8: $0, value: UInt32(i)) }
            }
            stringToID = s2i
        }

        // Byte tokens and whole-token lookup come from the model vocabulary only.
        var byteIDs = [UInt32](repeating: .max, count: 256)
        var whole: [(bytes: [UInt8], value: UInt32)] = []
        if ignoresMerges { whole.reserveCapacity(modelTokenCount) }
        for id in 0..<min(modelTokenCount, tokens.count) {
            guard let spelled = tokens.withSpelling(id, ByteLevel.isSpelling(utf8:)) else { continue }
            let b = decodeBytes[id]
            if b.count == 1, let byte = b.first, byteIDs[Int(byte)] == .max, spelled { byteIDs[Int(byte)] = UInt32(id) }
            if ignoresMerges && spelled { whole.append((Array(b), UInt32(id))) }
        }
        byteIDTable = ByteIDTable(byteIDs)
        wholeTokens = ignoresMerges ? ByteStringTable(whole) : nil
        pairs = PairTable(mergeRules)
        mergeCount = pairs.count
        parseMatcher = AddedTokenMatcher(addedTokens)
        plainMatcher = AddedTokenMatcher(addedTokens.filter { !$0.isSpecial })

        do {
            fingerprint = try Self.computeFingerprint(
                tokens: tokens, mergeSource: mergeSource, addedTokens: self.addedTokens, preTokenizer: preTokenizer,
                normalization: normalization, ignoresMerges: ignoresMerges)
        } catch {
            throw TokenizerError(.unreadable, source: source, "cannot compute its fingerprint: \(error.description)")
        }
        _ = source
    }

    // MARK: Lookup

    /// The id of a vocabulary entry or added token, by its vocabulary spelling (`Ġthe`,
    /// `<|im_end|>`), or `nil`. Spellings compare as bytes, as in the reference tokenizers.
    public func id(for token: String) -> UInt32? { stringToID.find(token) }

    /// The vocabulary spelling of `id` (GPT-2 byte alphabet, e.g. `Ġthe`), or `nil`.
    public func token(for id: UInt32) -> String? {
        Int(id) < tokenStrings.count ? tokenStrings.string(Int(id)) : nil
    }

    /// The bytes `id` decodes to, or `nil` for an unused or out-of-range id.
    public func tokenBytes(for id: UInt32) -> [UInt8]? {
        guard Int(id) < tokenStrings.count, tokenStrings.isPresent(Int(id)) else { return nil }
        return Array(decodeBytesByID[Int(id)])
    }

    /// Whether `id` is a special token.
    ///
    /// A range check and a binary search: it was a scan of every added token, per token.
    public func isSpecial(_ id: UInt32) -> Bool {
        guard let first = specialIDs.first, let last = specialIDs.last, id >= first, id <= last else { return false }
        var low = 0, high = specialIDs.count
        while low < high {
            let mid = (low + high) / 2
            if specialIDs[mid] < id { low = mid + 1 } else { high = mid }
        }
        return specialIDs[low] == id
    }

    // MARK: Decode

    /// The bytes of the tokens, concatenated. Out-of-range ids are skipped.
    public func decodeBytes(_ ids: [UInt32], skipSpecialTokens: Bool = false) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(ids.count * 4)
        let special = skipSpecialTokens ? Set(specialTokens.map(\.id)) : []
        for id in ids where Int(id) < decodeBytesByID.count {
            if skipSpecialTokens && special.contains(id) { continue }
            out.append(contentsOf: decodeBytesByID[Int(id)])
        }
        return out
    }

    /// The text of the tokens. Bytes that do not form valid UTF-8 (a sequence cut inside a
    /// character) become U+FFFD, as in the reference.
    public func decode(_ ids: [UInt32], skipSpecialTokens: Bool = false) -> String {
        String(decoding: decodeBytes(ids, skipSpecialTokens: skipSpecialTokens), as: UTF8.self)
    }

    // MARK: Encode

    /// The token ids of `text`.
    ///
    /// Added tokens are found first (special ones only with `.parse`); the text between is
    /// normalized, pre-tokenized and merged. No BOS/EOS is added. Linear in the text length;
    /// thread-safe.
    public func encode(_ text: String, specialTokens: SpecialTokenHandling = .plainText) -> [UInt32] {
        var text = text
        var out: [UInt32] = []
        text.withUTF8 { buf in encode(utf8: buf, specialTokens: specialTokens, into: &out) }
        return out
    }

    /// Appends the ids of valid UTF-8 text to `out`.
    func encode(utf8 buf: UnsafeBufferPointer<UInt8>, specialTokens: SpecialTokenHandling, into out: inout [UInt32]) {
        guard buf.count > 0 else { return }
        var state = EncoderState(tokenizer: self, textLength: buf.count)
        encode(utf8: buf, specialTokens: specialTokens, into: &out, state: &state)
    }

    /// Appends the ids of valid UTF-8 text to `out`, with `state`'s scratch and piece cache.
    func encode(utf8 buf: UnsafeBufferPointer<UInt8>, specialTokens: SpecialTokenHandling, into out: inout [UInt32],
                state: inout EncoderState) {
        guard let base = buf.baseAddress, buf.count > 0 else { return }
        out.reserveCapacity(out.count + buf.count / 3 + 4)
        let matcher = specialTokens == .parse ? parseMatcher : plainMatcher
        var pos = 0
        while let m = matcher.next(in: base, buf.count, from: pos) {
            if m.start > pos { encodeOrdinary(base, pos, m.start, &state, &out) }
            out.append(m.id)
            pos = m.end
        }
        if pos < buf.count { encodeOrdinary(base, pos, buf.count, &state, &out) }
    }

    /// Scratch for encoding: the merge loop's buffers, the piece cache and the piece offsets.
    struct EncoderState {
        var merger: BPEMerger
        var cache: PieceCache?
        var ends: [Int] = []

        /// For one call: a cache sized to the text.
        init(tokenizer: BPETokenizer, textLength: Int) {
            merger = BPEMerger(
                byteIDs: tokenizer.byteIDTable.ids, pairs: tokenizer.pairs, unknownID: tokenizer.unknownID)
            // A cache only pays off once pieces start repeating.
            cache = textLength >= 256 ? PieceCache(expectedPieces: textLength / 4) : nil
            ends.reserveCapacity(min(textLength, 1 << 16))
        }

        /// For many calls: a cache of `cacheSlots` slots that outlives each text.
        init(tokenizer: BPETokenizer, cacheSlots: Int) {
            merger = BPEMerger(
                byteIDs: tokenizer.byteIDTable.ids, pairs: tokenizer.pairs, unknownID: tokenizer.unknownID)
            cache = PieceCache(slots: min(cacheSlots, 1 << 10), maxSlots: cacheSlots)
        }
    }

    /// Encodes text after text on one thread, remembering how each piece merged across them.
    ///
    /// Most of a corpus's words were already merged in an earlier document: on the 3 883
    /// documents of docs/BENCHMARKS.md, 86% of the pieces that missed a per-document cache had
    /// been seen before. An encoder keeps its piece cache from one text to the next, bounded
    /// (``cacheSlots`` slots, cleared when half full), so a long run pays the merge loop once
    /// per common word instead of once per document. The ids are those of
    /// ``BPETokenizer/encode(_:specialTokens:)``, to the bit: a piece merges the same way
    /// wherever it occurs.
    ///
    /// A value with mutable state, not `Sendable`: make one per thread (the tokenizer inside is
    /// shared).
    public struct Encoder {
        public let tokenizer: BPETokenizer
        /// The piece cache's slots (a power of two).
        public let cacheSlots: Int
        private var state: EncoderState

        /// The default size: at most 2^16 slots, about 5 MiB with its pieces (it starts at
        /// 2^10 and doubles as it fills).
        public static let defaultCacheSlots = 1 << 16

        /// - Parameter cacheSlots: rounded up to a power of two between 64 and 2^22.
        public init(_ tokenizer: BPETokenizer, cacheSlots: Int = defaultCacheSlots) {
            var slots = 64
            while slots < cacheSlots && slots < 1 << 22 { slots <<= 1 }
            self.tokenizer = tokenizer
            self.cacheSlots = slots
            state = EncoderState(tokenizer: tokenizer, cacheSlots: slots)
        }

        /// The token ids of `text`, as ``BPETokenizer/encode(_:specialTokens:)`` gives them.
        public mutating func encode(_ text: String, specialTokens: SpecialTokenHandling = .plainText) -> [UInt32] {
            var text = text
            var out: [UInt32] = []
            text.withUTF8 { buf in tokenizer.encode(utf8: buf, specialTokens: specialTokens, into: &out, state: &state) }
            return out
        }
    }

    private func encodeOrdinary(
        _ p: UnsafePointer<UInt8>, _ start: Int, _ end: Int, _ state: inout EncoderState, _ out: inout [UInt32]
    ) {
        if normalization == .nfc && needsNormalizationCheck(p, start, end) {
            let segment = String(decoding: UnsafeBufferPointer(start: p + start, count: end - start), as: UTF8.self)
            var normalized = segment.precomposedStringWithCanonicalMapping
            normalized.withUTF8 { buf in
                if let base = buf.baseAddress, buf.count > 0 { encodeNormalized(base, 0, buf.count, &state, &out) }
            }
            return
        }
        encodeNormalized(p, start, end, &state, &out)
    }

    /// Text with no scalar at or above U+0300 (first byte 0xCC) is already in NFC.
    private func needsNormalizationCheck(_ p: UnsafePointer<UInt8>, _ start: Int, _ end: Int) -> Bool {
        for i in start..<end where p[i] >= 0xCC { return true }
        return false
    }

    private func encodeNormalized(
        _ p: UnsafePointer<UInt8>, _ start: Int, _ end: Int, _ state: inout EncoderState, _ out: inout [UInt32]
    ) {
        state.ends.removeAll(keepingCapacity: true)
        preTokenizer.split(UTF8Text(p), start, end, into: &state.ends)
        var pieceStart = start
        let byteIDs = byteIDTable.ids
        for e in state.ends {
            let n = e - pieceStart
            let piece = p + pieceStart
            pieceStart = e
            if n == 1 {
                let id = byteIDs[Int(piece[0])]
                if id != .max { out.append(id) } else if let unk = unknownID { out.append(unk) }
                continue
            }
            if let wholeTokens, let id = wholeTokens.lookup(piece, n) {
                out.append(id)
                continue
            }
            if state.cache != nil && n <= PieceCache.maxPieceLength {
                let h = hashBytes(piece, n)
                if let r = state.cache!.find(piece, n, hash: h) {
                    out.append(contentsOf: state.cache!.values[r])
                    continue
                }
                state.merger.merge(piece, n)
                out.append(contentsOf: state.merger.ids)
                state.cache!.insert(piece, n, hash: h, ids: state.merger.ids[...])
            } else {
                state.merger.merge(piece, n)
                out.append(contentsOf: state.merger.ids)
            }
        }
    }

    // MARK: Fingerprint

    private static func computeFingerprint(
        tokens: SpellingList, mergeSource: MergeSource, addedTokens: [AddedToken], preTokenizer: PreTokenizer,
        normalization: Normalization, ignoresMerges: Bool
    ) throws(CryptoError) -> String {
        var h = try SHA256.Hasher()
        try field(Array("swift-watermark byte-level BPE v1".utf8), into: &h)
        try field(
            Array("pre=\(preTokenizer.rawValue) norm=\(normalization.rawValue) ignore_merges=\(ignoresMerges)".utf8), into: &h)
        var buf: [UInt8] = []
        buf.reserveCapacity(tokens.count * 16 + 64)
        func u32(_ v: UInt32) {
            buf.append(UInt8(truncatingIfNeeded: v))
            buf.append(UInt8(truncatingIfNeeded: v >> 8))
            buf.append(UInt8(truncatingIfNeeded: v >> 16))
            buf.append(UInt8(truncatingIfNeeded: v >> 24))
        }
        u32(UInt32(tokens.count))
        // One pass over the list's storage: through a closure per spelling, `buf` captured
        // there and in `u32` was checked for exclusive access at every byte.
        tokens.withStorage { bytes, ends, present in
            @inline(__always) func append(_ v: UInt32, to buf: inout [UInt8]) {
                withUnsafeBytes(of: v.littleEndian) { buf.append(contentsOf: $0.assumingMemoryBound(to: UInt8.self)) }
            }
            var start = 0
            for i in 0..<ends.count {
                if present[i] {
                    append(UInt32(ends[i] - start), to: &buf)
                    buf.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<ends[i]]))
                } else {
                    append(.max, to: &buf)
                }
                start = ends[i]
            }
        }
        switch mergeSource {
        case .rules(let rules):
            buf.append(contentsOf: "merges".utf8)
            u32(UInt32(rules.count))
            for (a, b) in rules {
                u32(a)
                u32(b)
            }
        case .derivedFromRanks:
            buf.append(contentsOf: "merges-from-ranks".utf8)
        }
        u32(UInt32(addedTokens.count))
        for t in addedTokens {
            u32(t.id)
            buf.append((t.isSpecial ? 1 : 0) | (t.leftStrip ? 2 : 0) | (t.rightStrip ? 4 : 0) | (t.singleWord ? 8 : 0))
            u32(UInt32(t.content.utf8.count))
            buf.append(contentsOf: t.content.utf8)
        }
        try field(buf, into: &h)
        return Hex.encode(try h.finalize())
    }

    /// Each field is its length (u64le) and its bytes, so no two definitions hash alike.
    private static func field(_ bytes: [UInt8], into h: inout SHA256.Hasher) throws(CryptoError) {
        var n = UInt64(bytes.count).littleEndian
        try h.update(withUnsafeBytes(of: &n) { Array($0) })
        try h.update(bytes)
    }
}

/// The 256 byte-token ids in a stable allocation for the merge loop.
final class ByteIDTable: @unchecked Sendable {
    let ids: UnsafePointer<UInt32>
    init(_ table: [UInt32]) {
        let p = UnsafeMutablePointer<UInt32>.allocate(capacity: 256)
        for i in 0..<256 { p[i] = table[i] }
        ids = UnsafePointer(p)
    }
    deinit { UnsafeMutablePointer(mutating: ids).deallocate() }
}

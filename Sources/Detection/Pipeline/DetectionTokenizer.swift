import Tokenizer

/// How text becomes the token ids that detection scores, in one place: normalisation,
/// plain-text encoding, and dropping special tokens (docs/SCHEME.md, detection step 1).
///
/// Special-token text in the input (`<|im_end|>`) is encoded as plain text: whoever submits a
/// text for detection must not be able to inject control tokens and change how it is split.
/// Immutable and `Sendable`: one value serves every thread.
public struct DetectionTokenizer: Sendable {
    public let tokenizer: BPETokenizer
    /// Whether ``TextNormalizer`` runs before tokenizing (zero-width, homoglyph, exotic space
    /// and emoji tricks undone).
    public let normalizes: Bool

    public init(_ tokenizer: BPETokenizer, normalize: Bool = true) {
        self.tokenizer = tokenizer
        self.normalizes = normalize
    }

    /// The normalisation as calibration and common-tuple files name it.
    public var normalization: String { normalizes ? TextNormalizer.version : "none" }

    /// The tokenizer's fingerprint (calibration and common-tuple files are tied to it).
    public var fingerprint: String { tokenizer.fingerprint }

    /// The text as it is tokenized: normalised, unless normalisation is off.
    public func prepared(_ text: String) -> String { normalizes ? TextNormalizer.normalize(text) : text }

    /// The ids detection scores for `text` (empty for empty text).
    public func ids(for text: String) -> [UInt32] {
        withoutSpecialTokens(tokenizer.encode(prepared(text), specialTokens: .plainText))
    }

    /// An encoder for many texts on one thread, which keeps its piece cache from one text to
    /// the next (``BPETokenizer/Encoder``): the ids of ``ids(for:)``, faster over a corpus.
    public func makeEncoder(cacheSlots: Int = BPETokenizer.Encoder.defaultCacheSlots) -> Encoder {
        Encoder(self, cacheSlots: cacheSlots)
    }

    /// ``ids(for:)`` for text after text, with a piece cache that outlives each of them.
    /// Not `Sendable`: one per thread.
    public struct Encoder {
        public let owner: DetectionTokenizer
        private var encoder: BPETokenizer.Encoder

        init(_ owner: DetectionTokenizer, cacheSlots: Int) {
            self.owner = owner
            encoder = BPETokenizer.Encoder(owner.tokenizer, cacheSlots: cacheSlots)
        }

        /// The ids detection scores for `text`, equal to `owner.ids(for: text)`.
        public mutating func ids(for text: String) -> [UInt32] {
            owner.withoutSpecialTokens(encoder.encode(owner.prepared(text), specialTokens: .plainText))
        }
    }

    /// Each id's text, for showing which token is which (invalid UTF-8 pieces as U+FFFD).
    public func pieces(for ids: [UInt32]) -> [String] {
        ids.map { String(decoding: tokenizer.tokenBytes(for: $0) ?? [], as: UTF8.self) }
    }

    /// docs/SCHEME.md: special and control tokens are dropped before scoring.
    func withoutSpecialTokens(_ ids: [UInt32]) -> [UInt32] { ids.filter { !tokenizer.isSpecial($0) } }

    /// A tokenizer for a text that arrives in blocks; see ``Stream``.
    public func makeStream() -> Stream { Stream(self) }

    /// Tokenizes a text block by block in bounded memory; the ids equal those of the whole
    /// text at once (`BPETokenizer.StreamEncoder` cuts only where no piece can cross).
    ///
    /// Invalid UTF-8 is an error rather than U+FFFD: a detector must not quietly score text it
    /// could not read.
    public struct Stream {
        private let owner: DetectionTokenizer
        private var encoder: BPETokenizer.StreamEncoder
        private var validator = UTF8Validator()
        private var held: [UInt8] = []

        init(_ owner: DetectionTokenizer) {
            self.owner = owner
            encoder = BPETokenizer.StreamEncoder(tokenizer: owner.tokenizer, specialTokens: .plainText)
        }

        /// Bytes read so far.
        public var byteCount: Int { validator.offset }

        /// The ids that `chunk` completes (possibly none yet).
        public mutating func feed(_ chunk: ArraySlice<UInt8>) throws(DetectionError) -> [UInt32] {
            guard validator.feed(chunk) else { throw .invalidUTF8(byteOffset: validator.offset) }
            guard owner.normalizes else { return owner.withoutSpecialTokens(encoder.encode(chunk)) }
            // Normalisation looks at neighbouring characters, so it runs on whole lines: the
            // text up to the last newline of what was read, the rest waiting for the next block.
            held.append(contentsOf: chunk)
            if let newline = held.lastIndex(of: 0x0A) {
                defer { held.removeFirst(newline + 1) }
                return encodeNormalized(held[...newline])
            } else if held.count > TextNormalizer.maximumLine {
                // One enormous line: cut it at a space, where no rule looks across.
                let cut = held.lastIndex(of: 0x20) ?? (held.count - 1)
                defer { held.removeFirst(cut + 1) }
                return encodeNormalized(held[...cut])
            }
            return []
        }

        /// The last ids.
        public mutating func finish() throws(DetectionError) -> [UInt32] {
            guard validator.isComplete else { throw .truncatedUTF8 }
            var ids = owner.normalizes ? encodeNormalized(held[...]) : []
            held.removeAll()
            ids += owner.withoutSpecialTokens(encoder.finish())
            return ids
        }

        private mutating func encodeNormalized(_ bytes: ArraySlice<UInt8>) -> [UInt32] {
            let text = TextNormalizer.normalize(String(decoding: bytes, as: UTF8.self))
            return owner.withoutSpecialTokens(encoder.encode(Array(text.utf8)))
        }
    }
}

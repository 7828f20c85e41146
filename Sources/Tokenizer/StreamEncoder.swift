extension BPETokenizer {
    /// Encodes text that arrives in pieces (a large file read in blocks) with memory bounded
    /// by the block size, giving exactly the ids of encoding the whole text at once.
    ///
    /// Text is cut only where no pre-tokenizer piece, added token or normalization can
    /// cross: before a space that follows a non-whitespace ASCII character and precedes an
    /// ASCII letter, or after a newline between a non-whitespace ASCII character and an
    /// ASCII letter. Text with no such place (one gigantic word) is held until one comes or
    /// ``finish()`` is called. Bytes that are not valid UTF-8 become U+FFFD, as if the whole
    /// input had been decoded at once.
    public struct StreamEncoder {
        public let tokenizer: BPETokenizer
        public let specialTokens: SpecialTokenHandling
        private var pending: [UInt8] = []
        /// Positions below this were already searched for a cut, so a long uncuttable run is
        /// scanned once, not on every call.
        private var searchedUpTo = 0
        private let matcher: AddedTokenMatcher
        /// Added tokens that could reach across a cut (containing whitespace, or absorbing it).
        private let addedTokensNeedCheck: Bool
        private let longestAddedToken: Int

        public init(tokenizer: BPETokenizer, specialTokens: SpecialTokenHandling = .plainText) {
            self.tokenizer = tokenizer
            self.specialTokens = specialTokens
            let active = tokenizer.addedTokens.filter { specialTokens == .parse || !$0.isSpecial }
            matcher = specialTokens == .parse ? tokenizer.parseMatcher : tokenizer.plainMatcher
            addedTokensNeedCheck = active.contains {
                $0.leftStrip || $0.rightStrip || $0.content.utf8.contains(0x20) || $0.content.utf8.contains(0x0A)
            }
            longestAddedToken = active.map(\.content.utf8.count).max() ?? 0
        }

        /// Bytes held back, waiting for a safe place to cut.
        public var pendingByteCount: Int { pending.count }

        /// Adds bytes and returns the ids of the text up to the last safe cut.
        public mutating func encode<C: Collection<UInt8>>(_ bytes: C) -> [UInt32] {
            pending.append(contentsOf: bytes)
            guard let cut = lastSafeCut() else {
                searchedUpTo = max(0, pending.count - 2)
                return []
            }
            let out = encodePrefix(cut)
            pending.removeFirst(cut)
            searchedUpTo = 0
            return out
        }

        /// Returns the ids of everything still held.
        public mutating func finish() -> [UInt32] {
            let out = encodePrefix(pending.count)
            pending.removeAll()
            searchedUpTo = 0
            return out
        }

        private func encodePrefix(_ n: Int) -> [UInt32] {
            var text = String(decoding: pending[..<n], as: UTF8.self)
            var out: [UInt32] = []
            text.withUTF8 { tokenizer.encode(utf8: $0, specialTokens: specialTokens, into: &out) }
            return out
        }

        private func lastSafeCut() -> Int? {
            pending.withUnsafeBufferPointer { buf -> Int? in
                let p = buf.baseAddress!
                let n = buf.count
                func isLetter(_ b: UInt8) -> Bool { (b | 0x20) >= 0x61 && (b | 0x20) <= 0x7A }
                func isSolid(_ b: UInt8) -> Bool { b > 0x20 && b < 0x7F }
                var b = n - 2
                while b >= max(2, searchedUpTo - 1) {
                    // Before " x" after a non-space, or after "\n" between a non-space and a letter.
                    let cut: Int?
                    if p[b] == 0x20 && isLetter(p[b + 1]) && isSolid(p[b - 1]) {
                        cut = b
                    } else if p[b] == 0x0A && isLetter(p[b + 1]) && isSolid(p[b - 1]) {
                        cut = b + 1
                    } else {
                        cut = nil
                    }
                    if let cut, !addedTokenTouches(p, n, cut) { return cut }
                    b -= 1
                }
                return nil
            }
        }

        private func addedTokenTouches(_ p: UnsafePointer<UInt8>, _ n: Int, _ cut: Int) -> Bool {
            guard addedTokensNeedCheck else { return false }
            var from = max(0, cut - longestAddedToken - 1)
            let limit = min(n, cut + longestAddedToken + 1)
            while let m = matcher.next(in: p, limit, from: from) {
                if m.start <= cut && m.end >= cut { return true }
                if m.start > cut { return false }
                from = m.end
            }
            return false
        }
    }
}

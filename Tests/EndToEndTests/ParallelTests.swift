import Foundation
import TestSupport
import Testing

/// Every core, the same answers: `detect`, `calibrate` and `common-tuples` give byte-identical
/// output, errors and exit status whatever `--threads` says.
@Suite("threads")
struct ParallelTests {
    static let tokenizer = Repository.url("Vectors/tokenizer/gpt2/gpt2.tiktoken").path

    /// Seeded sentences from a small vocabulary, so that tuples repeat across documents (the
    /// shared verdict cache hits and its slots are contended).
    static func documents(_ count: Int, seed: UInt64) -> [String] {
        var rng = SeededGenerator(seed: seed)
        let words = ["the", "sea", "was", "calm", "and", "a", "boat", "sailed", "past", "old", "harbour", "lights", "at", "night",
                     "while", "gulls", "cried", "over", "wet", "stones", "near", "quiet", "houses", "ζ", "水", "naïve"]
        return (0..<count).map { _ in
            (0..<Int.random(in: 0...120, using: &rng)).map { _ in words[Int.random(in: 0..<words.count, using: &rng)] }.joined(separator: " ")
        }
    }

    static func jsonl(_ texts: [String]) throws -> String {
        try texts.enumerated().map { i, t in
            String(decoding: try JSONSerialization.data(withJSONObject: ["text": t, "id": i]), as: UTF8.self)
        }.joined(separator: "\n") + "\n"
    }

    @Test func detectGivesTheSameBytesOnAnyNumberOfThreads() throws {
        let dir = try Scratch()
        let key = try dir.write("k.key", String(repeating: "cd", count: 32))
        var lines = try Self.jsonl(Self.documents(400, seed: 1)).split(separator: "\n").map(String.init)
        lines.insert("not json", at: 17)
        lines.insert("", at: 30)
        lines.insert("{\"ids\": [5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22], \"id\": \"ids\"}", at: 50)
        lines.insert("{\"ids\": []}", at: 51)
        let a = try dir.write("a.jsonl", lines.joined(separator: "\n") + "\n")
        let b = try dir.write("b.jsonl", try Self.jsonl(Self.documents(150, seed: 2)))
        let arguments = ["detect", "--key-file", key, "--tokenizer", Self.tokenizer, "--jsonl", "--json", a, dir.path("missing.jsonl"), b]
        let one = try CLI.run(arguments + ["--threads", "1"])
        #expect(one.status == 2 && one.stdout.split(separator: "\n").count == 400 + 2 + 1 + 150 + 1, "\(one.stderr)")
        for threads in ["2", "3", "8"] {
            let many = try CLI.run(arguments + ["--threads", threads])
            #expect(many.status == one.status && many.stdout == one.stdout && many.stderr == one.stderr, "--threads \(threads)")
        }
        // Without --tuple cache (hidden flag) the answers are the same bytes too.
        let uncached = try CLI.run(arguments + ["--threads", "2", "--no-tuple-cache"])
        #expect(uncached.stdout == one.stdout)

        // Whole files, and the human-readable form with --highlight.
        var files: [String] = []
        for (i, t) in Self.documents(40, seed: 3).enumerated() { files.append(try dir.write("doc\(i).txt", t)) }
        let readable = ["detect", "--key-file", key, "--tokenizer", Self.tokenizer, "--highlight", "--color", "never"] + files
        let r1 = try CLI.run(readable + ["--threads", "1"])
        let r3 = try CLI.run(readable + ["--threads", "3"])
        #expect(r1.status == 1 && r1.stdout == r3.stdout && r1.stderr == r3.stderr && r1.stdout.contains("[+"))
    }

    @Test func calibrateAndCommonTuplesGiveTheSameFilesOnAnyNumberOfThreads() throws {
        let dir = try Scratch()
        let key = try dir.write("k.key", String(repeating: "ef", count: 32))
        let corpus = try dir.write("human.jsonl", try Self.jsonl(Self.documents(300, seed: 4)))
        var calibrations: [Data] = [], lists: [Data] = []
        for threads in ["1", "2", "5"] {
            let cal = dir.path("cal-\(threads).json")
            let made = try CLI.run(["calibrate", "--key-file", key, "--tokenizer", Self.tokenizer, "--negatives", corpus,
                                    "--positives", corpus, "--out", cal, "--fpr", "0.01", "--threads", threads])
            #expect(made.status == 0, "\(made.stderr)")
            // Everything but the time it was made.
            let text = try String(contentsOfFile: cal, encoding: .utf8)
            calibrations.append(Data(text.replacingOccurrences(of: #""created" : "[^"]*""#, with: "", options: .regularExpression).utf8))
            let list = dir.path("common-\(threads).json")
            let listed = try CLI.run(["common-tuples", "--tokenizer", Self.tokenizer, "--out", list, "--min-fraction", "0.05",
                                      "--threads", threads, corpus])
            #expect(listed.status == 0, "\(listed.stderr)")
            lists.append(try Data(contentsOf: URL(fileURLWithPath: list)))
        }
        #expect(calibrations.allSatisfy { $0 == calibrations[0] } && !calibrations[0].isEmpty)
        #expect(lists.allSatisfy { $0 == lists[0] } && !lists[0].isEmpty)
    }

    @Test func badThreadCountsAreUsageErrors() throws {
        for bad in ["0", "-1", "1025", "x"] {
            let r = try CLI.run(["detect", "--key-file", "/dev/null", "--threads", bad], stdin: "")
            #expect(r.status == 2 && r.stderr.contains("--threads"), "\(bad): \(r.stderr)")
        }
    }
}

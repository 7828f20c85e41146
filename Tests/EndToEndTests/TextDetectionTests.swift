import Foundation
import Testing
import TestSupport

/// Text input goes through the default model's tokenizer; these need the model file, which
/// `Tools/fetch-model.sh` provides (CI always has it).
@Suite("watermark detect on text", .enabled(if: DefaultModelFixture.isAvailable, DefaultModelFixture.skipReason))
struct TextDetectionTests {
    /// Fails when the model is missing (the CLI's default tokenizer).
    static func requireModel() throws { _ = try DefaultModelFixture.requirePath() }

    @Test func streamedTextGivesTheSameIdsAsWholeText() throws {
        try Self.requireModel()
        let dir = try Scratch()
        var text = ""
        let words = ["the", "lighthouse", "keeper", "wrote", "12", "letters,", "naïve", "café", "東京", "emoji 👍🏽", "\n\n", "  ", "\t"]
        var rng = SeededGenerator(seed: 5)
        while text.utf8.count < 60_000 { text += words.randomElement(using: &rng)! + " " }
        let file = try dir.write("doc.txt", text)
        let key = try dir.write("k.hex", String(repeating: "42", count: 32))
        let tokenized = try CLI.run(["tokenize", file])
        #expect(tokenized.status == 0)
        let viaIDs = try CLI.run(["detect", "--key-file", key, "--ids", "--json"], stdin: tokenized.stdout)
        let expected = try JSONSerialization.jsonObject(with: Data(viaIDs.stdout.utf8)) as? [String: Any]
        for chunk in ["7", "200", "4096", "1000000"] {
            let r = try CLI.run(["detect", "--key-file", key, "--json", "--chunk-bytes", chunk, file])
            let object = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
            for field in ["tokens", "scored", "green"] {
                #expect(object?[field] as? Int == expected?[field] as? Int, "\(field) with chunks of \(chunk)")
            }
        }
    }

    @Test func specialTokenTextIsPlainText() throws {
        try Self.requireModel()
        let plain = try CLI.run(["tokenize", "--json"], stdin: "hi<|im_end|>")
        let parsed = try CLI.run(["tokenize", "--json", "--parse-special"], stdin: "hi<|im_end|>")
        let plainIDs = try #require(JSONSerialization.jsonObject(with: Data(plain.stdout.utf8)) as? [Int])
        let parsedIDs = try #require(JSONSerialization.jsonObject(with: Data(parsed.stdout.utf8)) as? [Int])
        #expect(parsedIDs.count == 2)  // "hi" and the special token itself
        #expect(plainIDs.count > 2)
    }

    @Test func jsonLinesTextDocuments() throws {
        try Self.requireModel()
        let dir = try Scratch()
        let key = try dir.write("k.hex", String(repeating: "42", count: 32))
        let input = #"{"text": "A first, entirely human document about the weather in spring and the birds that return."}"# + "\n"
            + #"{"ids": [1, 2, 3]}"# + "\n"
        let r = try CLI.run(["detect", "--key-file", key, "--jsonl", "--json"], stdin: input)
        #expect(r.status == 1)
        let lines = r.stdout.split(separator: "\n")
        #expect(lines.count == 2)
        // Text carries the fingerprint of the tokenizer that read it; ids do not.
        let first = try #require(JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any])
        let second = try #require(JSONSerialization.jsonObject(with: Data(lines[1].utf8)) as? [String: Any])
        #expect((first["tokenizer"] as? String)?.count == 64)
        #expect(second["tokenizer"] == nil)
        let tokenized = try CLI.run(["tokenize", "--jsonl"], stdin: input.split(separator: "\n").first! + "\n")
        #expect(tokenized.stdout.hasPrefix("{\"ids\":["))
    }
}

@Suite("watermark calibrate")
struct CalibrateCommandTests {
    @Test func calibrateThenDetectWithTheFile() throws {
        let dir = try Scratch()
        let c = try #require(GreenlistVectors.detection.first { $0.log10p < -100 && $0.dedup && $0.contextWidth == 1 && $0.gamma == 0.25 })
        let key = try dir.write("k.hex", c.key)
        // Negatives: random ids (key-independent); positives: the watermarked vector case, cut in pieces.
        var rng = SeededGenerator(seed: 31)
        var negatives = ""
        for _ in 0..<400 { negatives += "{\"ids\": [\((0..<120).map { _ in String(Int.random(in: 0..<49_152, using: &rng)) }.joined(separator: ","))]}\n" }
        let negativeFile = try dir.write("neg.jsonl", negatives)
        var positives = ""
        for start in stride(from: 0, to: c.ids.count - 60, by: 30) {
            positives += "{\"ids\": [\(c.ids[start..<(start + 60)].map(String.init).joined(separator: ","))]}\n"
        }
        let positiveFile = try dir.write("pos.jsonl", positives)
        let out = dir.path("cal.json")
        let made = try CLI.run(["calibrate", "--key-file", key, "--negatives", negativeFile, "--positives", positiveFile,
                                "--out", out, "--plots", dir.path("plots"), "--fpr", "0.01", "--fpr", "0.001"])
        #expect(made.status == 0, "\(made.stderr)")
        let file = try #require(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out))) as? [String: Any])
        #expect(file["keyID"] as? String == c.keyID)
        #expect(!(try String(contentsOfFile: out, encoding: .utf8)).contains(c.key))
        for svg in ["histogram.svg", "roc.svg", "tpr-by-length.svg"] {
            let plot = try String(contentsOfFile: dir.path("plots/" + svg), encoding: .utf8)
            #expect(plot.hasPrefix("<?xml") && plot.contains("<svg"), "\(svg)")
        }
        // Refuses to overwrite without --force.
        let again = try CLI.run(["calibrate", "--key-file", key, "--negatives", negativeFile, "--out", out])
        #expect(again.status == 2 && again.stderr.contains("--force"))
        let forced = try CLI.run(["calibrate", "--key-file", key, "--negatives", negativeFile, "--positives", positiveFile,
                                  "--out", out, "--force", "--fpr", "0.01", "--fpr", "0.001"])
        #expect(forced.status == 0, "\(forced.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.url.path).filter { $0.hasPrefix(".cal.json") }.isEmpty)
        // Detection with the file: the watermarked ids are found, the file's threshold is used.
        let ids = c.ids.map(String.init).joined(separator: " ")
        let found = try CLI.run(["detect", "--key-file", key, "--ids", "--json", "--calibration", out, "--fpr", "0.001"], stdin: ids)
        #expect(found.status == 0)
        #expect(found.stdout.contains("\"calibrated\":true"))
        // Another key, other parameters, an uncalibrated rate and a non-calibration file are refused.
        let other = try dir.write("other.hex", String(repeating: "77", count: 32))
        for (args, mention) in [(["--key-file", other], "was made for key"), (["--key-file", key, "--gamma", "0.5"], "gamma"),
                                (["--key-file", key, "--no-dedup"], "de-duplication"), (["--key-file", key, "--fpr", "0.05"], "no threshold")] {
            let r = try CLI.run(["detect", "--ids", "--calibration", out] + args, stdin: ids)
            #expect(r.status == 2 && r.stderr.contains(mention), "\(args): \(r.stderr)")
        }
        let notCalibration = try CLI.run(["detect", "--ids", "--key-file", key, "--calibration", negativeFile], stdin: ids)
        #expect(notCalibration.status == 2 && notCalibration.stderr.contains("not a calibration file"))
    }
}

@Suite("watermark common-tuples")
struct CommonTuplesCommandTests {
    @Test(.enabled(if: DefaultModelFixture.isAvailable, DefaultModelFixture.skipReason))
    func buildThenDetectAndCalibrateWithTheList() throws {
        _ = try DefaultModelFixture.requirePath()  // the CLI's default tokenizer
        let dir = try Scratch()
        let key = try dir.write("k.hex", String(repeating: "5a", count: 32))
        // Reference text: thirty short documents that share their opening sentence.
        var reference = ""
        var rng = SeededGenerator(seed: 91)
        let words = ["river", "stone", "music", "garden", "winter", "letter", "window", "morning", "silver", "harbour"]
        for _ in 0..<30 {
            let rest = (0..<25).map { _ in words[Int.random(in: 0..<words.count, using: &rng)] }.joined(separator: " ")
            reference += "{\"text\": \"It was the best of times, it was the worst of times. \(rest).\"}\n"
        }
        let referenceFile = try dir.write("ref.jsonl", reference)
        let list = dir.path("common.json")
        let made = try CLI.run(["common-tuples", referenceFile, "--out", list, "--min-fraction", "0.9"])
        #expect(made.status == 0, "\(made.stderr)")
        #expect(made.stdout.contains("30 documents"))
        let again = try CLI.run(["common-tuples", referenceFile, "--out", list])
        #expect(again.status == 2 && again.stderr.contains("--force"))

        let text = "It was the best of times, it was the worst of times. Then the harbour froze over, and the letters stopped coming."
        let plain = try CLI.run(["detect", "--key-file", key, "--json"], stdin: text)
        let skipped = try CLI.run(["detect", "--key-file", key, "--json", "--skip-common", list], stdin: text)
        #expect(skipped.status == 0 || skipped.status == 1, "\(skipped.stderr)")
        let a = try #require(JSONSerialization.jsonObject(with: Data(plain.stdout.utf8)) as? [String: Any])
        let b = try #require(JSONSerialization.jsonObject(with: Data(skipped.stdout.utf8)) as? [String: Any])
        let left = try #require(b["commonSkipped"] as? Int)
        #expect(left >= 10)  // the shared sentence's tuples
        // Repeats of a listed tuple count as left out too, but de-duplication scored them once.
        let before = try #require(a["scored"] as? Int), after = try #require(b["scored"] as? Int)
        #expect(after < before && after >= before - left)
        #expect(a["commonSkipped"] == nil)
        let human = try CLI.run(["detect", "--key-file", key, "--skip-common", list], stdin: text)
        #expect(human.stdout.contains("left out as common tuples"))

        // A list for another context width, or a damaged list, is refused on one line.
        let width = try CLI.run(["detect", "--key-file", key, "--context-width", "2", "--skip-common", list], stdin: text)
        #expect(width.status == 2 && width.stderr.contains("context width 1"), "\(width.stderr)")
        let damaged = try dir.write("damaged.json", try String(contentsOfFile: list, encoding: .utf8).replacingOccurrences(of: "\"documents\":30", with: "\"documents\":3"))
        let refused = try CLI.run(["detect", "--key-file", key, "--skip-common", damaged], stdin: text)
        #expect(refused.status == 2 && refused.stderr.hasPrefix("watermark: error: \(damaged): "), "\(refused.stderr)")
        #expect(refused.stderr.split(separator: "\n").count == 1)

        // A calibration made with the list holds only for detection with the same list.
        let calibration = dir.path("cal.json")
        let calibrated = try CLI.run(["calibrate", "--key-file", key, "--negatives", referenceFile, "--skip-common", list,
                                      "--out", calibration, "--fpr", "0.01"])
        #expect(calibrated.status == 0, "\(calibrated.stderr)")
        let with = try CLI.run(["detect", "--key-file", key, "--calibration", calibration, "--fpr", "0.01", "--skip-common", list], stdin: text)
        #expect(with.status == 0 || with.status == 1, "\(with.stderr)")
        let without = try CLI.run(["detect", "--key-file", key, "--calibration", calibration, "--fpr", "0.01"], stdin: text)
        #expect(without.status == 2 && without.stderr.contains("no common-tuple list"), "\(without.stderr)")
    }
}

import Foundation
import Testing
import TestSupport

/// Text input goes through the default model's tokenizer; these need the model file, which
/// `Tools/fetch-model.sh` provides (CI always has it).
@Suite("watermark detect on text")
struct TextDetectionTests {
    static let model = Repository.cacheDirectory.appendingPathComponent("models/SmolLM2-135M-Instruct.Q4_1.gguf").path
    static var modelPresent: Bool { FileManager.default.fileExists(atPath: model) }

    /// Fails under CI when the model is missing; elsewhere the test is skipped with a message.
    static func requireModel() throws -> Bool {
        if modelPresent { return true }
        if Repository.isCI { Issue.record("the default model is missing at \(model); CI must run Tools/fetch-model.sh") }
        return false
    }

    @Test func streamedTextGivesTheSameIdsAsWholeText() throws {
        guard try Self.requireModel() else { return }
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
        guard try Self.requireModel() else { return }
        let plain = try CLI.run(["tokenize", "--json"], stdin: "hi<|im_end|>")
        let parsed = try CLI.run(["tokenize", "--json", "--parse-special"], stdin: "hi<|im_end|>")
        let plainIDs = try #require(JSONSerialization.jsonObject(with: Data(plain.stdout.utf8)) as? [Int])
        let parsedIDs = try #require(JSONSerialization.jsonObject(with: Data(parsed.stdout.utf8)) as? [Int])
        #expect(parsedIDs.count == 2)  // "hi" and the special token itself
        #expect(plainIDs.count > 2)
    }

    @Test func jsonLinesTextDocuments() throws {
        guard try Self.requireModel() else { return }
        let dir = try Scratch()
        let key = try dir.write("k.hex", String(repeating: "42", count: 32))
        let input = #"{"text": "A first, entirely human document about the weather in spring and the birds that return."}"# + "\n"
            + #"{"ids": [1, 2, 3]}"# + "\n"
        let r = try CLI.run(["detect", "--key-file", key, "--jsonl", "--json"], stdin: input)
        #expect(r.status == 1)
        let lines = r.stdout.split(separator: "\n")
        #expect(lines.count == 2)
        let tokenized = try CLI.run(["tokenize", "--jsonl"], stdin: input.split(separator: "\n").first! + "\n")
        #expect(tokenized.stdout.hasPrefix("{\"ids\":["))
    }
}

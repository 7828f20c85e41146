import Detection
import Foundation
import Generation
import TestSupport
import Testing
import Tokenizer
import Watermark
import WatermarkedGeneration

/// The README's "Use it from Swift" examples, compiled and run here. The lines between each
/// pair of `README` markers must be the README's code block to the character, so the README
/// cannot drift from code that builds.
@Suite("README examples")
struct ReadmeExampleTests {
    @Test("the smallest watermarked generation and the smallest detection find the watermark",
          .enabled(if: DefaultModelFixture.isAvailable, DefaultModelFixture.skipReason))
    func generateThenDetect() throws {
        let modelPath = try DefaultModelFixture.requirePath()
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("readme-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let keyPath = scratch.appendingPathComponent("my.key").path
        try KeyFile.write(WatermarkKey(bytes: [UInt8](repeating: 7, count: 32)), to: keyPath, overwrite: false)

        // README: generation
        let key = try KeyFile.read(path: keyPath).key
        let model = try LoadedModel(path: modelPath)
        let watermark = try WatermarkLogitsProcessor(key: key, parameters: .defaults)
        let sampling = SamplingParameters(seed: 42)
        let essay = try model.generate(prompt: "Write about lighthouses.", sampling: sampling,
                                       watermark: watermark, maxTokens: 128).text
        // README: end

        // README: detection
        let tokenizer = try BPETokenizer.load(path: modelPath)  // the model's own tokenizer
        let pipeline = try DetectionPipeline(keys: [key], tokenizer: DetectionTokenizer(tokenizer))
        let result = try pipeline.detect(text: essay)
        print(result.verdict, result.pAdjusted)  // watermarked, and how unlikely by chance
        // README: end

        #expect(result.verdict == .watermarked)
        #expect(result.log10p < -6, "log10 p = \(result.log10p) on \(result.scored) scored tuples")
        let unmarked = try model.generate(prompt: "Write about lighthouses.", sampling: sampling, watermark: nil, maxTokens: 128).text
        #expect(try pipeline.detect(text: unmarked).verdict != .watermarked)
    }

    @Test("the README's code blocks are the ones compiled here")
    func readmeMatchesThisFile() throws {
        let readme = try String(contentsOf: Repository.url("README.md"), encoding: .utf8)
        let here = try String(contentsOf: URL(fileURLWithPath: #filePath), encoding: .utf8)
        for name in ["generation", "detection"] {
            let compiled = try #require(Self.block(named: name, in: here), "no README: \(name) block in this file")
            #expect(readme.contains("```swift\n" + compiled + "```\n"), "README.md lacks the \(name) example:\n\(compiled)")
        }
    }

    /// The lines between `// README: name` and `// README: end`, without their indentation.
    static func block(named name: String, in source: String) -> String? {
        let lines = source.split(separator: "\n", omittingEmptySubsequences: false)
        guard let start = lines.firstIndex(where: { $0.trimmingCharacters(in: .whitespaces) == "// README: \(name)" }),
              let end = lines[start...].firstIndex(where: { $0.trimmingCharacters(in: .whitespaces) == "// README: end" }) else {
            return nil
        }
        let body = lines[(start + 1)..<end]
        let indent = body.filter { !$0.isEmpty }.map { $0.prefix { $0 == " " }.count }.min() ?? 0
        return body.map { String($0.dropFirst(min(indent, $0.count))) }.joined(separator: "\n") + "\n"
    }
}

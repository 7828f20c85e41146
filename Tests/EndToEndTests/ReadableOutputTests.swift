import Foundation
import TestSupport
import Testing

/// What a person reads: calibration summaries, prompt formats, the common-tuple switch.
@Suite("readable output")
struct ReadableOutputTests {
    static let tokenizer = Repository.url("Vectors/tokenizer/gpt2/gpt2.tiktoken").path

    @Test("calibrate says how many negatives a rate needs, in one number format, with plurals")
    func calibrationSummaryReads() throws {
        let dir = try Scratch()
        let key = try dir.write("k.key", String(repeating: "ab", count: 32))
        var lines = ""
        for i in 0..<30 {
            lines += "{\"text\": \"Document \(i) is a plain human sentence about rivers, bridges, weather and the price of bread in town number \(i).\"}\n"
        }
        let negatives = try dir.write("neg.jsonl", lines)
        let r = try CLI.run(["calibrate", "--key-file", key, "--tokenizer", Self.tokenizer, "--negatives", negatives,
                             "--out", dir.path("c.cal"), "--fpr", "0.01", "--fpr", "1e-4"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("30 negatives (none too short)"), "\(r.stdout)")
        #expect(r.stdout.contains("FPR 0.01:") && r.stdout.contains("FPR 1e-4:"), "\(r.stdout)")
        #expect(r.stdout.contains("too few negatives to show 0.01: that needs 299 with none flagged"), "\(r.stdout)")
        #expect(r.stdout.contains("0 false positives of 30"), "\(r.stdout)")
        let json = try CLI.run(["calibrate", "--key-file", key, "--tokenizer", Self.tokenizer, "--negatives", negatives,
                                "--out", dir.path("d.cal"), "--json"])
        #expect(json.status == 0 && json.stdout.split(separator: "\n").count == 1, "\(json.stdout)")
    }

    @Test("--no-skip-common and --skip-common FILE choose, and not both")
    func commonTupleSwitch() throws {
        let dir = try Scratch()
        let key = try dir.write("k.key", String(repeating: "ab", count: 32))
        let both = try CLI.run(["detect", "--key-file", key, "--ids", "--no-skip-common", "--skip-common", "x.json"], stdin: "1 2 3")
        #expect(both.status == 2 && both.stderr.contains("contradict"), "\(both.stderr)")
        let none = try CLI.run(["detect", "--key-file", key, "--ids", "--no-skip-common", "--json"], stdin: "1 2 3")
        #expect(none.status == 1 && !none.stdout.contains("commonTuples"), "\(none.stderr)")
    }

    @Test("prompts as plain lines, with finishReason and the seed on stderr",
          .enabled(if: DefaultModelFixture.isAvailable, DefaultModelFixture.skipReason))
    func plainPromptsFile() throws {
        let dir = try Scratch()
        let key = try dir.write("k.key", String(repeating: "ab", count: 32))
        let prompts = try dir.write("prompts.txt", "Say hello.\n\nName a colour.\n")
        let r = try CLI.run(["embed", "--key-file", key, "--prompts", prompts, "-n", "3", "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let lines = r.stdout.split(separator: "\n")
        #expect(lines.count == 2 && lines.allSatisfy { $0.contains("\"finishReason\":") })
        #expect(lines[0].contains("\"index\":0") && lines[1].contains("\"index\":1") && lines[1].contains("\"prompt\":\"Name a colour.\""))
        #expect(r.stderr.contains("chosen at random; --seed"), "\(r.stderr)")
        let control = try CLI.run(["embed", "--no-watermark", "-p", "Say hello.", "-n", "2", "-s", "1", "--json"])
        #expect(control.status == 0 && !control.stdout.contains("\"gamma\"") && control.stderr.isEmpty, "\(control.stderr)")
        let fromStdin = try CLI.run(["embed", "--no-watermark", "-n", "2", "-s", "1", "--json"], stdin: "Say hello.\n")
        #expect(fromStdin.status == 0 && fromStdin.stdout.contains("\"prompt\":\"Say hello.\""), "\(fromStdin.stderr)")
    }

    @Test("a scan's best window reads as a range of tokens")
    func windowsReadAsRanges() throws {
        let dir = try Scratch()
        let key = try dir.write("k.key", String(repeating: "ab", count: 32))
        let ids = (0..<300).map { String(($0 * 7919) % 5000) }.joined(separator: " ")
        let r = try CLI.run(["detect", "--key-file", key, "--ids", "--scan"], stdin: ids)
        let line = try #require(r.stdout.split(separator: "\n").first { $0.contains("best window") }, "\(r.stdout)")
        #expect(line.contains("best window: tokens ") && line.contains("–") && !line.contains("..<"), "\(line)")
    }

    @Test("--quiet leaves out warnings, not results")
    func quietSilencesWarnings() throws {
        let dir = try Scratch()
        let key = try dir.write("k.key", String(repeating: "ab", count: 32), mode: 0o644)
        let loud = try CLI.run(["detect", "--key-file", key, "--ids", "--json"], stdin: "1 2 3")
        #expect(loud.stderr.contains("warning") && loud.stderr.contains("chmod 600"))
        let quiet = try CLI.run(["detect", "--key-file", key, "--ids", "--json", "--quiet"], stdin: "1 2 3")
        #expect(quiet.stderr.isEmpty && quiet.stdout.contains("\"verdict\""), "\(quiet.stderr)")
    }

    @Test("batch text output separates prompts; --generate refuses to make fewer than asked",
          .enabled(if: DefaultModelFixture.isAvailable, DefaultModelFixture.skipReason))
    func separatorsAndRefusals() throws {
        let dir = try Scratch()
        let key = try dir.write("k.key", String(repeating: "ab", count: 32))
        let prompts = try dir.write("prompts.txt", "Say hello.\nName a colour.\n")
        let text = try CLI.run(["embed", "--key-file", key, "--prompts", prompts, "-n", "2", "-s", "3"])
        #expect(text.status == 0 && text.stdout.components(separatedBy: "==> ").count == 3
                && text.stdout.contains("==> \(prompts):2 <=="), "\(text.stdout)")
        let negatives = try dir.write("neg.jsonl", """
            {"text": "One human document with more than ten words in it, about rivers and bridges."}
            {"text": "Another human document with more than ten words, about weather and bread."}

            """)
        let r = try CLI.run(["calibrate", "--key-file", key, "--negatives", negatives, "--generate", "5", "--out", dir.path("c.cal")])
        #expect(r.status == 2 && r.stderr.contains("--generate 5") && r.stderr.contains("has only 2"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.path("c.cal")))
    }
}

import Foundation
import TestSupport
import Testing

/// Hostile files, paths and models (the hardening issue): each class of failure found by
/// mutating inputs against the release CLI, run again here. Each must end with exit 2 and one
/// line on stderr naming the file and the problem: no trap, no hang, no second line.
@Suite("hardening")
struct HardeningTests {
    static let tokenizer = Repository.url("Vectors/tokenizer/gpt2/gpt2.tiktoken").path
    static let keyHex = String(repeating: "ab", count: 32) + "\n"

    /// Exactly one line on stderr, and the status.
    private func expectOneLine(_ r: CLI.Outcome, status: Int32 = 2, mentions: [String], sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(r.status == status, "status \(r.status): \(r.stderr)", sourceLocation: sourceLocation)
        let lines = r.stderr.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == 2 && lines[1].isEmpty, "not one line: \(r.stderr.debugDescription)", sourceLocation: sourceLocation)
        for m in mentions { #expect(r.stderr.contains(m), "\(r.stderr) lacks \(m)", sourceLocation: sourceLocation) }
    }

    /// A calibration file as `calibrate` writes it (for the gpt2 rank file), with `edit` applied.
    static func calibration(keyID: String, fingerprint: String, edit: (inout [String: Any]) -> Void) throws -> Data {
        var file: [String: Any] = [
            "format": "swift-watermark calibration v1", "scheme": "greenlist-v1", "keyID": keyID,
            "tokenizer": ["fingerprint": fingerprint, "name": "gpt2.tiktoken"],
            "parameters": ["gamma": 0.25, "effectiveGamma": 0.25, "contextWidth": 1, "deduplicate": true,
                           "minimumScored": 16, "normalization": "normalize-v1"],
            "negatives": ["documents": 100, "tooShort": 0, "meanScored": 80.0, "meanZ": 0.1, "sdZ": 1.0,
                          "scoreQuantiles": ["0.5": 0.3, "max": 2.5]],
            "thresholds": [["targetFPR": 0.01, "minimumScore": 2.6, "falsePositives": 0, "empiricalFPR": 0.0,
                            "fprUpperBound95": 0.0295, "fprDemonstrated": false]],
            "created": "2026-12-01T00:00:00Z", "tool": "watermark 0.1.0",
        ]
        edit(&file)
        return try JSONSerialization.data(withJSONObject: file)
    }

    /// The keyID and tokenizer fingerprint the CLI reports, so a hand-made file passes every
    /// check but the one under test.
    private func identity(_ dir: Scratch, key: String) throws -> (keyID: String, fingerprint: String) {
        let r = try CLI.run(["detect", "--key-file", key, "--tokenizer", Self.tokenizer, "--json"], stdin: "a small text to read")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any], "\(r.stderr)")
        return (try #require(object["keyID"] as? String), try #require(object["tokenizer"] as? String))
    }

    @Test("numbers in a calibration file are validated at load, naming the field")
    func calibrationNumbersAreValidated() throws {
        let dir = try Scratch()
        let key = try dir.write("k.key", Self.keyHex)
        let id = try identity(dir, key: key)
        let good = try dir.path("good.cal")
        try Self.calibration(keyID: id.keyID, fingerprint: id.fingerprint) { _ in }.write(to: URL(fileURLWithPath: good))
        let ok = try CLI.run(["detect", "--key-file", key, "--tokenizer", Self.tokenizer, "--calibration", good, "--fpr", "0.01", "--json"],
                             stdin: "a small text to read")
        #expect(ok.status == 1 && ok.stdout.contains("\"calibrated\":true"), "\(ok.stderr)")
        let cases: [(String, (inout [String: Any]) -> Void, String)] = [
            ("documents", { f in var n = f["negatives"] as! [String: Any]; n["documents"] = Int.min; f["negatives"] = n }, "negatives.documents"),
            ("bound 0", { f in var t = (f["thresholds"] as! [[String: Any]])[0]; t["fprUpperBound95"] = 0.0; f["thresholds"] = [t] },
             "thresholds[0].fprUpperBound95"),
            ("too short", { f in var n = f["negatives"] as! [String: Any]; n["tooShort"] = 100; f["negatives"] = n }, "negatives.tooShort"),
            ("score", { f in var t = (f["thresholds"] as! [[String: Any]])[0]; t["minimumScore"] = 1.0; f["thresholds"] = [t] },
             "thresholds[0].minimumScore"),
            ("rate", { f in var t = (f["thresholds"] as! [[String: Any]])[0]; t["targetFPR"] = 2.0; f["thresholds"] = [t] },
             "thresholds[0].targetFPR"),
            ("false positives", { f in var t = (f["thresholds"] as! [[String: Any]])[0]; t["falsePositives"] = -5; f["thresholds"] = [t] },
             "thresholds[0].falsePositives"),
            ("width", { f in var p = f["parameters"] as! [String: Any]; p["contextWidth"] = 1 << 40; f["parameters"] = p }, "parameters.contextWidth"),
            ("key id", { f in f["keyID"] = "line\nbreak" }, "keyID"),
        ]
        for (name, edit, field) in cases {
            let path = try dir.path("bad-\(name).cal")
            try Self.calibration(keyID: id.keyID, fingerprint: id.fingerprint, edit: edit).write(to: URL(fileURLWithPath: path))
            let r = try CLI.run(["detect", "--key-file", key, "--tokenizer", Self.tokenizer, "--calibration", path, "--fpr", "0.01"],
                                stdin: "a small text to read")
            expectOneLine(r, mentions: [path, "field \(field)"])
        }
    }

    @Test("a token id near Int32.max in a tokenizer.json is refused before anything is allocated")
    func hugeTokenIDsAreRefused() throws {
        let dir = try Scratch()
        let key = try dir.write("k.key", Self.keyHex)
        let path = try dir.write("tokenizer.json", """
            {"model": {"type": "BPE", "vocab": {"a": 0, "b": 2147483000}, "merges": []},
             "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": false}, "added_tokens": []}
            """)
        let started = Date()
        let r = try CLI.run(["detect", "--key-file", key, "--tokenizer", path], stdin: "hello", timeout: 60)
        expectOneLine(r, mentions: [path, "2147483000"])
        #expect(Date().timeIntervalSince(started) < 10)
    }

    @Test("files that are not regular files are refused without blocking; standard input as '-' still works")
    func specialFilesAreRefused() throws {
        let dir = try Scratch()
        let key = try dir.write("k.key", Self.keyHex)
        let fifo = dir.path("fifo")
        #expect(mkfifo(fifo, 0o600) == 0)
        let zero = dir.path("zero")
        try FileManager.default.createSymbolicLink(atPath: zero, withDestinationPath: "/dev/zero")
        let runs: [([String], String)] = [
            (["detect", "--key-file", fifo, "--ids", "-"], "is a FIFO"),
            (["detect", "--key-file", key, "--tokenizer", fifo], "is a FIFO"),
            (["detect", "--key-file", key, "--tokenizer", zero], "is a character device"),
            (["detect", "--key-file", key, "--ids", fifo], "is a FIFO"),
            (["detect", "--key-file", key, "--ids", zero], "is a character device"),
            (["detect", "--key-file", key, "--tokenizer", Self.tokenizer, "--calibration", fifo], "is a FIFO"),
            (["detect", "--key-file", key, "--tokenizer", Self.tokenizer, "--skip-common", fifo], "is a FIFO"),
            (["detect", "--key-file", zero, "--ids", "-"], "is a character device"),
        ]
        for (arguments, problem) in runs {
            let r = try CLI.run(arguments, stdin: "1 2 3", timeout: 30)
            expectOneLine(r, mentions: [problem])
        }
        let piped = try CLI.run(["detect", "--key-file", key, "--ids", "--json", "-"], stdin: "1 2 3", timeout: 30)
        #expect(piped.status == 1 && piped.stdout.contains("\"verdict\":\"too-short\""), "\(piped.stderr)")
    }

    @Test("every error that quotes a path with a newline in it is still one line")
    func pathsWithNewlinesGiveOneLine() throws {
        let dir = try Scratch()
        let odd = dir.url.appendingPathComponent("new\nline").path
        try FileManager.default.createDirectory(atPath: odd, withIntermediateDirectories: true)
        let key = odd + "/k\u{1B}[31m.key"
        try Data(Self.keyHex.utf8).write(to: URL(fileURLWithPath: key))
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: key)
        let text = odd + "/doc.txt"
        try Data("some text".utf8).write(to: URL(fileURLWithPath: text))
        let bad = odd + "/bad\nfile.json"
        try Data("{not json".utf8).write(to: URL(fileURLWithPath: bad))
        let missing = odd + "/missing\r\nfile"
        let runs: [[String]] = [
            ["detect", "--key-file", missing, "--ids", "-"],
            ["detect", "--key-file", odd, "--ids", "-"],
            ["detect", "--key-file", key, "--ids", missing],
            ["detect", "--key-file", key, "--ids", odd],
            ["detect", "--key-file", key, "--tokenizer", missing, text],
            ["detect", "--key-file", key, "--tokenizer", bad, text],
            ["detect", "--key-file", key, "--tokenizer", Self.tokenizer, "--calibration", bad, text],
            ["detect", "--key-file", key, "--tokenizer", Self.tokenizer, "--calibration", missing, text],
            ["detect", "--key-file", key, "--tokenizer", Self.tokenizer, "--skip-common", bad, text],
            ["detect", "--key-file", key, "--tokenizer", Self.tokenizer, "--jsonl", bad],
            ["detect", "--key-file", key, "--tokenizer", Self.tokenizer, "--jsonl", missing],
            ["keygen", "--out", key],
            ["tokenize", "--tokenizer", Self.tokenizer, missing],
            ["common-tuples", "--tokenizer", Self.tokenizer, missing, "--out", odd + "/list.json"],
            ["common-tuples", "--tokenizer", Self.tokenizer, text, "--out", key],
            ["calibrate", "--key-file", key, "--tokenizer", Self.tokenizer, "--negatives", missing, "--out", odd + "/c.json"],
            ["calibrate", "--key-file", key, "--tokenizer", Self.tokenizer, "--negatives", text, "--out", key],
            ["embed", "--key-file", key, "--model", missing, "--prompt", "hi"],
            ["embed", "--key-file", key, "--model", bad, "--prompt", "hi"],
            ["attack", "--kind", "substitute", missing],
        ]
        for arguments in runs {
            let r = try CLI.run(arguments, timeout: 60)
            #expect(r.status == 2, "\(arguments): status \(r.status)")
            let lines = r.stderr.split(separator: "\n", omittingEmptySubsequences: false)
            #expect(lines.count == 2 && lines[1].isEmpty && !r.stderr.contains("\u{1B}"), "\(arguments): \(r.stderr.debugDescription)")
        }
    }
}

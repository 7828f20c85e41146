import Foundation
import Testing
import TestSupport

private typealias DetectionCase = GreenlistVectors.DetectionCase

private func json(_ line: Substring) throws -> [String: Any] {
    try #require(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
}

@Suite("watermark keygen")
struct KeygenTests {
    @Test func writesAPrivateKeyAndRefusesToOverwrite() throws {
        let dir = try Scratch()
        let out = dir.path("k.hex")
        let first = try CLI.run(["keygen", "--out", out])
        #expect(first.status == 0)
        let text = try String(contentsOfFile: out, encoding: .utf8)
        #expect(text.count == 65 && text.hasSuffix("\n"))
        #expect((try FileManager.default.attributesOfItem(atPath: out)[.posixPermissions] as? Int) == 0o600)
        // The key itself never reaches the terminal; its keyID does.
        let hex = text.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(!first.stdout.contains(hex) && !first.stderr.contains(hex))
        #expect(first.stdout.contains("keyID"))

        let again = try CLI.run(["keygen", "--out", out])
        #expect(again.status == 2)
        #expect(again.stderr.contains(out) && again.stderr.contains("--force"))
        #expect(try String(contentsOfFile: out, encoding: .utf8) == text)

        let forced = try CLI.run(["keygen", "--out", out, "--force", "--bytes", "64", "--json"])
        #expect(forced.status == 0)
        #expect(try String(contentsOfFile: out, encoding: .utf8).count == 129)
        let object = try json(Substring(forced.stdout.trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect((object["keyID"] as? String)?.count == 16)
    }

    @Test(arguments: [["keygen"], ["keygen", "--out", "/nonexistent-dir/k.hex"], ["keygen", "--out", "x", "--bytes", "8"]])
    func badKeygenUsageFails(_ arguments: [String]) throws {
        let r = try CLI.run(arguments)
        #expect(r.status == 2)
        #expect(r.stderr.split(separator: "\n").count == 1, "one line: \(r.stderr)")
    }
}

@Suite("watermark detect")
struct DetectCommandTests {
    private static let cases = GreenlistVectors.detection

    private func keyFile(_ dir: Scratch, _ c: DetectionCase, name: String = "k.hex") throws -> String {
        try dir.write(name, c.key + "\n")
    }

    @Test func detectsVectorCasesWithTheRightExitCodes() throws {
        #expect(Self.cases.count >= 20)
        let dir = try Scratch()
        // An empty input is an error for the CLI (exit 2, tested below), not a document.
        for c in Self.cases where !c.ids.isEmpty {
            let key = try keyFile(dir, c)
            var args = ["detect", "--key-file", key, "--ids", "--json", "--gamma", "\(c.gamma)", "--context-width", "\(c.contextWidth)"]
            if !c.dedup { args.append("--no-dedup") }
            let r = try CLI.run(args, stdin: c.ids.map(String.init).joined(separator: " "))
            let object = try json(Substring(r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)))
            #expect(object["scored"] as? Int == c.scored, "\(c.id)")
            #expect(object["green"] as? Int == c.green, "\(c.id)")
            #expect(abs((object["log10p"] as? Double ?? 1) - c.log10p) <= 1e-9 * max(1, abs(c.log10p)), "\(c.id)")
            #expect(object["keyID"] as? String == c.keyID)
            for field in ["scheme", "gamma", "contextWidth", "tokens", "z", "p", "verdict"] { #expect(object[field] != nil, "\(field)") }
            let verdict = object["verdict"] as? String
            #expect(r.status == (verdict == "watermarked" ? 0 : 1), "\(c.id) \(verdict ?? "?")")
            if c.scored < 16 { #expect(verdict == "too-short") }
            if c.log10p < -5 && c.scored >= 16 { #expect(verdict == "watermarked") }
            #expect(!r.stdout.contains(c.key) && !r.stderr.contains(c.key))
        }
    }

    @Test func theIssueExampleWorks() throws {
        let dir = try Scratch()
        let key = try dir.write("k.hex", String(repeating: "5a", count: 32))
        let r = try CLI.run(["detect", "--key-file", key, "--ids", "--json", "--gamma", "0.5"], stdin: "[5, 17, 9, 4096]\n")
        let object = try json(Substring(r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(object["tokens"] as? Int == 4 && object["scored"] as? Int == 3)
        #expect(object["gamma"] as? Double == 0.5 && object["verdict"] as? String == "too-short")
        #expect(r.status == 1)
    }

    @Test func humanOutputSummarisesAndHighlights() throws {
        let c = try #require(Self.cases.first { $0.log10p < -100 && $0.dedup })
        let dir = try Scratch()
        let key = try keyFile(dir, c)
        let ids = c.ids.map(String.init).joined(separator: ",")
        let args = ["detect", "--key-file", key, "--ids", "--gamma", "\(c.gamma)", "--context-width", "\(c.contextWidth)", "--highlight"]
        let r = try CLI.run(args + ["--color", "always"], stdin: ids)
        #expect(r.status == 0)
        #expect(r.stdout.contains("watermarked") && r.stdout.contains(c.keyID))
        #expect(r.stdout.contains("\u{1B}[42;30m") && r.stdout.contains("legend: "))
        // A pipe gets no escape codes unless asked (--color auto), and NO_COLOR is honoured.
        let piped = try CLI.run(args, stdin: ids)
        #expect(!piped.stdout.contains("\u{1B}[") && piped.stdout.contains("[+") && piped.stdout.contains("legend: [+token]"))
        let plain = try CLI.run(args + ["--color", "auto"], stdin: Data(ids.utf8), environment: ["NO_COLOR": "1"])
        #expect(!plain.stdout.contains("\u{1B}[") && plain.stdout.contains("[+"))
        let never = try CLI.run(args + ["--color", "never"], stdin: ids)
        #expect(!never.stdout.contains("\u{1B}["))
    }

    @Test func jsonLinesStreamManyDocumentsInOrder() throws {
        let dir = try Scratch()
        let usable = Self.cases.filter { $0.contextWidth == 1 && $0.gamma == 0.25 && $0.dedup && !$0.ids.isEmpty }
        let c = try #require(usable.first)
        let key = try keyFile(dir, c)
        let mine = usable.filter { $0.key == c.key }
        var lines = mine.map { "{\"ids\": [\($0.ids.map(String.init).joined(separator: ","))]}" }
        lines.insert("", at: 1)  // blank lines are skipped
        let file = try dir.write("docs.jsonl", lines.joined(separator: "\n") + "\n")
        let r = try CLI.run(["detect", "--key-file", key, "--jsonl", "--json", file])
        let outputs = r.stdout.split(separator: "\n")
        #expect(outputs.count == mine.count)
        for (line, expected) in zip(outputs, mine) {
            let object = try json(line)
            #expect(object["green"] as? Int == expected.green)
            #expect((object["source"] as? String)?.hasPrefix(file + ":") == true)
        }
    }

    @Test func severalKeysAndTheEnvironmentVariable() throws {
        let c = try #require(Self.cases.first { $0.log10p < -100 && $0.dedup })
        let dir = try Scratch()
        let right = try keyFile(dir, c)
        let wrong = try dir.write("wrong.hex", String(repeating: "01", count: 32))
        let args = ["--ids", "--json", "--gamma", "\(c.gamma)", "--context-width", "\(c.contextWidth)"]
        let stdin = c.ids.map(String.init).joined(separator: " ")
        let r = try CLI.run(["detect", "--key-file", wrong, "--key-file", right] + args, stdin: stdin)
        let object = try json(Substring(r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(object["keyID"] as? String == c.keyID && object["keysTried"] as? Int == 2)
        #expect(r.status == 0)
        let viaEnv = try CLI.run(["detect"] + args, stdin: Data(stdin.utf8), environment: ["WATERMARK_KEY_FILE": right])
        #expect(viaEnv.status == 0)
    }

    @Test func aKeyFileOthersCanReadIsWarnedAbout() throws {
        let dir = try Scratch()
        let key = try dir.write("open.hex", String(repeating: "ab", count: 32), mode: 0o644)
        let r = try CLI.run(["detect", "--key-file", key, "--ids"], stdin: "1 2 3")
        #expect(r.stderr.contains("warning") && r.stderr.contains(key) && r.stderr.contains("chmod 600"))
        #expect(!r.stderr.contains(String(repeating: "ab", count: 32)))
    }

    /// Every bad input gives exit 2 and one line on stderr naming the problem.
    @Test(arguments: [
        ("missing key file", ["detect", "--ids", "--key-file", "/nonexistent/k.hex"], "1 2 3", "/nonexistent/k.hex"),
        ("no key", ["detect", "--ids"], "1 2 3", "--key-file"),
        ("short key", ["detect", "--ids", "--key-file", "@short"], "1 2 3", "16 to 64"),
        ("empty key", ["detect", "--ids", "--key-file", "@empty"], "1 2 3", "empty"),
        ("key is a directory", ["detect", "--ids", "--key-file", "@dir"], "1 2 3", "directory"),
        ("gamma", ["detect", "--ids", "--key-file", "@key", "--gamma", "1.5"], "1 2 3", "gamma"),
        ("context width", ["detect", "--ids", "--key-file", "@key", "--context-width", "9"], "1 2 3", "context width"),
        ("fpr", ["detect", "--ids", "--key-file", "@key", "--fpr", "0"], "1 2 3", "--fpr"),
        ("min tokens", ["detect", "--ids", "--key-file", "@key", "--min-tokens", "0"], "1 2 3", "--min-tokens"),
        ("bad id", ["detect", "--ids", "--key-file", "@key"], "1 2 banana", "not part of a token id"),
        ("id too large", ["detect", "--ids", "--key-file", "@key"], "4294967296", "larger than"),
        ("no ids", ["detect", "--ids", "--key-file", "@key"], "", "no token ids"),
        ("missing input", ["detect", "--ids", "--key-file", "@key", "/nonexistent/in.txt"], "", "/nonexistent/in.txt"),
        ("bad json line", ["detect", "--jsonl", "--key-file", "@key"], "{\"ids\": [1,2]}\nnot json\n", "<stdin>:2"),
        ("json line without field", ["detect", "--jsonl", "--key-file", "@key"], "{\"x\": 1}\n", "neither"),
        ("empty ids", ["detect", "--jsonl", "--key-file", "@key"], "{\"ids\": []}\n", "empty"),
        ("missing tokenizer", ["detect", "--key-file", "@key", "--tokenizer", "/nonexistent/tok.json"], "hello world", "/nonexistent/tok.json"),
        ("bad tokenizer", ["detect", "--key-file", "@key", "--tokenizer", "@short"], "hello world", "short.hex"),
        ("ids given text", ["detect", "--key-file", "@key", "--ids"], "hello world", "not part of a token id"),
        ("invalid utf8", ["detect", "--key-file", "@key"], "\u{FFFF}", "<stdin>"),
        ("unknown flag", ["detect", "--bogus"], "", "bogus"),
    ] as [(String, [String], String, String)])
    func badInputFailsWithOneLine(_ name: String, _ arguments: [String], _ stdin: String, _ mention: String) throws {
        let dir = try Scratch()
        let replacements = [
            "@short": try dir.write("short.hex", "00112233"),
            "@empty": try dir.write("empty.hex", ""),
            "@dir": dir.url.path,
            "@key": try dir.write("k.hex", String(repeating: "cd", count: 32)),
        ]
        let args = arguments.map { replacements[$0] ?? $0 }
        var input = Data(stdin.utf8)
        if name == "invalid utf8" { input = Data([0x68, 0x69, 0xFF, 0xFE, 0x20]) }
        let r = try CLI.run(args, stdin: input)
        #expect(r.status == 2, "\(name): status \(r.status), stderr \(r.stderr)")
        let lines = r.stderr.split(separator: "\n").filter { !$0.contains("warning") }
        #expect(lines.count == 1, "\(name): \(r.stderr)")
        #expect(r.stderr.contains(mention), "\(name): \(r.stderr)")
        #expect(r.stdout.isEmpty || name == "bad json line")
        #expect(!r.stderr.contains(String(repeating: "cd", count: 32)))
    }
}

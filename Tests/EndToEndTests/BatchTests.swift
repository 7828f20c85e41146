import Foundation
import TestSupport
import Testing

/// Batches in pipelines: a bad document never stops the others, every output line carries the
/// input's place (`index`, from 0, the same way in every command) and its `id`, and the exit
/// status says an error happened (2, as grep does).
@Suite("batches")
struct BatchTests {
    static let tokenizer = Repository.url("Vectors/tokenizer/gpt2/gpt2.tiktoken").path

    private func objects(_ stdout: String) throws -> [[String: Any]] {
        try stdout.split(separator: "\n").map { line in
            try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "\(line)")
        }
    }

    @Test("detect scores every file after a bad one, and empty or blank text is too short")
    func badFilesDoNotStopTheBatch() throws {
        let dir = try Scratch()
        let key = try dir.write("k.key", String(repeating: "ab", count: 32))
        let a = try dir.write("a.txt", "The first document has a few words in it.")
        let empty = try dir.write("empty.txt", "")
        let blank = try dir.write("blank.txt", "  \n\t \n")
        let bad = dir.path("bad.txt")
        try Data([0x68, 0xFF, 0x69]).write(to: URL(fileURLWithPath: bad))
        let c = try dir.write("c.txt", "And the last one is scored as well.")
        let r = try CLI.run(["detect", "--key-file", key, "--tokenizer", Self.tokenizer, "--json", a, empty, dir.path("missing.txt"),
                             bad, blank, c])
        #expect(r.status == 2, "\(r.stderr)")
        let lines = try objects(r.stdout)
        #expect(lines.map { $0["index"] as? Int } == [0, 1, 2, 3, 4, 5])
        #expect(lines.map { $0["source"] as? String } == [a, empty, dir.path("missing.txt"), bad, blank, c])
        #expect(lines[0]["verdict"] as? String == "too-short" && lines[5]["verdict"] as? String == "too-short")
        #expect(lines[1]["verdict"] as? String == "too-short" && lines[4]["verdict"] as? String == "too-short")
        #expect((lines[2]["error"] as? String)?.contains("No such file") == true && lines[2]["verdict"] == nil)
        #expect((lines[3]["error"] as? String)?.contains("not valid UTF-8") == true)
        let errors = r.stderr.split(separator: "\n")
        #expect(errors.count == 2 && errors.allSatisfy { $0.hasPrefix("watermark: error: ") }, "\(r.stderr)")
        // Without --json the same documents are scored, and the errors go to stderr only.
        let text = try CLI.run(["detect", "--key-file", key, "--tokenizer", Self.tokenizer, a, dir.path("missing.txt"), c])
        #expect(text.status == 2 && text.stdout.contains(a) && text.stdout.contains(c) && !text.stdout.contains("missing"))
    }

    @Test("a bad JSON Lines line is reported in place; ids of any JSON type come back; blank lines are not documents")
    func jsonLinesCarryIDsAndIndexes() throws {
        let dir = try Scratch()
        let key = try dir.write("k.key", String(repeating: "ab", count: 32))
        let input = """
            {"ids": [1, 2, 3], "id": "first"}

            not json
            {"text": "some words here", "id": 17}
            {"ids": [], "id": [1, "x"]}
            {"ids": [9, 8, 7, 6], "id": {"doc": "d4", "page": 2}}
            {"id": "no-content", "title": "x"}

            """
        let r = try CLI.run(["detect", "--key-file", key, "--tokenizer", Self.tokenizer, "--jsonl", "--json"], stdin: input)
        #expect(r.status == 2, "\(r.stderr)")
        let lines = try objects(r.stdout)
        #expect(lines.map { $0["index"] as? Int } == [0, 1, 2, 3, 4, 5])
        #expect(lines.map { $0["source"] as? String } == ["<stdin>:1", "<stdin>:3", "<stdin>:4", "<stdin>:5", "<stdin>:6", "<stdin>:7"])
        #expect(lines[0]["id"] as? String == "first" && lines[0]["verdict"] != nil)
        #expect(lines[1]["error"] != nil && lines[1]["id"] == nil)
        #expect(lines[2]["id"] as? Int == 17 && lines[2]["tokenizer"] != nil)
        // An error entry names its document by id whenever the line is an object with one.
        #expect((lines[3]["error"] as? String)?.contains("\"ids\" is empty") == true)
        #expect((lines[3]["id"] as? [Any])?.count == 2)
        #expect((lines[4]["id"] as? [String: Any])?["doc"] as? String == "d4")
        #expect((lines[5]["error"] as? String)?.contains("has neither") == true && lines[5]["id"] as? String == "no-content")
        #expect(r.stderr.split(separator: "\n").count == 3)
    }

    @Test("JSON Lines of ids need no tokenizer until a line has text")
    func idsNeedNoTokenizer() throws {
        let dir = try Scratch()
        let key = try dir.write("k.key", String(repeating: "ab", count: 32))
        let r = try CLI.run(["detect", "--key-file", key, "--jsonl", "--json"], stdin: "{\"ids\": [1, 2, 3]}\n",
                            environment: ["WATERMARK_CACHE": dir.path("no-cache")])
        #expect(r.status == 1 && r.stderr.isEmpty, "\(r.stderr)")
        let withText = try CLI.run(["detect", "--key-file", key, "--jsonl", "--json"], stdin: "{\"ids\": [1, 2, 3]}\n{\"text\": \"hi\"}\n",
                                   environment: ["WATERMARK_CACHE": dir.path("no-cache")])
        #expect(withText.status == 2 && withText.stderr.contains("default model is missing"), "\(withText.stderr)")
        #expect(try objects(withText.stdout).count == 2)
    }

    @Test("tokenize --jsonl carries index, source and id, and goes on after a bad line")
    func tokenizeCarriesIDs() throws {
        let r = try CLI.run(["tokenize", "--tokenizer", Self.tokenizer, "--jsonl"],
                            stdin: "{\"text\": \"hello\", \"id\": \"a\"}\n\n{\"ids\": [1]}\n{\"text\": \"world\"}\n{\"text\": 5, \"id\": \"b\"}\n")
        #expect(r.status == 2, "\(r.stderr)")
        let lines = try objects(r.stdout)
        #expect(lines.map { $0["index"] as? Int } == [0, 1, 2, 3])
        #expect((lines[3]["error"] as? String)?.contains("must be a string") == true && lines[3]["id"] as? String == "b")
        #expect(lines[0]["id"] as? String == "a" && (lines[0]["ids"] as? [Int])?.isEmpty == false)
        #expect((lines[1]["error"] as? String)?.contains("needs a \"text\" field") == true)
        #expect(lines[2]["source"] as? String == "<stdin>:4")
    }

    @Test("tokenize --count gives the number of the ids tokenize prints, and refuses --pieces")
    func tokenizeCounts() throws {
        let input = "{\"text\": \"hello world, again\", \"id\": 7}\n{\"ids\": [1]}\n{\"text\": \"\"}\n{\"text\": \"Grüße aus Köln\"}\n"
        let ids = try CLI.run(["tokenize", "--tokenizer", Self.tokenizer, "--jsonl"], stdin: input)
        let counted = try CLI.run(["tokenize", "--tokenizer", Self.tokenizer, "--jsonl", "--count"], stdin: input)
        #expect(ids.status == 2 && counted.status == 2, "\(counted.stderr)")
        let a = try objects(ids.stdout), b = try objects(counted.stdout)
        #expect(a.count == 4 && b.count == 4)
        for (x, y) in zip(a, b) {
            #expect(y["ids"] == nil && x["index"] as? Int == y["index"] as? Int && x["source"] as? String == y["source"] as? String)
            #expect((x["ids"] as? [Int])?.count == y["tokens"] as? Int && (x["error"] as? String) == (y["error"] as? String))
        }
        #expect(b[0]["id"] as? Int == 7 && (b[0]["tokens"] as? Int ?? 0) > 2 && b[2]["tokens"] as? Int == 0)
        let whole = try CLI.run(["tokenize", "--tokenizer", Self.tokenizer, "--count"], stdin: "Grüße aus Köln")
        #expect(whole.status == 0 && whole.stdout == "\(b[3]["tokens"] as? Int ?? -1)\n", "\(whole.stdout)")
        let both = try CLI.run(["tokenize", "--tokenizer", Self.tokenizer, "--count", "--pieces"], stdin: "x")
        #expect(both.status == 2 && both.stderr.contains("--count prints a number, not pieces"), "\(both.stderr)")
    }

    @Test("the CLI says what it did not understand")
    func usageMessages() throws {
        let bare = try CLI.run([])
        #expect(bare.status == 2 && bare.stdout.contains("SUBCOMMANDS"))
        let typo = try CLI.run(["detecct"])
        #expect(typo.status == 2 && typo.stderr.contains("did you mean 'detect'?"), "\(typo.stderr)")
        let negative = try CLI.run(["embed", "--delta", "-1", "--prompt", "hi"])
        #expect(negative.status == 2 && negative.stderr.contains("--delta=-1") && negative.stderr.contains("watermark help embed"),
                "\(negative.stderr)")
        let stdoutKey = try CLI.run(["keygen", "--out", "-"])
        #expect(stdoutKey.status == 2 && stdoutKey.stdout.isEmpty && stdoutKey.stderr.contains("never written to standard output"))
        let perplexity = try CLI.run(["embed", "--no-watermark", "--prompt", "hi", "--perplexity"])
        #expect(perplexity.status == 2 && perplexity.stderr.contains("add --json"), "\(perplexity.stderr)")
        let help = try CLI.run(["help", "embed"])
        #expect(help.stdout.contains("-m, --model") && help.stdout.contains("-p, --prompt") && help.stdout.contains("-n, --max-tokens")
                && help.stdout.contains("-s, --seed") && help.stdout.contains("--temp"), "\(help.stdout)")
        let oneKey = try CLI.run(["help", "embed"]).stdout, manyKeys = try CLI.run(["help", "detect"]).stdout
        #expect(!oneKey.contains("Repeat it") && manyKeys.contains("Repeat it"))
    }
}

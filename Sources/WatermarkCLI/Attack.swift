import ArgumentParser
import Detection
import Evaluation
import Foundation

struct Attack: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Edit texts the way people do to hide a watermark (for robustness evaluation).",
        discussion: """
            Reads JSON Lines with a "text" field (e.g. from 'watermark embed --json') and writes one \
            line per input with the edited "text", the "attack" and the input's other fields kept. \
            Kinds: \(TextAttack.kinds.joined(separator: ", ")), and copy-paste (the text becomes \
            --rate of a longer human document drawn from --human; "span" gives its byte range).
            """)

    @Argument(help: ArgumentHelp("JSON Lines files ('-' or none: standard input).", valueName: "file"))
    var files: [String] = []

    @Option(help: ArgumentHelp("The edit: \(TextAttack.kinds.joined(separator: ", ")) or copy-paste.", valueName: "kind"))
    var kind: String

    @Option(help: ArgumentHelp("How much: the share of words (or characters, for homoglyph) edited, or for copy-paste the share of the result that is the original text.", valueName: "fraction"))
    var rate: Double

    @Option(help: ArgumentHelp("Seed; the same seed and input give the same output.", valueName: "n"))
    var seed: UInt64 = 1

    @Option(help: ArgumentHelp("Human text for copy-paste: JSON Lines with a \"text\" field.", valueName: "file"))
    var human: String?

    func validate() throws {
        guard rate >= 0, rate <= 1 else { throw ValidationError("--rate must be between 0 and 1 (got \(rate))") }
        if kind == "copy-paste" {
            guard human != nil else { throw ValidationError("copy-paste needs --human FILE.jsonl") }
            guard rate > 0 else { throw ValidationError("copy-paste needs a --rate above 0") }
        } else if TextAttack(kind: kind, rate: rate) == nil {
            throw ValidationError("unknown --kind '\(kind)'; use one of \((TextAttack.kinds + ["copy-paste"]).joined(separator: ", "))")
        }
    }

    func run() throws {
        var humanWords: [String] = []
        if let human {
            try Documents.forEach(in: [human]) { item in
                if case .text(let t) = item.content { humanWords += t.split(separator: " ").map(String.init) }
            }
            guard !humanWords.isEmpty else { throw CLIFailure("\(human): no human text found (lines need a \"text\" field)") }
        }
        var index: UInt64 = 0
        for path in files.isEmpty ? ["-"] : files {
            do {
                var lines = LineReader(stream: try ByteStream(path: path))
                while let line = try lines.nextLine() {
                    if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }
                    let source = "\(lines.stream.name):\(lines.lineNumber)"
                    guard var object = (try? JSONSerialization.jsonObject(with: Data(line))) as? [String: Any],
                          let text = object["text"] as? String else {
                        throw InputError(source: source, problem: "needs a JSON object with a \"text\" field")
                    }
                    // One generator per document, so a document's edit does not depend on the others.
                    var generator = SplitMix64(seed: seed &* 0x9E37_79B9_7F4A_7C15 &+ index)
                    index += 1
                    if kind == "copy-paste" {
                        let placed = CopyPaste.embed(text, fraction: rate, humanWords: humanWords, using: &generator)
                        object["text"] = placed.text
                        object["span"] = [placed.passage.lowerBound, placed.passage.upperBound]
                        object["attack"] = "copy-paste-\(Int((rate * 100).rounded()))%"
                    } else {
                        let attack = TextAttack(kind: kind, rate: rate)!
                        object["text"] = attack.apply(to: text, using: &generator)
                        object["attack"] = attack.description
                    }
                    object.removeValue(forKey: "ids")  // the ids no longer describe the text
                    let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
                    print(String(decoding: data, as: UTF8.self))
                }
            } catch let error as InputError {
                throw CLIFailure(error.description)
            }
        }
    }
}

import ArgumentParser
import Detection
import Tokenizer

struct Tokenize: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the token ids of text, as detection sees them.")

    @Argument(help: ArgumentHelp("Files to read; '-' or none reads standard input.", valueName: "file"))
    var files: [String] = []

    @Option(help: ArgumentHelp("A GGUF model, a tokenizer.json or a tiktoken rank file (default: the default model).", valueName: "path"))
    var tokenizer: String?

    @Flag(help: "Print a JSON array of ids (with --pieces, objects with id and piece).")
    var json = false

    @Flag(help: "Print each token's text beside its id.")
    var pieces = false

    @Flag(help: "Input is JSON Lines with a \"text\" field; writes one {\"ids\": [...]} line per input line, in order.")
    var jsonl = false

    @Flag(name: .customLong("no-normalize"), help: "Tokenize text exactly as given (detection normalises zero-width characters, look-alike letters, exotic spaces and emoji first).")
    var noNormalize = false

    @Flag(name: .customLong("parse-special"), help: "Match special-token text such as <|im_end|> as special tokens (default: plain text).")
    var parseSpecial = false

    func run() throws {
        let input = TextInput(tokenizerPath: tokenizer)
        let tok = try input.tokenizer()
        let mode: BPETokenizer.SpecialTokenHandling = parseSpecial ? .parse : .plainText
        for path in files.isEmpty ? ["-"] : files {
            do {
                let stream = try ByteStream(path: path)
                if jsonl {
                    var lines = LineReader(stream: stream)
                    while let line = try lines.nextLine() {
                        let source = "\(stream.name):\(lines.lineNumber)"
                        guard case .text(let text) = try parseLine(line, source: source) else {
                            throw InputError(source: source, problem: "needs a \"text\" field")
                        }
                        print(JSONOutput.line(encoding: ["ids": tok.encode(prepare(text), specialTokens: mode)]))
                    }
                } else {
                    let bytes = try stream.readAll(limit: TextInput.maximumDocumentBytes)
                    guard let text = String(validating: bytes, as: UTF8.self) else {
                        throw InputError(source: stream.name, problem: "is not valid UTF-8 text")
                    }
                    let ids = tok.encode(prepare(text), specialTokens: mode)
                    if pieces {
                        let rows = ids.map { (id: $0, piece: String(decoding: tok.tokenBytes(for: $0) ?? [], as: UTF8.self)) }
                        if json {
                            print(JSONOutput.line(encoding: rows.map { PieceRow(id: $0.id, piece: $0.piece) }))
                        } else {
                            for r in rows { print("\(r.id)\t\(r.piece.debugDescription)") }
                        }
                    } else if json {
                        print(JSONOutput.line(encoding: ids))
                    } else {
                        print(ids.map(String.init).joined(separator: " "))
                    }
                }
            } catch let error as InputError {
                throw CLIFailure(error.description)
            }
        }
    }

    private func prepare(_ text: String) -> String { noNormalize ? text : TextNormalizer.normalize(text) }

    private func parseLine(_ line: [UInt8], source: String) throws -> JSONLinesDocument {
        do { return try JSONLinesDocument.parse(line) } catch { throw InputError(source: source, problem: error.problem) }
    }

    private struct PieceRow: Encodable {
        let id: UInt32
        let piece: String
    }
}

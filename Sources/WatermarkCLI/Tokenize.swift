import ArgumentParser
import Detection
import Tokenizer

struct Tokenize: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the token ids of text, as detection sees them.")

    @Argument(help: ArgumentHelp("Files to read; '-' or none reads standard input.", valueName: "file"))
    var files: [String] = []

    @OptionGroup var tokenizerOption: TokenizerOption

    @Flag(help: "Print a JSON array of ids (with --pieces, objects with id and piece).")
    var json = false

    @Flag(help: "Print each token's text beside its id.")
    var pieces = false

    @Flag(help: "Input is JSON Lines with a \"text\" field; writes one {\"ids\": [...]} line per input line, in order.")
    var jsonl = false

    @OptionGroup var normalization: NormalizationOption

    @Flag(name: .customLong("parse-special"), help: "Match special-token text such as <|im_end|> as special tokens (default: plain text).")
    var parseSpecial = false

    func run() throws {
        let detection = try tokenizerOption.load(normalize: normalization.normalize).detection
        let tok = detection.tokenizer
        // What detection scores, unless special-token text is to be matched (never for detection).
        func encode(_ text: String) -> [UInt32] {
            parseSpecial ? tok.encode(detection.prepared(text), specialTokens: .parse) : detection.ids(for: text)
        }
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
                        print(JSONOutput.line(encoding: ["ids": encode(text)]))
                    }
                } else {
                    let bytes = try stream.readAll(limit: Documents.maximumDocumentBytes)
                    guard let text = String(validating: bytes, as: UTF8.self) else {
                        throw InputError(source: stream.name, problem: "is not valid UTF-8 text")
                    }
                    let ids = encode(text)
                    if pieces {
                        let rows = zip(ids, detection.pieces(for: ids)).map { (id: $0, piece: $1) }
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

    private func parseLine(_ line: [UInt8], source: String) throws -> JSONLinesDocument {
        do { return try JSONLinesDocument.parse(line) } catch { throw InputError(source: source, problem: error.problem) }
    }

    private struct PieceRow: Encodable {
        let id: UInt32
        let piece: String
    }
}

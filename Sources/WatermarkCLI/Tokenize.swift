import ArgumentParser
import Detection
import Foundation
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

    @Flag(help: "Print only how many tokens (with --jsonl, a {\"tokens\": N} line per input line).")
    var count = false

    @OptionGroup var normalization: NormalizationOption

    @Flag(name: .customLong("parse-special"), help: "Match special-token text such as <|im_end|> as special tokens (default: plain text).")
    var parseSpecial = false

    func validate() throws {
        if count && pieces { throw ValidationError("--count prints a number, not pieces: give one of them") }
    }

    func run() throws {
        let detection = try tokenizerOption.load(normalize: normalization.normalize).detection
        let tok = detection.tokenizer
        // What detection scores, unless special-token text is to be matched (never for detection).
        var encoder = detection.makeEncoder()
        func encode(_ text: String) -> [UInt32] {
            parseSpecial ? tok.encode(detection.prepared(text), specialTokens: .parse) : encoder.ids(for: text)
        }
        var batch = Batch(json: jsonl)
        try batch.forEach(input: files, jsonLines: jsonl, line: { line, source, batch in
            let parsed: (document: JSONLinesDocument, id: JSONValue?)
            do { parsed = try JSONLinesDocument.parseWithID(line) } catch let error as InputError {
                batch.fail(InputError(source: source, problem: error.problem).description, source: source,
                           id: JSONLinesDocument.id(ofRefusedLine: line))
                return
            }
            guard case .text(let text) = parsed.document else {
                batch.fail(InputError(source: source, problem: "needs a \"text\" field").description, source: source, id: parsed.id)
                return
            }
            let ids = encode(text)
            print(count ? JSONLine.tokenCountRecord(tokens: ids.count, index: batch.nextIndex, source: source, id: parsed.id)
                        : JSONLine.tokenizedRecord(ids: ids, index: batch.nextIndex, source: source, id: parsed.id))
            batch.scored()
        }, whole: { stream, batch in
            let bytes: [UInt8]
            do { bytes = try stream.readAll(limit: Documents.maximumDocumentBytes) } catch let error as InputError {
                throw CLIFailure(error.description)
            }
            guard let text = String(validating: bytes, as: UTF8.self) else {
                throw CLIFailure(InputError(source: stream.name, problem: "is not valid UTF-8 text").description)
            }
            let ids = encode(text)
            if count {
                print(ids.count)
            } else if pieces {
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
            batch.scored()
        })
        fflush(nil)
        if batch.failures > 0 { throw ExitCode(2) }
    }

    private struct PieceRow: Encodable {
        let id: UInt32
        let piece: String
    }
}

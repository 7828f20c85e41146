import Detection
import Foundation
import SystemSupport

/// One document of a request: text or ids, the caller's `id` to hand back, and the
/// per-document options.
public struct DocumentRequest: Sendable, Equatable {
    public enum Input: Sendable, Equatable {
        case text(String)
        case ids([UInt32])
    }

    public var input: Input
    /// The caller's id (a string or an integer), returned with the answer.
    public var id: JSONValue?
    public var scan: Bool
    public var attribution: Bool

    public init(input: Input, id: JSONValue? = nil, scan: Bool = false, attribution: Bool = false) {
        self.input = input
        self.id = id
        self.scan = scan
        self.attribution = attribution
    }
}

/// Parsing of request bodies into documents, with one-line reasons that name the field
/// (`documents[3].ids[7]`) and never quote the text.
public enum RequestParser {
    static let documentFields: Set<String> = ["text", "ids", "id", "scan", "attribution"]
    /// Longest accepted `id` string, in UTF-8 bytes: ids are for joining, not for payloads.
    public static let maximumIDLength = 1024

    /// `POST /v1/detect`: one document.
    public static func document(_ body: [UInt8]) throws(APIFailure) -> DocumentRequest {
        if let slot = QuickBody.document(body) { return try slot.get(prefix: "") }
        return try decodedDocument(body)
    }

    /// ``document(_:)`` through Foundation's decoder: every body the quick reader leaves, and
    /// the reference it is tested against.
    static func decodedDocument(_ body: [UInt8]) throws(APIFailure) -> DocumentRequest {
        do {
            return try JSONDecoder().decode(DocumentSlot.self, from: Data(body)).get(prefix: "")
        } catch let failure as APIFailure {
            throw failure
        } catch {
            throw APIFailure(.badRequest, describe(error, prefix: ""))
        }
    }

    /// `POST /v1/detect/batch`: the documents, each parsed on its own so that one bad
    /// document becomes its own error entry; only a body that is not an object with a
    /// `documents` array fails as a whole.
    public static func batch(_ body: [UInt8], maximumDocuments: Int) throws(APIFailure) -> [Result<DocumentRequest, APIFailure>] {
        try batch(body, maximumDocuments: maximumDocuments, quick: true)
    }

    /// `quick: false` reads every body through Foundation's decoder (the reference).
    static func batch(_ body: [UInt8], maximumDocuments: Int, quick: Bool) throws(APIFailure) -> [Result<DocumentRequest, APIFailure>] {
        let documents: [DocumentSlot]
        if quick, let slots = QuickBody.batch(body) {
            documents = slots
        } else {
            do {
                documents = try JSONDecoder().decode(BatchShape.self, from: Data(body)).documents
            } catch let failure as APIFailure {
                throw failure
            } catch {
                throw APIFailure(.badRequest, describe(error, prefix: ""))
            }
        }
        guard documents.count <= maximumDocuments else {
            throw APIFailure(.tooManyDocuments, "\(documents.count) documents; at most \(maximumDocuments) in one batch")
        }
        return documents.enumerated().map { index, slot in
            Result { () throws(APIFailure) in try slot.get(prefix: "documents[\(index)].") }
        }
    }

    /// A decoding error as a one-line reason with the field's path.
    static func describe(_ error: any Error, prefix: String) -> String {
        func path(_ codingPath: [any CodingKey]) -> String {
            var out = prefix.hasSuffix(".") ? String(prefix.dropLast()) : prefix
            for key in codingPath {
                if let index = key.intValue { out += "[\(index)]" } else { out += (out.isEmpty ? "" : ".") + key.stringValue }
            }
            return out.isEmpty ? "the body" : "\"\(out)\""
        }
        switch error {
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
            return "\(path(context.codingPath)): \(expectation(for: context.codingPath))"
        case DecodingError.keyNotFound(let key, let context):
            return "\(path(context.codingPath + [key])) is missing"
        case DecodingError.dataCorrupted(let context):
            if context.codingPath.isEmpty { return "the body is not valid JSON" }
            return "\(path(context.codingPath)): \(expectation(for: context.codingPath))"
        default:
            return "the body is not valid JSON"
        }
    }

    private static func expectation(for codingPath: [any CodingKey]) -> String {
        let names = codingPath.compactMap { $0.intValue == nil ? $0.stringValue : nil }
        switch names.last {
        case "ids": return "must be an array of integers 0 to 4294967295"
        case "text": return "must be a string"
        case "scan", "attribution": return "must be true or false"
        case "documents": return "must be an array of document objects"
        case "id": return "must be a string or an integer"
        default: return codingPath.last?.intValue != nil ? "must be a document object" : "must be a JSON object"
        }
    }
}

private struct AnyKey: CodingKey {
    var stringValue: String
    var intValue: Int?
    init(_ string: String) { stringValue = string }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) {
        stringValue = String(intValue)
        self.intValue = intValue
    }
}

/// One token id, range-checked here so that an error names its place (`ids[7]`): decoding
/// `[UInt32]` directly reports -1 as invalid JSON, with no path.
private struct TokenID: Decodable {
    let value: UInt32

    init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        guard let number = try? c.decode(Int64.self), let value = UInt32(exactly: number) else {
            throw DecodingError.dataCorrupted(DecodingError.Context(codingPath: decoder.codingPath, debugDescription: "not a token id"))
        }
        self.value = value
    }
}

/// One document as decoded: the request, or why it is not one (kept, not thrown, so a batch
/// goes on).
struct DocumentSlot: Decodable {
    let parsed: Result<DocumentRequest, ParseProblem>

    enum ParseProblem: Error {
        case decoding(any Error)
        case message(String)
    }

    init(parsed: Result<DocumentRequest, ParseProblem>) { self.parsed = parsed }

    init(from decoder: any Decoder) throws {
        do { parsed = .success(try Self.parse(decoder)) } catch let problem as ParseProblem {
            parsed = .failure(problem)
        } catch {
            parsed = .failure(.decoding(error))
        }
    }

    func get(prefix: String) throws(APIFailure) -> DocumentRequest {
        switch parsed {
        case .success(let request): return request
        case .failure(.message(let text)): throw APIFailure(.badRequest, prefix.isEmpty ? text : "\"\(prefix.dropLast())\": \(text)")
        // The decoder's coding path is already the whole path from the body's root.
        case .failure(.decoding(let error)): throw APIFailure(.badRequest, RequestParser.describe(error, prefix: ""))
        }
    }

    private static func parse(_ decoder: any Decoder) throws -> DocumentRequest {
        let c = try decoder.container(keyedBy: AnyKey.self)
        if let unknown = c.allKeys.map(\.stringValue).sorted().first(where: { !RequestParser.documentFields.contains($0) }) {
            throw ParseProblem.message("unknown field \"\(oneLine(unknown, limit: 40))\" (fields: text, ids, id, scan, attribution)")
        }
        // A field given as null is a wrong type, not a missing field (only "id" may be null).
        let text = c.contains(AnyKey("text")) ? try c.decode(String.self, forKey: AnyKey("text")) : nil
        let ids = c.contains(AnyKey("ids")) ? try c.decode([TokenID].self, forKey: AnyKey("ids")).map(\.value) : nil
        let input = try Self.input(text: text, ids: ids)
        var id: JSONValue? = nil
        if c.contains(AnyKey("id")), try !c.decodeNil(forKey: AnyKey("id")) {
            if let number = try? c.decode(Int.self, forKey: AnyKey("id")) {
                id = .int(number)
            } else if let string = try? c.decode(String.self, forKey: AnyKey("id")) {
                id = try Self.checked(id: string)
            } else {
                throw ParseProblem.message("\"id\" must be a string or an integer")
            }
        }
        // Options may be left out, but not given as null.
        func flag(_ name: String) throws -> Bool { c.contains(AnyKey(name)) ? try c.decode(Bool.self, forKey: AnyKey(name)) : false }
        return DocumentRequest(input: input, id: id, scan: try flag("scan"), attribution: try flag("attribution"))
    }

    /// The rules on the fields once their types are right (both readers apply them).
    static func input(text: String?, ids: [UInt32]?) throws(ParseProblem) -> DocumentRequest.Input {
        switch (text, ids) {
        case (let text?, nil): return .text(text)
        case (nil, let ids?):
            // As in `watermark detect`: an empty list is a mistake in the input, not a text.
            guard !ids.isEmpty else { throw ParseProblem.message("\"ids\" is empty") }
            return .ids(ids)
        case (_?, _?): throw ParseProblem.message("give \"text\" or \"ids\", not both")
        case (nil, nil): throw ParseProblem.message("has neither a \"text\" nor an \"ids\" field")
        }
    }

    static func checked(id string: String) throws(ParseProblem) -> JSONValue {
        guard string.utf8.count <= RequestParser.maximumIDLength else {
            throw ParseProblem.message("\"id\" is longer than \(RequestParser.maximumIDLength) bytes")
        }
        return .string(string)
    }
}

/// The common bodies, `{"text": "…"}` or `{"ids": […]}` with `id`, `scan` and `attribution`,
/// and `{"documents": [those]}`, read without Foundation's decoder (about 5% of a
/// single-document request: a `Data` copy, a value tree and keyed containers). It takes a
/// body only when every field is known, given once and of the right type; anything else
/// (including every malformed body) goes to the decoder, which words the error. Whole-body
/// rules that need no decoder (both text and ids, an empty ids list, a long id) are the
/// decoder path's own functions. Tests/ServerTests hold the two readers equal on random bodies.
enum QuickBody {
    static func document(_ body: [UInt8]) -> DocumentSlot? {
        body.withUnsafeBufferPointer { bytes in
            var r = JSONFastReader(bytes)
            r.skipSpace()
            guard let slot = object(&r) else { return nil }
            r.skipSpace()
            return r.isAtEnd ? slot : nil
        }
    }

    static func batch(_ body: [UInt8]) -> [DocumentSlot]? {
        body.withUnsafeBufferPointer { bytes -> [DocumentSlot]? in
            var r = JSONFastReader(bytes)
            r.skipSpace()
            guard r.take(UInt8(ascii: "{")) else { return nil }
            r.skipSpace()
            guard r.plainKey() == "documents" else { return nil }
            r.skipSpace()
            guard r.take(UInt8(ascii: ":")) else { return nil }
            r.skipSpace()
            guard r.take(UInt8(ascii: "[")) else { return nil }
            var slots: [DocumentSlot] = []
            r.skipSpace()
            if !r.take(UInt8(ascii: "]")) {
                while true {
                    guard let slot = object(&r) else { return nil }
                    slots.append(slot)
                    r.skipSpace()
                    if r.take(UInt8(ascii: ",")) { r.skipSpace(); continue }
                    guard r.take(UInt8(ascii: "]")) else { return nil }
                    break
                }
            }
            r.skipSpace()
            guard r.take(UInt8(ascii: "}")) else { return nil }
            r.skipSpace()
            return r.isAtEnd ? slots : nil
        }
    }

    /// One document object; nil unless every field is known, once, and of the right type.
    private static func object(_ r: inout JSONFastReader) -> DocumentSlot? {
        var text: String?, ids: [UInt32]?, id: JSONValue?, sawID = false, scan: Bool?, attribution: Bool?
        func flag(_ r: inout JSONFastReader) -> Bool? {
            if r.literal("true") { return true }
            if r.literal("false") { return false }
            return nil
        }
        let read = r.object { key, r in
            switch key {
            case "text":
                guard text == nil, let value = r.string() else { return false }
                text = value
            case "ids":
                guard ids == nil, let value = r.idList() else { return false }
                ids = value
            case "id":
                guard !sawID else { return false }
                sawID = true
                if r.literal("null") { return true }
                switch r.scalar() {
                case .int(let n)?: id = .int(n)
                case .string(let s)?: id = .string(s)
                default: return false  // a boolean, or what the reader leaves: the decoder's to word
                }
            case "scan":
                guard scan == nil, let value = flag(&r) else { return false }
                scan = value
            case "attribution":
                guard attribution == nil, let value = flag(&r) else { return false }
                attribution = value
            default:
                return false
            }
            return true
        }
        guard read else { return nil }
        do throws(DocumentSlot.ParseProblem) {
            let input = try DocumentSlot.input(text: text, ids: ids)
            if case .string(let s) = id { id = try DocumentSlot.checked(id: s) }
            return DocumentSlot(parsed: .success(DocumentRequest(input: input, id: id, scan: scan ?? false, attribution: attribution ?? false)))
        } catch {
            return DocumentSlot(parsed: .failure(error))
        }
    }
}

private struct BatchShape: Decodable {
    let documents: [DocumentSlot]

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: AnyKey.self)
        if let unknown = c.allKeys.map(\.stringValue).sorted().first(where: { $0 != "documents" }) {
            throw APIFailure(.badRequest, "unknown field \"\(oneLine(unknown, limit: 40))\" (the body is {\"documents\": [...]})")
        }
        documents = try c.decode([DocumentSlot].self, forKey: AnyKey("documents"))
    }
}

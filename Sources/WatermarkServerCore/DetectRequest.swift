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
        let slots: BatchShape
        do {
            slots = try JSONDecoder().decode(BatchShape.self, from: Data(body))
        } catch let failure as APIFailure {
            throw failure
        } catch {
            throw APIFailure(.badRequest, describe(error, prefix: ""))
        }
        guard slots.documents.count <= maximumDocuments else {
            throw APIFailure(.tooManyDocuments, "\(slots.documents.count) documents; at most \(maximumDocuments) in one batch")
        }
        return slots.documents.enumerated().map { index, slot in
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
private struct DocumentSlot: Decodable {
    let parsed: Result<DocumentRequest, ParseProblem>

    enum ParseProblem: Error {
        case decoding(any Error)
        case message(String)
    }

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
        let input: DocumentRequest.Input
        switch (text, ids) {
        case (let text?, nil): input = .text(text)
        case (nil, let ids?):
            // As in `watermark detect`: an empty list is a mistake in the input, not a text.
            guard !ids.isEmpty else { throw ParseProblem.message("\"ids\" is empty") }
            input = .ids(ids)
        case (_?, _?): throw ParseProblem.message("give \"text\" or \"ids\", not both")
        case (nil, nil): throw ParseProblem.message("has neither a \"text\" nor an \"ids\" field")
        }
        var id: JSONValue? = nil
        if c.contains(AnyKey("id")), try !c.decodeNil(forKey: AnyKey("id")) {
            if let number = try? c.decode(Int.self, forKey: AnyKey("id")) {
                id = .int(number)
            } else if let string = try? c.decode(String.self, forKey: AnyKey("id")) {
                guard string.utf8.count <= RequestParser.maximumIDLength else {
                    throw ParseProblem.message("\"id\" is longer than \(RequestParser.maximumIDLength) bytes")
                }
                id = .string(string)
            } else {
                throw ParseProblem.message("\"id\" must be a string or an integer")
            }
        }
        // Options may be left out, but not given as null.
        func flag(_ name: String) throws -> Bool { c.contains(AnyKey(name)) ? try c.decode(Bool.self, forKey: AnyKey(name)) : false }
        return DocumentRequest(input: input, id: id, scan: try flag("scan"), attribution: try flag("attribution"))
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

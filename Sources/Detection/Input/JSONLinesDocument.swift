import Foundation

/// One document of JSON Lines input: an object with a `"text"` string or an `"ids"` array.
///
/// When a line has both (as `watermark embed --json` writes), the text is used: it is what a
/// reader of the published text has, and re-tokenizing it is what detection will face.
public enum JSONLinesDocument: Sendable, Equatable {
    case text(String)
    case ids([UInt32])

    private struct Shape: Decodable {
        let text: String?
        let ids: [UInt32]?
        let id: JSONValue?
    }

    /// Parses one line. Errors say what is wrong without quoting the line (it may be huge).
    public static func parse(_ line: [UInt8]) throws(InputError) -> JSONLinesDocument {
        try parseWithID(line).document
    }

    /// Parses one line, with its `"id"` (any JSON value) when it has one, to be carried to
    /// the output line.
    public static func parseWithID(_ line: [UInt8]) throws(InputError) -> (document: JSONLinesDocument, id: JSONValue?) {
        let shape: Shape
        do {
            shape = try JSONDecoder().decode(Shape.self, from: Data(line))
        } catch {
            // The decoder's own errors do not say which field was wrong (an out-of-range id
            // reads as "not valid JSON"), so look at the object to say it.
            guard let object = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any] else {
                throw InputError(source: "", problem: "not a JSON object with a \"text\" or \"ids\" field")
            }
            if let text = object["text"], !(text is String) { throw InputError(source: "", problem: "\"text\" must be a string") }
            if object["ids"] != nil {
                throw InputError(source: "", problem: "\"ids\" must be an array of integers 0 to 4294967295")
            }
            throw InputError(source: "", problem: "not a JSON object with a \"text\" or \"ids\" field")
        }
        switch (shape.text, shape.ids) {
        case (let text?, _): return (.text(text), shape.id)
        case (nil, let ids?): return (.ids(ids), shape.id)
        case (nil, nil): throw InputError(source: "", problem: "has neither a \"text\" nor an \"ids\" field")
        }
    }
}

import Foundation

/// Walks a corpus given as paths: a file is one document, a folder every regular file in it
/// (recursively, in sorted order, hidden files left out), and a `.jsonl` file one document per
/// line (`"text"` or `"ids"`, and an optional `"id"` of any JSON type).
public enum Documents {
    /// One text document is held in memory whole; larger inputs should come as JSON Lines.
    public static let maximumDocumentBytes = 1 << 30

    public enum Content: Sendable, Equatable {
        case text(String)
        case ids([UInt32])
    }

    /// One document, where it came from, and what to join its result on.
    public struct Item: Sendable {
        /// The path, or `path:line` for JSON Lines (lines counted from 1, blank ones included,
        /// as an editor shows them).
        public let source: String
        /// The document's place in the whole walk, from 0: blank lines are not documents and
        /// do not count; a document that could not be read does.
        public let index: Int
        public let content: Content
        /// The line's `"id"`, when it has one.
        public let id: JSONValue?
    }

    /// Calls `body` with each document in order. A document that cannot be read or parsed goes
    /// to `onError` with its index; the walk goes on unless `onError` throws (the default). A
    /// path in `paths` that does not exist is thrown at once: it is a mistake in the request,
    /// not a bad document in the corpus.
    public static func forEach(in paths: [String], onError: (InputError, Int) throws -> Void = { error, _ in throw error },
                               _ body: (Item) throws -> Void) throws {
        for path in paths where !FileManager.default.fileExists(atPath: path) {
            throw InputError(source: path, problem: "no such file or folder")
        }
        var index = 0
        try walk(paths, index: &index, onError: onError, body)
    }

    private static func walk(_ paths: [String], index: inout Int, onError: (InputError, Int) throws -> Void,
                             _ body: (Item) throws -> Void) throws {
        func fail(_ error: InputError) throws {
            defer { index += 1 }
            try onError(error, index)
        }
        for path in paths {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                try fail(InputError(source: path, problem: "no such file or folder"))
                continue
            }
            if isDirectory.boolValue {
                guard let walker = FileManager.default.enumerator(atPath: path) else {
                    try fail(InputError(source: path, problem: "cannot list the folder"))
                    continue
                }
                var files: [String] = []
                while let relative = walker.nextObject() as? String {
                    let full = (path as NSString).appendingPathComponent(relative)
                    // Regular files only (following links): a FIFO or a device in a folder is
                    // not a document, and opening one could block.
                    let type = (try? FileManager.default.attributesOfItem(atPath: full)[.type]) as? FileAttributeType
                    let resolved = type == .typeSymbolicLink
                        ? (try? FileManager.default.attributesOfItem(atPath: (full as NSString).resolvingSymlinksInPath)[.type]) as? FileAttributeType
                        : type
                    if resolved == .typeRegular, !relative.split(separator: "/").contains(where: { $0.hasPrefix(".") }) {
                        files.append(full)
                    }
                }
                try walk(files.sorted(), index: &index, onError: onError, body)
            } else if path.hasSuffix(".jsonl") {
                let stream: ByteStream
                do { stream = try ByteStream(path: path) } catch {
                    try fail(error)
                    continue
                }
                var lines = LineReader(stream: stream)
                while true {
                    let line: [UInt8]?
                    do { line = try lines.nextLine() } catch {
                        try fail(error)  // the file cannot be read further
                        break
                    }
                    guard let line else { break }
                    if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { continue }
                    let source = "\(path):\(lines.lineNumber)"
                    let parsed: (document: JSONLinesDocument, id: JSONValue?)
                    do { parsed = try JSONLinesDocument.parseWithID(line) } catch {
                        try fail(InputError(source: source, problem: error.problem))
                        continue
                    }
                    let content: Content
                    switch parsed.document {
                    case .text(let text): content = .text(text)
                    case .ids(let ids): content = .ids(ids)
                    }
                    defer { index += 1 }
                    try body(Item(source: source, index: index, content: content, id: parsed.id))
                }
            } else {
                let text: String
                do {
                    let bytes = try ByteStream(path: path).readAll(limit: maximumDocumentBytes)
                    guard let valid = String(validating: bytes, as: UTF8.self) else {
                        throw InputError(source: path, problem: "is not valid UTF-8 text")
                    }
                    text = valid
                } catch {
                    try fail(error as? InputError ?? InputError(source: path, problem: "\(error)"))
                    continue
                }
                defer { index += 1 }
                try body(Item(source: path, index: index, content: .text(text), id: nil))
            }
        }
    }
}

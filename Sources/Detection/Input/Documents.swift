import Foundation

/// Walks a corpus given as paths: a file is one document, a folder every regular file in it
/// (recursively, in sorted order, hidden files left out), and a `.jsonl` file one document per
/// line (`"text"` or `"ids"`).
public enum Documents {
    /// One text document is held in memory whole; larger inputs should come as JSON Lines.
    public static let maximumDocumentBytes = 1 << 30

    public enum Content: Sendable, Equatable {
        case text(String)
        case ids([UInt32])
    }

    /// Calls `body` with each document's source (path, or `path:line`) and content, in order.
    public static func forEach(in paths: [String], _ body: (String, Content) throws -> Void) throws {
        for path in paths {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                throw InputError(source: path, problem: "no such file or folder")
            }
            if isDirectory.boolValue {
                guard let walker = FileManager.default.enumerator(atPath: path) else {
                    throw InputError(source: path, problem: "cannot list the folder")
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
                try forEach(in: files.sorted(), body)
            } else if path.hasSuffix(".jsonl") {
                var lines = LineReader(stream: try ByteStream(path: path))
                while let line = try lines.nextLine() {
                    if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }
                    let source = "\(path):\(lines.lineNumber)"
                    let document: JSONLinesDocument
                    do { document = try JSONLinesDocument.parse(line) } catch { throw InputError(source: source, problem: error.problem) }
                    switch document {
                    case .text(let text): try body(source, .text(text))
                    case .ids(let ids): try body(source, .ids(ids))
                    }
                }
            } else {
                let bytes = try ByteStream(path: path).readAll(limit: maximumDocumentBytes)
                guard let text = String(validating: bytes, as: UTF8.self) else {
                    throw InputError(source: path, problem: "is not valid UTF-8 text")
                }
                try body(path, .text(text))
            }
        }
    }
}

import Detection
import Foundation

/// Walks the inputs of `calibrate`: a file is one document, a folder every regular file in it
/// (recursively, in sorted order), and a `.jsonl` file one document per line.
enum Documents {
    enum Content {
        case text(String)
        case ids([UInt32])
    }

    static func forEach(in paths: [String], _ body: (String, Content) throws -> Void) throws {
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
                    var dir: ObjCBool = false
                    if FileManager.default.fileExists(atPath: full, isDirectory: &dir), !dir.boolValue,
                       !relative.split(separator: "/").contains(where: { $0.hasPrefix(".") }) {
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
                let bytes = try ByteStream(path: path).readAll(limit: TextInput.maximumDocumentBytes)
                guard let text = String(validating: bytes, as: UTF8.self) else {
                    throw InputError(source: path, problem: "is not valid UTF-8 text")
                }
                try body(path, .text(text))
            }
        }
    }
}

/// Progress on stderr, only when stderr is a terminal: a bar when the total is known (batches
/// of prompts), otherwise a running count; erased before text streams to the same terminal.
struct Progress {
    let label: String
    let total: Int?
    let enabled: Bool
    private var done = 0
    private var shown = false

    init(_ label: String, total: Int? = nil) {
        self.label = label
        self.total = total
        enabled = (total.map { $0 > 1 } ?? true) && Console.stderrIsTerminal
    }

    mutating func willStream(toTerminal: Bool) {
        if enabled && shown && toTerminal {
            FileOutput.standardError.write("\r\u{1B}[K")
            shown = false
        }
    }

    mutating func advance() {
        done += 1
        guard enabled else { return }
        if let total {
            let width = 30
            let filled = width * done / max(1, total)
            let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
            FileOutput.standardError.write("\r[\(bar)] \(done)/\(total) \(label)")
        } else if done % 25 == 0 {
            FileOutput.standardError.write("\r\(label): \(done)")
        } else {
            return
        }
        shown = true
    }

    func finish() {
        guard enabled else { return }
        if total == nil { FileOutput.standardError.write("\r\(label): \(done)\n") } else if shown { FileOutput.standardError.write("\n") }
    }
}

/// Writes a file by writing a temporary file beside it and renaming it over the target, so
/// that an interrupted run never leaves half a file (`rename` replaces atomically).
func writeAtomically(_ text: String, to path: String) throws {
    let url = URL(fileURLWithPath: path)
    let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())")
    do {
        try Data(text.utf8).write(to: temporary)
    } catch {
        throw CLIFailure("\(path): cannot write: \(error.localizedDescription)")
    }
    guard rename(temporary.path, path) == 0 else {
        let reason = String(cString: strerror(errno))
        try? FileManager.default.removeItem(at: temporary)
        throw CLIFailure("\(path): cannot write: \(reason)")
    }
}

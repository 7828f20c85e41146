import Foundation
import SystemSupport

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

/// Refuses to replace an existing output file unless `--force` was given.
func refuseToReplace(_ path: String, force: Bool) throws {
    if !force && SystemFile.exists(path) { throw CLIFailure("\(path): already exists; pass --force to replace it") }
}

/// Writes an output file whole or not at all (a temporary file renamed over it).
func writeFile(_ bytes: [UInt8], to path: String) throws {
    do { try SystemFile.writeAtomically(bytes, to: path) } catch { throw CLIFailure("\(path): \(error.description)") }
}

func writeFile(_ text: String, to path: String) throws { try writeFile(Array(text.utf8), to: path) }

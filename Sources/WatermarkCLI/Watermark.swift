import ArgumentParser
import Foundation
import SystemSupport

/// The `watermark` command. Exit codes follow docs/DESIGN.md: 0 found (or success), 1 not found or
/// too short, 2 for any usage or input error, always as one line on stderr.
@main
struct WatermarkCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watermark",
        abstract: "Embed and detect a keyed green-list watermark (greenlist-v1) in generated text.",
        version: "0.1.0",
        subcommands: [Keygen.self, Embed.self, Detect.self, Calibrate.self, CommonTuplesCommand.self, Attack.self, Tokenize.self]
    )

    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let code as ExitCode {
            terminate(code.rawValue)
        } catch let failure as CLIFailure {
            Console.error(failure.message)
            terminate(failure.code)
        } catch {
            let code = exitCode(for: error)
            if code == .success {
                // --help and --version arrive here as "errors" with their text to print.
                print(fullMessage(for: error))
                terminate(0)
            }
            // One line: ArgumentParser's first line, and a pointer to the help.
            let first = fullMessage(for: error).split(separator: "\n").first.map(String.init) ?? "invalid usage"
            Console.error("\(first.replacingOccurrences(of: "Error: ", with: "")) (see 'watermark help')")
            terminate(2)
        }
    }
}

/// Ends the process (outside the command type, whose `exit(withError:)` would shadow `exit`).
private func terminate(_ code: Int32) -> Never { exit(code) }

/// A failure the CLI reports as one line on stderr with the given exit code.
struct CLIFailure: Error {
    let message: String
    let code: Int32

    init(_ message: String, code: Int32 = 2) {
        self.message = message
        self.code = code
    }
}

enum Console {
    /// One line, whatever the message quotes: paths and values from input may hold newlines
    /// and control characters, which `oneLine` escapes (and it cuts what is too long).
    static func error(_ message: String) {
        FileOutput.standardError.write("watermark: error: \(oneLine(message, limit: 2000))\n")
    }

    static func warning(_ message: String) {
        FileOutput.standardError.write("watermark: warning: \(oneLine(message, limit: 2000))\n")
    }

    static var stdoutIsTerminal: Bool { isatty(1) == 1 }
    static var stderrIsTerminal: Bool { isatty(2) == 1 }
}

/// Unbuffered writes to standard error; stdout goes through `print` elsewhere so that its
/// order with respect to this stays as the user sees it (stderr is never buffered).
struct FileOutput {
    let fd: Int32
    static let standardError = FileOutput(fd: 2)

    func write(_ text: String) { SystemFile.writeUnchecked(fd, text) }
}

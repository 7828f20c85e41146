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
        let arguments = Array(CommandLine.arguments.dropFirst())
        if arguments.isEmpty {
            // A bare `watermark` asked for nothing: show what it can do, and say it did nothing.
            print(helpMessage())
            terminate(2)
        }
        let names = commandNames()
        if let unknown = arguments.first, !unknown.hasPrefix("-"), unknown != "help", !names.contains(unknown) {
            let guess = names.min { editDistance($0, unknown) < editDistance($1, unknown) }
            let hint = guess.flatMap { editDistance($0, unknown) <= 2 ? "; did you mean '\($0)'?" : nil } ?? ""
            Console.error("unknown command '\(unknown)'\(hint) (commands: \(names.joined(separator: ", ")); see 'watermark help')")
            terminate(2)
        }
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
            // One line: ArgumentParser's first line, and a pointer to the help of the command.
            var first = fullMessage(for: error).split(separator: "\n").first.map(String.init) ?? "invalid usage"
            first = first.replacingOccurrences(of: "Error: ", with: "")
            if let negative = negativeValueHint(first, arguments) { first = negative }
            let command = arguments.first { names.contains($0) }
            Console.error("\(first) (see 'watermark help\(command.map { " " + $0 } ?? "")')")
            terminate(2)
        }
    }

    /// The subcommands' names, as typed.
    static func commandNames() -> [String] {
        var names: [String] = []
        for command in configuration.subcommands { names.append(command._commandName) }
        return names
    }

    /// `--delta -1` reads `-1` as an option, so ArgumentParser says the value is missing; say
    /// how to give a negative number instead.
    static func negativeValueHint(_ message: String, _ arguments: [String]) -> String? {
        guard message.hasPrefix("Missing value for '") else { return nil }
        for (i, argument) in arguments.enumerated().dropLast() where argument.hasPrefix("--") && !argument.contains("=") {
            let next = arguments[i + 1]
            if next.count > 1, next.hasPrefix("-"), Double(next) != nil {
                return "\(argument) \(next): a value that starts with '-' is read as an option; write \(argument)=\(next)"
            }
        }
        return nil
    }

    /// Levenshtein distance, for suggesting the command a typo meant.
    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        var row = Array(0...b.count)
        for i in 1...max(1, a.count) where !a.isEmpty {
            var previous = row[0]
            row[0] = i
            for j in 1...max(1, b.count) where !b.isEmpty {
                let current = row[j]
                row[j] = min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] == b[j - 1] ? 0 : 1))
                previous = current
            }
        }
        return row[b.count]
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

    /// `--quiet`: warnings are left out (errors never are). Set once, before any work.
    nonisolated(unsafe) static var quiet = false

    static func warning(_ message: String) {
        guard !quiet else { return }
        FileOutput.standardError.write("watermark: warning: \(oneLine(message, limit: 2000))\n")
    }

    /// Something the user should know that is neither an error nor a warning (a seed chosen
    /// at random).
    static func note(_ message: String) {
        FileOutput.standardError.write("watermark: \(oneLine(message, limit: 2000))\n")
    }

    static var stdinIsTerminal: Bool { isatty(0) == 1 }
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

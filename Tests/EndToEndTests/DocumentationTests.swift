import Foundation
import TestSupport
import Testing

/// The man pages in docs/man come from the argument parser (Tools/man.sh); they must still
/// describe every option the CLI has.
@Suite("documentation")
struct DocumentationTests {
    @Test(arguments: ["keygen", "embed", "detect", "calibrate", "common-tuples", "attack", "tokenize"])
    func manPagesListEveryOption(_ command: String) throws {
        let page = try String(contentsOf: Repository.url("docs/man/watermark.\(command).1"), encoding: .utf8)
        let help = try CLI.run(["help", command]).stdout
        // An option is defined on a line of its own: "  -o, --out <file>   Where to write …".
        var options = Set<String>()
        for line in help.split(separator: "\n") {
            let words = line.split(separator: " ")
            guard let first = words.first, first.hasPrefix("-") else { continue }
            for word in words.prefix(while: { $0.hasPrefix("-") || $0.hasPrefix("<") }) where word.hasPrefix("--") {
                let option = String(word).trimmingCharacters(in: CharacterSet(charactersIn: ","))
                // Prose that wraps onto a line of its own ("--json').") is no option.
                if option.dropFirst(2).allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" }) { options.insert(option) }
            }
        }
        #expect(!options.isEmpty)
        for option in options where option != "--help" {
            // mdoc writes `--out` as the flag macro `Fl -out`.
            #expect(page.contains("Fl " + option.dropFirst()) || page.contains(", " + option.dropFirst()),
                    "docs/man/watermark.\(command).1 lacks \(option): run Tools/man.sh")
        }
    }

    @Test func shellCompletionScriptsAreGenerated() throws {
        for shell in ["bash", "zsh", "fish"] {
            let r = try CLI.run(["--generate-completion-script", shell])
            #expect(r.status == 0 && r.stdout.contains("detect") && r.stdout.contains("calibrate"), "\(shell)")
        }
    }
}

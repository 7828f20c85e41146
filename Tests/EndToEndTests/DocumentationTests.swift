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
        let options = Set(help.split(whereSeparator: { $0 == " " || $0 == "," || $0 == "\n" || $0 == "=" })
            .filter { $0.hasPrefix("--") && $0.count > 3 }
            .map { String($0).trimmingCharacters(in: CharacterSet(charactersIn: "<>[]().")) })
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

import ArgumentParser
import Watermark

struct Keygen: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create a new secret key (CSPRNG bytes as hex, file mode 0600) and print its keyID.")

    @Option(name: .shortAndLong, help: ArgumentHelp("Where to write the key.", valueName: "file"))
    var out: String

    @Option(help: ArgumentHelp("Key length in bytes (16–64).", valueName: "bytes"))
    var bytes: Int = WatermarkKey.recommendedLength

    @Flag(help: "Replace an existing file (atomically).")
    var force = false

    @Flag(help: "Print a JSON object instead of text.")
    var json = false

    func validate() throws {
        if out == "-" {
            throw ValidationError("--out -: a key is never written to standard output (it would end up in terminal scrollback, shell history and logs); name a file")
        }
        guard WatermarkKey.validLengths.contains(bytes) else {
            throw ValidationError("--bytes must be 16 to 64 (got \(bytes))")
        }
    }

    func run() throws {
        do throws(WatermarkError) {
            let key = try WatermarkKey.generate(length: bytes)
            try KeyFile.write(key, to: out, overwrite: force)
            if json {
                print(JSONOutput.line(["keyID": .string(key.keyID), "path": .string(out), "bytes": .int(bytes)]))
            } else {
                print("wrote a \(bytes)-byte key to \(out) (mode 0600); keyID \(key.keyID)")
            }
        } catch .keyFile(let path, .alreadyExists) {
            throw CLIFailure("\(path): already exists; pass --force to replace it")
        } catch {
            throw CLIFailure(error.description)
        }
    }
}

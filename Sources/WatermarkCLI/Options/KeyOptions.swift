import ArgumentParser
import Foundation
import Watermark

/// Where keys come from: `--key-file` (repeatable) or `WATERMARK_KEY_FILE`.
struct KeyOptions: ParsableArguments {
    @Option(name: .customLong("key-file"),
            help: ArgumentHelp("Key file (hex, base64 or 16–64 raw bytes). Repeat it to test several keys at once; defaults to $WATERMARK_KEY_FILE.",
                               valueName: "file"))
    var keyFiles: [String] = []

    /// Loads every key, warning about files others can read; errors name the file.
    func loadKeys(environment: [String: String] = currentEnvironment()) throws -> [WatermarkKey] {
        var paths = keyFiles
        if paths.isEmpty, let fromEnvironment = environment["WATERMARK_KEY_FILE"], !fromEnvironment.isEmpty {
            paths = [fromEnvironment]
        }
        guard !paths.isEmpty else { throw CLIFailure("no key given: pass --key-file FILE or set WATERMARK_KEY_FILE") }
        var keys: [WatermarkKey] = []
        for path in paths {
            let loaded: KeyFile.Loaded
            do { loaded = try KeyFile.read(path: path) } catch { throw CLIFailure(error.description) }
            if loaded.isAccessibleByOthers {
                Console.warning("\(path): key file is accessible by group or others (mode \(String(loaded.mode, radix: 8))); run chmod 600 on it")
            }
            if keys.contains(where: { $0.keyID == loaded.key.keyID }) {
                Console.warning("\(path): key \(loaded.key.keyID) was already given; using it once")
                continue
            }
            keys.append(loaded.key)
        }
        return keys
    }
}

func currentEnvironment() -> [String: String] { ProcessInfo.processInfo.environment }

import ArgumentParser
import Foundation
import Watermark

/// One key, for the commands that embed or calibrate under exactly one: `--key-file` or
/// `WATERMARK_KEY_FILE`.
struct KeyOptions: ParsableArguments {
    @Option(name: .customLong("key-file"),
            help: ArgumentHelp("Key file (hex, base64 or 16–64 raw bytes); defaults to $WATERMARK_KEY_FILE.", valueName: "file"))
    var keyFile: String?

    var keyFiles: [String] { keyFile.map { [$0] } ?? [] }

    func loadKeys(environment: [String: String] = currentEnvironment()) throws -> [WatermarkKey] {
        try KeyLoading.load(keyFiles, environment: environment)
    }
}

/// Several keys, for detection (the best is reported, the p-value corrected for how many):
/// `--key-file` repeated, or `WATERMARK_KEY_FILE`.
struct KeySetOptions: ParsableArguments {
    @Option(name: .customLong("key-file"),
            help: ArgumentHelp("Key file (hex, base64 or 16–64 raw bytes). Repeat it to test several keys at once; defaults to $WATERMARK_KEY_FILE.",
                               valueName: "file"))
    var keyFiles: [String] = []

    func loadKeys(environment: [String: String] = currentEnvironment()) throws -> [WatermarkKey] {
        try KeyLoading.load(keyFiles, environment: environment)
    }
}

enum KeyLoading {
    /// Loads every key, warning about files others can read; errors name the file.
    static func load(_ keyFiles: [String], environment: [String: String]) throws -> [WatermarkKey] {
        var paths = keyFiles
        if paths.isEmpty, let fromEnvironment = environment["WATERMARK_KEY_FILE"], !fromEnvironment.isEmpty {
            paths = [fromEnvironment]
        }
        guard !paths.isEmpty else { throw CLIFailure("no key given: pass --key-file FILE or set WATERMARK_KEY_FILE") }
        let loaded: KeyFile.LoadedSet
        do { loaded = try KeyFile.readAll(paths: paths) } catch { throw CLIFailure(error.description) }
        loaded.warnings.forEach(Console.warning)
        return loaded.keys
    }
}

func currentEnvironment() -> [String: String] { ProcessInfo.processInfo.environment }

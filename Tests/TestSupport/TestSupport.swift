import Evaluation
import Foundation

/// Paths inside the repository, found from this file's location so tests run from any directory.
public enum Repository {
    public static let root: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    public static func url(_ relative: String) -> URL { root.appendingPathComponent(relative) }

    /// Decodes a JSON vector file under `Vectors/`.
    public static func vectors<T: Decodable>(_ relative: String, as type: T.Type = T.self) throws -> T {
        let data = try Data(contentsOf: url("Vectors/" + relative))
        return try JSONDecoder().decode(T.self, from: data)
    }

    /// The cache folder the set-up script fills (`Tools/fetch-model.sh`).
    public static var cacheDirectory: URL {
        let env = ProcessInfo.processInfo.environment
        if let explicit = env["WATERMARK_CACHE"], !explicit.isEmpty { return URL(fileURLWithPath: explicit) }
        let base = env["XDG_CACHE_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? (NSHomeDirectory() + "/.cache")
        return URL(fileURLWithPath: base).appendingPathComponent("swift-watermark")
    }

    /// True under CI, where every fixture (the default model included) must be present.
    public static var isCI: Bool { ProcessInfo.processInfo.environment["CI"] == "true" }
}

/// The seeded generator every statistical test uses, so that they are deterministic.
public typealias SeededGenerator = SplitMix64

public extension Array where Element == UInt8 {
    init?(hex: String) {
        let chars = Array(hex.utf8)
        guard chars.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        var i = 0
        while i < chars.count {
            guard let v = UInt8(String(decoding: chars[i..<i + 2], as: UTF8.self), radix: 16) else { return nil }
            out.append(v)
            i += 2
        }
        self = out
    }

    var hexString: String { map { String(format: "%02x", $0) }.joined() }
}

import Testing

/// The default model, which `Tools/fetch-model.sh` puts in the cache folder.
public enum DefaultModelFixture {
    public static var path: String {
        Repository.cacheDirectory.appendingPathComponent("models/SmolLM2-135M-Instruct.Q4_1.gguf").path
    }

    /// True when the model is there. When it is missing, CI records a failure (CI must fetch
    /// it) and a local run prints that the test was skipped.
    public static func isAvailable(sourceLocation: SourceLocation = #_sourceLocation) -> Bool {
        if FileManager.default.fileExists(atPath: path) { return true }
        if Repository.isCI {
            Issue.record("the default model is missing at \(path); CI must run Tools/fetch-model.sh", sourceLocation: sourceLocation)
        } else {
            print("skipped: \(path) is missing (run Tools/fetch-model.sh)")
        }
        return false
    }
}

internal import SystemPackage
internal import SystemSupport

/// Reading and writing key files: hex, base64 or raw bytes in, hex out, mode 0600.
public enum KeyFile {
    /// A key read from disk, with what a careful caller should warn about.
    public struct Loaded: Sendable {
        public let key: WatermarkKey
        public let path: String
        /// The file's permission bits, e.g. `0o600`.
        public let mode: UInt32
        /// True when group or others may read or write the file: the secret is exposed.
        public var isAccessibleByOthers: Bool { mode & 0o077 != 0 }
    }

    /// Key files are tiny; refusing anything larger stops a device or a mistaken
    /// multi-gigabyte path from being read at all.
    public static let maximumSize = 4096

    /// Reads and parses the key at `path`. Errors name the path and never echo its content.
    public static func read(path: String) throws(WatermarkError) -> Loaded {
        let data: [UInt8], mode: UInt32
        do throws(SystemFileError) {
            let fd = try SystemFile.openForReading(path, regularOnly: true)
            defer { try? fd.close() }
            do { mode = UInt32(try fd.stat().permissions.rawValue) & 0o777 } catch {
                throw SystemFileError("stat", .system(error))
            }
            data = try SystemFile.readAll(fd, limit: maximumSize)
        } catch {
            throw .keyFile(path: path, problem: problem(error))
        }
        do {
            return Loaded(key: try WatermarkKey(parsing: data), path: path, mode: mode)
        } catch {
            throw .keyFile(path: path, problem: .content(error))
        }
    }

    /// A set of keys read from several files, and what a careful caller should say about them.
    public struct LoadedSet: Sendable {
        public let keys: [WatermarkKey]
        /// One line each: a file others can read, a key given twice (used once). Never the key.
        public let warnings: [String]
    }

    /// Reads every key in `paths`, in order, each keyID once. Errors name the file.
    public static func readAll(paths: [String]) throws(WatermarkError) -> LoadedSet {
        var keys: [WatermarkKey] = [], warnings: [String] = []
        for path in paths {
            let loaded = try read(path: path)
            if loaded.isAccessibleByOthers {
                warnings.append("\(path): key file is accessible by group or others (mode \(String(loaded.mode, radix: 8))); run chmod 600 on it")
            }
            if keys.contains(where: { $0.keyID == loaded.key.keyID }) {
                warnings.append("\(path): key \(loaded.key.keyID) was already given; using it once")
                continue
            }
            keys.append(loaded.key)
        }
        return LoadedSet(keys: keys, warnings: warnings)
    }

    /// Writes `key` as hex to `path` with mode 0600.
    ///
    /// Without `overwrite` an existing file is an error (`O_EXCL`, so no race either). With it,
    /// the key goes to a temporary file beside the target that is renamed over it, so a
    /// crash never leaves half a key behind.
    public static func write(_ key: WatermarkKey, to path: String, overwrite: Bool) throws(WatermarkError) {
        let text = Array((key.hexEncoded + "\n").utf8)
        do {
            if overwrite {
                try SystemFile.writeAtomically(text, to: path, permissions: .ownerReadWrite)
            } else {
                try SystemFile.createExclusive(path, text, permissions: .ownerReadWrite)
            }
        } catch {
            if error.reason == .system(.fileExists) { throw .keyFile(path: path, problem: .alreadyExists) }
            throw .keyFile(path: path, problem: problem(error))
        }
    }

    private static func problem(_ error: SystemFileError) -> WatermarkError.KeyFileProblem {
        switch error.reason {
        case .isDirectory: return .isDirectory
        case .notRegularFile(let kind): return .notRegularFile(kind: kind)
        case .tooLarge(let limit): return .tooLarge(limit: limit)
        case .system(let errno): return .system(operation: error.operation, reason: errno.description)
        }
    }
}

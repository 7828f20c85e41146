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

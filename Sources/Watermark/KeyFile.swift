#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

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

    /// Key files are tiny; refusing anything larger stops `--key-file /dev/zero` or a
    /// mistaken multi-gigabyte path from being read at all.
    static let maximumSize = 4096

    /// Reads and parses the key at `path`. Errors name the path and never echo its content.
    public static func read(path: String) throws(WatermarkError) -> Loaded {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .keyFile(path: path, problem: "cannot open key file: \(errnoText())") }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw .keyFile(path: path, problem: "cannot stat key file: \(errnoText())") }
        if (info.st_mode & S_IFMT) == S_IFDIR { throw .keyFile(path: path, problem: "is a directory, not a key file") }
        var data: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1024)
        while true {
            let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw .keyFile(path: path, problem: "cannot read key file: \(errnoText())")
            }
            if n == 0 { break }
            data.append(contentsOf: buffer[0..<n])
            if data.count > maximumSize {
                throw .keyFile(path: path, problem: "is larger than \(maximumSize) bytes; a key file holds a 16 to 64 byte key as hex, base64 or raw bytes")
            }
        }
        do {
            let key = try WatermarkKey(parsing: data)
            return Loaded(key: key, path: path, mode: UInt32(info.st_mode) & 0o777)
        } catch {
            switch error {
            case .keyFile(_, let problem): throw .keyFile(path: path, problem: problem)
            default: throw .keyFile(path: path, problem: error.description)
            }
        }
    }

    /// Writes `key` as hex to `path` with mode 0600.
    ///
    /// Without `overwrite` an existing file is an error (`O_EXCL`, so no race either). With it,
    /// the key goes to a temporary file beside the target that is renamed over it, so a
    /// crash never leaves half a key behind.
    public static func write(_ key: WatermarkKey, to path: String, overwrite: Bool) throws(WatermarkError) {
        let text = Array((key.hexEncoded + "\n").utf8)
        if !overwrite {
            let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
            guard fd >= 0 else {
                if errno == EEXIST { throw .keyFile(path: path, problem: "already exists; pass --force to replace it") }
                throw .keyFile(path: path, problem: "cannot create key file: \(errnoText())")
            }
            do {
                try writeAll(fd: fd, text, path: path)
            } catch {
                close(fd)
                unlink(path)
                throw error
            }
            close(fd)
            return
        }
        var template = Array((path + ".tmp-XXXXXX").utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw .keyFile(path: path, problem: "cannot create a temporary file beside it: \(errnoText())") }
        let temporary = String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
        do throws(WatermarkError) {
            defer { close(fd) }
            guard fchmod(fd, 0o600) == 0 else { throw .keyFile(path: path, problem: "cannot set mode 0600: \(errnoText())") }
            try writeAll(fd: fd, text, path: path)
            guard fsync(fd) == 0 else { throw .keyFile(path: path, problem: "cannot sync: \(errnoText())") }
        } catch {
            unlink(temporary)
            throw error
        }
        guard rename(temporary, path) == 0 else {
            let problem = "cannot replace: \(errnoText())"
            unlink(temporary)
            throw .keyFile(path: path, problem: problem)
        }
    }

    private static func writeAll(fd: Int32, _ bytes: [UInt8], path: String) throws(WatermarkError) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0 {
                if errno == EINTR { continue }
                throw .keyFile(path: path, problem: "cannot write key file: \(errnoText())")
            }
            offset += n
        }
    }

    private static func errnoText() -> String { String(cString: strerror(errno)) }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import SystemPackage

/// Why a file could not be opened, read or written: what was attempted, and the system's
/// reason as a typed `Errno` (or what the file turned out to be).
package struct SystemFileError: Error, Sendable, Equatable, CustomStringConvertible {
    package enum Reason: Sendable, Equatable {
        /// The system call failed with this error.
        case system(Errno)
        /// The path names a directory.
        case isDirectory
        /// The path names something other than a regular file (a FIFO, a device, a socket).
        case notRegularFile(kind: String)
        /// The file holds more bytes than the caller allows.
        case tooLarge(limit: Int)
    }

    /// What was being done: "open", "read", "write", "sync", "rename", "create" …
    package let operation: String
    package let reason: Reason

    package init(_ operation: String, _ reason: Reason) {
        self.operation = operation
        self.reason = reason
    }

    /// The reason alone, in words ("No such file or directory", "is a directory").
    package var description: String {
        switch reason {
        case .system(let errno): return "cannot \(operation): \(errno.description)"
        case .isDirectory: return "is a directory"
        case .notRegularFile(let kind): return "is a \(kind), not a regular file"
        case .tooLarge(let limit): return "is larger than \(limit) bytes"
        }
    }
}

/// Every file system call of the package: EINTR is retried and errno becomes a typed `Errno`
/// here, once (swift-system's `FileDescriptor` for open, read, write and stat).
package enum SystemFile {
    /// What `stat` says a path is, in words, for messages.
    static func kind(of type: FileType) -> String {
        switch type {
        case .fifo: return "FIFO"
        case .characterSpecial: return "character device"
        case .blockSpecial: return "block device"
        case .socket: return "socket"
        case .symbolicLink: return "symbolic link"
        default: return "special file"
        }
    }

    /// Opens `path` for reading. Directories are refused; with `regularOnly`, so is anything
    /// else that is not a regular file. The open itself never blocks (a FIFO without a writer
    /// would wait forever), and blocking reads are restored once the file is known.
    package static func openForReading(_ path: String, regularOnly: Bool = false) throws(SystemFileError) -> FileDescriptor {
        let fd: FileDescriptor
        do {
            fd = try FileDescriptor.open(FilePath(path), .readOnly, options: [.closeOnExec, .nonBlocking])
        } catch {
            throw SystemFileError("open", .system(error as? Errno ?? .ioError))
        }
        do {
            let type = try fd.stat().type
            if type == .directory { throw SystemFileError("open", .isDirectory) }
            if regularOnly && type != .regular { throw SystemFileError("open", .notRegularFile(kind: kind(of: type))) }
            let flags = fcntl(fd.rawValue, F_GETFL)
            if flags >= 0 { _ = fcntl(fd.rawValue, F_SETFL, flags & ~O_NONBLOCK) }
            return fd
        } catch let error as SystemFileError {
            try? fd.close()
            throw error
        } catch {
            try? fd.close()
            throw SystemFileError("stat", .system(error as? Errno ?? .ioError))
        }
    }

    /// Reads into `buffer` from its start, returning the byte count (0 at end of file).
    package static func read(_ fd: FileDescriptor, into buffer: inout [UInt8]) throws(SystemFileError) -> Int {
        do { return try buffer.withUnsafeMutableBytes { try fd.read(into: $0, retryOnInterrupt: true) } } catch {
            throw SystemFileError("read", .system(error as? Errno ?? .ioError))
        }
    }

    /// Reads `fd` to its end, refusing more than `limit` bytes before allocating past it.
    package static func readAll(_ fd: FileDescriptor, limit: Int) throws(SystemFileError) -> [UInt8] {
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = try read(fd, into: &chunk)
            if n == 0 { return out }
            if out.count + n > limit { throw SystemFileError("read", .tooLarge(limit: limit)) }
            out.append(contentsOf: chunk[0..<n])
        }
    }

    /// The whole of the file at `path` (at most `limit` bytes), closed afterwards.
    package static func read(path: String, limit: Int, regularOnly: Bool = false) throws(SystemFileError) -> [UInt8] {
        let fd = try openForReading(path, regularOnly: regularOnly)
        defer { try? fd.close() }
        return try readAll(fd, limit: limit)
    }

    /// Writes every byte (short writes and EINTR are continued).
    package static func writeAll(_ fd: FileDescriptor, _ bytes: [UInt8]) throws(SystemFileError) {
        do { _ = try fd.writeAll(bytes) } catch {
            throw SystemFileError("write", .system(error as? Errno ?? .ioError))
        }
    }

    /// Writes `bytes` to a new file at `path` with `permissions`, failing if it exists
    /// (`O_EXCL`: no race with another writer). A failed write leaves no file behind.
    package static func createExclusive(_ path: String, _ bytes: [UInt8], permissions: FilePermissions) throws(SystemFileError) {
        let fd: FileDescriptor
        do {
            fd = try FileDescriptor.open(FilePath(path), .writeOnly, options: [.create, .exclusiveCreate, .closeOnExec],
                                         permissions: permissions)
        } catch {
            throw SystemFileError("create", .system(error as? Errno ?? .ioError))
        }
        do {
            try writeAll(fd, bytes)
            try? fd.close()
        } catch {
            try? fd.close()
            unlink(path)
            throw error
        }
    }

    /// Replaces `path` with `bytes` whole or not at all: a temporary file beside it is
    /// written, synced, given `permissions` and renamed over the target, so an interrupted run
    /// never leaves half a file.
    package static func writeAtomically(_ bytes: [UInt8], to path: String, permissions: FilePermissions = [.ownerReadWrite, .groupRead, .otherRead]) throws(SystemFileError) {
        var template = Array((path + ".tmp-XXXXXX").utf8CString)
        let raw = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard raw >= 0 else { throw SystemFileError("create a temporary file beside it", .system(Errno(rawValue: errno))) }
        let temporary = String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let fd = FileDescriptor(rawValue: raw)
        do throws(SystemFileError) {
            defer { try? fd.close() }
            guard fchmod(raw, permissions.rawValue) == 0 else { throw SystemFileError("set its mode", .system(Errno(rawValue: errno))) }
            try writeAll(fd, bytes)
            guard fsync(raw) == 0 else { throw SystemFileError("sync", .system(Errno(rawValue: errno))) }
        } catch {
            unlink(temporary)
            throw error
        }
        guard rename(temporary, path) == 0 else {
            let reason = Errno(rawValue: errno)
            unlink(temporary)
            throw SystemFileError("write", .system(reason))
        }
    }

    /// Whether something exists at `path` (without following a final symbolic link).
    package static func exists(_ path: String) -> Bool {
        (try? FilePath(path).stat(followTargetSymlink: false)) != nil
    }

    /// Writes to a descriptor that is not ours to close (standard error), ignoring failures:
    /// there is nowhere left to report them.
    package static func writeUnchecked(_ fd: Int32, _ text: String) {
        try? writeAll(FileDescriptor(rawValue: fd), Array(text.utf8))
    }
}

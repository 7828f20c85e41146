#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif
internal import SystemPackage
internal import SystemSupport

/// A read-only, private memory mapping of a whole regular file. The module's one system
/// call of its own, `mmap`, lives here (opening goes through `SystemFile`); the mapping is
/// released in `deinit`.
final class MappedFile: @unchecked Sendable {
    // Immutable after init and only ever read, so sharing across threads is safe.
    let bytes: UnsafeRawBufferPointer
    private let mapped: Bool

    init(path: String) throws(GGUFError) {
        let descriptor: FileDescriptor
        do { descriptor = try SystemFile.openForReading(path, regularOnly: true) } catch {
            if case .system(let errno) = error.reason {
                throw GGUFError(path: path, field: "file", offset: nil, reason: .cannotOpen(errno: errno.rawValue))
            }
            throw GGUFError(path: path, field: "file", offset: nil, reason: .notARegularFile)
        }
        defer { try? descriptor.close() }
        let fd = descriptor.rawValue
        let size: Int
        do { size = Int(try descriptor.stat().size) } catch {
            throw GGUFError(path: path, field: "file", offset: nil, reason: .cannotOpen(errno: error.rawValue))
        }
        if size == 0 {
            // mmap rejects a zero length; an empty buffer lets the parser report the truncation.
            bytes = UnsafeRawBufferPointer(start: nil, count: 0)
            mapped = false
            return
        }
        guard let p = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), p != MAP_FAILED else {
            throw GGUFError(path: path, field: "file", offset: nil, reason: .cannotMap(errno: errno))
        }
        bytes = UnsafeRawBufferPointer(start: p, count: size)
        mapped = true
    }

    deinit {
        if mapped, let base = bytes.baseAddress {
            munmap(UnsafeMutableRawPointer(mutating: base), bytes.count)
        }
    }
}

func errnoDescription(_ e: Int32) -> String {
    Errno(rawValue: e).description + " (errno \(e))"
}

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// A read-only, private memory mapping of a whole regular file. All system calls of the
/// module live here; the mapping is released in `deinit`.
final class MappedFile: @unchecked Sendable {
    // Immutable after init and only ever read, so sharing across threads is safe.
    let bytes: UnsafeRawBufferPointer
    private let mapped: Bool

    init(path: String) throws(GGUFError) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw GGUFError(path: path, field: "file", offset: nil, reason: .cannotOpen(errno: errno))
        }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            throw GGUFError(path: path, field: "file", offset: nil, reason: .cannotOpen(errno: errno))
        }
        guard (st.st_mode & S_IFMT) == S_IFREG else {
            throw GGUFError(path: path, field: "file", offset: nil, reason: .notARegularFile)
        }
        let size = Int(st.st_size)
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
    guard let s = strerror(e) else { return "errno \(e)" }
    return String(cString: s) + " (errno \(e))"
}

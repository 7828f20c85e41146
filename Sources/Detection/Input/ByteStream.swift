internal import SystemPackage
internal import SystemSupport
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file or standard input read in fixed-size chunks, so that inputs of any size stream.
public final class ByteStream {
    /// How the stream is named in messages: the path, or `<stdin>`.
    public let name: String
    private let fd: FileDescriptor
    private let ownsDescriptor: Bool
    private var buffer: [UInt8]

    /// Opens `path`, or standard input for `-`.
    ///
    /// A path must name a regular file: a FIFO, a device or a socket is refused (without
    /// blocking on it), so that a stray `/dev/zero` or a pipe nobody writes to cannot hang or
    /// flood a run. Standard input, named `-`, may be anything.
    public init(path: String, chunkSize: Int = 1 << 16) throws(InputError) {
        buffer = [UInt8](repeating: 0, count: chunkSize)
        if path == "-" {
            name = "<stdin>"
            fd = .standardInput
            ownsDescriptor = false
            return
        }
        name = path
        do { fd = try SystemFile.openForReading(path, regularOnly: true) } catch {
            throw InputError(source: path, problem: error.description)
        }
        ownsDescriptor = true
    }

    deinit { if ownsDescriptor { try? fd.close() } }

    /// The next chunk, or nil at end of input.
    public func nextChunk() throws(InputError) -> ArraySlice<UInt8>? {
        let n: Int
        do { n = try SystemFile.read(fd, into: &buffer) } catch {
            throw InputError(source: name, problem: error.description)
        }
        return n == 0 ? nil : buffer[0..<n]
    }

    /// Reads everything, refusing more than `limit` bytes.
    public func readAll(limit: Int) throws(InputError) -> [UInt8] {
        var out: [UInt8] = []
        while let chunk = try nextChunk() {
            out.append(contentsOf: chunk)
            if out.count > limit { throw InputError(source: name, problem: "is larger than \(limit) bytes") }
        }
        return out
    }
}

/// Splits a `ByteStream` into lines (LF or CRLF), one at a time, in bounded memory.
public struct LineReader {
    public let stream: ByteStream
    /// A longer line is an error rather than an unbounded allocation.
    public let maximumLineLength: Int
    private var pending: [UInt8] = []
    private var start = 0
    /// Where the search for the next newline resumes: bytes before it (from `start`) hold
    /// none, so a line longer than a chunk is scanned once, not again after every chunk.
    private var scanned = 0
    private var finished = false
    public private(set) var lineNumber = 0

    public init(stream: ByteStream, maximumLineLength: Int = 64 << 20) {
        self.stream = stream
        self.maximumLineLength = maximumLineLength
    }

    /// The next line without its terminator, or nil at end of input.
    public mutating func nextLine() throws(InputError) -> [UInt8]? {
        while true {
            if let newline = Self.newline(in: pending, from: max(start, scanned)) {
                let end = newline > start && pending[newline - 1] == 0x0D ? newline - 1 : newline
                guard end - start <= maximumLineLength else { throw tooLong() }
                let line = Array(pending[start..<end])
                start = newline + 1
                scanned = start
                lineNumber += 1
                return line
            }
            scanned = pending.count
            // One byte more than the maximum may still be a line's CR.
            if pending.count - start > maximumLineLength + 1 { throw tooLong() }
            if finished {
                guard start < pending.count else { return nil }
                var line = Array(pending[start...])
                start = pending.count
                scanned = start
                if line.last == 0x0D { line.removeLast() }
                guard line.count <= maximumLineLength else { throw tooLong() }
                lineNumber += 1
                return line
            }
            if start > 0 {
                pending.removeFirst(start)
                scanned -= start
                start = 0
            }
            if let chunk = try stream.nextChunk() { pending.append(contentsOf: chunk) } else { finished = true }
        }
    }

    private func tooLong() -> InputError {
        InputError(source: "\(stream.name):\(lineNumber + 1)", problem: "line is longer than \(maximumLineLength) bytes")
    }

    /// The index of the first LF at or after `from`, by `memchr` (a byte loop was 2% of a
    /// corpus run).
    private static func newline(in bytes: [UInt8], from: Int) -> Int? {
        guard from < bytes.count else { return nil }
        return bytes.withUnsafeBufferPointer { p -> Int? in
            guard let base = p.baseAddress, let hit = memchr(base + from, 0x0A, p.count - from) else { return nil }
            return base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
        }
    }
}

internal import SystemPackage
internal import SystemSupport

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
    private var finished = false
    public private(set) var lineNumber = 0

    public init(stream: ByteStream, maximumLineLength: Int = 64 << 20) {
        self.stream = stream
        self.maximumLineLength = maximumLineLength
    }

    /// The next line without its terminator, or nil at end of input.
    public mutating func nextLine() throws(InputError) -> [UInt8]? {
        while true {
            if let newline = pending[start...].firstIndex(of: 0x0A) {
                var line = Array(pending[start..<newline])
                start = newline + 1
                if line.last == 0x0D { line.removeLast() }
                lineNumber += 1
                return line
            }
            if pending.count - start > maximumLineLength {
                throw InputError(source: "\(stream.name):\(lineNumber + 1)", problem: "line is longer than \(maximumLineLength) bytes")
            }
            if finished {
                guard start < pending.count else { return nil }
                var line = Array(pending[start...])
                start = pending.count
                if line.last == 0x0D { line.removeLast() }
                lineNumber += 1
                return line
            }
            if start > 0 {
                pending.removeFirst(start)
                start = 0
            }
            if let chunk = try stream.nextChunk() { pending.append(contentsOf: chunk) } else { finished = true }
        }
    }
}

import Foundation
import Testing
import TestSupport
@testable import Detection

/// `LineReader` against splitting the whole input by hand, with chunk sizes from one byte up,
/// so that a CR, an LF or a CRLF pair falls on every kind of chunk seam.
@Suite("line reader")
struct LineReaderTests {
    private static func byHand(_ bytes: [UInt8]) -> [[UInt8]] {
        var lines = bytes.split(separator: 0x0A, omittingEmptySubsequences: false).map { Array($0) }
        if bytes.last == 0x0A || bytes.isEmpty { lines.removeLast() }  // a final LF ends a line; it does not start one
        return lines.map { $0.last == 0x0D ? Array($0.dropLast()) : $0 }
    }

    private static func read(_ bytes: [UInt8], chunkSize: Int, maximum: Int = 1 << 20) throws -> [[UInt8]] {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("lines-\(UUID().uuidString).jsonl")
        defer { try? FileManager.default.removeItem(at: url) }
        try Data(bytes).write(to: url)
        var reader = LineReader(stream: try ByteStream(path: url.path, chunkSize: chunkSize), maximumLineLength: maximum)
        var out: [[UInt8]] = []
        while let line = try reader.nextLine() { out.append(line) }
        #expect(reader.lineNumber == out.count)
        return out
    }

    @Test("lines equal a split by hand, at every chunk size")
    func equalsSplitByHand() throws {
        var rng = SeededGenerator(seed: 41)
        let pieces: [[UInt8]] = [[0x0A], [0x0D, 0x0A], [0x0D], [0x61], Array("long line of text ".utf8),
                                 Array(repeating: 0x62, count: 300), Array("é日".utf8), [0x0A, 0x0A]]
        for round in 0..<300 {
            var bytes: [UInt8] = []
            for _ in 0..<Int.random(in: 0...30, using: &rng) { bytes += pieces.randomElement(using: &rng)! }
            let chunk = [1, 2, 3, 7, 64, 4096][round % 6]
            #expect(try Self.read(bytes, chunkSize: chunk) == Self.byHand(bytes), "round \(round), chunk \(chunk)")
        }
    }

    @Test("a line longer than the maximum is an error naming its line")
    func tooLong() throws {
        let long = [UInt8](repeating: 0x61, count: 5000)
        // A line of exactly the maximum passes with LF, CRLF or at the end; one byte over fails
        // wherever the chunks cut it (the newline in the same chunk as the line's end or not).
        for ending: [UInt8] in [[0x0A], [0x0D, 0x0A], []] {
            let bytes = Array("short\n".utf8) + long + ending
            for chunk in [1, 64, 4096, 8192] {
                #expect(try Self.read(bytes, chunkSize: chunk, maximum: 5000) == [Array("short".utf8), long])
                #expect(throws: InputError.self) { try Self.read(bytes, chunkSize: chunk, maximum: 4999) }
                do { _ = try Self.read(bytes, chunkSize: chunk, maximum: 4999) } catch let error as InputError {
                    #expect(error.description.contains(":2"), "chunk \(chunk)")
                    #expect(error.description.contains("longer than 4999 bytes"))
                }
            }
        }
    }
}

import Foundation

@testable import GGUF

/// A tiny GGUF writer for building test files in memory (little-endian, versions 2 and 3).
struct GGUFWriter {
    struct Tensor {
        var name: String
        var dimensions: [UInt64]
        var type: GGMLType
        var data: [UInt8]
        /// Explicit data offset; `nil` means "next aligned position".
        var offset: UInt64? = nil
    }

    var version: UInt32 = 3
    var metadata: [(String, GGUFValue)] = []
    var tensors: [Tensor] = []

    var alignment: Int {
        for (k, v) in metadata where k == "general.alignment" {
            if case .uint32(let a) = v, a > 0 { return Int(a) }
        }
        return 32
    }

    func bytes() -> [UInt8] {
        var out: [UInt8] = []
        out += Array("GGUF".utf8)
        out.appendLE(version)
        out.appendLE(UInt64(tensors.count))
        out.appendLE(UInt64(metadata.count))
        for (key, value) in metadata {
            out.appendString(key)
            out.appendLE(value.type.rawValue)
            out.appendValue(value)
        }
        var offsets: [UInt64] = []
        var next: UInt64 = 0
        for t in tensors {
            let o = t.offset ?? next
            offsets.append(o)
            next = (o + UInt64(t.data.count) + UInt64(alignment) - 1) / UInt64(alignment) * UInt64(alignment)
        }
        for (t, o) in zip(tensors, offsets) {
            out.appendString(t.name)
            out.appendLE(UInt32(t.dimensions.count))
            for d in t.dimensions { out.appendLE(d) }
            out.appendLE(t.type.rawValue)
            out.appendLE(o)
        }
        if !tensors.isEmpty {
            while out.count % alignment != 0 { out.append(0) }
            let dataStart = out.count
            for (t, o) in zip(tensors, offsets) {
                let at = dataStart + Int(o)
                // A deliberately out-of-range offset (corruption tests) gets no data.
                if out.count < at && at - out.count <= 4096 { out += [UInt8](repeating: 0, count: at - out.count) }
                if out.count == at { out += t.data }
            }
        }
        return out
    }
}

extension [UInt8] {
    mutating func appendLE<T: FixedWidthInteger>(_ v: T) {
        Swift.withUnsafeBytes(of: v.littleEndian) { append(contentsOf: $0) }
    }

    mutating func appendString(_ s: String) {
        appendLE(UInt64(s.utf8.count))
        append(contentsOf: s.utf8)
    }

    mutating func appendValue(_ v: GGUFValue) {
        switch v {
        case .uint8(let x): appendLE(x)
        case .int8(let x): appendLE(x)
        case .uint16(let x): appendLE(x)
        case .int16(let x): appendLE(x)
        case .uint32(let x): appendLE(x)
        case .int32(let x): appendLE(x)
        case .float32(let x): appendLE(x.bitPattern)
        case .bool(let x): append(x ? 1 : 0)
        case .string(let s): appendString(s)
        case .uint64(let x): appendLE(x)
        case .int64(let x): appendLE(x)
        case .float64(let x): appendLE(x.bitPattern)
        case .array(let a):
            appendLE(a.elementType.rawValue)
            appendLE(UInt64(a.count))
            for e in a.elements { appendValue(e) }
        }
    }
}

/// A scratch directory removed when the value is released.
final class TemporaryDirectory: @unchecked Sendable {
    let url: URL
    init() {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("gguf-tests-\(UUID().uuidString)")
        try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(at: url) }

    func write(_ bytes: [UInt8], name: String = "test.gguf") -> String {
        let path = url.appendingPathComponent(name).path
        _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
        return path
    }
}

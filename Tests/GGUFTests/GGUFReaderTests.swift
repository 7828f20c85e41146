import TestSupport
import Foundation
import Testing

@testable import GGUF

/// One value of every type, including nested and empty arrays.
let everyValueType: [(String, GGUFValue)] = [
    ("u8", .uint8(200)), ("i8", .int8(-100)), ("u16", .uint16(60000)), ("i16", .int16(-30000)),
    ("u32", .uint32(4_000_000_000)), ("i32", .int32(-2_000_000_000)), ("f32", .float32(3.25)),
    ("bool.t", .bool(true)), ("bool.f", .bool(false)), ("str", .string("héllo ✓ 🙂")), ("empty", .string("")),
    ("u64", .uint64(.max)), ("i64", .int64(.min)), ("f64", .float64(-1e300)),
    ("arr.i32", .array(GGUFArray(elementType: .int32, elements: [.int32(1), .int32(-2), .int32(3)]))),
    ("arr.str", .array(GGUFArray(elementType: .string, elements: [.string("a"), .string(""), .string("Ġthe")]))),
    ("arr.empty", .array(GGUFArray(elementType: .float64, elements: []))),
    ("arr.bool", .array(GGUFArray(elementType: .bool, elements: [.bool(true), .bool(false)]))),
    (
        "arr.nested",
        .array(
            GGUFArray(
                elementType: .array,
                elements: [
                    .array(GGUFArray(elementType: .uint8, elements: [.uint8(1), .uint8(2)])),
                    .array(GGUFArray(elementType: .string, elements: [.string("x")])),
                    .array(
                        GGUFArray(
                            elementType: .array,
                            elements: [.array(GGUFArray(elementType: .int64, elements: [.int64(7)]))])),
                ]))
    ),
]

func sampleWriter(version: UInt32 = 3) -> GGUFWriter {
    var w = GGUFWriter(version: version)
    w.metadata = [("general.architecture", .string("llama"))] + everyValueType
    w.tensors = [
        .init(name: "a.weight", dimensions: [4, 2], type: .f32, data: (0..<32).map { UInt8($0) }),
        .init(name: "b.weight", dimensions: [32], type: .q8_0, data: (0..<34).map { UInt8($0 &+ 100) }),
        .init(name: "c", dimensions: [3], type: .f16, data: [1, 2, 3, 4, 5, 6]),
    ]
    return w
}

func expectGGUFError(
    _ bytes: [UInt8], in dir: TemporaryDirectory, sourceLocation: SourceLocation = #_sourceLocation,
    _ check: (GGUFError) -> Bool
) {
    let path = dir.write(bytes)
    do {
        _ = try GGUFFile(path: path)
        Issue.record("expected a GGUFError, file opened", sourceLocation: sourceLocation)
    } catch {
        #expect(check(error), "unexpected error: \(error)", sourceLocation: sourceLocation)
        #expect(error.path == path, sourceLocation: sourceLocation)
        #expect(!error.description.contains("\n"), sourceLocation: sourceLocation)
    }
}

@Suite struct GGUFRoundTripTests {
    @Test(arguments: [UInt32(2), 3])
    func everyValueTypeRoundTrips(version: UInt32) throws {
        let dir = TemporaryDirectory()
        let w = sampleWriter(version: version)
        let f = try GGUFFile(path: dir.write(w.bytes()))
        #expect(f.version == version)
        #expect(f.metadataCount == w.metadata.count)
        #expect(f.metadataKeys == w.metadata.map(\.0))
        for (k, v) in w.metadata {
            #expect(f[k] == v, "\(k)")
        }
        #expect(f["general.architecture"]?.string == "llama")
        #expect(f["u64"]?.int == nil)  // does not fit in Int
        #expect(f["i16"]?.int == -30000)
        #expect(f["arr.i32"]?.intArray == [1, -2, 3])
        #expect(f["arr.str"]?.stringArray == ["a", "", "Ġthe"])
        #expect(f["f32"]?.double == 3.25)
        #expect(f.alignment == 32)
    }

    @Test func tensorsAreLocatedAndBounded() throws {
        let dir = TemporaryDirectory()
        let w = sampleWriter()
        let f = try GGUFFile(path: dir.write(w.bytes()))
        #expect(f.tensors.map(\.name) == ["a.weight", "b.weight", "c"])
        let a = try #require(f.tensor(named: "a.weight"))
        #expect(a.dimensions == [4, 2] && a.elementCount == 8 && a.byteCount == 32 && a.type == .f32)
        #expect(f.dataOffset % 32 == 0)
        for t in w.tensors {
            let data = try f.tensorData(named: t.name)
            #expect(Array(data) == t.data, "\(t.name)")
        }
        #expect(f.tensor(named: "b.weight")?.offset == 32)
        #expect(throws: GGUFError(path: f.path, field: "tensor \"missing\"", offset: nil, reason: .tensorNotFound)) {
            try f.tensorData(named: "missing")
        }
    }

    @Test func customAlignment() throws {
        let dir = TemporaryDirectory()
        var w = sampleWriter()
        w.metadata.append(("general.alignment", .uint32(64)))
        let f = try GGUFFile(path: dir.write(w.bytes()))
        #expect(f.alignment == 64)
        #expect(f.dataOffset % 64 == 0)
        #expect(f.tensor(named: "b.weight")?.offset == 64)
        #expect(Array(try f.tensorData(named: "c")) == [1, 2, 3, 4, 5, 6])
    }

    @Test func unknownTensorTypeStillOpens() throws {
        let dir = TemporaryDirectory()
        var w = GGUFWriter()
        w.tensors = [.init(name: "x", dimensions: [8], type: GGMLType(rawValue: 999), data: [0, 1, 2, 3])]
        let f = try GGUFFile(path: dir.write(w.bytes()))
        #expect(f.tensors[0].byteCount == nil)
        #expect(
            throws: GGUFError(
                path: f.path, field: "tensor \"x\" type", offset: nil, reason: .unsupportedTensorType(GGMLType(rawValue: 999)))
        ) {
            try f.tensorData(named: "x")
        }
    }

    @Test func typeLayouts() {
        #expect(GGMLType.f32.layout == .init(blockSize: 1, bytesPerBlock: 4))
        #expect(GGMLType.f16.layout == .init(blockSize: 1, bytesPerBlock: 2))
        #expect(GGMLType.q8_0.layout == .init(blockSize: 32, bytesPerBlock: 34))
        #expect(GGMLType.q4_0.layout == .init(blockSize: 32, bytesPerBlock: 18))
        #expect(GGMLType.q4_1.layout == .init(blockSize: 32, bytesPerBlock: 20))
        #expect(GGMLType.q4_K.layout == .init(blockSize: 256, bytesPerBlock: 144))
        #expect(GGMLType.q6_K.layout == .init(blockSize: 256, bytesPerBlock: 210))
        #expect(GGMLType.q4_1.byteCount(forElements: 576 * 49152) == 576 * 49152 / 32 * 20)
        #expect(GGMLType.q4_1.byteCount(forElements: 33) == nil)
        #expect(GGMLType(rawValue: 77).name == "type#77")
    }
}

@Suite struct GGUFCorruptionTests {
    /// Header of a version-3 file with the given counts, ready for more bytes.
    func header(tensors: UInt64 = 0, kvs: UInt64 = 1, version: UInt32 = 3) -> [UInt8] {
        var b = Array("GGUF".utf8)
        b.appendLE(version)
        b.appendLE(tensors)
        b.appendLE(kvs)
        return b
    }

    @Test func badMagicAndVersion() {
        let dir = TemporaryDirectory()
        var b = sampleWriter().bytes()
        b[0] = UInt8(ascii: "X")
        expectGGUFError(b, in: dir) { $0.reason == .badMagic && $0.field == "header.magic" }
        expectGGUFError(header(version: 1), in: dir) { $0.reason == .unsupportedVersion(1) }
        expectGGUFError(header(version: 4), in: dir) { $0.reason == .unsupportedVersion(4) }
        expectGGUFError(header(version: UInt32(3).byteSwapped), in: dir) { $0.reason == .bigEndian }
        expectGGUFError([], in: dir) {
            if case .truncated = $0.reason { return $0.field == "header.magic" } else { return false }
        }
    }

    @Test func hugeCountsAreRejectedBeforeAllocation() {
        let dir = TemporaryDirectory()
        expectGGUFError(header(kvs: 1_000_000_000_000), in: dir) {
            $0.reason == .countTooLarge(1_000_000_000_000) && $0.field == "header.metadata_kv_count"
        }
        expectGGUFError(header(tensors: .max, kvs: 0), in: dir) {
            $0.reason == .countTooLarge(.max) && $0.field == "header.tensor_count"
        }
        // A string length of 2^63.
        var b = header()
        b.appendLE(UInt64(1) << 63)
        b += Array("key and some more bytes".utf8)
        expectGGUFError(b, in: dir) {
            if case .truncated(let needed, _) = $0.reason {
                return needed == 1 << 63 && $0.field == "metadata[0].key length"
            }
            return false
        }
        // An array count of 10^12.
        b = header()
        b.appendString("tokenizer.ggml.tokens")
        b.appendLE(GGUFValueType.array.rawValue)
        b.appendLE(GGUFValueType.string.rawValue)
        b.appendLE(UInt64(1_000_000_000_000))
        b += [UInt8](repeating: 0, count: 64)
        expectGGUFError(b, in: dir) {
            $0.reason == .countTooLarge(1_000_000_000_000) && $0.field == "metadata[\"tokenizer.ggml.tokens\"] count"
        }
        // A string length inside an array element.
        b = header()
        b.appendString("arr")
        b.appendLE(GGUFValueType.array.rawValue)
        b.appendLE(GGUFValueType.string.rawValue)
        b.appendLE(UInt64(2))
        b.appendString("ok")
        b.appendLE(UInt64.max)
        expectGGUFError(b, in: dir) { $0.field == "metadata[\"arr\"][1] length" }
    }

    @Test func invalidValues() {
        let dir = TemporaryDirectory()
        var b = header()
        b.appendString("k")
        b.appendLE(UInt32(13))
        b.appendLE(UInt64(0))
        expectGGUFError(b, in: dir) { $0.reason == .invalidValueType(13) && $0.field == "metadata[\"k\"].type" }
        b = header()
        b.appendString("k")
        b.appendLE(GGUFValueType.bool.rawValue)
        b.append(2)
        expectGGUFError(b, in: dir) { $0.reason == .invalidBool(2) }
        // Duplicate key.
        var w = GGUFWriter()
        w.metadata = [("a", .uint8(1)), ("a", .uint8(2))]
        expectGGUFError(w.bytes(), in: dir) { $0.reason == .duplicateKey("a") }
        // Arrays nested past the limit.
        b = header()
        b.appendString("deep")
        b.appendLE(GGUFValueType.array.rawValue)
        for _ in 0..<100 {
            b.appendLE(GGUFValueType.array.rawValue)
            b.appendLE(UInt64(1))
        }
        b.appendLE(GGUFValueType.uint8.rawValue)
        b.appendLE(UInt64(0))
        expectGGUFError(b, in: dir) { $0.reason == .nestingTooDeep(limit: GGUFParser.maxNesting) }
    }

    @Test func badAlignment() {
        let dir = TemporaryDirectory()
        for bad: GGUFValue in [.uint32(0), .uint32(48), .uint64(32), .string("32")] {
            var w = sampleWriter()
            w.metadata.append(("general.alignment", bad))
            expectGGUFError(w.bytes(), in: dir) { $0.field == "metadata[\"general.alignment\"]" }
        }
    }

    @Test func badTensorInfos() {
        let dir = TemporaryDirectory()
        var w = sampleWriter()
        w.tensors[2].offset = 1 << 40
        expectGGUFError(w.bytes(), in: dir) {
            if case .tensorOutOfBounds = $0.reason { return $0.field == "tensor \"c\" offset" } else { return false }
        }
        w = sampleWriter()
        w.tensors[1].offset = 33
        expectGGUFError(w.bytes(), in: dir) { $0.reason == .misalignedTensor(offset: 33, alignment: 32) }
        w = sampleWriter()
        w.tensors[0].dimensions = [1 << 32, 1 << 32]
        expectGGUFError(w.bytes(), in: dir) {
            $0.reason == .dimensionsOverflow && $0.field == "tensor \"a.weight\" dims[1]"
        }
        w.tensors[0].dimensions = [.max]
        expectGGUFError(w.bytes(), in: dir) { $0.reason == .dimensionsOverflow }
        w = sampleWriter()
        w.tensors[0].dimensions = [1 << 61]  // element count fits, byte count does not
        expectGGUFError(w.bytes(), in: dir) { $0.reason == .dimensionsOverflow }
        w = sampleWriter()
        w.tensors[0].dimensions = [1, 1, 1, 1, 1]
        expectGGUFError(w.bytes(), in: dir) { $0.reason == .tooManyDimensions(5) }
        w = sampleWriter()
        w.tensors[1].dimensions = [33]
        expectGGUFError(w.bytes(), in: dir) { $0.reason == .rowNotBlockAligned(firstDimension: 33, blockSize: 32) }
        w = sampleWriter()
        w.tensors[1].name = "a.weight"
        expectGGUFError(w.bytes(), in: dir) { $0.reason == .duplicateTensor("a.weight") }
        w = sampleWriter()
        w.tensors[0].dimensions = [1 << 20]  // 4 MiB of F32 in a tiny file
        expectGGUFError(w.bytes(), in: dir) {
            if case .tensorOutOfBounds = $0.reason { return true } else { return false }
        }
    }

    /// Every proper prefix of a valid file is an error, never a crash.
    @Test func truncationAtEveryByte() throws {
        let dir = TemporaryDirectory()
        let full = sampleWriter().bytes()
        _ = try GGUFFile(path: dir.write(full))
        for n in 0..<full.count {
            let path = dir.write(Array(full[..<n]))
            let error = #expect(throws: GGUFError.self, "prefix of \(n) bytes") { _ = try GGUFFile(path: path) }
            // Cut short: a field runs past the end, a count no longer fits in what is left, or
            // (once the tensor infos are complete) the tensor data reaches past the end.
            guard let error else { continue }
            switch error.reason {
            case .truncated, .countTooLarge, .tensorOutOfBounds: break
            default: Issue.record("prefix of \(n) bytes: unexpected reason \(error.reason)")
            }
            #expect(error.path == path, "prefix of \(n) bytes")
        }
    }

    /// Random byte corruptions open or fail cleanly; they never crash or hang.
    @Test func randomCorruptionNeverCrashes() throws {
        let dir = TemporaryDirectory()
        let full = sampleWriter().bytes()
        var rng = SeededGenerator(seed: 42)
        var opened = 0
        for _ in 0..<3000 {
            var b = full
            for _ in 0..<(1 + Int(rng.next() % 4)) {
                let i = Int(rng.next() % UInt64(b.count))
                b[i] = rng.next() % 3 == 0 ? 0xFF : UInt8(truncatingIfNeeded: rng.next())
            }
            let path = dir.write(b)
            if let f = try? GGUFFile(path: path) {
                opened += 1
                for t in f.tensors { _ = try? f.tensorData(for: t) }
            }
        }
        #expect(opened > 0)
    }

    @Test func missingFileAndDirectory() {
        let dir = TemporaryDirectory()
        #expect {
            _ = try GGUFFile(path: dir.url.path + "/nope.gguf")
        } throws: { e in
            guard let e = e as? GGUFError, case .cannotOpen = e.reason else { return false }
            return e.description.contains("nope.gguf")
        }
        #expect {
            _ = try GGUFFile(path: dir.url.path)
        } throws: { e in (e as? GGUFError)?.reason == .notARegularFile }
    }
}


@Suite(.enabled(if: DefaultModelFixture.isAvailable, DefaultModelFixture.skipReason))
struct DefaultModelTests {
    @Test func defaultModelMetadata() throws {
        let path = try DefaultModelFixture.requirePath()
        let clock = ContinuousClock()
        let start = clock.now
        let f = try GGUFFile(path: path)
        let elapsed = clock.now - start
        print("opened default model in \(elapsed)")
        #expect(f["general.architecture"]?.string == "llama")
        #expect(f["tokenizer.ggml.model"]?.string == "gpt2")
        #expect(f["tokenizer.ggml.tokens"]?.array?.count == 49152)
        #expect((f["tokenizer.ggml.merges"]?.array?.count ?? 0) > 48000)
        #expect(f["llama.embedding_length"]?.int == 576)
        #expect(f.tensors.count > 0)
        for t in f.tensors {
            let data = try f.tensorData(for: t)
            #expect(data.count == t.byteCount)
        }
        #expect(f.tensor(named: "token_embd.weight")?.dimensions == [576, 49152])
    }
}

@Suite struct GGUFErrorTextTests {
    /// Names read from a hostile file cannot break the one-line description.
    @Test func descriptionStaysOneLine() {
        let dir = TemporaryDirectory()
        var w = GGUFWriter()
        w.metadata = [("evil\nkey\u{2028}", .uint8(1)), ("evil\nkey\u{2028}", .uint8(2))]
        expectGGUFError(w.bytes(), in: dir) { e in
            e.description.contains("evil\\u{a}key\\u{2028}") && !e.description.contains("\n")
        }
        let long = GGUFError(path: "/x.gguf", field: String(repeating: "k", count: 10_000), offset: 3, reason: .badMagic)
        #expect(long.description.count < 400)
    }
}

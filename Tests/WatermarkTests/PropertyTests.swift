import Foundation
import Testing
import TestSupport
import Watermark

@Suite("partition properties")
struct PartitionPropertyTests {
    static func randomKey(_ rng: inout SeededGenerator, length: Int = 32) throws -> WatermarkKey {
        try WatermarkKey(bytes: (0..<length).map { _ in UInt8.random(in: 0...255, using: &rng) })
    }

    @Test(arguments: 1...8)
    func greenSetsNestAcrossGamma(h: Int) throws {
        var rng = SeededGenerator(seed: UInt64(h) * 1_000_003)
        let key = try Self.randomKey(&rng)
        let gammas = [0.1, 0.25, 0.5, 0.9]
        let partitions = try gammas.map { try GreenListPartition(key: key, parameters: SchemeParameters(gamma: $0, contextWidth: h)) }
        for _ in 0..<20 {
            let context = (0..<h).map { _ in UInt32.random(in: 0...UInt32.max, using: &rng) }
            let sets = try partitions.map { Set(try $0.greenTokens(after: context, vocabularySize: 4096)) }
            for i in 1..<sets.count { #expect(sets[i - 1].isSubset(of: sets[i])) }
            // The fraction is close to γ' (4096 tokens: a few standard deviations).
            for (set, g) in zip(sets, gammas) { #expect(abs(Double(set.count) / 4096 - g) < 0.05) }
        }
    }

    @Test func greenDoesNotDependOnVocabularySize() throws {
        var rng = SeededGenerator(seed: 42)
        let partition = try GreenListPartition(key: Self.randomKey(&rng), parameters: SchemeParameters())
        let small = try partition.scores(after: [17], count: 1000)
        let large = try partition.scores(after: [17], count: 256_000)
        #expect(Array(large.prefix(1000)) == small)
        // The single-token path agrees with the whole-vocabulary keystream everywhere.
        for v in [0, 1, 7, 8, 999, 131_071, 255_999] {
            #expect(try partition.score(of: UInt32(v), after: [17]) == UInt32(large[v]))
        }
    }

    @Test(arguments: [1, 15, 16, 17, 33, 1000, 49_152, 49_157])
    func processorAgreesWithSingleTokenTest(length: Int) throws {
        var rng = SeededGenerator(seed: UInt64(length))
        let key = try Self.randomKey(&rng)
        let parameters = try SchemeParameters(gamma: 0.5, contextWidth: 2, delta: 2.5)
        let processor = try WatermarkLogitsProcessor(key: key, parameters: parameters)
        let partition = try GreenListPartition(key: key, parameters: parameters)
        let original = (0..<length).map { _ in Float.random(in: -10...10, using: &rng) }
        var logits = original
        #expect(try processor.process(&logits, history: [5, 9, 11]))
        for v in 0..<length {
            let green = try partition.isGreen(UInt32(v), after: [9, 11])
            #expect(logits[v] == (green ? original[v] + 2.5 : original[v]), "token \(v)")
        }
    }

    @Test func shortHistoryIsLeftAlone() throws {
        let processor = try WatermarkLogitsProcessor(key: WatermarkKey.generate(), parameters: SchemeParameters(contextWidth: 3))
        var logits = [Float](repeating: 0, count: 100)
        #expect(try processor.process(&logits, history: [1, 2]) == false)
        #expect(logits.allSatisfy { $0 == 0 })
        var empty: [Float] = []
        #expect(try processor.process(&empty, history: [1, 2, 3]) == false)
    }

    @Test func contextOfWrongLengthIsAnError() throws {
        let partition = try GreenListPartition(key: WatermarkKey.generate(), parameters: SchemeParameters(contextWidth: 2))
        #expect(throws: WatermarkError.contextLength(expected: 2, found: 1)) { try partition.isGreen(3, after: [1]) }
    }
}

@Suite("parameters and keys")
struct ParameterAndKeyTests {
    @Test func gammaIsQuantisedAsTheSchemeSays() throws {
        #expect(try SchemeParameters(gamma: 0.25).greenThreshold == 16384)
        #expect(try SchemeParameters(gamma: 1.0 / 65536).greenThreshold == 1)
        #expect(try SchemeParameters(gamma: 1e-9).greenThreshold == 1)  // clamped up
        #expect(try SchemeParameters(gamma: 0.9999999).greenThreshold == 65535)  // clamped down
        #expect(try SchemeParameters(gamma: 0.1).effectiveGamma == 6554.0 / 65536)
    }

    @Test(arguments: [0.0, 1.0, -0.1, 1.5, .nan, .infinity])
    func badGammaIsRefused(gamma: Double) {
        let error = #expect(throws: WatermarkError.self) { try SchemeParameters(gamma: gamma) }
        // Matched by pattern, not by `==`: NaN is not equal to itself. The bit pattern is.
        if case .invalidGamma(let reported)? = error {
            #expect(reported.bitPattern == gamma.bitPattern, "reported \(reported)")
        } else if let error {
            Issue.record("expected .invalidGamma(\(gamma)), got \(error)")
        }
    }

    @Test(arguments: [0, 9, -1])
    func badContextWidthIsRefused(h: Int) {
        #expect(throws: WatermarkError.invalidContextWidth(h)) { try SchemeParameters(contextWidth: h) }
    }

    @Test(arguments: [-1.0, .nan, .infinity])
    func badDeltaIsRefused(delta: Double) {
        let error = #expect(throws: WatermarkError.self) { try SchemeParameters(delta: delta) }
        if case .invalidDelta(let reported)? = error {
            #expect(reported.bitPattern == delta.bitPattern, "reported \(reported)")
        } else if let error {
            Issue.record("expected .invalidDelta(\(delta)), got \(error)")
        }
    }

    @Test(arguments: [0, 15, 65, 128])
    func badKeyLengthsAreRefused(length: Int) {
        #expect(throws: WatermarkError.invalidKeyLength(length)) { try WatermarkKey(bytes: [UInt8](repeating: 1, count: length)) }
    }

    @Test func keysParseFromHexBase64AndRaw() throws {
        let bytes: [UInt8] = (0..<32).map { UInt8($0 * 7 + 3) }
        let reference = try WatermarkKey(bytes: bytes)
        let hex = bytes.hexString
        #expect(try WatermarkKey(parsing: Array("  \(hex)\n".utf8)) == reference)
        #expect(try WatermarkKey(parsing: Array(hex.uppercased().utf8)) == reference)
        let base64 = Data(bytes).base64EncodedString()
        #expect(try WatermarkKey(parsing: Array((base64 + "\n").utf8)) == reference)
        let urlSafe = base64.replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
        #expect(try WatermarkKey(parsing: Array(urlSafe.utf8)) == reference)
        // Raw bytes that are neither hex nor base64 text.
        let raw: [UInt8] = (0..<32).map { UInt8(200 + $0 % 50) }
        #expect(try WatermarkKey(parsing: raw) == WatermarkKey(bytes: raw))
        #expect(throws: WatermarkError.unparsableKey(.empty)) { try WatermarkKey(parsing: []) }
        #expect(throws: WatermarkError.invalidKeyLength(2)) { try WatermarkKey(parsing: Array("abcd".utf8)) }  // 2 bytes of hex
        #expect(throws: WatermarkError.unparsableKey(.notAKey(rawLength: 100))) {
            try WatermarkKey(parsing: [UInt8](repeating: 0xFF, count: 100))
        }
    }

    @Test func theKeyNeverShowsInDescriptions() throws {
        let key = try WatermarkKey.generate()
        let secret = key.hexEncoded
        for text in [key.description, key.debugDescription, String(describing: key), String(reflecting: key), "\(key)", dumped(key)] {
            #expect(!text.contains(secret))
            #expect(!text.lowercased().contains(secret.prefix(16)))
            #expect(text.contains(key.keyID))
        }
    }

    private func dumped(_ value: some Any) -> String {
        var out = ""
        dump(value, to: &out)
        return out
    }

    @Test func keyFilesAreWrittenPrivatelyAndNotOverwritten() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("wm-keys-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("k.hex").path
        let key = try WatermarkKey.generate()
        try KeyFile.write(key, to: path, overwrite: false)
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        let loaded = try KeyFile.read(path: path)
        #expect(loaded.key == key)
        #expect(!loaded.isAccessibleByOthers)
        let other = try WatermarkKey.generate()
        #expect(throws: WatermarkError.keyFile(path: path, problem: .alreadyExists)) {
            try KeyFile.write(other, to: path, overwrite: false)
        }
        #expect(try KeyFile.read(path: path).key == key)  // untouched
        try KeyFile.write(other, to: path, overwrite: true)
        #expect(try KeyFile.read(path: path).key == other)
        #expect((try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int) == 0o600)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir.path)
        #expect(leftovers == ["k.hex"])
    }

    @Test func keyFileErrorsNameTheFileAndNotTheKey() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("wm-keys-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let short = dir.appendingPathComponent("short.hex").path
        try "00112233".write(toFile: short, atomically: true, encoding: .utf8)
        do {
            _ = try KeyFile.read(path: short)
            Issue.record("a 4-byte key was accepted")
        } catch {
            #expect(error.description.hasPrefix(short + ": "))
            #expect(!error.description.contains("00112233"))
        }
        #expect(throws: WatermarkError.keyFile(path: dir.path, problem: .isDirectory)) { try KeyFile.read(path: dir.path) }
        let missing = dir.appendingPathComponent("missing").path
        let notThere = #expect(throws: WatermarkError.self) { try KeyFile.read(path: missing) }
        // Matched by pattern: the reason is the system's text for ENOENT.
        if case .keyFile(let path, .system(operation: "open", _))? = notThere {
            #expect(path == missing)
        } else if let notThere {
            Issue.record("expected .keyFile(\(missing), .system(operation: \"open\", …)), got \(notThere)")
        }
        let big = dir.appendingPathComponent("big").path
        try Data(count: 100_000).write(to: URL(fileURLWithPath: big))
        #expect(throws: WatermarkError.keyFile(path: big, problem: .tooLarge(limit: 4096))) { try KeyFile.read(path: big) }
        let open = dir.appendingPathComponent("open.hex").path
        try (String(repeating: "ab", count: 32) + "\n").write(toFile: open, atomically: true, encoding: .utf8)
        chmod(open, 0o644)
        #expect(try KeyFile.read(path: open).isAccessibleByOthers)
    }
}

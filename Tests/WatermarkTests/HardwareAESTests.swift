import Testing
import TestSupport
import CryptoSupport
import Watermark

/// The AES-instruction block against FIPS 197's example and against OpenSSL, which stays the
/// reference; and the partition's hardware score against the independent vectors.
@Suite("AES with the CPU's instructions", .enabled(if: HardwareAES.isAvailable, "this CPU has no AES instructions: OpenSSL is used instead"))
struct HardwareAESTests {
    @Test func fips197AppendixC1() {
        let key = [UInt8](hex: "000102030405060708090a0b0c0d0e0f")!
        let plain = [UInt8](hex: "00112233445566778899aabbccddeeff")!
        #expect(HardwareAES.encrypt(key: key, block: plain).hexString == "69c4e0d86a7b0430d8cdb78070b4c55a")
    }

    @Test func agreesWithOpenSSLOnRandomKeysAndCounters() throws {
        var rng = SeededGenerator(seed: 197)
        let openssl = try AESBlock()
        let out = UnsafeMutableRawBufferPointer.allocate(byteCount: 16, alignment: 16)
        defer { out.deallocate() }
        for round in 0..<20_000 {
            let key = (0..<16).map { _ in UInt8.random(in: 0...255, using: &rng) }
            // Tokens over the whole 32-bit range: the counter block is token / 8.
            let token = round < 16 ? UInt32(round) : UInt32.random(in: .min ... .max, using: &rng)
            try key.withUnsafeBytes { k in try openssl.encryptCounter(key: k, block: UInt64(token / 8), into: out) }
            let expected = UInt32(out[Int(token % 8) * 2]) | UInt32(out[Int(token % 8) * 2 + 1]) << 8
            let got = key.withUnsafeBytes { HardwareAES.score(key: $0.baseAddress!, token: token) }
            if got != expected {
                Issue.record("round \(round): token \(token) scored \(got), OpenSSL \(expected)")
                return
            }
            var counter = [UInt8](repeating: 0, count: 16)
            for i in 0..<4 { counter[12 + i] = UInt8(truncatingIfNeeded: (token / 8) >> (24 - 8 * i)) }
            #expect(HardwareAES.encrypt(key: key, block: counter) == Array(out))
        }
    }

    @Test(arguments: GreenlistVectors.partition)
    func partitionVectors(_ c: GreenlistVectors.PartitionCase) throws {
        let key = try WatermarkKey(bytes: #require([UInt8](hex: c.key)))
        let partition = try GreenListPartition(key: key, parameters: try SchemeParameters(gamma: c.gamma, contextWidth: c.contextWidth))
        let seedKey = UnsafeMutableRawPointer.allocate(byteCount: 16, alignment: 16)
        defer { seedKey.deallocate() }
        try c.context.withUnsafeBufferPointer { try partition.seedKey(afterContext: $0, into: seedKey) }
        #expect(Array(UnsafeRawBufferPointer(start: seedKey, count: 16)).hexString == String(c.seed.prefix(32)))
        for (token, expected) in c.firstScores.enumerated() {
            #expect(GreenListPartition.hardwareScore(of: UInt32(token), seedKey: seedKey) == UInt32(expected), "token \(token)")
        }
        for (id, expected) in zip(c.probeIds, c.probeScores) {
            #expect(GreenListPartition.hardwareScore(of: id, seedKey: seedKey) == expected, "probe \(id)")
        }
    }
}

import Testing
import TestSupport
@testable import Detection
import Watermark

/// The context cache's two layouts (the CPU's AES instructions over a flat table of seed keys,
/// and OpenSSL cipher contexts) against the partition's own uncached score, through enough
/// distinct contexts that every slot is re-keyed many times.
@Suite("context cache")
struct ContextCacheTests {
    @Test(arguments: [1, 3, 8])
    func bothLayoutsGiveThePartitionsScore(h: Int) throws {
        var rng = SeededGenerator(seed: UInt64(900 + h))
        let key = try seededKey(&rng)
        let partition = try GreenListPartition(key: key, parameters: SchemeParameters(contextWidth: h))
        let reference = try GreenListPartition(key: key, parameters: SchemeParameters(contextWidth: h))
        var layouts = [try ContextCache(partition: partition, hardware: false)]
        if GreenListPartition.hasHardwareScore { layouts.append(try ContextCache(partition: partition, hardware: true)) }
        let context = UnsafeMutableBufferPointer<UInt32>.allocate(capacity: h)
        defer { context.deallocate() }
        for round in 0..<40_000 {
            // Zero contexts first (the flat table starts filled with theirs), then a small
            // alphabet so that contexts repeat and hit, then ids up to 2^32 - 1.
            for i in 0..<h {
                context[i] = round < 50 ? 0 : round % 3 == 0 ? UInt32.random(in: .min ... .max, using: &rng)
                                                              : UInt32.random(in: 0..<40, using: &rng)
            }
            let token = round % 5 == 0 ? UInt32.random(in: .min ... .max, using: &rng) : UInt32.random(in: 0..<49_152, using: &rng)
            let expected = try reference.score(of: token, afterContext: UnsafeBufferPointer(context))
            for cache in layouts {
                let got = try cache.score(of: token, after: context, partition: partition)
                if got != expected {
                    Issue.record("round \(round): context \(Array(context)) token \(token): \(got), expected \(expected)")
                    return
                }
            }
        }
    }
}

import Dispatch
import Foundation
import Synchronization
import Testing
import TestSupport
import Detection
import Watermark

@Suite("shared tuple verdict cache")
struct TupleVerdictCacheTests {
    /// Threads racing on a tiny table (every slot contended and overwritten) still give the
    /// uncached answers, document by document, for watermarked and random text.
    @Test func racingThreadsOnATinyTableGiveTheUncachedAnswers() throws {
        var rng = SeededGenerator(seed: 14)
        let key = try seededKey(&rng)
        let parameters = SchemeParameters.defaults
        var documents: [[UInt32]] = []
        for i in 0..<120 {
            documents.append(i % 3 == 0 ? try watermarkedIDs(150, key: key, parameters: parameters, rng: &rng)
                                        : (0..<150).map { _ in UInt32.random(in: 0..<512, using: &rng) })  // small vocabulary: many repeats
        }
        let reference = try Detector(keys: [key], parameters: parameters)
        let expected = try documents.map { try reference.detect($0) }
        let cache = TupleVerdictCache(slotsPerKey: 1024)
        let results = Mutex([Int: DetectionResult]())
        let failures = Mutex(0)
        let docs = documents
        DispatchQueue.concurrentPerform(iterations: 4) { worker in
            guard let detector = try? Detector(keys: [key], parameters: parameters, tupleCache: cache) else {
                failures.withLock { $0 += 1 }
                return
            }
            for pass in 0..<3 {
                for (i, ids) in docs.enumerated() where (i + worker + pass) % 2 == 0 {
                    guard let r = try? detector.detect(ids) else { failures.withLock { $0 += 1 }; continue }
                    results.withLock { all in
                        if let seen = all[i], seen.green != r.green || seen.scored != r.scored { all[-1 - i] = r } else { all[i] = r }
                    }
                }
            }
        }
        #expect(failures.withLock { $0 } == 0)
        let got = results.withLock { $0 }
        for (i, e) in expected.enumerated() {
            #expect(got[i]?.green == e.green && got[i]?.scored == e.scored && got[i]?.log10p == e.log10p, "document \(i)")
            #expect(got[-1 - i] == nil, "document \(i) differed between passes")
        }
        #expect(cache.hits > 0 && cache.lookups > cache.hits)
    }

    /// Ids on both sides of 2^20 (the largest the one-word encoding takes) and tuples that
    /// share a slot: the cached answers are the uncached ones, and only cacheable tuples are
    /// looked up.
    @Test func idsAroundTheEncodingsLimitAreExact() throws {
        var rng = SeededGenerator(seed: 16)
        let key = try seededKey(&rng)
        let reference = try Detector(keys: [key], parameters: .defaults)
        let cache = TupleVerdictCache(slotsPerKey: 1024)
        let cached = try Detector(keys: [key], parameters: .defaults, tupleCache: cache)
        let edge: UInt32 = 1 << 20
        var expectedLookups = 0
        for _ in 0..<40 {
            let ids = (0..<300).map { _ in UInt32.random(in: (edge - 200)..<(edge + 200), using: &rng) }
            let plain = try reference.detect(ids)
            for _ in 0..<2 {
                let r = try cached.detect(ids)
                #expect(r.green == plain.green && r.scored == plain.scored && r.log10p == plain.log10p)
            }
            var seen = Set<UInt64>()
            for (c, t) in zip(ids, ids.dropFirst()) where seen.insert(UInt64(c) << 32 | UInt64(t)).inserted && (c | t) < edge {
                expectedLookups += 2
            }
        }
        #expect(cache.lookups == expectedLookups && cache.hits > 0)
    }

    @Test func widerContextsAndSeveralKeysAreScoredAsWithoutTheCache() throws {
        var rng = SeededGenerator(seed: 15)
        let keys = [try seededKey(&rng), try seededKey(&rng)]
        for h in [1, 2, 4] {
            let parameters = try SchemeParameters(gamma: 0.5, contextWidth: h)
            let ids = try watermarkedIDs(200, key: keys[1], parameters: parameters, after: Array(repeating: 1, count: h), rng: &rng)
            let plain = try Detector(keys: keys, parameters: parameters).detect(ids)
            let cache = TupleVerdictCache()
            let cached = try Detector(keys: keys, parameters: parameters, tupleCache: cache)
            for _ in 0..<2 {
                let r = try cached.detect(ids)
                #expect(r.green == plain.green && r.keyID == plain.keyID && r.log10pAdjusted == plain.log10pAdjusted && r.keys == plain.keys)
            }
            #expect((cache.lookups > 0) == (h == 1))  // only one-token contexts are cached
        }
    }
}

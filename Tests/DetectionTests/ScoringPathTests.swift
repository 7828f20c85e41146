import Testing
import TestSupport
import Detection
import Watermark

/// At h = 1 without per-token statuses the scorer runs its own loop (the context in a
/// register, counts in locals); with attribution it runs the general one. Both must count
/// the same tuples the same way, however the tokens arrive.
@Suite("h = 1 scoring loop against the general loop")
struct ScoringPathTests {
    @Test func bothLoopsCountTheSameWithAndWithoutCachesListsAndDeduplication() throws {
        var rng = SeededGenerator(seed: 91)
        let key = try seededKey(&rng)
        let parameters = SchemeParameters.defaults
        var documents: [[UInt32]] = [[], [7], [7, 7], [7, 7, 7, 7]]
        for i in 0..<60 {
            documents.append(i % 2 == 0 ? try watermarkedIDs(80 + i, key: key, parameters: parameters, rng: &rng)
                                        : (0..<(40 + 3 * i)).map { _ in UInt32.random(in: 0..<64, using: &rng) })  // many repeats
        }
        var builder = try CommonTuplesBuilder(contextWidth: 1)
        for doc in documents.suffix(40) { builder.add(document: doc) }
        let common = try builder.build(minimumDocumentFraction: 0.1,
                                       tokenizer: .init(fingerprint: String(repeating: "0", count: 64), name: "test ids"),
                                       normalization: "none")
        #expect(!common.tuples.isEmpty)
        for deduplicate in [true, false] {
            for list in [nil, common] {
                for shared in [false, true] {
                    var fast = DetectionOptions(), general = DetectionOptions()
                    fast.deduplicate = deduplicate
                    fast.commonTuples = list
                    general = fast
                    general.attribution = true  // per-token statuses: the general loop
                    let cache = shared ? TupleVerdictCache(slotsPerKey: 1024) : nil
                    let a = try Detector(keys: [key], parameters: parameters, options: fast, tupleCache: cache)
                    let b = try Detector(keys: [key], parameters: parameters, options: general, tupleCache: cache)
                    for (i, ids) in documents.enumerated() {
                        let x = try a.detect(ids), y = try b.detect(ids)
                        let label = "document \(i), deduplicate \(deduplicate), list \(list != nil), cache \(shared)"
                        #expect(x.tokens == y.tokens && x.scored == y.scored && x.green == y.green, "\(label)")
                        #expect(x.commonSkipped == y.commonSkipped && x.log10p == y.log10p, "\(label)")
                        // Fed in uneven pieces, through one session: the context carries over.
                        let session = a.makeSession()
                        var start = 0
                        while start < ids.count {
                            let end = min(ids.count, start + Int.random(in: 1...9, using: &rng))
                            try session.append(contentsOf: ids[start..<end])
                            start = end
                        }
                        let z = session.finish()
                        #expect(z.tokens == x.tokens && z.scored == x.scored && z.green == x.green && z.commonSkipped == x.commonSkipped,
                                "\(label), in pieces")
                    }
                }
            }
        }
    }
}

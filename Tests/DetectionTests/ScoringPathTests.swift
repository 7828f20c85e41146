import Testing
import TestSupport
@testable import Detection
import Watermark

/// At h = 1 without per-token statuses the scorer runs its own loop (the context in a
/// register, counts in locals); with attribution it runs the general one. Both must count
/// the same tuples the same way, however the tokens arrive.
@Suite("h = 1 scoring loop against the general loop")
struct ScoringPathTests {
    /// The document fed through one session in pieces of random sizes.
    private static func inPieces(_ ids: [UInt32], of sizes: ClosedRange<Int>, to detector: Detector,
                                 rng: inout SeededGenerator) throws -> DetectionResult {
        let session = detector.makeSession()
        var start = 0
        while start < ids.count {
            let end = min(ids.count, start + Int.random(in: sizes, using: &rng))
            try session.append(contentsOf: ids[start..<end])
            start = end
        }
        return session.finish()
    }

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
                        let z = try Self.inPieces(ids, of: 1...9, to: a, rng: &rng)
                        #expect(z.tokens == x.tokens && z.scored == x.scored && z.green == x.green && z.commonSkipped == x.commonSkipped,
                                "\(label), in pieces")
                    }
                }
            }
        }
    }

    /// The C loop's hand-backs: a set that fills up while a long document arrives in pieces
    /// (it is sized only from the first piece), ids of 2^20 and more (the verdict table cannot
    /// hold them), and contexts new to the seed table, against the general loop.
    @Test func handBacksOfTheCLoopCountTheSame() throws {
        var rng = SeededGenerator(seed: 92)
        let key = try seededKey(&rng)
        var documents: [[UInt32]] = []
        for i in 0..<6 {
            let range: ClosedRange<UInt32> = i % 2 == 0 ? 0...50_000 : 1_048_000...1_049_000
            documents.append((0..<(3_000 + 1_000 * i)).map { _ in UInt32.random(in: range, using: &rng) })
        }
        var fast = DetectionOptions(), general = DetectionOptions()
        general.attribution = true
        fast.deduplicate = true
        let cache = TupleVerdictCache(slotsPerKey: 1024)
        let a = try Detector(keys: [key], parameters: .defaults, options: fast, tupleCache: cache)
        let b = try Detector(keys: [key], parameters: .defaults, options: general, tupleCache: cache)
        // This machine runs the C loop (x86-64 with AES-NI); elsewhere both are the Swift loops.
        #expect(TupleScorer.scanAvailable == GreenListPartition.hasHardwareScore)
        for (i, ids) in documents.enumerated() {
            let y = try b.detect(ids)
            let x = try Self.inPieces(ids, of: 1...300, to: a, rng: &rng)
            #expect(x.tokens == y.tokens && x.scored == y.scored && x.green == y.green && x.log10p == y.log10p, "document \(i)")
        }
    }

    /// The C loop and the Swift loops read and write the shared verdict table in one layout:
    /// what one stores, the other finds. (Answers would stay right if they disagreed, since a
    /// word names its tuple, but every lookup across the two would miss.)
    @Test func bothLoopsShareTheVerdictTablesLayout() throws {
        var rng = SeededGenerator(seed: 93)
        let key = try seededKey(&rng)
        let ids = (0..<400).map { _ in UInt32.random(in: 0..<60_000, using: &rng) }
        var general = DetectionOptions()
        general.attribution = true  // per-token statuses: the Swift loop
        for cFirst in [true, false] {
            let cache = TupleVerdictCache()  // 2^16 slots: few of these 400 tuples share one
            let c = try Detector(keys: [key], parameters: .defaults, tupleCache: cache)
            let swift = try Detector(keys: [key], parameters: .defaults, options: general, tupleCache: cache)
            let (first, second) = cFirst ? (c, swift) : (swift, c)
            _ = try first.detect(ids)
            #expect(cache.hits == 0, "a fresh table, distinct tuples")
            let lookups = cache.lookups
            _ = try second.detect(ids)
            let found = cache.hits, asked = cache.lookups - lookups
            #expect(asked == lookups && Double(found) >= 0.95 * Double(asked), "C first: \(cFirst), \(found) of \(asked)")
        }
    }
}

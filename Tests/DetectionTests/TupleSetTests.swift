import Testing
@testable import Detection
import TestSupport

/// `TupleSet` against Swift's `Set`: documents of random sizes, one after another in recycled
/// memory (a long one leaving a big table to short ones), sized up front or not, through
/// `insert` and through a cursor, with the zero key and repeats mixed in.
@Suite("tuple set")
struct TupleSetTests {
    @Test("same answers as Set, in recycled, reserved and cursor use")
    func matchesSet() {
        var random = SeededGenerator(seed: 0x7E57_5E7)
        let recycler = TupleSet.Recycler(limit: 1)
        for document in 0..<300 {
            // Mostly short documents, now and then one long enough to grow the kept table.
            let length = document % 37 == 5 ? Int(random.next() % 40_000) : Int(random.next() % 3_000)
            // Few distinct values, so that repeats are common; the zero key now and then.
            let spread = UInt64(1 + random.next() % 4_000)
            var set = TupleSet(reusing: recycler)
            if document % 3 == 0 { set.reserve(length) }
            var reference = Set<UInt64>()
            let throughCursor = document % 2 == 1
            var cursor = set.cursor()
            for _ in 0..<length {
                let key = random.next() % 50 == 0 ? 0 : (random.next() % spread) << 32 | random.next() % 7
                let inserted: Bool
                if throughCursor {
                    if cursor.isFull { cursor = set.grown(cursor) }
                    inserted = cursor.insert(key)
                } else {
                    inserted = set.insert(key)
                }
                #expect(inserted == reference.insert(key).inserted, "document \(document)")
            }
            if throughCursor { set.update(from: cursor) }
            #expect(set.count == reference.count, "document \(document)")
            set.recycle(into: recycler)
        }
    }
}

import Foundation
import Synchronization
import Testing
import TestSupport
@testable import Detection

/// `OrderedParallel` is how detect, calibrate and common-tuples use every core: whatever the
/// thread count, window and order in which workers finish, every item's result comes back
/// once, in input order, with no more than the window in flight, and an error stops the walk.
@Suite("ordered parallel walk")
struct OrderedParallelTests {
    /// Work that takes an uneven time, so that results finish out of order: x * 3, after a
    /// spin whose length depends on x (its value goes into the worker's state, so it stays).
    private static func work(_ x: Int, _ noise: inout UInt64) -> Int {
        var h = UInt64(truncatingIfNeeded: x) &* 0x9E37_79B9_7F4A_7C15
        for _ in 0..<Int(h % 2_000) { h = h &* 6_364_136_223_846_793_005 &+ 1 }
        noise ^= h
        return x * 3
    }

    private final class Count: Sendable {
        let value = Atomic<Int>(0)
    }

    @Test(arguments: [1, 2, 3, 4])
    func everyResultComesBackOnceInOrderWithinTheWindow(threads: Int) throws {
        for window in [nil, 1, 2, 3, 7, 64] as [Int?] {
            for count in [0, 1, 2, 5, 31, 1_000] {
                let limit = max(threads, window ?? threads * 16)
                var submitted = 0, consumed: [Int] = [], mostInFlight = 0
                let states = Count()
                try OrderedParallel.run(
                    threads: threads, window: window,
                    state: { states.value.add(1, ordering: .relaxed); return UInt64(0) },
                    produce: { submit in
                        for i in 0..<count {
                            try submit(i)
                            submitted += 1
                            mostInFlight = max(mostInFlight, submitted - consumed.count)
                        }
                    },
                    work: { (noise: inout UInt64, x: Int) -> Int in Self.work(x, &noise) },
                    consume: { consumed.append($0) })
                let label = "threads \(threads), window \(String(describing: window)), \(count) items"
                #expect(consumed == (0..<count).map { $0 * 3 }, "\(label)")
                #expect(mostInFlight <= limit, "\(label): \(mostInFlight) in flight, window \(limit)")
                // One state a worker (the caller's own with one thread).
                #expect(states.value.load(ordering: .relaxed) == threads, "\(label)")
            }
        }
    }

    private struct Stop: Error, Equatable { let at: Int }

    @Test(arguments: [1, 2, 4])
    func anErrorFromConsumeOrProduceStopsTheWalk(threads: Int) {
        var consumed = 0
        #expect(throws: Stop(at: 50)) {
            try OrderedParallel.run(threads: threads, state: { () }, produce: { submit in
                for i in 0..<10_000 { try submit(i) }
            }, work: { (_: inout Void, x: Int) in x }, consume: { x in
                if x == 50 { throw Stop(at: 50) }
                consumed += 1
            })
        }
        #expect(consumed == 50, "results after the error are not consumed")
        var seen: [Int] = []
        #expect(throws: Stop(at: 7)) {
            try OrderedParallel.run(threads: threads, state: { () }, produce: { submit in
                for i in 0..<100 {
                    if i == 7 { throw Stop(at: 7) }
                    try submit(i)
                }
            }, work: { (_: inout Void, x: Int) in x }, consume: { seen.append($0) })
        }
        #expect(seen == Array(0..<seen.count) && seen.count <= 7, "\(seen)")
    }
}

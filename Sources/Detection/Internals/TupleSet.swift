/// A set of 64-bit tuple keys with open addressing and linear probing.
///
/// De-duplication inserts once per token, so this sits on the detector's hot path; Swift's
/// `Set` spends most of its time in its seeded SipHash. Keys here are already well mixed (or,
/// for h = 1, small and are mixed once), so a multiply-shift index is enough.
///
/// `~Copyable`: the table has one owner, which frees it when it goes away; a copy could free it
/// twice or keep using it after.
struct TupleSet: ~Copyable {
    private var slots: UnsafeMutablePointer<UInt64>
    private var capacity: Int       // a power of two
    private(set) var count = 0
    private var containsZero = false  // 0 marks an empty slot, so the key 0 is tracked apart

    init(minimumCapacity: Int = 1024) {
        var c = 16
        while c < minimumCapacity * 2 { c <<= 1 }
        capacity = c
        slots = .allocate(capacity: c)
        slots.initialize(repeating: 0, count: c)
    }

    /// An empty set in the memory of an earlier one (``Recycler``), or a new one.
    init(reusing recycler: Recycler?) {
        if let (slots, capacity) = recycler?.take() {
            self.slots = slots
            self.capacity = capacity
        } else {
            capacity = 2048
            slots = .allocate(capacity: capacity)
            slots.initialize(repeating: 0, count: capacity)
        }
    }

    deinit { slots.deallocate() }

    /// Hands the table's memory to `recycler`, cleared, and keeps a minimal table of its own.
    mutating func recycle(into recycler: Recycler) {
        guard capacity <= Recycler.largestKept, !recycler.isFull else { return }
        // The whole table is cleared: tracking the used slots would cost on every insert, and a
        // memset of a kept table (at most 2^16 slots) is microseconds against a document's scoring.
        slots.update(repeating: 0, count: capacity)
        recycler.put(slots, capacity: capacity)
        capacity = 16
        slots = .allocate(capacity: 16)
        slots.initialize(repeating: 0, count: 16)
        count = 0
        containsZero = false
    }

    /// Cleared tables kept between the documents of one detector, so that each document's
    /// de-duplication starts in memory that is already allocated, sized and in cache instead of
    /// allocating, zeroing and growing a new table (measured at about 2% of corpus detection).
    /// Not thread-safe: one per detector, which is used from one thread.
    final class Recycler {
        /// Tables larger than this (from a very long document) are freed, not kept.
        static let largestKept = 1 << 16
        private var free: [(UnsafeMutablePointer<UInt64>, Int)] = []
        private let limit: Int

        /// - Parameter limit: tables kept at most (one per key a detector scores under suffices).
        init(limit: Int) { self.limit = limit }

        deinit { for (slots, _) in free { slots.deallocate() } }

        var isFull: Bool { free.count >= limit }
        func put(_ slots: UnsafeMutablePointer<UInt64>, capacity: Int) { free.append((slots, capacity)) }
        func take() -> (UnsafeMutablePointer<UInt64>, Int)? { free.popLast() }
    }

    /// Inserts `key`; returns false if it was already present.
    mutating func insert(_ key: UInt64) -> Bool {
        if key == 0 {
            defer { containsZero = true }
            if containsZero { return false }
            count += 1
            return true
        }
        if (count + 1) * 2 > capacity { grow() }
        let mask = capacity - 1
        var i = TupleKey.slot(key, mask: mask)
        while true {
            let existing = slots[i]
            if existing == key { return false }
            if existing == 0 {
                slots[i] = key
                count += 1
                return true
            }
            i = (i + 1) & mask
        }
    }

    private mutating func grow() {
        let old = slots, oldCapacity = capacity
        capacity *= 2
        slots = .allocate(capacity: capacity)
        slots.initialize(repeating: 0, count: capacity)
        let mask = capacity - 1
        for j in 0..<oldCapacity where old[j] != 0 {
            var i = TupleKey.slot(old[j], mask: mask)
            while slots[i] != 0 { i = (i + 1) & mask }
            slots[i] = old[j]
        }
        old.deallocate()
    }
}

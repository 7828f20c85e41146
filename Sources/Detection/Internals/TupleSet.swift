internal import CBlockCipher

/// A set of 64-bit tuple keys with open addressing and linear probing.
///
/// De-duplication inserts once per token, so this sits on the detector's hot path; Swift's
/// `Set` spends most of its time in its seeded SipHash. Keys here are already well mixed (or,
/// for h = 1, small and are mixed once), so a multiply-shift index is enough.
///
/// The table probes only the first `capacity` slots of the memory it holds (`allocated`), so
/// memory kept from a long document (``Recycler``) does not spread a short document's probes,
/// and its clearing, over the whole of it: every slot past `capacity` is always zero.
///
/// `~Copyable`: the table has one owner, which frees it when it goes away; a copy could free it
/// twice or keep using it after.
struct TupleSet: ~Copyable {
    private var slots: UnsafeMutablePointer<UInt64>
    /// Slots of memory held, and slots in use by the probe (powers of two, capacity ≤ allocated).
    private var allocated: Int
    private var capacity: Int
    private(set) var count = 0
    private var containsZero = false  // 0 marks an empty slot, so the key 0 is tracked apart
    private static let smallest = 16
    static let largestReserved = 1 << 20

    /// An empty set in the memory of an earlier one (``Recycler``), or a new one.
    init(reusing recycler: Recycler?) {
        if let (slots, allocated) = recycler?.take() {
            self.slots = slots
            self.allocated = allocated
            capacity = min(allocated, 2048)
        } else {
            capacity = 2048
            allocated = capacity
            slots = .allocate(capacity: capacity)
            slots.initialize(repeating: 0, count: capacity)
        }
    }

    deinit { slots.deallocate() }

    /// Sizes an empty set for up to `expected` keys at once (a document's token count is an
    /// upper bound on its distinct tuples), so that it does not grow step by step; a set that
    /// is not empty is left as it is. Beyond ``largestReserved`` slots it grows as keys come:
    /// a long but repetitive text has far fewer distinct tuples than tokens.
    mutating func reserve(_ expected: Int) {
        guard count == 0, !containsZero, expected > 0 else { return }
        var wanted = Self.smallest
        while wanted < expected * 2 && wanted < Self.largestReserved { wanted <<= 1 }
        guard wanted > capacity else { return }
        if wanted <= allocated {
            capacity = wanted  // the slots past the old capacity are already zero
        } else {
            slots.deallocate()
            slots = .allocate(capacity: wanted)
            slots.initialize(repeating: 0, count: wanted)
            capacity = wanted
            allocated = wanted
        }
    }

    /// Hands the table's memory to `recycler`, cleared, and keeps a minimal table of its own.
    mutating func recycle(into recycler: Recycler) {
        guard allocated <= Recycler.largestKept, !recycler.isFull else { return }
        // Only the probed prefix can hold keys; it is cleared whole, since tracking the used
        // slots would cost on every insert.
        slots.update(repeating: 0, count: capacity)
        recycler.put(slots, capacity: allocated)
        capacity = Self.smallest
        allocated = Self.smallest
        slots = .allocate(capacity: Self.smallest)
        slots.initialize(repeating: 0, count: Self.smallest)
        count = 0
        containsZero = false
    }

    /// Cleared tables kept between the documents of one detector, so that each document's
    /// de-duplication starts in memory that is already allocated and in cache instead of
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

    /// The probe's state as a plain value, for a loop that keeps it in registers: through the
    /// set itself (an `inout` struct behind a class) every insert reloaded and stored its fields,
    /// since a store into the table might, as far as the compiler knows, alias them. The loop
    /// gives it back with ``update(from:)``, or ``grown(_:)`` when it is full.
    struct Cursor {
        fileprivate let slots: UnsafeMutablePointer<UInt64>
        fileprivate let mask: Int
        /// The count at which the table must grow before the next insert.
        fileprivate let limit: Int
        fileprivate(set) var count: Int
        fileprivate var containsZero: Bool

        var isFull: Bool { count >= limit }

        /// The cursor in `wm_tuple_scan`'s state (tuple_scan.h), which inserts as ``insert(_:)``.
        func export(into state: inout wm_tuple_scan_state) {
            state.set_slots = slots
            state.set_mask = mask
            state.set_limit = limit
            state.set_count = count
            state.set_has_zero = containsZero ? 1 : 0
        }

        /// Takes back what `wm_tuple_scan` inserted.
        mutating func take(from state: wm_tuple_scan_state) {
            count = state.set_count
            containsZero = state.set_has_zero != 0
        }

        /// ``TupleSet/insert(_:)``, on a table that is not full.
        @inline(__always)
        mutating func insert(_ key: UInt64) -> Bool {
            if key == 0 {
                defer { containsZero = true }
                if containsZero { return false }
                count &+= 1
                return true
            }
            var i = TupleKey.slot(key, mask: mask)
            while true {
                let existing = slots[i]
                if existing == key { return false }
                if existing == 0 {
                    slots[i] = key
                    count &+= 1
                    return true
                }
                i = (i &+ 1) & mask
            }
        }

        @inline(__always)
        func prefetch(_ key: UInt64) { wm_prefetch(slots + TupleKey.slot(key, mask: mask)) }
    }

    /// The probe's state now; valid until the set is changed other than through it.
    func cursor() -> Cursor {
        // The limit keeps the table at most half full, as ``insert(_:)`` does.
        Cursor(slots: slots, mask: capacity - 1, limit: capacity / 2, count: count, containsZero: containsZero)
    }

    /// Takes back what a cursor inserted.
    mutating func update(from cursor: Cursor) {
        count = cursor.count
        containsZero = cursor.containsZero
    }

    /// Takes back a full cursor's inserts, grows, and gives a cursor on the bigger table.
    mutating func grown(_ cursor: Cursor) -> Cursor {
        update(from: cursor)
        grow()
        return self.cursor()
    }

    /// Starts loading the slot where `key` would be probed first, ahead of its ``insert(_:)``.
    @inline(__always)
    func prefetch(_ key: UInt64) { wm_prefetch(slots + TupleKey.slot(key, mask: capacity - 1)) }

    /// Inserts `key`; returns false if it was already present.
    @inline(__always)
    mutating func insert(_ key: UInt64) -> Bool {
        var cursor = self.cursor()
        if cursor.isFull { cursor = grown(cursor) }
        defer { update(from: cursor) }
        return cursor.insert(key)
    }

    private mutating func grow() {
        let oldCapacity = capacity
        let old: UnsafeMutablePointer<UInt64>
        if oldCapacity * 2 <= allocated {
            // Doubling inside the memory held: the keys are copied out, the doubled prefix
            // cleared, and the keys put back.
            old = .allocate(capacity: oldCapacity)
            old.initialize(from: slots, count: oldCapacity)
            slots.update(repeating: 0, count: oldCapacity)
        } else {
            old = slots
            allocated = oldCapacity * 2
            slots = .allocate(capacity: allocated)
            slots.initialize(repeating: 0, count: allocated)
        }
        capacity = oldCapacity * 2
        let mask = capacity - 1
        for j in 0..<oldCapacity where old[j] != 0 {
            var i = TupleKey.slot(old[j], mask: mask)
            while slots[i] != 0 { i = (i + 1) & mask }
            slots[i] = old[j]
        }
        old.deallocate()
    }
}

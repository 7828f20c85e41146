import Synchronization
import Watermark

/// Green-or-red verdicts of (context, token) tuples, per key, shared by every thread that
/// scores with the same keys: on a corpus the same common tuples come back again and again,
/// and a hit costs one hash and one atomic load instead of an AES block.
///
/// Each key's table is direct-mapped and fixed in size (8 bytes a slot, allocated once), so
/// memory is bounded whatever the corpus. A slot holds the whole tuple and its verdict in one
/// 64-bit word, read and written atomically without a lock: a reader sees either the slot's
/// old tuple or its new one, whole, and a hit is only taken when the stored tuple is exactly
/// the one asked about, so answers are bit-identical to scoring without the cache (the
/// detection vectors run both ways). Writers racing on a slot just leave one of their
/// tuples, each correct.
///
/// The exact one-word encoding needs a one-token context (h = 1, the default) and token ids
/// below 2³¹ − 1; other tuples are scored as without the cache.
public final class TupleVerdictCache: Sendable {
    /// Slots per key.
    public let slotsPerKey: Int
    private let tables = Mutex<[TableKey: Table]>([:])
    private let hitCount = Atomic<Int>(0)
    private let lookupCount = Atomic<Int>(0)

    /// Tuples answered from the cache, and tuples looked up, over every document finished so
    /// far by every detector sharing it (counted once per document, not per tuple).
    public var hits: Int { hitCount.load(ordering: .relaxed) }
    public var lookups: Int { lookupCount.load(ordering: .relaxed) }

    func count(hits: Int, lookups: Int) {
        hitCount.wrappingAdd(hits, ordering: .relaxed)
        lookupCount.wrappingAdd(lookups, ordering: .relaxed)
    }

    private struct TableKey: Hashable {
        let keyID: String
        let greenThreshold: UInt32
    }

    /// - Parameter slotsPerKey: rounded up to a power of two; 2²⁰ (8 MiB a key) by default.
    public init(slotsPerKey: Int = 1 << 20) {
        var n = 1
        while n < max(1024, slotsPerKey) { n <<= 1 }
        self.slotsPerKey = n
    }

    /// The table for one partition, made on first use (once per key, not per tuple).
    func table(for partition: GreenListPartition) -> Table? {
        guard partition.parameters.contextWidth == 1 else { return nil }
        let key = TableKey(keyID: partition.keyID, greenThreshold: partition.parameters.greenThreshold)
        return tables.withLock { all in
            if let existing = all[key] { return existing }
            let made = Table(slots: slotsPerKey)
            all[key] = made
            return made
        }
    }

    /// One key's slots. Sendable because every access to the memory is an atomic load or
    /// store; the pointer itself never changes.
    final class Table: @unchecked Sendable {
        private let slots: UnsafeMutablePointer<Atomic<UInt64>>
        private let mask: Int
        /// No tuple encodes to this (it would need token 2³¹ − 1, which is never cached).
        static let empty = UInt64.max

        init(slots count: Int) {
            slots = .allocate(capacity: count)
            for i in 0..<count { (slots + i).initialize(to: Atomic(Self.empty)) }
            mask = count - 1
        }

        deinit {
            slots.deinitialize(count: mask + 1)
            slots.deallocate()
        }

        /// Whether `token` after `context` is cacheable at all.
        @inline(__always) static func cacheable(_ token: UInt32) -> Bool { token < 0x7FFF_FFFF }

        @inline(__always) private static func tuple(_ context: UInt32, _ token: UInt32) -> UInt64 {
            UInt64(context) << 32 | UInt64(token) << 1
        }

        @inline(__always) private func slot(_ tuple: UInt64) -> Int {
            Int(truncatingIfNeeded: (tuple &* 0x9E37_79B9_7F4A_7C15) >> 40) & mask
        }

        /// The cached verdict, or nil.
        @inline(__always) func lookup(context: UInt32, token: UInt32) -> Bool? {
            let t = Self.tuple(context, token)
            let entry = slots[slot(t)].load(ordering: .relaxed)
            return entry & ~1 == t ? entry & 1 == 1 : nil
        }

        @inline(__always) func store(context: UInt32, token: UInt32, green: Bool) {
            let t = Self.tuple(context, token)
            slots[slot(t)].store(t | (green ? 1 : 0), ordering: .relaxed)
        }
    }
}

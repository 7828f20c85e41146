internal import CBlockCipher
internal import SystemSupport
import Synchronization
import Watermark

/// Green-or-red verdicts of (context, token) tuples, per key, shared by every thread that
/// scores with the same keys: on a corpus the same common tuples come back again and again,
/// and a hit costs one multiply and one load instead of an AES block.
///
/// Each key's table is direct-mapped and fixed in size (4 bytes a slot, allocated once), so
/// memory is bounded whatever the corpus. The default, 2¹⁶ slots (256 KiB), stays in a core's
/// L2 cache: measured on real text, a table of 2²⁰ slots hit more often (77% against 67%) but
/// each lookup then missed the CPU caches and cost about what it saved.
///
/// A slot holds the whole tuple and its verdict in one 32-bit word, read and written
/// atomically without a lock: the tuple (context and token each below 2²⁰) is 40 bits, mixed by
/// a bijection (a multiply by an odd constant mod 2⁴⁰) whose top bits pick the slot and whose
/// other bits are stored, so a stored word names exactly one tuple. A reader sees either the
/// slot's old word or its new one, and a hit is only taken when the word names the tuple asked
/// about, so answers are bit-identical to scoring without the cache (the detection vectors
/// run both ways). Writers racing on a slot just leave one of their tuples, each correct.
///
/// The encoding needs a one-token context (h = 1, the default); other tuples, and ids of 2²⁰
/// and above, are scored as without the cache.
public final class TupleVerdictCache: Sendable {
    /// Slots per key.
    public let slotsPerKey: Int
    private let tables = Locked<[TableKey: Table]>([:])
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

    /// - Parameter slotsPerKey: rounded up to a power of two between 2¹⁰ and 2²⁸; 2¹⁶
    ///   (256 KiB a key) by default.
    public static let defaultSlotsPerKey = 1 << 16

    public init(slotsPerKey: Int = defaultSlotsPerKey) {
        var n = 1 << 10
        while n < min(1 << 28, slotsPerKey) { n <<= 1 }
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
        private let slots: UnsafeMutablePointer<Atomic<UInt32>>
        /// log2 of the slot count, and the bits of a mixed tuple left to store.
        private let indexBits: Int, tagBits: UInt64, tagMask: UInt64

        init(slots count: Int) {
            var bits = 0
            while 1 << bits < count { bits += 1 }
            indexBits = bits
            tagBits = UInt64(40 - bits)
            tagMask = (1 << tagBits) - 1
            precondition(tagBits + 2 <= 32, "at least 2^10 slots")
            slots = .allocate(capacity: 1 << bits)
            for i in 0..<(1 << bits) { (slots + i).initialize(to: Atomic(0)) }
        }

        deinit {
            slots.deinitialize(count: 1 << indexBits)
            slots.deallocate()
        }

        /// Whether the tuple can be cached at all.
        @inline(__always) static func cacheable(context: UInt32, token: UInt32) -> Bool { (context | token) < 1 << 20 }

        /// The cached verdict, or nil.
        @inline(__always) func lookup(context: UInt32, token: UInt32) -> Bool? { probe.lookup(context: context, token: token) }

        /// Starts loading the tuple's slot, ahead of its ``lookup(context:token:)``.
        @inline(__always) func prefetch(context: UInt32, token: UInt32) { probe.prefetch(context: context, token: token) }

        @inline(__always) func store(context: UInt32, token: UInt32, green: Bool) {
            probe.store(context: context, token: token, green: green)
        }

        /// The table's memory as a plain value, for a loop that holds the table alive itself:
        /// calling into the class per token cost a retain and a release each time.
        var probe: Probe { Probe(slots: slots, tagBits: tagBits, tagMask: tagMask) }
    }

    /// ``Table``'s lookups without reference counting; valid while its table lives.
    struct Probe {
        fileprivate let slots: UnsafeMutablePointer<Atomic<UInt32>>
        fileprivate let tagBits: UInt64, tagMask: UInt64
        /// The high bit marks a used slot, so the all-zero word is empty.
        private static let used: UInt32 = 1 << 31
        private static let tupleMask: UInt64 = (1 << 40) - 1
        /// Odd, so multiplying by it mod 2⁴⁰ is a bijection.
        private static let mixer: UInt64 = 0x9E_3779_B97F & tupleMask | 1

        /// The slot and the word that names the tuple with `green`'s verdict cleared.
        @inline(__always) private func place(_ context: UInt32, _ token: UInt32) -> (slot: Int, word: UInt32) {
            let mixed = ((UInt64(context) << 20 | UInt64(token)) &* Self.mixer) & Self.tupleMask
            let tag = UInt32(truncatingIfNeeded: mixed & tagMask)
            return (Int(truncatingIfNeeded: mixed &>> tagBits), Self.used | tag &<< 1)
        }

        /// The slots as plain 32-bit words and the tag layout, for `wm_tuple_scan`
        /// (tuple_scan.h), which reads and writes them with relaxed atomics as this type does.
        var scanLayout: (slots: UnsafeMutablePointer<UInt32>, tagBits: UInt32, tagMask: UInt64) {
            (UnsafeMutableRawPointer(slots).assumingMemoryBound(to: UInt32.self), UInt32(tagBits), tagMask)
        }

        @inline(__always) func lookup(context: UInt32, token: UInt32) -> Bool? {
            let (slot, word) = place(context, token)
            let entry = slots[slot].load(ordering: .relaxed)
            return entry & ~1 == word ? entry & 1 == 1 : nil
        }

        @inline(__always) func prefetch(context: UInt32, token: UInt32) {
            wm_prefetch(slots + place(context, token).slot)
        }

        @inline(__always) func store(context: UInt32, token: UInt32, green: Bool) {
            let (slot, word) = place(context, token)
            slots[slot].store(word | (green ? 1 : 0), ordering: .relaxed)
        }
    }
}

internal import CBlockCipher
import Watermark

/// The seeds of recent contexts, in a direct-mapped table: a hit is one hash, one compare and
/// one AES block, with no HMAC; a collision re-keys the slot in place, so the table never
/// allocates after it is made.
///
/// Real text reuses a few thousand contexts (at h = 1, the common tokens), so most tuples hit.
/// The table is owned by a `Detector` and shared by its documents, since short documents
/// alone would rarely hit.
///
/// Two layouts, one answer. Where the CPU has AES instructions a slot is the context and its
/// 16-byte seed key, 48 bytes in one flat table (192 KiB), and a test is one block made on the
/// spot; elsewhere a slot keeps an OpenSSL cipher context already keyed. The flat table stays
/// in cache beside the tokenizer's own tables, where thousands of heap-allocated cipher
/// contexts did not.
final class ContextCache {
    static let slots = 1 << 12
    /// Bytes per slot of the flat table: the context (32) then the seed key (16).
    private static let stride = 48
    private let width: Int
    /// Flat layout: every slot always holds a context and that context's key (filled at first
    /// with the all-zero context's), so a lookup never checks for an empty slot.
    private let table: UnsafeMutableRawPointer?
    private var keys: [SIMD8<UInt32>]
    private var prepared: [PreparedContext?]

    /// - Parameter hardware: use the CPU's AES instructions (when it has them); false keeps
    ///   OpenSSL, which tests use to hold one path to the other.
    init(partition: GreenListPartition, hardware: Bool = GreenListPartition.hasHardwareScore) throws(WatermarkError) {
        width = partition.parameters.contextWidth
        if hardware && GreenListPartition.hasHardwareScore {
            let table = UnsafeMutableRawPointer.allocate(byteCount: Self.slots * Self.stride, alignment: 64)
            let zeros = [UInt32](repeating: 0, count: width)
            let seedKey = UnsafeMutableRawPointer.allocate(byteCount: 16, alignment: 16)
            defer { seedKey.deallocate() }
            do {
                try zeros.withUnsafeBufferPointer { (zero) throws(WatermarkError) in
                    try partition.seedKey(afterContext: zero, into: seedKey)
                }
            } catch {
                table.deallocate()
                throw error
            }
            for slot in 0..<Self.slots {
                let base = table + slot * Self.stride
                base.storeBytes(of: SIMD8<UInt32>.zero, as: SIMD8<UInt32>.self)
                (base + 32).copyMemory(from: seedKey, byteCount: 16)
            }
            self.table = table
            keys = []
            prepared = []
        } else {
            table = nil
            keys = [SIMD8<UInt32>](repeating: .zero, count: Self.slots)
            prepared = [PreparedContext?](repeating: nil, count: Self.slots)
        }
    }

    deinit {
        if let table {
            // Key-derived material: cleared before the memory goes back to the allocator.
            table.initializeMemory(as: UInt8.self, repeating: 0, count: Self.slots * Self.stride)
            table.deallocate()
        }
    }

    /// The slot of a context: its tokens mixed in one at a time, the top bits kept. One
    /// definition, for `score` and `prefetch` alike.
    private static let seedHash: UInt64 = 0x9E37_79B9_7F4A_7C15
    @inline(__always) private static func mix(_ hash: UInt64, _ token: UInt32) -> UInt64 {
        (hash ^ UInt64(token)) &* 0xBF58_476D_1CE4_E5B9
    }
    @inline(__always) private static func slot(_ hash: UInt64) -> Int {
        Int(truncatingIfNeeded: hash >> 52) & (slots - 1)
    }

    /// The flat table and its slot count, for `wm_tuple_scan` (tuple_scan.h), which reads it in
    /// this layout; nil in the OpenSSL layout or for contexts longer than one token.
    var flatTableForOneTokenContexts: (table: UnsafeRawPointer, slots: Int)? {
        guard let table, width == 1 else { return nil }
        return (UnsafeRawPointer(table), Self.slots)
    }

    /// Starts loading the slot of the one-token context `token` (h = 1), ahead of its use.
    @inline(__always)
    func prefetch(contextToken token: UInt32) {
        guard let table else { return }
        let base = table + Self.slot(Self.mix(Self.seedHash, token)) * Self.stride
        wm_prefetch(base)
        wm_prefetch(base + 47)
    }

    /// The score of `token` after `context` (its first `width` entries).
    @inline(__always)
    func score(of token: UInt32, after context: UnsafeMutableBufferPointer<UInt32>,
               partition: GreenListPartition) throws(WatermarkError) -> UInt32 {
        var key = SIMD8<UInt32>.zero
        var hash = Self.seedHash
        for i in 0..<width {
            key[i] = context[i]
            hash = Self.mix(hash, context[i])
        }
        let slot = Self.slot(hash)
        if let table {
            let base = table + slot * Self.stride
            if base.loadUnaligned(as: SIMD8<UInt32>.self) != key {
                try partition.seedKey(afterContext: UnsafeBufferPointer(context), into: base + 32)
                base.storeBytes(of: key, as: SIMD8<UInt32>.self)
            }
            return GreenListPartition.hardwareScore(of: token, seedKey: base + 32)
        }
        return try scoreThroughOpenSSL(token, key: key, slot: slot, context: context, partition: partition)
    }

    private func scoreThroughOpenSSL(_ token: UInt32, key: SIMD8<UInt32>, slot: Int, context: UnsafeMutableBufferPointer<UInt32>,
                                     partition: GreenListPartition) throws(WatermarkError) -> UInt32 {
        if let entry = prepared[slot] {
            if keys[slot] != key {
                try partition.rekey(entry, afterContext: UnsafeBufferPointer(context))
                keys[slot] = key
            }
            return try partition.score(of: token, prepared: entry)
        }
        let entry = try partition.prepareContext(afterContext: UnsafeBufferPointer(context))
        prepared[slot] = entry
        keys[slot] = key
        return try partition.score(of: token, prepared: entry)
    }
}

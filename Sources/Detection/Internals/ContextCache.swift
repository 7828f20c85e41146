import Watermark

/// Keyed AES states of recent contexts, in a direct-mapped table: a hit is one hash, one
/// compare and one AES block, with no HMAC and no key schedule; a collision re-keys the
/// slot's cipher in place, so the table never allocates after it fills.
///
/// Real text reuses a few thousand contexts (at h = 1, the common tokens), so most tuples hit.
/// The table is owned by a `Detector` and shared by its documents, since short documents
/// alone would rarely hit.
final class ContextCache {
    private static let slots = 1 << 12
    private var keys: [SIMD8<UInt32>]
    private var prepared: [PreparedContext?]
    private let width: Int

    init(contextWidth: Int) {
        width = contextWidth
        keys = [SIMD8<UInt32>](repeating: .zero, count: Self.slots)
        prepared = [PreparedContext?](repeating: nil, count: Self.slots)
    }

    /// The score of `token` after `context` (its first `width` entries).
    func score(of token: UInt32, after context: UnsafeMutableBufferPointer<UInt32>,
               partition: GreenListPartition) throws(WatermarkError) -> UInt32 {
        var key = SIMD8<UInt32>.zero
        var hash: UInt64 = 0x9E37_79B9_7F4A_7C15
        for i in 0..<width {
            key[i] = context[i]
            hash = (hash ^ UInt64(context[i])) &* 0xBF58_476D_1CE4_E5B9
        }
        let slot = Int(truncatingIfNeeded: hash >> 52) & (Self.slots - 1)
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

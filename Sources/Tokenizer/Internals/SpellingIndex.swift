/// Token ids by their vocabulary spelling, compared as UTF-8 bytes.
///
/// Loading a tokenizer looks up every vocabulary entry once and every merge rule three times
/// (left, right, and the two joined). Through `[String: UInt32]` that was a third of the load:
/// Swift hashes a `String` by its NFC form, and the joined spelling was a new string per rule.
/// Here a spelling hashes as its bytes (FNV-1a, which can run on across two parts, so the
/// joined form is never built), and equal means byte-equal, as in the reference tokenizers,
/// where `String` equality would also merge canonically equivalent spellings.
struct SpellingIndex {
    /// One entry's fields together, so that a probe that reaches it reads one cache line, not
    /// one from each of four arrays (the load looks up ~150 000 spellings at random).
    private struct Entry {
        var hash: UInt64
        var start: UInt32
        var length: UInt32
        var value: UInt32
    }
    private var bytes: [UInt8] = []
    private var entries: [Entry] = []
    /// Entry index + 1 by slot; 0 is empty.
    private var slots: [Int32]
    private var mask: Int

    init(capacity: Int) {
        var n = 16
        while n < capacity * 2 { n <<= 1 }
        slots = [Int32](repeating: 0, count: n)
        mask = n - 1
        entries.reserveCapacity(capacity)
        bytes.reserveCapacity(capacity * 8)
    }

    private static let offsetBasis: UInt64 = 0xCBF2_9CE4_8422_2325
    @inline(__always)
    private static func hash(_ p: UnsafeBufferPointer<UInt8>, from h: UInt64 = offsetBasis) -> UInt64 {
        var h = h
        for b in p { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01B3 }
        return h
    }

    /// The entry count.
    var count: Int { entries.count }

    /// Adds `spelling → value` unless the spelling is already present (the first id wins).
    mutating func insertIfAbsent(_ spelling: String, value: UInt32) {
        var s = spelling
        s.withUTF8 { insertIfAbsent(utf8: $0, value: value) }
    }

    /// ``insertIfAbsent(_:value:)`` for a spelling given as its UTF-8.
    mutating func insertIfAbsent(utf8 p: UnsafeBufferPointer<UInt8>, value: UInt32) {
        // At most half full, so a probe always ends at an empty slot.
        if (entries.count + 1) * 2 > slots.count { grow() }
        let h = Self.hash(p)
        var i = Int(truncatingIfNeeded: h) & mask
        while slots[i] != 0 {
            if matches(Int(slots[i]) - 1, h, p, UnsafeBufferPointer(start: nil, count: 0)) { return }
            i = (i + 1) & mask
        }
        // Offsets are 32-bit: a vocabulary's spellings are far below 4 GiB.
        guard entries.count < Int(Int32.max) - 1, bytes.count + p.count <= Int(UInt32.max) else { return }
        slots[i] = Int32(entries.count + 1)
        entries.append(Entry(hash: h, start: UInt32(bytes.count), length: UInt32(p.count), value: value))
        bytes.append(contentsOf: p)
    }

    private mutating func grow() {
        var bigger = [Int32](repeating: 0, count: slots.count * 2)
        let m = bigger.count - 1
        for (index, entry) in entries.enumerated() {
            var i = Int(truncatingIfNeeded: entry.hash) & m
            while bigger[i] != 0 { i = (i + 1) & m }
            bigger[i] = Int32(index + 1)
        }
        slots = bigger
        mask = m
    }

    /// The value of `spelling`, or nil.
    func find(_ spelling: String) -> UInt32? { find(spelling, "") }

    /// The value of `first` and `second` joined, or nil; the joined string is never made.
    func find(_ first: String, _ second: String) -> UInt32? {
        var a = first, b = second
        return a.withUTF8 { pa in b.withUTF8 { pb in find(pa, pb) } }
    }

    /// The value of the bytes `first` then `second`, or nil.
    func find(_ first: UnsafeBufferPointer<UInt8>, _ second: UnsafeBufferPointer<UInt8>) -> UInt32? {
        let h = Self.hash(second, from: Self.hash(first))
        var i = Int(truncatingIfNeeded: h) & mask
        while slots[i] != 0 {
            let entry = Int(slots[i]) - 1
            if matches(entry, h, first, second) { return entries[entry].value }
            i = (i + 1) & mask
        }
        return nil
    }

    @inline(__always)
    private func matches(_ index: Int, _ h: UInt64, _ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Bool {
        let entry = entries[index]
        guard entry.hash == h, Int(entry.length) == a.count + b.count else { return false }
        let start = Int(entry.start)
        return bytes.withUnsafeBufferPointer { stored in
            for k in 0..<a.count where stored[start + k] != a[k] { return false }
            for k in 0..<b.count where stored[start + a.count + k] != b[k] { return false }
            return true
        }
    }
}

/// Fixed-size open-addressing hash tables for the encoder's hot path. They hold raw
/// allocations (freed in `deinit`) so lookups carry no bounds checks or reference counting;
/// they are filled once at load and only read afterwards, which makes sharing them safe.

@inline(__always)
func mix64(_ x: UInt64) -> UInt64 {
    var z = x &* 0x9E37_79B9_7F4A_7C15
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
}

/// A fast non-cryptographic hash of a byte string (8 bytes at a time).
@inline(__always)
func hashBytes(_ p: UnsafePointer<UInt8>, _ n: Int) -> UInt64 {
    var h: UInt64 = 0x243F_6A88_85A3_08D3 ^ UInt64(n)
    var i = 0
    let raw = UnsafeRawPointer(p)
    while i + 8 <= n {
        h = (h ^ raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)) &* 0xBF58_476D_1CE4_E5B9
        h ^= h >> 29
        i += 8
    }
    var tail: UInt64 = 0
    var shift: UInt64 = 0
    while i < n {
        tail |= UInt64(p[i]) << shift
        shift += 8
        i += 1
    }
    h = (h ^ tail) &* 0x94D0_49BB_1331_11EB
    return h ^ (h >> 32)
}

@inline(__always)
func bytesEqual(_ a: UnsafePointer<UInt8>, _ b: UnsafePointer<UInt8>, _ n: Int) -> Bool {
    var i = 0
    let ra = UnsafeRawPointer(a)
    let rb = UnsafeRawPointer(b)
    while i + 8 <= n {
        if ra.loadUnaligned(fromByteOffset: i, as: UInt64.self) != rb.loadUnaligned(fromByteOffset: i, as: UInt64.self)
        {
            return false
        }
        i += 8
    }
    while i < n {
        if a[i] != b[i] { return false }
        i += 1
    }
    return true
}

/// Merge rules: (left id, right id) → (rank, merged id), packed as `rank << 32 | merged`
/// so that the smaller packed value is the higher-priority merge.
final class PairTable: @unchecked Sendable {
    static let none = UInt64.max
    private let keys: UnsafeMutablePointer<UInt64>
    private let values: UnsafeMutablePointer<UInt64>
    private let mask: Int
    let count: Int

    /// Later rules for the same pair replace earlier ones, as a hash map built in order does
    /// in the reference.
    init(_ rules: [(left: UInt32, right: UInt32, rank: UInt32, merged: UInt32)]) {
        var cap = 16
        while cap < rules.count * 2 { cap <<= 1 }
        mask = cap - 1
        keys = .allocate(capacity: cap)
        keys.initialize(repeating: .max, count: cap)
        values = .allocate(capacity: cap)
        values.initialize(repeating: .max, count: cap)
        var n = 0
        for r in rules {
            let key = UInt64(r.left) << 32 | UInt64(r.right)
            var s = Int(truncatingIfNeeded: mix64(key)) & mask
            while keys[s] != .max && keys[s] != key { s = (s + 1) & mask }
            if keys[s] == .max { n += 1 }
            keys[s] = key
            values[s] = UInt64(r.rank) << 32 | UInt64(r.merged)
        }
        count = n
    }

    deinit {
        keys.deallocate()
        values.deallocate()
    }

    @inline(__always)
    func lookup(_ left: UInt32, _ right: UInt32) -> UInt64 {
        let key = UInt64(left) << 32 | UInt64(right)
        var s = Int(truncatingIfNeeded: mix64(key)) & mask
        while true {
            let k = keys[s]
            if k == key { return values[s] }
            if k == .max { return PairTable.none }
            s = (s + 1) & mask
        }
    }
}

/// Byte string → id.
final class ByteStringTable: @unchecked Sendable {
    private struct Slot {
        var hash: UInt64
        var offset: UInt32
        var length: UInt32
        var value: UInt32
    }

    private let slots: UnsafeMutablePointer<Slot>
    private let arena: UnsafeMutablePointer<UInt8>
    private let mask: Int
    let count: Int

    /// Entries with equal bytes keep the first value.
    init(_ entries: [(bytes: [UInt8], value: UInt32)]) {
        var cap = 16
        while cap < entries.count * 2 { cap <<= 1 }
        mask = cap - 1
        let slots = UnsafeMutablePointer<Slot>.allocate(capacity: cap)
        slots.initialize(repeating: Slot(hash: 0, offset: 0, length: 0, value: .max), count: cap)
        self.slots = slots
        let total = entries.reduce(0) { $0 + $1.bytes.count }
        let arena = UnsafeMutablePointer<UInt8>.allocate(capacity: max(total, 1))
        self.arena = arena
        var used = 0
        var n = 0
        for e in entries {
            let len = e.bytes.count
            let at = used
            e.bytes.withUnsafeBufferPointer { b in
                if len > 0 { (arena + at).update(from: b.baseAddress!, count: len) }
            }
            let h = hashBytes(arena + at, len)
            var s = Int(truncatingIfNeeded: h) & mask
            var duplicate = false
            while slots[s].value != .max {
                if slots[s].hash == h && Int(slots[s].length) == len
                    && bytesEqual(arena + Int(slots[s].offset), arena + at, len)
                {
                    duplicate = true
                    break
                }
                s = (s + 1) & mask
            }
            if duplicate { continue }
            slots[s] = Slot(hash: h, offset: UInt32(at), length: UInt32(len), value: e.value)
            used += len
            n += 1
        }
        count = n
    }

    deinit {
        slots.deallocate()
        arena.deallocate()
    }

    @inline(__always)
    func lookup(_ p: UnsafePointer<UInt8>, _ n: Int) -> UInt32? {
        let h = hashBytes(p, n)
        var s = Int(truncatingIfNeeded: h) & mask
        while true {
            let slot = slots[s]
            if slot.value == .max { return nil }
            if slot.hash == h && Int(slot.length) == n && bytesEqual(arena + Int(slot.offset), p, n) {
                return slot.value
            }
            s = (s + 1) & mask
        }
    }
}

/// The bytes of every id in one allocation: entry `i` is `bytes[ends[i - 1]..<ends[i]]`.
///
/// A tokenizer load made one `[UInt8]` per id (49 152 allocations, and as many frees, for the
/// default model); this is two arrays whatever the vocabulary.
struct ByteStrings: Sendable {
    private var bytes: [UInt8] = []
    private var ends: [Int] = []

    init(reservingCapacity count: Int, bytes byteCount: Int) {
        ends.reserveCapacity(count)
        bytes.reserveCapacity(byteCount)
    }

    init(_ entries: [[UInt8]]) {
        self.init(reservingCapacity: entries.count, bytes: entries.reduce(0) { $0 + $1.count })
        for e in entries { append(e) }
    }

    var count: Int { ends.count }

    subscript(_ i: Int) -> ArraySlice<UInt8> { bytes[(i == 0 ? 0 : ends[i - 1])..<ends[i]] }

    mutating func append<C: Collection<UInt8>>(_ entry: C) {
        bytes.append(contentsOf: entry)
        ends.append(bytes.count)
    }

    /// Appends what a vocabulary spelling decodes to: its bytes in the byte-level alphabet, or
    /// its own UTF-8 when some character is outside it (an added token such as `<|im_end|>`).
    mutating func append(decoding token: String) {
        var token = token
        token.withUTF8 { append(decodingUTF8: $0) }
    }

    /// ``append(decoding:)`` for a spelling given as its UTF-8.
    mutating func append(decodingUTF8 spelling: UnsafeBufferPointer<UInt8>) {
        if !ByteLevel.decode(utf8: spelling, appendingTo: &bytes) { bytes.append(contentsOf: spelling) }
        ends.append(bytes.count)
    }
}

/// The vocabulary's spellings by id, as UTF-8 in one buffer, `nil` for an unused id.
///
/// A load made a `String` per id (49 152 for the default model), which only ``BPETokenizer``'s
/// `token(for:)` reads; every other use of a spelling at load (its index, its bytes, the
/// fingerprint) wants its UTF-8.
struct SpellingList: Sendable {
    private var bytes: [UInt8] = []
    private var ends: [Int] = []
    private var present: [Bool] = []

    init(reservingCapacity count: Int, bytes byteCount: Int) {
        ends.reserveCapacity(count)
        present.reserveCapacity(count)
        bytes.reserveCapacity(byteCount)
    }

    init(_ tokens: [String?]) {
        self.init(reservingCapacity: tokens.count, bytes: tokens.count * 8)
        for t in tokens { append(t) }
    }

    var count: Int { ends.count }

    mutating func append(_ token: String?) {
        guard var token else { return appendAbsent() }
        token.withUTF8 { append(utf8: $0) }
    }

    mutating func append(utf8 p: UnsafeBufferPointer<UInt8>) {
        bytes.append(contentsOf: p)
        ends.append(bytes.count)
        present.append(true)
    }

    mutating func appendAbsent() {
        ends.append(bytes.count)
        present.append(false)
    }

    func isPresent(_ i: Int) -> Bool { present[i] }

    /// Spelling `i` as a string, or nil for an unused id.
    func string(_ i: Int) -> String? { withSpelling(i) { String(decoding: $0, as: UTF8.self) } }

    /// Calls `body` with the UTF-8 of spelling `i`; nil, without calling it, for an unused id.
    func withSpelling<R>(_ i: Int, _ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R? {
        guard present[i] else { return nil }
        let start = i == 0 ? 0 : ends[i - 1]
        return try bytes.withUnsafeBufferPointer { try body(UnsafeBufferPointer(rebasing: $0[start..<ends[i]])) }
    }

    /// Calls `body` with the whole list at once: every spelling's UTF-8, where each ends
    /// (spelling `i` is `bytes[ends[i - 1]..<ends[i]]`) and whether each is present.
    func withStorage<R>(_ body: (UnsafeBufferPointer<UInt8>, UnsafeBufferPointer<Int>, UnsafeBufferPointer<Bool>) throws -> R) rethrows -> R {
        try bytes.withUnsafeBufferPointer { b in
            try ends.withUnsafeBufferPointer { e in try present.withUnsafeBufferPointer { p in try body(b, e, p) } }
        }
    }

    /// Whether spelling `i` is present and its UTF-8 is `utf8`.
    func spells(_ i: Int, _ utf8: String.UTF8View) -> Bool { withSpelling(i) { $0.elementsEqual(utf8) } ?? false }

    /// This list with spelling `i` set to `token` (`count` grown with unused ids to reach it).
    func setting(_ i: Int, to token: String) -> SpellingList {
        if i < count && spells(i, token.utf8) { return self }
        if i == count {
            var copy = self
            copy.append(token)
            return copy
        }
        var out = SpellingList(reservingCapacity: max(count, i + 1), bytes: bytes.count + token.utf8.count)
        for k in 0..<max(count, i + 1) {
            if k == i {
                out.append(token)
            } else if k < count, present[k] {
                _ = withSpelling(k) { out.append(utf8: $0) }
            } else {
                out.appendAbsent()
            }
        }
        return out
    }
}

/// Memo of piece → ids (pieces repeat a lot in real text, and across texts). Bounded: cleared
/// when half its slots are used or its bytes reach their limit, so memory never grows with the
/// text; a piece merges the same way whatever came before it, so a hit equals a merge.
struct PieceCache {
    private var hashes: [UInt64]
    private var keyOffsets: [Int32]  // -1 = empty slot
    private var keyLengths: [Int32]
    private var valueOffsets: [Int32]
    private var valueLengths: [Int32]
    private var keys: [UInt8] = []
    private(set) var values: [UInt32] = []
    private var used = 0
    private var mask: Int
    /// Bytes of keys and ids of values it holds at most (pieces average a few bytes; a run of
    /// long ones clears it sooner rather than growing it).
    private let keyByteLimit: Int
    private let valueLimit: Int
    private let maxSlots: Int

    static let maxPieceLength = 256

    /// `expectedPieces` sizes the table (a power of two between 64 and 16 384 slots), so a
    /// short text does not pay for a large table.
    init(expectedPieces: Int) {
        var cap = 64
        while cap < expectedPieces * 2 && cap < 1 << 14 { cap <<= 1 }
        self.init(slots: cap)
    }

    /// `slots` slots, doubling as it fills up to `maxSlots` (powers of two, at least 64): a
    /// cache that lives across texts and costs a short run little.
    init(slots cap: Int, maxSlots: Int? = nil) {
        let maxSlots = max(cap, maxSlots ?? cap)
        precondition(cap >= 64 && cap & (cap - 1) == 0 && maxSlots & (maxSlots - 1) == 0,
                     "piece cache slots must be powers of two of at least 64")
        mask = cap - 1
        self.maxSlots = maxSlots
        keyByteLimit = maxSlots * 16
        valueLimit = maxSlots * 8
        hashes = [UInt64](repeating: 0, count: cap)
        keyOffsets = [Int32](repeating: -1, count: cap)
        keyLengths = [Int32](repeating: 0, count: cap)
        valueOffsets = [Int32](repeating: 0, count: cap)
        valueLengths = [Int32](repeating: 0, count: cap)
    }

    /// The cached ids' range in `values` for the piece, or nil. `slot` receives where to insert.
    @inline(__always)
    mutating func find(_ p: UnsafePointer<UInt8>, _ n: Int, hash h: UInt64) -> Range<Int>? {
        var s = Int(truncatingIfNeeded: h) & mask
        while true {
            let off = keyOffsets[s]
            if off < 0 { return nil }
            if hashes[s] == h && Int(keyLengths[s]) == n {
                let equal = keys.withUnsafeBufferPointer { bytesEqual($0.baseAddress! + Int(off), p, n) }
                if equal {
                    let v = Int(valueOffsets[s])
                    return v..<(v + Int(valueLengths[s]))
                }
            }
            s = (s + 1) & mask
        }
    }

    mutating func insert(_ p: UnsafePointer<UInt8>, _ n: Int, hash h: UInt64, ids: ArraySlice<UInt32>) {
        if keys.count + n > keyByteLimit || values.count + ids.count > valueLimit {
            clear()
        } else if used * 2 >= mask {
            if mask + 1 < maxSlots { grow() } else { clear() }
        }
        var s = Int(truncatingIfNeeded: h) & mask
        while keyOffsets[s] >= 0 { s = (s + 1) & mask }
        hashes[s] = h
        keyOffsets[s] = Int32(keys.count)
        keyLengths[s] = Int32(n)
        valueOffsets[s] = Int32(values.count)
        valueLengths[s] = Int32(ids.count)
        keys.append(contentsOf: UnsafeBufferPointer(start: p, count: n))
        values.append(contentsOf: ids)
        used += 1
    }

    /// Twice the slots, every entry moved to its place in the new table (keys and values stay).
    private mutating func grow() {
        let old = (hashes, keyOffsets, keyLengths, valueOffsets, valueLengths)
        let cap = (mask + 1) * 2
        mask = cap - 1
        hashes = [UInt64](repeating: 0, count: cap)
        keyOffsets = [Int32](repeating: -1, count: cap)
        keyLengths = [Int32](repeating: 0, count: cap)
        valueOffsets = [Int32](repeating: 0, count: cap)
        valueLengths = [Int32](repeating: 0, count: cap)
        for i in 0..<old.0.count where old.1[i] >= 0 {
            var s = Int(truncatingIfNeeded: old.0[i]) & mask
            while keyOffsets[s] >= 0 { s = (s + 1) & mask }
            hashes[s] = old.0[i]
            keyOffsets[s] = old.1[i]
            keyLengths[s] = old.2[i]
            valueOffsets[s] = old.3[i]
            valueLengths[s] = old.4[i]
        }
    }

    private mutating func clear() {
        for i in 0...mask { keyOffsets[i] = -1 }
        keys.removeAll(keepingCapacity: true)
        values.removeAll(keepingCapacity: true)
        used = 0
    }
}

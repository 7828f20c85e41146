/// The byte-pair merge loop: start from one token per byte, repeatedly merge the adjacent
/// pair with the lowest rank (leftmost on ties) until no adjacent pair has a rule. This is
/// the order the reference implementations use (HF `tokenizers`' priority queue, tiktoken's
/// rank scan), so the results are identical.
struct BPEMerger {
    let byteIDs: UnsafePointer<UInt32>  // 256 entries; `.max` = no token for this byte
    let pairs: PairTable
    let unknownID: UInt32?

    /// Scratch reused across pieces.
    var ids: [UInt32] = []
    var ranks: [UInt64] = []
    var prev: [Int32] = []
    var next: [Int32] = []
    var heap: [UInt64] = []

    /// Pieces of up to this many symbols use the quadratic scan (fastest for the short pieces
    /// of real text); longer ones the heap.
    static let defaultScanLimit = 48
    let scanLimit: Int

    init(
        byteIDs: UnsafePointer<UInt32>, pairs: PairTable, unknownID: UInt32?,
        scanLimit: Int = BPEMerger.defaultScanLimit
    ) {
        self.byteIDs = byteIDs
        self.pairs = pairs
        self.unknownID = unknownID
        self.scanLimit = scanLimit
        ids.reserveCapacity(64)
        ranks.reserveCapacity(64)
    }

    /// Appends the ids of the piece's initial symbols (one per byte) to `ids`.
    @inline(__always)
    private mutating func loadBytes(_ p: UnsafePointer<UInt8>, _ n: Int) {
        ids.removeAll(keepingCapacity: true)
        for k in 0..<n {
            let id = byteIDs[Int(p[k])]
            if id != .max {
                ids.append(id)
            } else if let unk = unknownID {
                // A byte with no token becomes the unknown token (or is dropped without one),
                // as in the reference; byte-level vocabularies have all 256 bytes.
                ids.append(unk)
            }
        }
    }

    /// Merges the piece; the result is left in `ids`.
    mutating func merge(_ p: UnsafePointer<UInt8>, _ n: Int) {
        loadBytes(p, n)
        if ids.count < 2 { return }
        if ids.count <= scanLimit {
            mergeByScan()
        } else {
            mergeByHeap()
        }
    }

    private mutating func mergeByScan() {
        var count = ids.count
        ranks.removeAll(keepingCapacity: true)
        for k in 0..<(count - 1) { ranks.append(pairs.lookup(ids[k], ids[k + 1])) }
        ids.withUnsafeMutableBufferPointer { idp in
            ranks.withUnsafeMutableBufferPointer { rp in
                while count > 1 {
                    var best = PairTable.none
                    var at = -1
                    for k in 0..<(count - 1) where rp[k] < best {
                        best = rp[k]
                        at = k
                    }
                    if at < 0 { break }
                    idp[at] = UInt32(truncatingIfNeeded: best)
                    // Remove symbol at+1 and the pair rank that started there.
                    // (ranks has count - 1 entries: rank k is the pair of symbols k and k+1.)
                    var k = at + 1
                    while k < count - 1 {
                        idp[k] = idp[k + 1]
                        if k < count - 2 { rp[k] = rp[k + 1] }
                        k += 1
                    }
                    count -= 1
                    if at > 0 { rp[at - 1] = pairs.lookup(idp[at - 1], idp[at]) }
                    if at < count - 1 { rp[at] = pairs.lookup(idp[at], idp[at + 1]) }
                }
            }
        }
        ids.removeLast(ids.count - count)
    }

    /// O(n log n) merge for long pieces: a linked list of symbols and a min-heap of
    /// `rank << 32 | position` (so ties go to the leftmost pair). Stale heap entries are
    /// recognised by re-looking up the pair now at that position.
    private mutating func mergeByHeap() {
        let n = ids.count
        prev = (0..<n).map { Int32($0) - 1 }
        next = (0..<n).map { $0 + 1 < n ? Int32($0 + 1) : -1 }
        heap.removeAll(keepingCapacity: true)
        for k in 0..<(n - 1) {
            let v = pairs.lookup(ids[k], ids[k + 1])
            if v != PairTable.none { heapPush((v >> 32) << 32 | UInt64(k)) }
        }
        var alive = [Bool](repeating: true, count: n)
        while let top = heapPop() {
            let rank = top >> 32
            let pos = Int(top & 0xFFFF_FFFF)
            guard alive[pos] else { continue }
            let nx = Int(next[pos])
            guard nx >= 0 else { continue }
            let v = pairs.lookup(ids[pos], ids[nx])
            guard v != PairTable.none, v >> 32 == rank else { continue }
            ids[pos] = UInt32(truncatingIfNeeded: v)
            alive[nx] = false
            let nn = Int(next[nx])
            next[pos] = Int32(nn)
            if nn >= 0 { prev[nn] = Int32(pos) }
            let pv = Int(prev[pos])
            if pv >= 0 {
                let w = pairs.lookup(ids[pv], ids[pos])
                if w != PairTable.none { heapPush((w >> 32) << 32 | UInt64(pv)) }
            }
            if nn >= 0 {
                let w = pairs.lookup(ids[pos], ids[nn])
                if w != PairTable.none { heapPush((w >> 32) << 32 | UInt64(pos)) }
            }
        }
        var out = 0
        var k = 0
        while k >= 0 && k < n {
            ids[out] = ids[k]
            out += 1
            k = Int(next[k])
        }
        ids.removeLast(n - out)
    }

    private mutating func heapPush(_ v: UInt64) {
        heap.append(v)
        var i = heap.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            if heap[parent] <= heap[i] { break }
            heap.swapAt(parent, i)
            i = parent
        }
    }

    private mutating func heapPop() -> UInt64? {
        guard let top = heap.first else { return nil }
        let last = heap.removeLast()
        if !heap.isEmpty {
            heap[0] = last
            var i = 0
            let n = heap.count
            while true {
                let l = 2 * i + 1
                if l >= n { break }
                var m = l
                if l + 1 < n && heap[l + 1] < heap[l] { m = l + 1 }
                if heap[i] <= heap[m] { break }
                heap.swapAt(i, m)
                i = m
            }
        }
        return top
    }
}

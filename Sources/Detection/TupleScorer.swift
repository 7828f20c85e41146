internal import CBlockCipher
import Watermark

/// What detection made of one token.
public enum TokenStatus: UInt8, Sendable, Codable, CaseIterable {
    /// One of the first `h` tokens: it has no full context and is not scored.
    case context = 0
    /// Scored and green.
    case green = 1
    /// Scored and not green.
    case red = 2
    /// A repeat of an earlier (context, token) tuple, skipped by de-duplication.
    case repeated = 3
    /// On the common-tuple list given to detection, so not scored.
    case common = 4
}

/// Scores a token stream one token at a time under one key, as docs/SCHEME.md's detection says.
///
/// Memory is bounded by the number of distinct tuples (for de-duplication) and, only when
/// asked for, one status byte per token; the tokens themselves are not kept, so a stream of
/// any length can be fed through.
public final class TupleScorer {
    public let partition: GreenListPartition
    public let deduplicate: Bool
    /// Tokens fed so far.
    public var tokens: Int { counters.tokens }
    /// Tuples scored so far.
    public var scored: Int { counters.scored }
    /// Scored tuples that were green.
    public var green: Int { counters.green }
    /// Positions left out because their tuple is on the common-tuple list.
    public var skippedCommon: Int { counters.skipped }
    public let commonTuples: CommonTuples?
    /// One entry per token when `recordStatuses` was set, else empty.
    public private(set) var statuses: [TokenStatus] = []

    private let h: Int
    private let recordStatuses: Bool
    /// The last h tokens, oldest first; `filled` of them are valid until the first h arrive.
    private let window: UnsafeMutableBufferPointer<UInt32>
    private var counters = Counters()
    private var seen: TupleSet
    private let recycler: TupleSet.Recycler?
    private let contextCache: ContextCache?
    private let verdicts: TupleVerdictCache.Table?
    private let greenThreshold: UInt32
    /// The seed table `wm_tuple_scan` reads, when the C loop can score this scorer's tuples.
    private let scanSeeds: (table: UnsafeRawPointer, slots: Int)?
    /// - Parameter commonTuples: tuples to leave out; its context width must be the scheme's.
    public convenience init(partition: GreenListPartition, deduplicate: Bool = true, recordStatuses: Bool = false,
                            cacheSeeds: Bool = true, commonTuples: CommonTuples? = nil) throws(DetectionError) {
        try CommonTuples.check(commonTuples, contextWidth: partition.parameters.contextWidth)
        let cache: ContextCache?
        do { cache = cacheSeeds ? try ContextCache(partition: partition) : nil } catch { throw .watermark(error) }
        self.init(partition: partition, deduplicate: deduplicate, recordStatuses: recordStatuses,
                  contextCache: cache, commonTuples: commonTuples)
    }

    /// `commonTuples` has been checked against the context width.
    init(partition: GreenListPartition, deduplicate: Bool, recordStatuses: Bool, contextCache: ContextCache?,
         verdicts: TupleVerdictCache.Table? = nil, commonTuples: CommonTuples?, recycler: TupleSet.Recycler? = nil) {
        self.seen = TupleSet(reusing: recycler)
        self.recycler = recycler
        self.verdicts = verdicts
        self.commonTuples = commonTuples
        self.partition = partition
        self.deduplicate = deduplicate
        self.recordStatuses = recordStatuses
        self.contextCache = contextCache
        self.h = partition.parameters.contextWidth
        self.greenThreshold = partition.parameters.greenThreshold
        self.window = .allocate(capacity: partition.parameters.contextWidth)
        window.initialize(repeating: 0)
        // The C loop does the default case: one-token contexts, the shared verdict table, the
        // flat seed table, no common-tuple list, no statuses.
        if Self.scanAvailable, verdicts != nil, commonTuples == nil, !recordStatuses,
           let seeds = contextCache?.flatTableForOneTokenContexts {
            scanSeeds = seeds
        } else {
            scanSeeds = nil
        }
    }

    static let scanAvailable = wm_tuple_scan_available() != 0

    deinit {
        window.deallocate()
        if let recycler { seen.recycle(into: recycler) }
    }

    /// Tuples answered by the shared verdict cache, and tuples looked up in it.
    public var cacheHits: Int { counters.hits }
    public var cacheLookups: Int { counters.lookups }

    /// The running counts; `filled` of the window's h tokens are valid until the first h arrive.
    private struct Counters {
        var tokens = 0, scored = 0, green = 0, skipped = 0, filled = 0, hits = 0, lookups = 0
    }

    /// Feeds the next token of the text.
    public func append(_ token: UInt32) throws(WatermarkError) {
        var one = token
        try withUnsafePointer(to: &one) { (p) throws(WatermarkError) in try append(buffer: UnsafeBufferPointer(start: p, count: 1)) }
    }

    /// Feeds many tokens.
    ///
    /// The counters live in a local for the loop, and the tuple set and statuses are passed
    /// in place, so each is accessed once per call: class properties touched per token cost
    /// dynamic exclusivity checks (measured at about 8% of detection time).
    ///
    /// The loop itself runs over contiguous memory, not the generic sequence: unspecialised
    /// iteration through the protocol's witnesses cost about 3% of detection on a corpus.
    public func append(contentsOf tokens: some Sequence<UInt32>) throws(WatermarkError) {
        let done: Result<Void, WatermarkError>? = tokens.withContiguousStorageIfAvailable { buffer in
            Result { () throws(WatermarkError) in try append(buffer: buffer) }
        }
        if let done { return try done.get() }
        let copy = Array(tokens)
        try copy.withUnsafeBufferPointer { (buffer) throws(WatermarkError) in try append(buffer: buffer) }
    }

    private func append(buffer: UnsafeBufferPointer<UInt32>) throws(WatermarkError) {
        var counters = self.counters
        defer { self.counters = counters }
        if deduplicate { seen.reserve(buffer.count) }
        if h == 1 && !recordStatuses {
            if let scanSeeds {
                try Self.scoreByScan(buffer, counters: &counters, seen: &seen, seeds: scanSeeds, scorer: self)
            } else {
                try Self.scoreOneTokenContexts(buffer, counters: &counters, seen: &seen, scorer: self)
            }
        } else {
            try Self.score(buffer, counters: &counters, seen: &seen, statuses: &statuses, record: recordStatuses,
                           scorer: self)
        }
    }

    /// ``score(_:counters:seen:statuses:record:scorer:)`` for the default scheme (h = 1) when
    /// no statuses are kept: the context is the previous
    /// token, held in a register, and the counts are locals. The general loop keeps a window,
    /// its branches and the counters in memory, and ran at about 1.5× this one's time per
    /// token on a corpus. Same counts, same verdict-cache traffic, same order of work.
    private static func scoreOneTokenContexts(_ tokens: UnsafeBufferPointer<UInt32>, counters c: inout Counters,
                                              seen: inout TupleSet, scorer: TupleScorer) throws(WatermarkError) {
        guard !tokens.isEmpty else { return }
        let dedup = scorer.deduplicate, threshold = scorer.greenThreshold, partition = scorer.partition
        let cache = scorer.contextCache, verdicts = scorer.verdicts?.probe, window = scorer.window
        let common = scorer.commonTuples?.table
        var start = 0
        if c.filled == 0 {
            window[0] = tokens[0]
            c.filled = 1
            start = 1
        }
        var context = window[0]
        // Everything the loop changes is a local (the tuple set through its cursor) and counts
        // wrap rather than trap (they cannot overflow: each is at most the token count): kept
        // in memory and checked, they cost about a third of the loop's instructions.
        // Hits and lookups are not counted per token: they follow from the tuples scored, the
        // misses and the tuples the cache cannot hold, which are counted off the hot path.
        var scored = 0, green = 0, misses = 0, uncacheable = 0, skipped = 0
        var set = seen.cursor()
        defer {
            seen.update(from: set)
            window[0] = context
            c.tokens &+= tokens.count
            c.scored &+= scored
            c.green &+= green
            if verdicts != nil {
                c.lookups &+= scored &- uncacheable
                c.hits &+= scored &- uncacheable &- misses
            }
            c.skipped &+= skipped
        }
        let lookahead = 6
        let count = tokens.count
        for position in start..<count {
            let token = tokens[position]
            if position &+ lookahead < count {
                let nextContext = tokens[position &+ lookahead &- 1], nextToken = tokens[position &+ lookahead]
                if let verdicts, TupleVerdictCache.Table.cacheable(context: nextContext, token: nextToken) {
                    verdicts.prefetch(context: nextContext, token: nextToken)
                }
                cache?.prefetch(contextToken: nextContext)
                if dedup { set.prefetch(UInt64(nextContext) << 32 | UInt64(nextToken)) }
            }
            defer { context = token }
            let key = UInt64(context) << 32 | UInt64(token)  // TupleKey.make at h = 1
            if let common, common.contains(key) {
                skipped &+= 1
                continue
            }
            if dedup {
                if set.isFull { set = seen.grown(set) }
                if !set.insert(key) { continue }
            }
            scored &+= 1
            let isGreen: Bool
            if let verdicts, TupleVerdictCache.Table.cacheable(context: context, token: token) {
                if let known = verdicts.lookup(context: context, token: token) {
                    isGreen = known
                } else {
                    misses &+= 1
                    isGreen = try greenOnMiss(token, after: context, window: window, cache: cache, partition: partition,
                                              threshold: threshold)
                    verdicts.store(context: context, token: token, green: isGreen)
                }
            } else {
                uncacheable &+= 1
                isGreen = try greenOnMiss(token, after: context, window: window, cache: cache, partition: partition,
                                          threshold: threshold)
            }
            if isGreen { green &+= 1 }
        }
    }

    /// ``scoreOneTokenContexts(_:counters:seen:scorer:)`` through `wm_tuple_scan`
    /// (tuple_scan.h), which decides every tuple it can from the verdict and seed tables and
    /// hands back the rest: a full set (grown here), a context the seed table does not hold
    /// (its HMAC is made here, through the seed cache) and ids too large for the verdict table.
    /// Same counts, same tables, same order of work.
    private static func scoreByScan(_ tokens: UnsafeBufferPointer<UInt32>, counters c: inout Counters, seen: inout TupleSet,
                                    seeds: (table: UnsafeRawPointer, slots: Int), scorer: TupleScorer) throws(WatermarkError) {
        guard !tokens.isEmpty, let base = tokens.baseAddress, let verdicts = scorer.verdicts?.probe else { return }
        let window = scorer.window, threshold = scorer.greenThreshold, partition = scorer.partition, cache = scorer.contextCache
        var start = 0
        if c.filled == 0 {
            window[0] = tokens[0]
            c.filled = 1
            start = 1
        }
        var state = wm_tuple_scan_state()
        let layout = verdicts.scanLayout
        state.deduplicate = scorer.deduplicate ? 1 : 0
        state.verdict_slots = layout.slots
        state.verdict_tag_bits = layout.tagBits
        state.verdict_tag_mask = layout.tagMask
        state.seed_table = seeds.table.assumingMemoryBound(to: UInt8.self)
        state.seed_slots = seeds.slots
        state.green_threshold = threshold
        var set = seen.cursor()
        set.export(into: &state)
        var scored = 0, green = 0, misses = 0, uncacheable = 0
        defer {
            set.take(from: state)
            seen.update(from: set)
            window[0] = tokens[tokens.count - 1]
            scored &+= state.scored
            green &+= state.green
            misses &+= state.misses
            c.tokens &+= tokens.count
            c.scored &+= scored
            c.green &+= green
            c.lookups &+= scored &- uncacheable
            c.hits &+= scored &- uncacheable &- misses
        }
        var position = start
        while position < tokens.count {
            wm_tuple_scan(&state, base, position, tokens.count, window[0])
            switch state.reason {
            case Int32(WM_SCAN_SET_FULL):
                set.take(from: state)
                set = seen.grown(set)
                set.export(into: &state)
                position = state.position
            case Int32(WM_SCAN_SCORE_HERE):
                let at = state.position
                let context = at > 0 ? tokens[at - 1] : window[0]
                let token = tokens[at]
                let isGreen = try greenOnMiss(token, after: context, window: window, cache: cache, partition: partition,
                                              threshold: threshold)
                if TupleVerdictCache.Table.cacheable(context: context, token: token) {
                    verdicts.store(context: context, token: token, green: isGreen)
                    misses &+= 1
                } else {
                    uncacheable &+= 1
                }
                scored &+= 1
                if isGreen { green &+= 1 }
                position = at + 1
            default:
                position = tokens.count
            }
        }
    }

    /// ``greenByScoring(_:window:cache:partition:threshold:)`` at h = 1, out of line: inlined,
    /// the miss path's registers spilled the hit path's.
    @inline(never)
    private static func greenOnMiss(_ token: UInt32, after context: UInt32, window: UnsafeMutableBufferPointer<UInt32>,
                                    cache: ContextCache?, partition: GreenListPartition,
                                    threshold: UInt32) throws(WatermarkError) -> Bool {
        window[0] = context
        return try greenByScoring(token, window: window, cache: cache, partition: partition, threshold: threshold)
    }

    /// The partition's answer for one tuple, through the seed cache when there is one.
    @inline(__always)
    private static func greenByScoring(_ token: UInt32, window: UnsafeMutableBufferPointer<UInt32>, cache: ContextCache?,
                                       partition: GreenListPartition, threshold: UInt32) throws(WatermarkError) -> Bool {
        if let cache { return try cache.score(of: token, after: window, partition: partition) < threshold }
        return try partition.score(of: token, afterContext: UnsafeBufferPointer(window)) < threshold
    }

    private static func score(_ tokens: UnsafeBufferPointer<UInt32>, counters c: inout Counters, seen: inout TupleSet,
                              statuses: inout [TokenStatus], record: Bool, scorer: TupleScorer) throws(WatermarkError) {
        let h = scorer.h, window = scorer.window, dedup = scorer.deduplicate
        let threshold = scorer.greenThreshold, cache = scorer.contextCache, partition = scorer.partition
        // Plain values, not the class and the struct of arrays they come from: reached through
        // those, each token paid a retain, a release and outlined Optional copies.
        let common = scorer.commonTuples?.table, verdicts = scorer.verdicts?.probe
        // At h = 1 the tuple `lookahead` positions on is known now: start loading its verdict
        // and context slots, so that those misses overlap with this tuple's work.
        let lookahead = 6
        let prefetching = h == 1 && tokens.count > lookahead
        for (position, token) in tokens.enumerated() {
            if prefetching && position + lookahead < tokens.count {
                let nextContext = tokens[position + lookahead - 1], nextToken = tokens[position + lookahead]
                if let verdicts, TupleVerdictCache.Table.cacheable(context: nextContext, token: nextToken) {
                    verdicts.prefetch(context: nextContext, token: nextToken)
                }
                cache?.prefetch(contextToken: nextContext)
            }
            defer {
                c.tokens += 1
                if c.filled == h {
                    for i in 0..<(h - 1) { window[i] = window[i + 1] }
                    window[h - 1] = token
                } else {
                    window[c.filled] = token
                    c.filled += 1
                }
            }
            guard c.filled == h else {
                if record { statuses.append(.context) }
                continue
            }
            if dedup || common != nil {
                let key = TupleKey.make(context: UnsafeBufferPointer(window), token: token)
                if let common, common.contains(key) {
                    c.skipped += 1
                    if record { statuses.append(.common) }
                    continue
                }
                if dedup, !seen.insert(key) {
                    if record { statuses.append(.repeated) }
                    continue
                }
            }
            let isGreen: Bool
            if let verdicts, TupleVerdictCache.Table.cacheable(context: window[0], token: token) {
                // h = 1 here: the context is window[0].
                c.lookups += 1
                if let known = verdicts.lookup(context: window[0], token: token) {
                    c.hits += 1
                    isGreen = known
                } else {
                    isGreen = try greenByScoring(token, window: window, cache: cache, partition: partition, threshold: threshold)
                    verdicts.store(context: window[0], token: token, green: isGreen)
                }
            } else {
                isGreen = try greenByScoring(token, window: window, cache: cache, partition: partition, threshold: threshold)
            }
            c.scored += 1
            if isGreen { c.green += 1 }
            if record { statuses.append(isGreen ? .green : .red) }
        }
    }
}

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
}

/// Scores a token stream one token at a time under one key, as SCHEME.md's detection says.
///
/// Memory is bounded by the number of distinct tuples (for de-duplication) and, only when
/// asked for, one status byte per token; the tokens themselves are not kept, so a stream of
/// any length can be fed through.
public final class TupleScorer {
    public let partition: GreenListPartition
    public let deduplicate: Bool
    public private(set) var tokens = 0
    public private(set) var scored = 0
    public private(set) var green = 0
    /// One entry per token when `recordStatuses` was set, else empty.
    public private(set) var statuses: [TokenStatus] = []

    private let h: Int
    private let recordStatuses: Bool
    /// The last h tokens, oldest first; `filled` of them are valid until the first h arrive.
    private let window: UnsafeMutableBufferPointer<UInt32>
    private var filled = 0
    private var seen = TupleSet()
    private let contextCache: ContextCache?
    private let greenThreshold: UInt32
    public convenience init(partition: GreenListPartition, deduplicate: Bool = true, recordStatuses: Bool = false,
                            cacheSeeds: Bool = true) {
        self.init(partition: partition, deduplicate: deduplicate, recordStatuses: recordStatuses,
                  contextCache: cacheSeeds ? ContextCache(contextWidth: partition.parameters.contextWidth) : nil)
    }

    init(partition: GreenListPartition, deduplicate: Bool, recordStatuses: Bool, contextCache: ContextCache?) {
        self.partition = partition
        self.deduplicate = deduplicate
        self.recordStatuses = recordStatuses
        self.contextCache = contextCache
        self.h = partition.parameters.contextWidth
        self.greenThreshold = partition.parameters.greenThreshold
        self.window = .allocate(capacity: partition.parameters.contextWidth)
        window.initialize(repeating: 0)
    }

    deinit {
        window.deallocate()
        seen.deallocate()
    }

    /// Feeds the next token of the text.
    public func append(_ token: UInt32) throws(WatermarkError) {
        try append(contentsOf: CollectionOfOne(token))
    }

    /// Feeds many tokens.
    ///
    /// The counters and the tuple set live in locals for the loop and are written back once:
    /// class properties touched per token cost dynamic exclusivity checks (measured at about
    /// 8% of detection time).
    public func append(contentsOf tokens: some Sequence<UInt32>) throws(WatermarkError) {
        var count = self.tokens, scored = self.scored, green = self.green, filled = self.filled
        var seen = self.seen
        defer {
            self.tokens = count
            self.scored = scored
            self.green = green
            self.filled = filled
            self.seen = seen
        }
        let h = self.h, window = self.window, record = recordStatuses, dedup = deduplicate
        let threshold = greenThreshold, cache = contextCache, partition = self.partition
        for token in tokens {
            defer {
                count += 1
                if filled == h {
                    for i in 0..<(h - 1) { window[i] = window[i + 1] }
                    window[h - 1] = token
                } else {
                    window[filled] = token
                    filled += 1
                }
            }
            guard filled == h else {
                if record { statuses.append(.context) }
                continue
            }
            if dedup, !seen.insert(tupleKey(token)) {
                if record { statuses.append(.repeated) }
                continue
            }
            let score: UInt32
            if let cache {
                score = try cache.score(of: token, after: window, partition: partition)
            } else {
                score = try partition.score(of: token, afterContext: UnsafeBufferPointer(window))
            }
            scored += 1
            let isGreen = score < threshold
            if isGreen { green += 1 }
            if record { statuses.append(isGreen ? .green : .red) }
        }
    }

    /// The de-duplication key of (context, token). For h = 1 it is the exact pair; for longer
    /// contexts a 64-bit mix, whose collisions (about n²/2⁶⁵ for n distinct tuples, under 1e-6
    /// for six million) can only drop a tuple from the count, never add a green one.
    private func tupleKey(_ token: UInt32) -> UInt64 {
        if h == 1 { return UInt64(window[0]) << 32 | UInt64(token) }
        var x: UInt64 = 0x9E37_79B9_7F4A_7C15 &* UInt64(h)
        for i in 0..<h { x = Self.mix(x ^ UInt64(window[i])) }
        return Self.mix(x ^ (UInt64(token) << 1 | 1))
    }

    private static func mix(_ value: UInt64) -> UInt64 {
        // splitmix64's finaliser: a bijection with full avalanche.
        var z = value &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

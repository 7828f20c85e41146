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
    /// Positions left out because their tuple is on the common-tuple list.
    public private(set) var skippedCommon = 0
    public let commonTuples: CommonTuples?
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
    /// - Parameter commonTuples: tuples to leave out; its context width must be the scheme's.
    public convenience init(partition: GreenListPartition, deduplicate: Bool = true, recordStatuses: Bool = false,
                            cacheSeeds: Bool = true, commonTuples: CommonTuples? = nil) throws(DetectionError) {
        try CommonTuples.check(commonTuples, contextWidth: partition.parameters.contextWidth)
        self.init(partition: partition, deduplicate: deduplicate, recordStatuses: recordStatuses,
                  contextCache: cacheSeeds ? ContextCache(contextWidth: partition.parameters.contextWidth) : nil,
                  commonTuples: commonTuples)
    }

    /// `commonTuples` has been checked against the context width.
    init(partition: GreenListPartition, deduplicate: Bool, recordStatuses: Bool, contextCache: ContextCache?,
         commonTuples: CommonTuples?) {
        self.commonTuples = commonTuples
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
        var skipped = self.skippedCommon
        var seen = self.seen
        defer {
            self.tokens = count
            self.scored = scored
            self.green = green
            self.skippedCommon = skipped
            self.filled = filled
            self.seen = seen
        }
        let h = self.h, window = self.window, record = recordStatuses, dedup = deduplicate
        let threshold = greenThreshold, cache = contextCache, partition = self.partition, common = commonTuples
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
            if dedup || common != nil {
                let key = TupleKey.make(context: UnsafeBufferPointer(window), token: token)
                if let common, common.contains(key: key) {
                    skipped += 1
                    if record { statuses.append(.common) }
                    continue
                }
                if dedup, !seen.insert(key) {
                    if record { statuses.append(.repeated) }
                    continue
                }
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
}

import SystemSupport

/// Requests-per-minute limits: one token bucket per API token, holding up to a minute's
/// worth of requests and refilled continuously.
///
/// Kept in memory on purpose: a bucket refills within a minute, so losing it at a restart
/// costs at most one minute's burst, while the day's budget (which must survive) is in
/// ``QuotaStore``. Behind a load balancer each replica keeps its own buckets.
public final class RateLimiter: Sendable {
    private struct Bucket {
        var level: Double
        var updated: Double
    }

    private let buckets = Locked<[String: Bucket]>([:])

    public init() {}

    /// Takes one request from `token`'s bucket at time `now` (seconds, monotonic): nil when
    /// allowed, or the whole seconds until the next request would be.
    public func take(_ token: APIToken, now: Double) -> Int? {
        let capacity = Double(token.requestsPerMinute), perSecond = capacity / 60
        return buckets.withLock { all -> Int? in
            var bucket = all[token.name] ?? Bucket(level: capacity, updated: now)
            bucket.level = min(capacity, bucket.level + max(0, now - bucket.updated) * perSecond)
            // Threads read the clock before they queue for the lock, so `now` can trail the
            // bucket's time by a little; keeping the later one counts no interval twice.
            bucket.updated = max(bucket.updated, now)
            defer { all[token.name] = bucket }
            if bucket.level >= 1 {
                bucket.level -= 1
                return nil
            }
            return max(1, Int(((1 - bucket.level) / perSecond).rounded(.up)))
        }
    }
}

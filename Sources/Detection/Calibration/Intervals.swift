/// Exact (Clopper–Pearson) binomial confidence bounds, by bisection on the exact tail.
public enum ClopperPearson {
    /// The one-sided upper bound on the rate behind `k` events in `n` trials at `confidence`:
    /// the largest q with `P[Binomial(n, q) ≤ k] ≥ 1 − confidence`.
    public static func upper(events k: Int, trials n: Int, confidence: Double = 0.95) -> Double {
        precondition(n > 0 && k >= 0 && k <= n)
        if k == n { return 1 }
        let alpha = 1 - confidence
        // P[X ≤ k] = 1 − P[X ≥ k+1] falls as q grows; find where it crosses α.
        return bisect { q in 1 - BinomialTail.upperTail(successes: k + 1, trials: n, probability: q) > alpha }
    }

    /// The one-sided lower bound: the smallest q with `P[Binomial(n, q) ≥ k] ≥ 1 − confidence`.
    public static func lower(events k: Int, trials n: Int, confidence: Double = 0.95) -> Double {
        precondition(n > 0 && k >= 0 && k <= n)
        if k == 0 { return 0 }
        let alpha = 1 - confidence
        return bisect { q in BinomialTail.upperTail(successes: k, trials: n, probability: q) < alpha }
    }

    /// A two-sided interval at `confidence` (each side at half the remainder).
    public static func interval(events k: Int, trials n: Int, confidence: Double = 0.95) -> (lower: Double, upper: Double) {
        let side = 1 - (1 - confidence) / 2
        return (lower(events: k, trials: n, confidence: side), upper(events: k, trials: n, confidence: side))
    }

    /// The q in (0, 1) where `below(q)` turns from true to false.
    private static func bisect(_ below: (Double) -> Bool) -> Double {
        var lo = 0.0, hi = 1.0
        for _ in 0..<100 {
            let mid = (lo + hi) / 2
            if mid <= 0 || mid >= 1 { break }
            if below(mid) { lo = mid } else { hi = mid }
            if hi - lo < 1e-15 * max(hi, 1e-300) { break }
        }
        return (lo + hi) / 2
    }
}

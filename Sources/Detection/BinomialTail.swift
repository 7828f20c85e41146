#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Exact upper tails of the binomial distribution, in log space.
///
/// `P[Binomial(n, q) ≥ k] = I_q(k, n − k + 1)`, the regularised incomplete beta function,
/// evaluated with its continued fraction (modified Lentz) and kept as a logarithm so that
/// tails far below the smallest `Double` (1e-300 and beyond) keep their full relative precision.
public enum BinomialTail {
    /// `ln P[Binomial(trials, probability) ≥ successes]`.
    ///
    /// - Complexity: O(√min(k, n−k)) iterations of the continued fraction.
    public static func logUpperTail(successes k: Int, trials n: Int, probability q: Double) -> Double {
        precondition(n >= 0 && q > 0 && q < 1)
        if k <= 0 { return 0 }
        if k > n { return -.infinity }
        return logRegularizedIncompleteBeta(x: q, a: Double(k), b: Double(n - k + 1))
    }

    /// `P[Binomial(trials, probability) ≥ successes]` (underflows to 0 below ~1e-308; use the log form).
    public static func upperTail(successes k: Int, trials n: Int, probability q: Double) -> Double {
        exp(logUpperTail(successes: k, trials: n, probability: q))
    }

    /// `ln I_x(a, b)` for a, b > 0 and 0 < x < 1.
    static func logRegularizedIncompleteBeta(x: Double, a: Double, b: Double) -> Double {
        let logFront = a * log(x) + b * log1p(-x) - logBeta(a, b)
        // The continued fraction converges fast for x below the mean-ish point; above it the
        // symmetry I_x(a,b) = 1 − I_{1−x}(b,a) is used.
        if x < (a + 1) / (a + b + 2) {
            return logFront + log(continuedFraction(x: x, a: a, b: b)) - log(a)
        } else {
            let complement = exp(logFront + log(continuedFraction(x: 1 - x, a: b, b: a)) - log(b))
            return log1p(-min(complement, 1))
        }
    }

    static func logBeta(_ a: Double, _ b: Double) -> Double {
        logGamma(a) + logGamma(b) - logGamma(a + b)
    }

    static func logGamma(_ x: Double) -> Double {
        var sign: Int32 = 0
        return lgamma_r(x, &sign)  // the reentrant form: plain lgamma writes a global
    }

    private static func continuedFraction(x: Double, a: Double, b: Double) -> Double {
        let tiny = 1e-300
        let epsilon = 1e-16
        let qab = a + b, qap = a + 1, qam = a - 1
        var c = 1.0
        var d = 1 - qab * x / qap
        if abs(d) < tiny { d = tiny }
        d = 1 / d
        var h = d
        // √(a+b) terms suffice near the mean; the cap is only a guard against NaN input.
        let limit = 200 + 20 * Int(sqrt(a + b).rounded(.up))
        var m = 1
        while m <= limit {
            let dm = Double(m), m2 = 2 * dm
            var aa = dm * (b - dm) * x / ((qam + m2) * (a + m2))
            d = 1 + aa * d; if abs(d) < tiny { d = tiny }
            c = 1 + aa / c; if abs(c) < tiny { c = tiny }
            d = 1 / d
            h *= d * c
            aa = -(a + dm) * (qab + dm) * x / ((a + m2) * (qap + m2))
            d = 1 + aa * d; if abs(d) < tiny { d = tiny }
            c = 1 + aa / c; if abs(c) < tiny { c = tiny }
            d = 1 / d
            let delta = d * c
            h *= delta
            if abs(delta - 1) < epsilon { break }
            m += 1
        }
        return h
    }
}

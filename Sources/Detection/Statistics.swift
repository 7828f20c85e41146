#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The test statistic of `s` green among `T` scored tuples at green fraction γ'.
public struct GreenCount: Sendable, Hashable, Codable {
    public let scored: Int
    public let green: Int
    public let gamma: Double

    public init(scored: Int, green: Int, gamma: Double) {
        self.scored = scored
        self.green = green
        self.gamma = gamma
    }

    /// `(s − γ'T) / √(T·γ'(1−γ'))`; 0 when nothing was scored.
    public var z: Double {
        guard scored > 0 else { return 0 }
        let t = Double(scored)
        return (Double(green) - gamma * t) / (t * gamma * (1 - gamma)).squareRoot()
    }

    /// `ln P[Binomial(T, γ') ≥ s]`, exact.
    public var logP: Double { BinomialTail.logUpperTail(successes: green, trials: scored, probability: gamma) }
}

extension Double {
    /// log10 from a natural log, for reporting p-values that underflow a `Double`.
    var naturalToLog10: Double { self / M_LN10 }
}

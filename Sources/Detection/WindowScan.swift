#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The most significant window of a text whose watermark may cover only a part of it.
public struct WindowMatch: Sendable, Hashable, Codable {
    /// First token of the window (index into the document's tokens).
    public let startToken: Int
    /// One past the last token of the window.
    public let endToken: Int
    public let scored: Int
    public let green: Int
    public let z: Double
    /// The window's own p-value, before correction for the number of windows tried.
    public let p: Double
    public let log10p: Double
    /// How many windows were tested (the whole document not included).
    public let windowsTried: Int
}

/// Scans windows of a scored token sequence for a watermarked stretch.
///
/// Windows are laid over the scored tuples with lengths `m, 2m, 4m, …` (m the minimum
/// scored count) below the total, each sliding by half its length: a watermarked span of
/// length L is always at least half covered by a window of length between L/2 and L, and
/// the number of windows stays near 4T/m, which keeps the Bonferroni correction small.
public enum WindowScan {
    public static func bestWindow(statuses: [TokenStatus], gamma: Double, minimumScored: Int) -> WindowMatch? {
        // Positions (token indices) of scored tuples, and a prefix count of greens.
        var positions: [Int] = []
        var greensBefore: [Int] = [0]
        for (i, s) in statuses.enumerated() where s == .green || s == .red {
            positions.append(i)
            greensBefore.append(greensBefore.last! + (s == .green ? 1 : 0))
        }
        let total = positions.count
        let base = max(minimumScored, 1)
        guard total > base else { return nil }
        var tried = 0
        var best: (logP: Double, start: Int, length: Int)? = nil
        var length = base
        while length < total {
            let stride = max(length / 2, 1)
            var start = 0
            while start + length <= total {
                tried += 1
                let g = greensBefore[start + length] - greensBefore[start]
                // Windows at or below the expected count cannot be the most significant.
                if Double(g) > gamma * Double(length) {
                    let lp = BinomialTail.logUpperTail(successes: g, trials: length, probability: gamma)
                    if best == nil || lp < best!.logP { best = (lp, start, length) }
                }
                start += stride
            }
            length *= 2
        }
        guard tried > 0 else { return nil }
        let chosen = best ?? (0, 0, base)
        let g = greensBefore[chosen.start + chosen.length] - greensBefore[chosen.start]
        let count = GreenCount(scored: chosen.length, green: g, gamma: gamma)
        let lp = count.logP
        return WindowMatch(startToken: positions[chosen.start],
                           endToken: positions[chosen.start + chosen.length - 1] + 1,
                           scored: chosen.length, green: g, z: count.z, p: exp(lp),
                           log10p: lp.naturalToLog10, windowsTried: tried)
    }
}

/// The `greenlist-v1` parameters: green fraction γ, context width h and bias δ.
///
/// γ is quantised as docs/SCHEME.md says: `G = ⌊γ·65536 + 0.5⌋` clamped to 1…65535, and every
/// statistic must use the effective fraction `G / 65536`, not the γ the user typed.
public struct SchemeParameters: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The scheme's name as it appears in outputs and calibration files.
    public static let scheme = "greenlist-v1"
    public static let defaultGamma = 0.25
    public static let defaultContextWidth = 1
    public static let defaultDelta = 2.0
    public static let contextWidthRange = 1...8

    /// γ as requested.
    public let gamma: Double
    /// h, the number of preceding tokens that seed the partition.
    public let contextWidth: Int
    /// δ, added to green logits during generation; detection ignores it.
    public let delta: Double

    /// `G`: a token is green iff its 16-bit score is below this.
    public var greenThreshold: UInt32 {
        let g = (gamma * 65536 + 0.5).rounded(.down)
        return UInt32(min(max(g, 1), 65535))
    }

    /// γ' = G / 65536, the green fraction the partition really has.
    public var effectiveGamma: Double { Double(greenThreshold) / 65536 }

    public init(gamma: Double = defaultGamma, contextWidth: Int = defaultContextWidth,
                delta: Double = defaultDelta) throws(WatermarkError) {
        guard gamma.isFinite, gamma > 0, gamma < 1 else { throw .invalidGamma(gamma) }
        guard Self.contextWidthRange.contains(contextWidth) else { throw .invalidContextWidth(contextWidth) }
        guard delta.isFinite, delta >= 0 else { throw .invalidDelta(delta) }
        self.gamma = gamma
        self.contextWidth = contextWidth
        self.delta = delta
    }

    /// The scheme's defaults: γ 0.25, h 1, δ 2 (valid by construction, so this cannot fail).
    public static let defaults = SchemeParameters(validGamma: defaultGamma, contextWidth: defaultContextWidth, delta: defaultDelta)

    private init(validGamma gamma: Double, contextWidth: Int, delta: Double) {
        self.gamma = gamma
        self.contextWidth = contextWidth
        self.delta = delta
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        try self.init(gamma: c.decode(Double.self, forKey: .gamma),
                      contextWidth: c.decode(Int.self, forKey: .contextWidth),
                      delta: c.decodeIfPresent(Double.self, forKey: .delta) ?? Self.defaultDelta)
    }

    public var description: String {
        "\(Self.scheme) γ=\(gamma) (effective \(effectiveGamma)) h=\(contextWidth) δ=\(delta)"
    }
}

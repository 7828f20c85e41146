/// The `greenlist-v1` known-answer cases written by `Tools/gen_greenlist_vectors.py`.
public enum GreenlistVectors {
    public struct PartitionCase: Decodable, Sendable, CustomStringConvertible {
        public let id: String
        public let key: String
        public let keyID: String
        public let contextWidth: Int
        public let context: [UInt32]
        public let gamma: Double
        public let G: UInt32
        public let seed: String
        public let firstScores: [UInt16]
        public let probeIds: [UInt32]
        public let probeScores: [UInt32]
        public let greenProbeIds: [UInt32]
        public let vocabSize: Int
        public let greenCountBelowVocab: Int
        public var description: String { id }
    }

    public struct DetectionCase: Decodable, Sendable, CustomStringConvertible {
        public let id: String
        public let description: String
        public let key: String
        public let keyID: String
        public let contextWidth: Int
        public let gamma: Double
        public let dedup: Bool
        public let ids: [UInt32]
        public let scored: Int
        public let green: Int
        public let z: Double
        public let log10p: Double
    }

    public struct KeyIDCase: Decodable, Sendable {
        public let key: String
        public let keyID: String
    }

    private struct Cases<T: Decodable>: Decodable { let cases: [T] }

    /// Empty when the file is missing; tests that use these check the count and fail then.
    public static let partition: [PartitionCase] =
        (try? Repository.vectors("greenlist-v1/partition.json", as: Cases<PartitionCase>.self).cases) ?? []
    public static let detection: [DetectionCase] =
        (try? Repository.vectors("greenlist-v1/detection.json", as: Cases<DetectionCase>.self).cases) ?? []
    public static func keyIDs() throws -> [KeyIDCase] {
        try Repository.vectors("greenlist-v1/keyid.json", as: Cases<KeyIDCase>.self).cases
    }
}

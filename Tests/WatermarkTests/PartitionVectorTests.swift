import Foundation
import Testing
import TestSupport
import Watermark

/// Known-answer cases from `Tools/gen_greenlist_vectors.py`, an independent Python
/// implementation of docs/SCHEME.md; nothing here is produced by the code under test.
typealias PartitionCase = GreenlistVectors.PartitionCase
extension PartitionCase: CustomTestStringConvertible {
    public var testDescription: String { id }
}

let partitionCases = GreenlistVectors.partition

@Suite("greenlist-v1 partition vectors")
struct PartitionVectorTests {
    @Test func vectorFileIsComplete() {
        #expect(partitionCases.count >= 60, "Vectors/greenlist-v1/partition.json is missing or short")
        #expect(Set(partitionCases.map(\.contextWidth)) == Set(1...8))
        #expect(Set(partitionCases.map { $0.key.count / 2 }).isSuperset(of: [16, 32, 64]))
    }

    @Test(arguments: partitionCases)
    func partitionMatches(_ c: PartitionCase) throws {
        let key = try WatermarkKey(bytes: #require([UInt8](hex: c.key)))
        #expect(key.keyID == c.keyID)
        let parameters = try SchemeParameters(gamma: c.gamma, contextWidth: c.contextWidth)
        #expect(parameters.greenThreshold == c.G)
        let partition = try GreenListPartition(key: key, parameters: parameters)
        #expect(try partition.seed(after: c.context).hexString == c.seed)
        #expect(try partition.scores(after: c.context, count: 64) == c.firstScores)
        for (id, expected) in zip(c.probeIds, c.probeScores) {
            #expect(try partition.score(of: id, after: c.context) == expected, "probe \(id)")
        }
        let green = try c.probeIds.filter { try partition.isGreen($0, after: c.context) }
        #expect(green == c.greenProbeIds)
        let all = try partition.greenTokens(after: c.context, vocabularySize: c.vocabSize)
        #expect(all.count == c.greenCountBelowVocab)
    }

    @Test(arguments: partitionCases.filter { $0.vocabSize <= 49152 }.prefix(12))
    func processorBiasesExactlyTheGreenTokens(_ c: PartitionCase) throws {
        let key = try WatermarkKey(bytes: #require([UInt8](hex: c.key)))
        let parameters = try SchemeParameters(gamma: c.gamma, contextWidth: c.contextWidth, delta: 3)
        let processor = try WatermarkLogitsProcessor(key: key, parameters: parameters)
        var logits = [Float](repeating: 1, count: c.vocabSize)
        // Extra history before the context must not matter: only the last h tokens count.
        let history: [UInt32] = [7, 7, 7] + c.context
        #expect(try processor.process(&logits, history: history))
        let biased = logits.indices.filter { logits[$0] == 4 }
        #expect(biased.count == c.greenCountBelowVocab)
        #expect(logits.allSatisfy { $0 == 1 || $0 == 4 })
        for id in c.probeIds where Int(id) < c.vocabSize {
            #expect((logits[Int(id)] == 4) == c.greenProbeIds.contains(id), "probe \(id)")
        }
    }

    @Test func keyIDs() throws {
        let cases = try GreenlistVectors.keyIDs()
        #expect(cases.count >= 6)
        for c in cases {
            #expect(try WatermarkKey(bytes: #require([UInt8](hex: c.key))).keyID == c.keyID)
        }
    }
}

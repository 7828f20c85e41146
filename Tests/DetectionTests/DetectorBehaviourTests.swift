import Foundation
import Testing
import TestSupport
import Detection
import Watermark

/// Token sequences made directly with the partition: each next token redrawn until green.
func watermarkedIDs(_ count: Int, key: WatermarkKey, parameters: SchemeParameters, after history: [UInt32] = [1],
                    rng: inout SeededGenerator) throws -> [UInt32] {
    let partition = try GreenListPartition(key: key, parameters: parameters)
    var tokens = history
    let h = parameters.contextWidth
    while tokens.count < history.count + count {
        var t: UInt32
        repeat { t = UInt32.random(in: 0..<49_152, using: &rng) } while try !partition.isGreen(t, after: tokens.suffix(h))
        tokens.append(t)
    }
    return Array(tokens.dropFirst(history.count))
}

/// Keys from the seeded generator keep every statistical test deterministic.
func seededKey(_ rng: inout SeededGenerator) throws -> WatermarkKey {
    try WatermarkKey(bytes: (0..<32).map { _ in UInt8.random(in: 0...255, using: &rng) })
}

func randomIDs(_ count: Int, rng: inout SeededGenerator) -> [UInt32] {
    (0..<count).map { _ in UInt32.random(in: 0..<49_152, using: &rng) }
}

@Suite("detector behaviour")
struct DetectorBehaviourTests {
    @Test func tooShortIsNeverNotWatermarked() throws {
        let key = try WatermarkKey.generate()
        let detector = try Detector(keys: [key], parameters: SchemeParameters())
        var rng = SeededGenerator(seed: 1)
        let r = try detector.detect(watermarkedIDs(10, key: key, parameters: SchemeParameters(), rng: &rng))
        #expect(r.verdict == .tooShort)
        #expect(try detector.detect([UInt32]()).verdict == .tooShort)
        var options = DetectionOptions()
        options.minimumScored = 5
        #expect(try Detector(keys: [key], parameters: SchemeParameters(), options: options)
            .detect(watermarkedIDs(30, key: key, parameters: SchemeParameters(), rng: &rng)).verdict == .watermarked)
    }

    @Test func repetitionIsCountedOnceByDefault() throws {
        var rng = SeededGenerator(seed: 3)
        let key = try WatermarkKey.generate()
        let phrase = randomIDs(6, rng: &rng)
        let text = Array((0..<100).map { _ in phrase }.joined())
        let deduplicated = try Detector(keys: [key], parameters: SchemeParameters()).detect(text)
        #expect(deduplicated.scored == 6)  // five pairs inside the phrase plus the wrap-around pair
        var options = DetectionOptions()
        options.deduplicate = false
        let counted = try Detector(keys: [key], parameters: SchemeParameters(), options: options).detect(text)
        #expect(counted.scored == 599)
    }

    @Test func severalKeysReportTheMatchAndCorrect() throws {
        var rng = SeededGenerator(seed: 5)
        let right = try seededKey(&rng), wrong1 = try seededKey(&rng), wrong2 = try seededKey(&rng)
        let ids = try watermarkedIDs(60, key: right, parameters: SchemeParameters(), rng: &rng)
        let single = try Detector(keys: [right], parameters: SchemeParameters()).detect(ids)
        let multi = try Detector(keys: [wrong1, right, wrong2], parameters: SchemeParameters()).detect(ids)
        #expect(multi.keyID == right.keyID)
        #expect(multi.keysTried == 3)
        #expect(multi.keys?.count == 3)
        #expect(abs(multi.log10pAdjusted - (single.log10p + log10(3))) < 1e-9)
        #expect(multi.verdict == .watermarked)
        let none = try Detector(keys: [wrong1, wrong2], parameters: SchemeParameters()).detect(ids)
        #expect(none.verdict == .notWatermarked)
    }

    @Test func windowedScanFindsAWatermarkedSpanInsideHumanText() throws {
        var rng = SeededGenerator(seed: 11)
        let key = try seededKey(&rng)
        let before = randomIDs(400, rng: &rng)
        let span = try watermarkedIDs(80, key: key, parameters: SchemeParameters(), after: [before.last!], rng: &rng)
        let after = randomIDs(400, rng: &rng)
        var options = DetectionOptions()
        options.windowedScan = true
        let r = try Detector(keys: [key], parameters: SchemeParameters(), options: options).detect(before + span + after)
        let w = try #require(r.window)
        #expect(r.verdict == .watermarked)
        #expect(w.startToken >= 380 && w.endToken <= 500, "window \(w.startToken)..<\(w.endToken)")
        #expect(r.log10pAdjusted > w.log10p)  // corrected for the windows tried
        #expect(abs(r.log10pAdjusted - (w.log10p + log10(Double(w.windowsTried + 1)))) < 1e-6)
    }

    @Test func windowedScanKeepsItsFalsePositiveRate() throws {
        var rng = SeededGenerator(seed: 13)
        let key = try seededKey(&rng)
        var options = DetectionOptions()
        options.windowedScan = true
        options.falsePositiveRate = 0.01
        let detector = try Detector(keys: [key], parameters: SchemeParameters(), options: options)
        var positives = 0
        let documents = 1000
        for _ in 0..<documents where try detector.detect(randomIDs(400, rng: &rng)).verdict == .watermarked {
            positives += 1
        }
        // Bonferroni is conservative: at most α·n plus 3.3 standard deviations.
        #expect(Double(positives) <= 0.01 * Double(documents) + 3.3 * (0.01 * 0.99 * Double(documents)).squareRoot())
    }

    @Test func attributionMarksEveryToken() throws {
        var rng = SeededGenerator(seed: 17)
        let key = try WatermarkKey.generate()
        let parameters = try SchemeParameters(contextWidth: 2)
        var options = DetectionOptions()
        options.attribution = true
        let ids = try watermarkedIDs(30, key: key, parameters: parameters, after: [4, 5], rng: &rng)
        let r = try Detector(keys: [key], parameters: parameters, options: options).detect(ids + ids.prefix(10))
        let statuses = try #require(r.attribution)
        #expect(statuses.count == 40)
        #expect(statuses.prefix(2).allSatisfy { $0 == .context })
        #expect(statuses[2..<30].allSatisfy { $0 == .green })
        #expect(statuses.suffix(8).allSatisfy { $0 == .repeated })
        #expect(statuses.filter { $0 == .green }.count == r.green)
    }

    @Test func streamingSessionEqualsWholeDocument() throws {
        var rng = SeededGenerator(seed: 19)
        let key = try WatermarkKey.generate()
        let ids = randomIDs(500, rng: &rng)
        let detector = try Detector(keys: [key], parameters: SchemeParameters(contextWidth: 3))
        let session = detector.makeSession()
        for t in ids { try session.append(t) }
        let streamed = session.finish(), whole = try detector.detect(ids)
        #expect(streamed.scored == whole.scored && streamed.green == whole.green && streamed.log10p == whole.log10p)
    }

    @Test(arguments: [1, 2, 5])
    func contextCacheAgreesWithNoCacheThroughCollisions(h: Int) throws {
        // Far more distinct contexts than cache slots, with repeats, so slots are re-keyed often.
        var rng = SeededGenerator(seed: UInt64(40 + h))
        let key = try seededKey(&rng)
        let ids = (0..<30_000).map { _ in UInt32.random(in: 0..<3_000, using: &rng) }
        var cached = DetectionOptions(), uncached = DetectionOptions()
        cached.attribution = true
        uncached.attribution = true
        uncached.cacheSeeds = false
        let parameters = try SchemeParameters(contextWidth: h)
        let detector = try Detector(keys: [key], parameters: parameters, options: cached)
        let a = try detector.detect(ids), b = try Detector(keys: [key], parameters: parameters, options: uncached).detect(ids)
        #expect(a.attribution == b.attribution)
        #expect(a.green == b.green && a.scored == b.scored)
        // The cache outlives a document: a second document through the same detector agrees too.
        #expect(try detector.detect(ids.reversed()).green == Detector(keys: [key], parameters: parameters, options: uncached).detect(ids.reversed()).green)
    }

    @Test func optionsAreValidated() throws {
        let key = try WatermarkKey.generate()
        var options = DetectionOptions()
        options.falsePositiveRate = 0
        #expect(throws: DetectionError.falsePositiveRateOutOfRange(0)) { try Detector(keys: [key], parameters: SchemeParameters(), options: options) }
        options = DetectionOptions()
        options.minimumScored = 0
        #expect(throws: DetectionError.minimumScoredTooSmall(0)) { try Detector(keys: [key], parameters: SchemeParameters(), options: options) }
        #expect(throws: DetectionError.noKeys) { try Detector(keys: [], parameters: SchemeParameters()) }
    }
}

@Suite("input parsing")
struct InputParsingTests {
    @Test(arguments: [
        ("5 17 9 4096", [5, 17, 9, 4096]),
        ("[5, 17, 9, 4096]", [5, 17, 9, 4096]),
        ("  [5,17,\n9 ,4096]\n", [5, 17, 9, 4096]),
        ("0,4294967295", [0, 4_294_967_295]),
        ("1\r\n2\r\n", [1, 2]),
    ] as [(String, [UInt32])])
    func idsParse(_ text: String, _ expected: [UInt32]) throws {
        #expect(try TokenIDParser.parse(Array(text.utf8)) == expected)
    }

    @Test(arguments: ["", "   ", "[]", "1 2 x", "4294967296", "99999999999999999999", "[1, 2", "1 2]", "[[1]]",
                      "[1] 2", "-1", "1.5", "1e3"])
    func badIDsAreRefused(_ text: String) {
        let error = #expect(throws: TokenIDParser.ParseFailure.self) { try TokenIDParser.parse(Array(text.utf8)) }
        #expect(error?.description.isEmpty == false)
    }

    @Test func idsStraddlingChunksParse() throws {
        let text = Array("[123456, 7, 4294967295, 42]".utf8)
        for split in 0...text.count {
            var parser = TokenIDParser()
            var out: [UInt32] = []
            try parser.feed(text[..<split]) { out.append($0) }
            try parser.feed(text[split...]) { out.append($0) }
            try parser.finish { out.append($0) }
            #expect(out == [123_456, 7, 4_294_967_295, 42])
        }
    }

    @Test func jsonLinesDocuments() throws {
        #expect(try JSONLinesDocument.parse(Array(#"{"text": "hello"}"#.utf8)) == .text("hello"))
        #expect(try JSONLinesDocument.parse(Array(#"{"ids": [1, 2, 3], "other": true}"#.utf8)) == .ids([1, 2, 3]))
        #expect(try JSONLinesDocument.parse(Array(#"{"text": "a", "ids": [1]}"#.utf8)) == .text("a"))
        let idsProblem = #""ids" must be an array of integers 0 to 4294967295"#
        for (bad, problem) in [(#"{"ids": [1, -2]}"#, idsProblem), (#"{"ids": "1 2"}"#, idsProblem), (#"{"ids": [1.5]}"#, idsProblem),
                               (#"{"text": 5}"#, #""text" must be a string"#),
                               (#"{}"#, #"has neither a "text" nor an "ids" field"#),
                               (#"[1, 2]"#, #"not a JSON object with a "text" or "ids" field"#),
                               ("not json", #"not a JSON object with a "text" or "ids" field"#)] {
            let error = #expect(throws: InputError.self, "\(bad)") { try JSONLinesDocument.parse(Array(bad.utf8)) }
            #expect(error?.problem.hasPrefix(problem) == true, "\(bad): \(error?.problem ?? "")")
        }
        // Invalid UTF-8 is named as such, with where it is, not as "not a JSON object".
        for (bytes, problem) in [(Array(#"{"text": "ab"#.utf8) + [0xFF, 0xFE] + Array(#""}"#.utf8), "is not valid UTF-8 text (byte 12 of the line)"),
                                 (Array(#"{"text": "caf"#.utf8) + [0xC3], "is not valid UTF-8 text (it ends inside a character)")] {
            let error = #expect(throws: InputError.self) { try JSONLinesDocument.parse(bytes) }
            #expect(error?.problem == problem, "\(error?.problem ?? "")")
        }
    }
}

@Suite("UTF-8 validation")
struct UTF8ValidatorTests {
    @Test func agreesWithTheStandardLibraryAtEverySplit() {
        var rng = SeededGenerator(seed: 23)
        let samples: [[UInt8]] = [
            Array("plain ascii".utf8), Array("naïve café 東京 👍🏽 \u{10FFFF}".utf8),
            [0xC0, 0x80], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xE0, 0x9F, 0x80], [0xF0, 0x8F, 0x80, 0x80],
            [0xE2, 0x82], [0x80], [0xFF], [0x61, 0xE2, 0x82, 0xAC, 0x62],
        ] + (0..<300).map { _ in (0..<Int.random(in: 1...12, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) } }
        for bytes in samples {
            let expected = String(validating: bytes, as: UTF8.self) != nil
            for split in 0...bytes.count {
                var v = UTF8Validator()
                let ok = v.feed(bytes[..<split]) && v.feed(bytes[split...]) && v.isComplete
                #expect(ok == expected, "\(bytes) split at \(split)")
            }
        }
    }
}

import Detection
import Foundation
import Synchronization
import Testing
import TestSupport
import Watermark
@testable import WatermarkServerCore

private func temporaryPath(_ name: String) -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("server-tests-\(UUID().uuidString)")
    try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir.appendingPathComponent(name).path
}

private func token(_ name: String = "alice", scope: Scope = .full, rpm: Int = 60, perDay: Int = 1000) -> APIToken {
    APIToken(name: name, sha256: APIToken.digest(of: "secret-" + name), scope: scope, requestsPerMinute: rpm, tokensPerDay: perDay)
}

@Suite("API tokens")
struct APITokenTests {
    @Test func generatedTokenIsAcceptedByItsLine() throws {
        let made = try APIToken.generate(name: "moderation-team", scope: .verdict, requestsPerMinute: 30, tokensPerDay: 5000)
        #expect(made.secret.hasPrefix("wmk_") && made.secret.count == 47)
        #expect(!made.entry.line.contains(made.secret))
        let path = temporaryPath("tokens.jsonl")
        try ("# comment\n\n" + made.entry.line + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        let table = try TokenTable.load(path: path)
        #expect(table.token(forSecret: made.secret) == made.entry)
        #expect(table.token(forSecret: made.secret + "x") == nil)
        let other = try APIToken.generate(name: "b", scope: .full, requestsPerMinute: 1, tokensPerDay: 1)
        #expect(other.secret != made.secret)
    }

    @Test(arguments: [
        ("{\"name\":\"a\"}", "tokens.jsonl:1: missing \"sha256\""),
        ("[1]", "tokens.jsonl:1: not a JSON object"),
        ("{\"name\":\"a\",\"sha256\":\"00\",\"scope\":\"full\",\"requestsPerMinute\":1,\"tokensPerDay\":1}", "64 lower-case hex"),
        ("{\"name\":\"a b\",\"sha256\":\"\(String(repeating: "a", count: 64))\",\"scope\":\"full\",\"requestsPerMinute\":1,\"tokensPerDay\":1}", "\"name\" must be"),
        ("{\"name\":\"a\",\"sha256\":\"\(String(repeating: "a", count: 64))\",\"scope\":\"admin\",\"requestsPerMinute\":1,\"tokensPerDay\":1}", "\"scope\" must be \"verdict\" or \"full\""),
        ("{\"name\":\"a\",\"sha256\":\"\(String(repeating: "a", count: 64))\",\"scope\":\"full\",\"requestsPerMinute\":0,\"tokensPerDay\":1}", "\"requestsPerMinute\" must be"),
        ("{\"name\":\"a\",\"sha256\":\"\(String(repeating: "a", count: 64))\",\"scope\":\"full\",\"requestsPerMinute\":\"5\",\"tokensPerDay\":1}", "\"requestsPerMinute\" has the wrong type"),
        ("{\"name\":\"a\",\"sha256\":\"\(String(repeating: "a", count: 64))\",\"scope\":\"full\",\"requestsPerMinute\":1,\"tokensPerDay\":1,\"admin\":true}", "unknown field \"admin\""),
        ("", "no tokens"),
    ])
    func badTokensFilesAreRefusedWithTheLine(content: String, expected: String) throws {
        let path = temporaryPath("tokens.jsonl")
        try content.write(toFile: path, atomically: true, encoding: .utf8)
        do {
            _ = try TokenTable.load(path: path)
            Issue.record("accepted: \(content)")
        } catch {
            #expect(error.description.contains(expected), "\(error.description)")
            #expect(error.description.hasPrefix(path))
        }
    }

    @Test func duplicateNamesAndDigestsAreRefused() throws {
        let a = token("a"), b = token("b")
        let path = temporaryPath("tokens.jsonl")
        try [a.line, APIToken(name: "a", sha256: b.sha256, scope: .full, requestsPerMinute: 1, tokensPerDay: 1).line]
            .joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
        #expect(throws: ServerSetupError.self) { try TokenTable.load(path: path) }
        try [a.line, APIToken(name: "c", sha256: a.sha256, scope: .full, requestsPerMinute: 1, tokensPerDay: 1).line]
            .joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
        do { _ = try TokenTable.load(path: path) } catch { #expect(error.description.contains(":2: this sha256 is already")) }
    }
}

@Suite("rate limits and rounding")
struct LimitTests {
    @Test func bucketAllowsAMinutesBurstThenRefills() {
        let limiter = RateLimiter()
        let t = token(rpm: 6)
        for _ in 0..<6 { #expect(limiter.take(t, now: 100) == nil) }
        #expect(limiter.take(t, now: 100) == 10)  // one request per 10 s
        #expect(limiter.take(t, now: 105) == 5)
        #expect(limiter.take(t, now: 110) == nil)
        #expect(limiter.take(t, now: 110) != nil)
        #expect(limiter.take(token("other", rpm: 6), now: 110) == nil)  // buckets are per token
    }

    @Test func pValuesAreRoundedToTwoSignificantDigits() {
        #expect(roundedToTwoDigits(0.012345) == 0.012)
        #expect(roundedToTwoDigits(1) == 1)
        #expect(roundedToTwoDigits(3.456e-120) == 3.5e-120)
        #expect(roundedToTwoDigits(0) == 0)
        #expect(roundedToTwoDigits(9.96e-5) == 1.0e-4)
    }

    @Test func bearerTokensLoseOnlyHTTPsOptionalWhitespace() {
        for (header, expected) in [("abc", "abc"), (" \tabc \t", "abc"), ("a b", "a b"), ("  ", ""), ("", ""),
                                   ("\u{A0}abc", "\u{A0}abc"), ("ünï ", "ünï")] {
            #expect(WatermarkService.trimmingOptionalWhitespace(Substring(header)) == expected, "\(header.debugDescription)")
        }
        // A substring that does not start at its string's start.
        let whole = "Bearer \t tok\t"
        #expect(WatermarkService.trimmingOptionalWhitespace(whole.dropFirst(6)) == "tok")
    }

    @Test func utcDaysAndTheirEnds() {
        let t = Date(timeIntervalSince1970: 1_796_169_599)  // 2026-12-01 23:59:59 UTC
        #expect(QuotaStore.day(of: t) == "2026-12-01")
        #expect(QuotaStore.day(of: t.addingTimeInterval(1)) == "2026-12-02")
        #expect(QuotaStore.secondsToNextDay(from: t) == 1)
    }
}

@Suite("quota store")
struct QuotaStoreTests {
    @Test func budgetIsChargedOnlyWithinTheLimitAndSurvivesReopening() async throws {
        let path = temporaryPath("quota.sqlite")
        let t = token(perDay: 1000)
        let now = Date()
        func entry(_ tokens: Int) -> AuditEntry {
            AuditEntry(time: now, token: t.name, route: "/v1/detect", status: 200, documents: 1, tokens: tokens,
                       verdicts: ["watermarked"], digests: [String(repeating: "ab", count: 32)])
        }
        do {
            let store = try QuotaStore(path: path)
            #expect(try await store.charge(t, entry: entry(600)) == .charged(used: 600))
            #expect(try await store.charge(t, entry: entry(600)) == .overBudget(used: 600))
            #expect(!store.knownSpent(t, day: QuotaStore.day(of: now)))
            #expect(try await store.charge(t, entry: entry(400)) == .charged(used: 1000))
            #expect(store.knownSpent(t, day: QuotaStore.day(of: now)))
            try store.flush()
        }
        let reopened = try QuotaStore(path: path)
        #expect(try await reopened.used(t.name, day: QuotaStore.day(of: now)) == 1000)
        #expect(try await reopened.charge(t, entry: entry(1)) == .overBudget(used: 1000))
        let rows = try await reopened.auditRows()
        #expect(rows.map { $0["status"] } == ["200", "429", "200", "429"])
        #expect(rows[1]["reason"] == "daily-budget")
        #expect(rows.allSatisfy { $0["token"] == "alice" && $0["sha256"] == "[\"\(String(repeating: "ab", count: 32))\"]" })
    }

    @Test func concurrentChargesNeverOverspend() async throws {
        let store = try QuotaStore(path: temporaryPath("quota.sqlite"))
        let t = token(perDay: 1000)
        let now = Date()
        let charged = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<64 {
                group.addTask {
                    let e = AuditEntry(time: now, token: t.name, route: "/v1/detect", status: 200, documents: 1, tokens: 70)
                    if case .charged = try! await store.charge(t, entry: e) { return true }
                    return false
                }
            }
            return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(charged == 14)  // 14 × 70 = 980 ≤ 1000 < 15 × 70
        #expect(try await store.used(t.name, day: QuotaStore.day(of: now)) == 980)
    }

    @Test func aFileThatIsNotSQLiteIsRefusedWithItsName() throws {
        let path = temporaryPath("not.sqlite")
        try "this is not a database, but long enough to have a header of its own, not SQLite's".write(toFile: path, atomically: true, encoding: .utf8)
        do { _ = try QuotaStore(path: path); Issue.record("opened") } catch { #expect(error.description.hasPrefix(path + ": ")) }
    }
}

@Suite("request parsing")
struct RequestParserTests {
    @Test func documentsParse() throws {
        #expect(try RequestParser.document(Array(#"{"text":"hi","id":"a","scan":true}"#.utf8))
            == DocumentRequest(input: .text("hi"), id: .string("a"), scan: true))
        #expect(try RequestParser.document(Array(#"{"ids":[1,2,4294967295],"id":7,"attribution":true}"#.utf8))
            == DocumentRequest(input: .ids([1, 2, 4_294_967_295]), id: .int(7), attribution: true))
        #expect(try RequestParser.document(Array(#"{"text":"","id":null}"#.utf8)) == DocumentRequest(input: .text("")))
    }

    @Test(arguments: [
        (#"{"text":1}"#, #""text": must be a string"#),
        (#"{"ids":[1,-2]}"#, #""ids[1]": must be an array of integers 0 to 4294967295"#),
        (#"{"ids":[4294967296]}"#, "integers 0 to 4294967295"),
        (#"{"ids":[]}"#, #""ids" is empty"#),
        (#"{"text":"a","ids":[1]}"#, "not both"),
        (#"{}"#, "neither"),
        (#"{"txt":"a"}"#, #"unknown field "txt""#),
        (#"{"text":"a","scan":"yes"}"#, #""scan": must be true or false"#),
        (#"{"text":"a","id":[1]}"#, #""id" must be a string or an integer"#),
        (#"{"text":"a","id":1.5}"#, #""id" must be a string or an integer"#),
        (#"[1,2]"#, "must be a JSON object"),
        (#"{"text":"a""#, "not valid JSON"),
        ("", "not valid JSON"),
    ])
    func badDocumentsGiveOneLineReasons(body: String, expected: String) {
        do {
            _ = try RequestParser.document(Array(body.utf8))
            Issue.record("accepted \(body)")
        } catch {
            #expect(error.reason == .badRequest)
            #expect(error.message.contains(expected), "\(error.message)")
            #expect(!error.message.contains("\n"))
        }
    }

    @Test func aBatchKeepsGoodDocumentsBesideBadOnes() throws {
        let parsed = try RequestParser.batch(Array(#"{"documents":[{"text":"a"},{"ids":"x"},7,{"ids":[3]}]}"#.utf8), maximumDocuments: 10)
        #expect(parsed.count == 4)
        #expect(try parsed[0].get() == DocumentRequest(input: .text("a")))
        #expect(throws: APIFailure.self) { try parsed[1].get() }
        if case .failure(let f) = parsed[1] { #expect(f.message.hasPrefix(#""documents[1].ids": "#), "\(f.message)") }
        if case .failure(let f) = parsed[2] { #expect(f.message.contains("documents[2]"), "\(f.message)") }
        #expect(try parsed[3].get() == DocumentRequest(input: .ids([3])))
        #expect(throws: APIFailure(.tooManyDocuments, "11 documents; at most 10 in one batch")) {
            try RequestParser.batch(Array(("{\"documents\":[" + Array(repeating: "{\"ids\":[1]}", count: 11).joined(separator: ",") + "]}").utf8),
                                    maximumDocuments: 10)
        }
        #expect(throws: APIFailure.self) { try RequestParser.batch(Array(#"{"documents":{}}"#.utf8), maximumDocuments: 10) }
        #expect(throws: APIFailure.self) { try RequestParser.batch(Array(#"{"docs":[]}"#.utf8), maximumDocuments: 10) }
    }
}

/// The quick body reader against Foundation's decoder on bodies built to hit every branch:
/// whatever the quick reader takes must come out as the decoder path gives it, errors included.
@Suite("quick request bodies")
struct QuickBodyTests {
    private static let strings = [
        #""""#, #""hi""#, #""a\"b""#, #""\u00e9\n""#, #""\ud83d\ude00""#, #""\ud83d""#, #""é日本""#, #""\x""#,
        "\"" + String(repeating: "x", count: 1030) + "\"", "\"tab\there\"",
    ]
    private static let values: [String: [String]] = [
        "\"text\"": strings + ["1", "null", "[]", "true"],
        "\"ids\"": ["[]", "[1,2,3]", "[ 4294967295 ]", "[4294967296]", "[-1]", "[-0]", "[1.5]", "[01]", "[1,]", "null", "\"1\""],
        "\"id\"": strings + ["7", "-0", "-3", "01", "1.5", "1e2", "9223372036854775807", "9223372036854775808", "true", "null", "[1]", "{}"],
        "\"scan\"": ["true", "false", "null", "1", "\"yes\""],
        "\"attribution\"": ["true", "false", "null", "0"],
        "\"other\"": ["1"], "\"te\\u0078t\"": ["\"a\""],
    ]

    private static func document(_ rng: inout SeededGenerator) -> String {
        let names = Array(values.keys).sorted()
        var keys: [String] = Bool.random(using: &rng) ? [Bool.random(using: &rng) ? "\"text\"" : "\"ids\""] : []
        for _ in 0..<Int.random(in: 0...3, using: &rng) { keys.append(names.randomElement(using: &rng)!) }
        let fields = keys.shuffled(using: &rng).map { key in
            key + [":", " : ", ":\t"].randomElement(using: &rng)! + values[key]!.randomElement(using: &rng)!
        }
        let object = "{" + fields.joined(separator: [",", " , "].randomElement(using: &rng)!) + "}"
        return Int.random(in: 0..<20, using: &rng) == 0 ? ["7", "[]", "{", "\"x\"", "null"].randomElement(using: &rng)! : object
    }

    private static func outcome(_ body: () throws(APIFailure) -> DocumentRequest) -> String {
        do { return "ok \(try body())" } catch { return "\(error.reason.rawValue) \(error.message)" }
    }

    @Test func singleDocumentsReadAsTheDecoderReadsThem() {
        var rng = SeededGenerator(seed: 131)
        var quickTaken = 0
        defer { #expect(quickTaken > 2_000, "\(quickTaken)") }
        for n in 0..<20_000 {
            var body = Self.document(&rng)
            if Int.random(in: 0..<10, using: &rng) == 0 { body = [" ", "\n", "\u{FEFF}"].randomElement(using: &rng)! + body + [" x", "\n", "}"].randomElement(using: &rng)! }
            let bytes = Array(body.utf8)
            if QuickBody.document(bytes) != nil { quickTaken += 1 }
            #expect(Self.outcome { () throws(APIFailure) in try RequestParser.document(bytes) }
                    == Self.outcome { () throws(APIFailure) in try RequestParser.decodedDocument(bytes) }, "body \(n): \(body.prefix(200))")
        }
    }

    @Test func batchesReadAsTheDecoderReadsThem() {
        var rng = SeededGenerator(seed: 132)
        func describe(_ body: [UInt8], quick: Bool) -> String {
            do {
                return try RequestParser.batch(body, maximumDocuments: 4, quick: quick).map { result in
                    switch result {
                    case .success(let d): return "ok \(d)"
                    case .failure(let f): return "\(f.reason.rawValue) \(f.message)"
                    }
                }.joined(separator: "\n")
            } catch { return "whole: \(error.reason.rawValue) \(error.message)" }
        }
        var quickTaken = 0
        for n in 0..<5_000 {
            let documents = (0..<Int.random(in: 0...5, using: &rng)).map { _ in Self.document(&rng) }
            let wrappers = [("{\"documents\":[", "]}"), ("{ \"documents\" : [ ", " ] }"), ("{\"documents\":{", "}}"),
                            ("{\"docs\":[", "]}"), ("[", "]"), ("{\"documents\":[", "]"), ("{\"documents\":[", "]} x")]
            let (open, close) = wrappers[Int.random(in: 0..<10, using: &rng) < 6 ? 0 : Int.random(in: 1..<wrappers.count, using: &rng)]
            let body = Array((open + documents.joined(separator: ",") + close).utf8)
            let quick = describe(body, quick: true)
            #expect(quick == describe(body, quick: false), "body \(n): \(String(decoding: body.prefix(300), as: UTF8.self))")
            if QuickBody.batch(body) != nil { quickTaken += 1 }
        }
        #expect(quickTaken > 500, "\(quickTaken)")  // the quick path is exercised, not just the fallback
    }
}

@Suite("detection workers")
struct WorkerTests {
    private func pipelineMaker(_ keys: [WatermarkKey]) -> @Sendable (Bool, Bool) throws -> DetectionPipeline {
        { scan, attribution in
            var options = DetectionOptions()
            options.windowedScan = scan
            options.attribution = attribution
            return try DetectionPipeline(keys: keys, options: options, tokenizer: nil)
        }
    }

    @Test func answersEqualThePipelinesOnManyConcurrentJobs() async throws {
        let key = try WatermarkKey.generate()
        let workers = DetectionWorkers(threads: 2, capacity: 1000, make: pipelineMaker([key]))
        defer { workers.shutdown() }
        let reference = try DetectionPipeline(keys: [key], tokenizer: nil)
        var rng = SeededGenerator(seed: 5)
        let documents = (0..<200).map { _ in (0..<Int.random(in: 1...300, using: &rng)).map { _ in UInt32.random(in: 0..<49_152, using: &rng) } }
        let expected = try documents.map { try JSONLine.string(encoding: reference.detect(ids: $0)) }
        let deadline = ContinuousClock.now + .seconds(3600)
        let got = try await withThrowingTaskGroup(of: (Int, String).self) { group in
            for (i, ids) in documents.enumerated() {
                group.addTask {
                    (i, try await workers.run(deadline: deadline) { set in
                        (try? set.pipeline(scan: false, attribution: false).detect(ids: ids)).map { JSONLine.string(encoding: $0) } ?? "failed"
                    })
                }
            }
            var out = [String](repeating: "", count: documents.count)
            for try await (i, s) in group { out[i] = s }
            return out
        }
        #expect(got == expected)
    }

    @Test func aFullQueueRefusesAtOnceAndExpiredJobsAreDropped() async throws {
        let workers = DetectionWorkers(threads: 1, capacity: 2, make: pipelineMaker([try WatermarkKey.generate()]))
        defer { workers.shutdown() }
        let gate = DispatchSemaphore(value: 0)
        let far = ContinuousClock.now + .seconds(3600)  // must outlast a busy runner, where these tasks wait behind model tests
        // One job holds the only thread; two fill the queue; the fourth is refused.
        let running = Mutex(false)
        async let held: Int = workers.run(deadline: far) { _ in
            running.withLock { $0 = true }
            gate.wait()
            return 1
        }
        while !running.withLock({ $0 }) { try await Task.sleep(for: .milliseconds(5)) }
        async let queuedA: Int = workers.run(deadline: ContinuousClock.now + .milliseconds(50)) { _ in 2 }
        async let queuedB: Int = workers.run(deadline: far) { _ in 3 }
        while workers.queued < 2 { try await Task.sleep(for: .milliseconds(5)) }
        await #expect(throws: APIFailure.self) { try await workers.run(deadline: far) { _ in 4 } }
        try await Task.sleep(for: .milliseconds(100))
        gate.signal()
        #expect(try await held == 1)
        do { _ = try await queuedA; Issue.record("an expired job ran") } catch { #expect((error as? APIFailure)?.reason == .timeout) }
        #expect(try await queuedB == 3)
    }

    @Test func shutdownFinishesQueuedJobsThenRefuses() async throws {
        let workers = DetectionWorkers(threads: 1, capacity: 10, make: pipelineMaker([try WatermarkKey.generate()]))
        let far = ContinuousClock.now + .seconds(3600)  // must outlast a busy runner, where these tasks wait behind model tests
        let gate = DispatchSemaphore(value: 0)
        let running = Mutex(false)
        async let a: Int = workers.run(deadline: far) { _ in
            running.withLock { $0 = true }
            gate.wait()
            return 1
        }
        while !running.withLock({ $0 }) { try await Task.sleep(for: .milliseconds(5)) }
        async let b: Int = workers.run(deadline: far) { _ in 2 }
        while workers.queued < 1 { try await Task.sleep(for: .milliseconds(5)) }
        let stopper = Task.detached { workers.shutdown() }
        while !workers.isClosed { try await Task.sleep(for: .milliseconds(5)) }
        do { _ = try await workers.run(deadline: far) { _ in 5 }; Issue.record("ran after shutdown began") } catch {
            #expect(error.reason == .shuttingDown)
        }
        gate.signal()
        #expect(try await a + b == 3)  // both accepted jobs ran
        await stopper.value
    }
}

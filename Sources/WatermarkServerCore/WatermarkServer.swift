import Detection
import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle

/// Where and how the service listens, and where its state lives.
public struct ServerConfiguration: Sendable {
    public var host = "127.0.0.1"
    /// 0 picks a free port (the chosen one is printed at start).
    public var port = 8080
    public var tokensPath: String
    public var databasePath: String
    public var limits = ServiceLimits()
    /// Seconds a connection may send nothing, between requests or inside one, before it is
    /// closed: what ends a request whose body stops arriving.
    public var idleTimeout: Int64 = 30

    public init(tokensPath: String, databasePath: String) {
        self.tokensPath = tokensPath
        self.databasePath = databasePath
    }
}

/// The running service's parts; `respond` is the whole HTTP API.
public final class WatermarkService: Sendable {
    public let detection: DetectionService
    public let tokens: TokenTable
    public let store: QuotaStore
    public let limiter = RateLimiter()
    public let metrics = ServiceMetrics()
    let logger: Logger
    private let started = ContinuousClock.now

    public init(setup: DetectionSetup, configuration: ServerConfiguration, logger: Logger) throws(ServerSetupError) {
        tokens = try TokenTable.load(path: configuration.tokensPath)
        store = try QuotaStore(path: configuration.databasePath)
        detection = DetectionService(setup: setup, limits: configuration.limits)
        self.logger = logger
    }

    private var monotonicSeconds: Double {
        let d = ContinuousClock.now - started
        return Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
    }

    /// Answers one request: the routes, and every failure as JSON with its status.
    func respond(to request: Request) async -> Response {
        let start = ContinuousClock.now
        let path = request.uri.path
        let route = ServiceMetrics.routes.contains(path) ? path : "other"
        var response: Response
        do throws(APIFailure) {
            response = try await dispatch(request, path: path)
        } catch {
            metrics.rejected(error.reason)
            response = Self.failure(error)
            if error.status >= 500 { logger.notice("refused", metadata: ["route": "\(route)", "reason": "\(error.reason.rawValue)"]) }
        }
        let elapsed = ContinuousClock.now - start
        metrics.request(route: route, status: Int(response.status.code), duration: elapsed)
        logger.debug("request", metadata: ["route": "\(route)", "status": "\(response.status.code)",
                                           "ms": "\(Double(elapsed.components.attoseconds) * 1e-15 + Double(elapsed.components.seconds) * 1e3)"])
        return response
    }

    /// Each route and the method it takes.
    private static let methods: [String: HTTPRequest.Method] = ["/v1/detect": .post, "/v1/detect/batch": .post, "/healthz": .get,
                                                                "/readyz": .get, "/metrics": .get, "/openapi.json": .get]

    private func dispatch(_ request: Request, path: String) async throws(APIFailure) -> Response {
        guard let method = Self.methods[path] else { throw APIFailure(.notFound, "no such route; the API is described at /openapi.json") }
        guard request.method == method || (method == .get && request.method == .head) else {
            throw APIFailure(.methodNotAllowed, "\(path) takes \(method == .get ? "GET" : "POST") only",
                             allow: method == .get ? "GET, HEAD" : "POST")
        }
        switch path {
        case "/v1/detect": return try await detect(request, batch: false)
        case "/v1/detect/batch": return try await detect(request, batch: true)
        case "/healthz": return Self.json(200, #"{"status":"ok"}"#)
        case "/readyz": return Self.json(200, #"{"status":"ready"}"#)
        case "/metrics":
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(bytes: metrics.exposition(queued: detection.workers.queued))))
        default: return Self.json(200, OpenAPIDocument.json)
        }
    }

    // MARK: Detection

    private func detect(_ request: Request, batch: Bool) async throws(APIFailure) -> Response {
        let route = batch ? "/v1/detect/batch" : "/v1/detect"
        let deadline = ContinuousClock.now + detection.limits.requestTimeout
        let token = try authenticate(request)
        let now = Date()
        var entry = AuditEntry(time: now, token: token.name, route: route, status: 200)
        do throws(APIFailure) {
            if let wait = limiter.take(token, now: monotonicSeconds) {
                throw APIFailure(.rateLimited, "more than \(token.requestsPerMinute) requests a minute for this token", retryAfter: wait)
            }
            let day = QuotaStore.day(of: now)
            if store.knownSpent(token, day: day) {
                throw APIFailure(.dailyBudget, "this token's \(token.tokensPerDay) tokens for \(day) (UTC) are spent",
                                 retryAfter: QuotaStore.secondsToNextDay(from: now))
            }
            let body = try await readBody(request, deadline: deadline)
            let documents: [Result<DocumentRequest, APIFailure>]
            if batch {
                documents = try RequestParser.batch(body, maximumDocuments: detection.limits.maximumDocuments)
            } else {
                documents = [.success(try RequestParser.document(body))]
            }
            let answers = try await detection.answer(documents, scope: token.scope, deadline: deadline)
            entry.documents = answers.count
            entry.tokens = answers.reduce(0) { $0 + $1.tokens }
            entry.verdicts = answers.map(\.verdict)
            entry.digests = answers.map(\.digest)
            if !batch, let failure = answers[0].failure { throw failure }
            let charge: QuotaStore.Charge
            do { charge = try await store.charge(token, entry: entry) } catch {
                logger.error("quota store failed", metadata: ["error": "\(error)"])
                throw APIFailure(.internalError, "the quota store failed; nothing was charged")
            }
            if case .overBudget(let used) = charge {
                throw APIFailure(.dailyBudget, "this request has \(entry.tokens) tokens and \(max(0, token.tokensPerDay - used)) of the token's \(token.tokensPerDay) for \(day) (UTC) are left",
                                 retryAfter: QuotaStore.secondsToNextDay(from: now))
            }
            for answer in answers {
                if let failure = answer.failure { metrics.rejected(failure.reason) } else { metrics.scored(verdict: answer.verdict, tokens: answer.tokens) }
            }
            let json = batch ? "{\"results\":[" + answers.map(\.json).joined(separator: ",") + "]}" : answers[0].json
            return Self.json(200, json)
        } catch {
            // The budget's own refusal wrote its audit row in the charge transaction.
            if !(error.reason == .dailyBudget && entry.documents > 0) {
                entry.status = error.status
                entry.reason = error.reason.rawValue
                do { try await store.record(entry) } catch { logger.error("audit log write failed", metadata: ["error": "\(error)"]) }
            }
            throw error
        }
    }

    /// The bearer token's entry, or 401.
    private func authenticate(_ request: Request) throws(APIFailure) -> APIToken {
        guard let header = request.headers[.authorization] else {
            throw APIFailure(.unauthorized, "no Authorization header; send Authorization: Bearer <token>")
        }
        let parts = header.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else {
            throw APIFailure(.unauthorized, "the Authorization header is not \"Bearer <token>\"")
        }
        guard let token = tokens.token(forSecret: Self.trimmingOptionalWhitespace(parts[1])) else {
            throw APIFailure(.unauthorized, "unknown API token")
        }
        return token
    }

    /// `value` without leading and trailing spaces and tabs (HTTP's optional whitespace).
    /// Foundation's `trimmingCharacters`, which bridges through NSString, cost about 2% of a
    /// single-document request.
    static func trimmingOptionalWhitespace(_ value: Substring) -> String {
        let bytes = value.utf8
        var start = bytes.startIndex, end = bytes.endIndex
        func isOWS(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 }
        while start < end, isOWS(bytes[start]) { bytes.formIndex(after: &start) }
        while end > start, isOWS(bytes[bytes.index(before: end)]) { bytes.formIndex(before: &end) }
        return String(value[start..<end])
    }

    /// The request body, refused past the size cap or the deadline. The deadline is checked
    /// as each chunk arrives (a timer per request costs more than the detection it guards);
    /// a client that stops sending altogether is cut off by the connection's idle timeout.
    private func readBody(_ request: Request, deadline: ContinuousClock.Instant) async throws(APIFailure) -> [UInt8] {
        let limit = detection.limits.maximumBodyBytes
        if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > limit {
            throw APIFailure(.bodyTooLarge, "the body is \(length) bytes; at most \(limit)")
        }
        var bytes: [UInt8] = []
        do {
            for try await chunk in request.body {
                guard bytes.count + chunk.readableBytes <= limit else {
                    throw APIFailure(.bodyTooLarge, "the body is larger than \(limit) bytes")
                }
                guard ContinuousClock.now <= deadline else {
                    throw APIFailure(.timeout, "the body did not arrive within the request timeout", retryAfter: 1)
                }
                bytes.append(contentsOf: chunk.readableBytesView)
            }
        } catch let failure as APIFailure {
            throw failure
        } catch {
            throw APIFailure(.badRequest, "the body could not be read")
        }
        return bytes
    }

    // MARK: Responses

    static func json(_ status: Int, _ text: String, headers extra: HTTPFields = [:]) -> Response {
        var headers: HTTPFields = [.contentType: "application/json"]
        headers.append(contentsOf: extra)
        return Response(status: .init(code: status), headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    static func failure(_ failure: APIFailure) -> Response {
        var headers: HTTPFields = [:]
        if let seconds = failure.retryAfter { headers[.retryAfter] = String(seconds) }
        if failure.reason == .unauthorized { headers[.wwwAuthenticate] = "Bearer" }
        if let allow = failure.allow { headers[.allow] = allow }
        return json(failure.status, JSONLine.string(encoding: ErrorAnswer(error: failure.message, reason: failure.reason.rawValue, id: nil)),
                    headers: headers)
    }
}

/// The HTTP responder: every request goes to ``WatermarkService/respond(to:)``.
struct ServiceResponder: HTTPResponder {
    typealias Context = BasicRequestContext
    let service: WatermarkService
    func respond(to request: Request, context: BasicRequestContext) async throws -> Response {
        await service.respond(to: request)
    }
}

/// Runs the service until SIGTERM or SIGINT: then it stops accepting connections, answers
/// every request already accepted, stops the detection threads, checkpoints the SQLite file
/// and returns.
public func runServer(setup: DetectionSetup, configuration: ServerConfiguration, logger: Logger,
                      onListening: @escaping @Sendable (String, Int) -> Void) async throws {
    let service = try WatermarkService(setup: setup, configuration: configuration, logger: logger)
    logger.info("starting", metadata: ["keyIDs": "\(setup.keys.map(\.keyID).joined(separator: ","))",
                                       "tokenizer": "\(setup.tokenizer.fingerprint)", "threads": "\(configuration.limits.threads)",
                                       "apiTokens": "\(service.tokens.tokens.count)", "database": "\(configuration.databasePath)"])
    let app = Application(
        responder: ServiceResponder(service: service),
        server: .http1(configuration: .init(idleTimeout: .seconds(configuration.idleTimeout))),
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: nil, backlog: 1024),
        onServerRunning: { channel in
            onListening(configuration.host, channel.localAddress?.port ?? configuration.port)
        },
        logger: logger)
    do {
        try await app.runService()
    } catch {
        service.detection.workers.shutdown()
        throw error
    }
    service.detection.workers.shutdown()
    do { try service.store.flush() } catch { logger.error("checkpoint failed", metadata: ["error": "\(error)"]) }
    logger.info("stopped")
}

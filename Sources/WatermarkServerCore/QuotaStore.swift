import Dispatch
import Foundation
import GRDB
import SystemSupport

/// One request as the audit log keeps it: who asked, what for, and what was answered; a
/// SHA-256 of each document, never the document.
public struct AuditEntry: Sendable {
    public var time: Date
    public var token: String
    public var route: String
    public var status: Int
    public var documents: Int
    public var tokens: Int
    /// One per document: a verdict, or `error`.
    public var verdicts: [String]
    /// One per document: hex SHA-256 of its text's UTF-8 bytes, or of its ids written as
    /// decimal numbers joined by commas.
    public var digests: [String]
    /// The rejection reason, for refused requests.
    public var reason: String?

    public init(time: Date, token: String, route: String, status: Int, documents: Int = 0, tokens: Int = 0,
                verdicts: [String] = [], digests: [String] = [], reason: String? = nil) {
        self.time = time
        self.token = token
        self.route = route
        self.status = status
        self.documents = documents
        self.tokens = tokens
        self.verdicts = verdicts
        self.digests = digests
        self.reason = reason
    }
}

/// The service's only state: each token's tokens-per-day usage and the audit log, in one
/// SQLite file (WAL), so that a restart keeps the day's budget and replicas on one host can
/// share it.
///
/// The budget is charged in the same transaction that writes the request's audit row, and
/// only if it stays within the day's limit, so concurrent requests (from any replica sharing
/// the file) can never overspend it.
public final class QuotaStore: Sendable {
    private let pool: DatabasePool
    /// What this replica last saw of each token's day usage: lets a spent budget be refused
    /// before any work, without a read per request. The charge itself always asks SQLite.
    private let seen = Locked<[String: (day: String, used: Int)]>([:])
    private let writer: GroupCommitWriter

    public let path: String

    public init(path: String) throws(ServerSetupError) {
        self.path = path
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in
            // WAL with NORMAL: a commit is durable once the WAL is synced at checkpoint; a
            // power cut may lose the last moments of usage, never corrupt the file.
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
        }
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
            var migrator = DatabaseMigrator()
            migrator.registerMigration("v1") { db in
                try db.execute(sql: """
                    CREATE TABLE usage (
                        token TEXT NOT NULL, day TEXT NOT NULL,
                        tokens INTEGER NOT NULL DEFAULT 0, requests INTEGER NOT NULL DEFAULT 0,
                        PRIMARY KEY (token, day));
                    CREATE TABLE audit (
                        id INTEGER PRIMARY KEY, time TEXT NOT NULL, token TEXT NOT NULL, route TEXT NOT NULL,
                        status INTEGER NOT NULL, documents INTEGER NOT NULL, tokens INTEGER NOT NULL,
                        verdicts TEXT NOT NULL, sha256 TEXT NOT NULL, reason TEXT);
                    CREATE INDEX audit_token_time ON audit (token, time);
                    """)
            }
            try migrator.migrate(pool)
        } catch {
            throw ServerSetupError("\(path): cannot open the quota database: \(error)")
        }
        writer = GroupCommitWriter(pool: pool)
    }

    /// The UTC day a time falls in, as `YYYY-MM-DD`: the budget's period. (Arithmetic on the
    /// proleptic Gregorian calendar, as UTC has no zone rules: this runs once per request.)
    public static func day(of time: Date) -> String {
        let days = Int((time.timeIntervalSince1970 / 86_400).rounded(.down))
        // Days since 1970-01-01 to a civil date (Howard Hinnant's days_from_civil, inverted).
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yoe + era * 400 + (month <= 2 ? 1 : 0)
        func pad(_ n: Int, _ width: Int) -> String {
            let digits = String(n)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return pad(year, 4) + "-" + pad(month, 2) + "-" + pad(day, 2)
    }

    /// Seconds from `time` to the next UTC midnight, when a spent budget renews.
    public static func secondsToNextDay(from time: Date) -> Int {
        let t = time.timeIntervalSince1970
        return max(1, Int((86_400 - t.truncatingRemainder(dividingBy: 86_400)).rounded(.up)))
    }

    /// True when this replica has already seen `token`'s budget for `day` spent.
    public func knownSpent(_ token: APIToken, day: String) -> Bool {
        seen.withLock { all in
            guard let entry = all[token.name], entry.day == day else { return false }
            return entry.used >= token.tokensPerDay
        }
    }

    /// Tokens `token` has used on `day`, from the file.
    public func used(_ token: String, day: String) async throws -> Int {
        try await pool.read { db in
            try Int.fetchOne(db, sql: "SELECT tokens FROM usage WHERE token = ? AND day = ?", arguments: [token, day]) ?? 0
        }
    }

    public enum Charge: Sendable, Equatable {
        case charged(used: Int)
        case overBudget(used: Int)
    }

    /// Charges `entry.tokens` to the token's budget for the entry's day if they fit, and
    /// writes the audit row (with `rejectedStatus` and reason `daily-budget` if they do not).
    /// Returns once the transaction holding both has committed.
    public func charge(_ token: APIToken, entry: AuditEntry, rejectedStatus: Int = 429) async throws -> Charge {
        let result = try await writer.submit(.charge(token, entry, rejectedStatus))
        guard let charge = result else { throw StoreError.noResult }
        let used: Int
        switch charge { case .charged(let u), .overBudget(let u): used = u }
        let day = Self.day(of: entry.time)
        seen.withLock { $0[token.name] = (day, used) }
        return charge
    }

    /// Writes an audit row for a request that charged nothing (refused, or failed).
    public func record(_ entry: AuditEntry) async throws {
        _ = try await writer.submit(.record(entry))
    }

    struct StoreError: Error, CustomStringConvertible {
        static let noResult = StoreError(description: "the quota store returned no result")
        let description: String
    }

    /// One write for the writer thread.
    enum Write: Sendable {
        case charge(APIToken, AuditEntry, Int)
        case record(AuditEntry)
    }

    /// Applies one write inside the writer's transaction.
    static func apply(_ write: Write, in db: Database) throws -> Charge? {
        switch write {
        case .record(let entry):
            try insert(entry, into: db)
            return nil
        case .charge(let token, let entry, let rejectedStatus):
            let day = day(of: entry.time)
            // The common case is one statement: the conditional UPDATE, which returns the new
            // total when it charged. The row is made on a token's first request of the day,
            // and the total is read back only when the charge did not fit.
            let update = try db.cachedStatement(sql: """
                UPDATE usage SET tokens = tokens + ?, requests = requests + 1
                WHERE token = ? AND day = ? AND tokens + ? <= ? RETURNING tokens
                """)
            let arguments: StatementArguments = [entry.tokens, token.name, day, entry.tokens, token.tokensPerDay]
            var total = try Int.fetchOne(update, arguments: arguments)
            if total == nil {
                let create = try db.cachedStatement(sql: "INSERT INTO usage (token, day) VALUES (?, ?) ON CONFLICT DO NOTHING")
                try create.execute(arguments: [token.name, day])
                if db.changesCount == 1 { total = try Int.fetchOne(update, arguments: arguments) }
            }
            let charged = total != nil
            let used: Int
            if let total {
                used = total
            } else {
                let read = try db.cachedStatement(sql: "SELECT tokens FROM usage WHERE token = ? AND day = ?")
                used = try Int.fetchOne(read, arguments: [token.name, day]) ?? 0
            }
            var row = entry
            if !charged {
                row.status = rejectedStatus
                row.reason = APIFailure.Reason.dailyBudget.rawValue
            }
            try insert(row, into: db)
            return charged ? .charged(used: used) : .overBudget(used: used)
        }
    }

    /// Every audit row, oldest first, as text.
    public func auditRows() async throws -> [[String: String]] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT time, token, route, status, documents, tokens, verdicts, sha256, reason FROM audit ORDER BY id")
                .map { row in
                    var out: [String: String] = [:]
                    for column in row.columnNames {
                        let value: DatabaseValue = row[column]
                        switch value.storage {
                        case .string(let text): out[column] = text
                        case .int64(let number): out[column] = String(number)
                        case .double(let number): out[column] = String(number)
                        case .blob, .null: out[column] = ""
                        }
                    }
                    return out
                }
        }
    }

    private static func insert(_ entry: AuditEntry, into db: Database) throws {
        let statement = try db.cachedStatement(sql: """
            INSERT INTO audit (time, token, route, status, documents, tokens, verdicts, sha256, reason)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        try statement.execute(arguments: [timestamp(entry.time), entry.token, entry.route, entry.status, entry.documents, entry.tokens,
                             jsonArray(entry.verdicts), jsonArray(entry.digests), entry.reason])
    }

    private static func timestamp(_ time: Date) -> String {
        time.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }

    private static func jsonArray(_ items: [String]) -> String {
        // Verdicts and hex digests need no escaping.
        "[" + items.map { "\"\($0)\"" }.joined(separator: ",") + "]"
    }

    /// Waits for every write already submitted, stops the writer, and checkpoints the WAL
    /// into the main file: for a clean stop.
    public func flush() throws {
        writer.stop()
        try pool.writeWithoutTransaction { db in _ = try db.checkpoint(.truncate) }
    }
}

/// The store's one writer: a thread that commits every write waiting at that moment in one
/// transaction (group commit), then answers each. Under load one commit serves many
/// requests; alone, a request waits for its own. Each write is still applied on its own
/// (a charge is a conditional UPDATE), so budgets stay exact.
final class GroupCommitWriter: Sendable {
    private struct Pending: Sendable {
        let write: QuotaStore.Write
        let done: @Sendable (Result<QuotaStore.Charge?, any Error>) -> Void
    }

    private struct State {
        var pending: [Pending] = []
        var stopped = false
    }

    private let state = Locked(State())
    private let wake = DispatchSemaphore(value: 0)
    private let finished = DispatchSemaphore(value: 0)
    /// Most writes in one transaction: bounds how long one commit holds SQLite's write lock
    /// against other replicas.
    static let batchLimit = 512

    init(pool: DatabasePool) {
        let thread = Thread { [self] in
            while true {
                wake.wait()  // one signal per write, and one for stop(): never fewer wake-ups than writes
                let (batch, stop) = state.withLock { s -> ([Pending], Bool) in
                    // The whole list is moved out rather than copied from a slice. A slice that
                    // covers all of it shares its buffer with `pending`; that is safe (the next
                    // append finds the buffer unique only after this thread has let go of it),
                    // but the ordering sits in the Swift runtime's reference counts, which
                    // ThreadSanitizer does not see, so a TSan build reported it as a race.
                    let taken: [Pending]
                    if s.pending.count <= Self.batchLimit {
                        taken = s.pending
                        s.pending = []
                    } else {
                        taken = Array(s.pending.prefix(Self.batchLimit))
                        s.pending.removeFirst(taken.count)
                    }
                    return (taken, s.stopped && s.pending.isEmpty)
                }
                if !batch.isEmpty { Self.commit(batch, pool: pool) }
                if stop { break }
            }
            finished.signal()
        }
        thread.name = "quota-writer"
        thread.start()
    }

    private static func commit(_ batch: [Pending], pool: DatabasePool) {
        let results: [Result<QuotaStore.Charge?, any Error>]
        do {
            let charges = try pool.write { db in try batch.map { try QuotaStore.apply($0.write, in: db) } }
            results = charges.map { .success($0) }
        } catch {
            // The transaction rolled back: nothing of the batch was written, and every request
            // in it is told so.
            results = batch.map { _ in .failure(error) }
        }
        for (item, result) in zip(batch, results) { item.done(result) }
    }

    func submit(_ write: QuotaStore.Write) async throws -> QuotaStore.Charge? {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<QuotaStore.Charge?, any Error>) in
            let accepted = state.withLock { s -> Bool in
                guard !s.stopped else { return false }
                s.pending.append(Pending(write: write) { continuation.resume(with: $0) })
                return true
            }
            if accepted { wake.signal() } else { continuation.resume(throwing: QuotaStore.StoreError(description: "the quota store is closed")) }
        }
    }

    /// Commits what is pending, then stops the thread.
    func stop() {
        let already = state.withLock { s -> Bool in
            defer { s.stopped = true }
            return s.stopped
        }
        guard !already else { return }
        wake.signal()
        finished.wait()
    }
}

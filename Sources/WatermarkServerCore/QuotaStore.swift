import Foundation
import GRDB
import Synchronization

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
    private let seen = Mutex<[String: (day: String, used: Int)]>([:])

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
    }

    /// The UTC day a time falls in, as `YYYY-MM-DD`: the budget's period.
    public static func day(of time: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let c = calendar.dateComponents([.year, .month, .day], from: time)
        return String(format: "%04d-%02d-%02d", c.year ?? 0, c.month ?? 0, c.day ?? 0)
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
    public func charge(_ token: APIToken, entry: AuditEntry, rejectedStatus: Int = 429) async throws -> Charge {
        let day = Self.day(of: entry.time)
        let result = try await pool.write { db -> Charge in
            try db.execute(sql: "INSERT INTO usage (token, day) VALUES (?, ?) ON CONFLICT DO NOTHING", arguments: [token.name, day])
            try db.execute(sql: """
                UPDATE usage SET tokens = tokens + ?, requests = requests + 1
                WHERE token = ? AND day = ? AND tokens + ? <= ?
                """, arguments: [entry.tokens, token.name, day, entry.tokens, token.tokensPerDay])
            let charged = db.changesCount == 1
            let used = try Int.fetchOne(db, sql: "SELECT tokens FROM usage WHERE token = ? AND day = ?", arguments: [token.name, day]) ?? 0
            var row = entry
            if !charged {
                row.status = rejectedStatus
                row.reason = APIFailure.Reason.dailyBudget.rawValue
            }
            try Self.insert(row, into: db)
            return charged ? .charged(used: used) : .overBudget(used: used)
        }
        let used: Int
        switch result { case .charged(let u), .overBudget(let u): used = u }
        seen.withLock { $0[token.name] = (day, used) }
        return result
    }

    /// Writes an audit row for a request that charged nothing (refused, or failed).
    public func record(_ entry: AuditEntry) async throws {
        try await pool.write { db in try Self.insert(entry, into: db) }
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
        try db.execute(sql: """
            INSERT INTO audit (time, token, route, status, documents, tokens, verdicts, sha256, reason)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, arguments: [timestamp(entry.time), entry.token, entry.route, entry.status, entry.documents, entry.tokens,
                             jsonArray(entry.verdicts), jsonArray(entry.digests), entry.reason])
    }

    private static func timestamp(_ time: Date) -> String {
        time.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }

    private static func jsonArray(_ items: [String]) -> String {
        // Verdicts and hex digests need no escaping.
        "[" + items.map { "\"\($0)\"" }.joined(separator: ",") + "]"
    }

    /// Makes sure every committed write is in the main file (a WAL checkpoint), for a clean
    /// stop.
    public func flush() throws {
        try pool.writeWithoutTransaction { db in _ = try db.checkpoint(.truncate) }
    }
}

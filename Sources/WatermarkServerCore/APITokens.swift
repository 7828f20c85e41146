import CryptoSupport
import Foundation
import SystemSupport

/// What an API token may see.
public enum Scope: String, Sendable, Codable, CaseIterable {
    /// The verdict and the p-value rounded to two significant digits: enough to act on,
    /// too coarse to learn the green lists from by repeated queries.
    case verdict
    /// Everything `watermark detect --json` reports, per-token attribution included on
    /// request. Attribution shows which tokens are green: for trusted callers only.
    case full
}

/// One line of the tokens file: who a bearer token belongs to, what it may see and how much.
/// Only the SHA-256 of the token is stored, so the file itself grants nothing.
public struct APIToken: Sendable, Hashable, Codable {
    public let name: String
    /// Lower-case hex of SHA-256 over the token's UTF-8 bytes.
    public let sha256: String
    public let scope: Scope
    public let requestsPerMinute: Int
    public let tokensPerDay: Int

    public init(name: String, sha256: String, scope: Scope, requestsPerMinute: Int, tokensPerDay: Int) {
        self.name = name
        self.sha256 = sha256
        self.scope = scope
        self.requestsPerMinute = requestsPerMinute
        self.tokensPerDay = tokensPerDay
    }

    /// The SHA-256 hex of a presented bearer token.
    public static func digest(of secret: String) -> String {
        // SHA-256 through OpenSSL fails only if the library itself is broken; an empty digest
        // then matches no token, so the request is refused rather than let through.
        (try? SHA256.hash(Array(secret.utf8))).map { Hex.encode($0) } ?? ""
    }

    /// A new random token (256 bits, URL-safe), and the tokens-file entry that accepts it.
    public static func generate(name: String, scope: Scope, requestsPerMinute: Int, tokensPerDay: Int)
        throws(ServerSetupError) -> (secret: String, entry: APIToken)
    {
        let bytes: [UInt8]
        do { bytes = try SecureRandom.bytes(32) } catch { throw ServerSetupError("no random bytes for a token: \(error)") }
        let secret = "wmk_" + base64URL(bytes)
        let entry = APIToken(name: name, sha256: digest(of: secret), scope: scope, requestsPerMinute: requestsPerMinute,
                             tokensPerDay: tokensPerDay)
        if let problem = entry.problem { throw ServerSetupError(problem) }
        return (secret, entry)
    }

    /// What is wrong with this entry, if anything.
    var problem: String? {
        if name.isEmpty || name.utf8.count > 64 || !name.unicodeScalars.allSatisfy(Self.nameCharacters.contains) {
            return "\"name\" must be 1–64 characters of A–Z, a–z, 0–9, '.', '_' or '-'"
        }
        if sha256.utf8.count != 64 || !sha256.utf8.allSatisfy({ (48...57).contains($0) || (97...102).contains($0) }) {
            return "\"sha256\" must be 64 lower-case hex digits (the SHA-256 of the token)"
        }
        if !(1...1_000_000).contains(requestsPerMinute) { return "\"requestsPerMinute\" must be 1 to 1000000" }
        if !(1...1_000_000_000_000).contains(tokensPerDay) { return "\"tokensPerDay\" must be 1 to 1000000000000" }
        return nil
    }

    private static let nameCharacters = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-")

    /// The entry as one line of the tokens file.
    public var line: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(self)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }
}

private func base64URL(_ bytes: [UInt8]) -> String {
    Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
        .replacingOccurrences(of: "=", with: "")
}

/// The tokens file, loaded and checked: every bearer token the service accepts, by its digest.
public struct TokenTable: Sendable {
    public let tokens: [APIToken]
    private let byDigest: [String: APIToken]

    /// Tokens files are short lists; a larger file is a mistake, not a list.
    public static let maximumFileSize = 16 << 20

    public init(_ tokens: [APIToken]) {
        self.tokens = tokens
        byDigest = Dictionary(tokens.map { ($0.sha256, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// Reads a JSON Lines tokens file; blank lines and lines starting with `#` are skipped.
    /// Errors give the file, the line number and the problem, never a line's content.
    public static func load(path: String) throws(ServerSetupError) -> TokenTable {
        let bytes: [UInt8]
        do { bytes = try SystemFile.read(path: path, limit: maximumFileSize, regularOnly: true) } catch {
            throw ServerSetupError("\(path): \(error)")
        }
        var tokens: [APIToken] = []
        var names = Set<String>(), digests = Set<String>()
        for (index, raw) in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).enumerated() {
            let line = raw.last == UInt8(ascii: "\r") ? raw.dropLast() : raw[...]
            let trimmed = line.drop(while: { $0 == 32 || $0 == 9 })
            if trimmed.isEmpty || trimmed.first == UInt8(ascii: "#") { continue }
            let at = "\(path):\(index + 1)"
            let token: APIToken
            do { token = try StrictTokenLine.decode(Array(trimmed)) } catch { throw ServerSetupError("\(at): \(error.description)") }
            if let problem = token.problem { throw ServerSetupError("\(at): \(problem)") }
            guard names.insert(token.name).inserted else { throw ServerSetupError("\(at): the name \"\(token.name)\" is used twice") }
            guard digests.insert(token.sha256).inserted else { throw ServerSetupError("\(at): this sha256 is already on an earlier line") }
            tokens.append(token)
        }
        guard !tokens.isEmpty else { throw ServerSetupError("\(path): no tokens (one JSON object a line: name, sha256, scope, requestsPerMinute, tokensPerDay)") }
        return TokenTable(tokens)
    }

    /// The token whose SHA-256 is that of `secret`, if any.
    public func token(forSecret secret: String) -> APIToken? { byDigest[APIToken.digest(of: secret)] }
}

/// One tokens-file line, with unknown and missing fields reported by name.
private enum StrictTokenLine {
    struct Problem: Error, CustomStringConvertible { let description: String }

    static let fields: Set<String> = ["name", "sha256", "scope", "requestsPerMinute", "tokensPerDay"]

    static func decode(_ bytes: [UInt8]) throws(Problem) -> APIToken {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(bytes))) as? [String: Any] else {
            throw Problem(description: "not a JSON object")
        }
        if let unknown = object.keys.sorted().first(where: { !fields.contains($0) }) {
            throw Problem(description: "unknown field \"\(oneLine(unknown, limit: 40))\" (fields: name, sha256, scope, requestsPerMinute, tokensPerDay)")
        }
        for field in ["name", "sha256", "scope", "requestsPerMinute", "tokensPerDay"] where object[field] == nil {
            throw Problem(description: "missing \"\(field)\"")
        }
        do {
            return try JSONDecoder().decode(APIToken.self, from: Data(bytes))
        } catch let DecodingError.dataCorrupted(context) where context.codingPath.last?.stringValue == "scope" {
            throw Problem(description: "\"scope\" must be \"verdict\" or \"full\"")
        } catch let DecodingError.typeMismatch(_, context) {
            throw Problem(description: "\"\(context.codingPath.last?.stringValue ?? "?")\" has the wrong type")
        } catch let DecodingError.dataCorrupted(context) {
            throw Problem(description: "\"\(context.codingPath.last?.stringValue ?? "?")\" is not valid")
        } catch {
            throw Problem(description: "not a valid token entry")
        }
    }
}

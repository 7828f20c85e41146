import ArgumentParser
import Detection
import Foundation
import Logging
import SystemSupport
import Watermark
import WatermarkServerCore

/// `watermark-server`: the detection service (`serve`), and its two helpers.
@main
struct WatermarkServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watermark-server",
        abstract: "Detect the greenlist-v1 watermark over HTTP, with the keys held by the service.",
        discussion: "Every option of 'serve' can also be set as WATERMARK_SERVER_<OPTION> (e.g. WATERMARK_SERVER_PORT); a flag wins over the environment.",
        subcommands: [Serve.self, MakeToken.self, PrintOpenAPI.self],
        defaultSubcommand: Serve.self)
}

/// The environment's value for an option, `WATERMARK_SERVER_<NAME>`.
private func environment(_ name: String) -> String? {
    let value = ProcessInfo.processInfo.environment["WATERMARK_SERVER_" + name]
    return value?.isEmpty == false ? value : nil
}

/// A flag, else the environment, else the default; a bad environment value is an error that
/// names the variable.
private func resolve<T: LosslessStringConvertible>(_ flag: T?, _ name: String, _ fallback: T) throws -> T {
    if let flag { return flag }
    guard let text = environment(name) else { return fallback }
    guard let value = T(text) else { throw ValidationError("WATERMARK_SERVER_\(name): \"\(oneLine(text, limit: 80))\" is not a valid value") }
    return value
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the service until SIGTERM or SIGINT (then it finishes what it accepted and exits 0).")

    @Option(help: "Address to listen on (default 127.0.0.1; 0.0.0.0 for every interface).") var host: String?
    @Option(help: "Port to listen on (default 8080; 0 picks a free one, printed at start).") var port: Int?
    @Option(name: .customLong("key-file"), help: ArgumentHelp("A key file; repeat for several active keys (rotation). Default: WATERMARK_SERVER_KEY_FILES, paths separated by ':'.", valueName: "file"))
    var keyFiles: [String] = []
    @Option(help: ArgumentHelp("The API tokens file (JSON Lines of name, sha256, scope, requestsPerMinute, tokensPerDay).", valueName: "file"))
    var tokens: String?
    @Option(help: ArgumentHelp("SQLite file for quotas and the audit log (created if missing; default watermark-server.sqlite).", valueName: "file"))
    var database: String?
    @Option(help: ArgumentHelp("Tokenizer: a GGUF model, a tokenizer.json or a tiktoken rank file (default: the default model's).", valueName: "path"))
    var tokenizer: String?
    @Option(help: ArgumentHelp("A calibration file from 'watermark calibrate' (one key only).", valueName: "file")) var calibration: String?
    @Option(name: .customLong("skip-common"), help: ArgumentHelp("A common-tuple list from 'watermark common-tuples'.", valueName: "file"))
    var skipCommon: String?
    @Option(help: ArgumentHelp("Green fraction γ (must match embedding; default 0.25).", valueName: "fraction")) var gamma: Double?
    @Option(name: .customLong("context-width"), help: ArgumentHelp("Context width h (must match embedding; default 1).", valueName: "tokens"))
    var contextWidth: Int?
    @Option(help: ArgumentHelp("Target false-positive rate α (default 1e-4).", valueName: "rate")) var fpr: Double?
    @Option(name: .customLong("min-tokens"), help: ArgumentHelp("Fewest scored tuples for a verdict (default 16).", valueName: "n")) var minTokens: Int?
    @Flag(name: .customLong("no-dedup"), help: "Count repeated (context, token) tuples every time.") var noDedup = false
    @Flag(name: .customLong("no-normalize"), help: "Tokenize text exactly as given (must match calibration and common tuples).") var noNormalize = false
    @Option(help: ArgumentHelp("Detection threads (default: the processors available).", valueName: "n")) var threads: Int?
    @Option(help: ArgumentHelp("Detection jobs that may wait for a thread; beyond them requests get 503 (default 256).", valueName: "n")) var queue: Int?
    @Option(name: .customLong("max-body-bytes"), help: ArgumentHelp("Largest request body (default 4194304); larger gets 413.", valueName: "bytes"))
    var maxBodyBytes: Int?
    @Option(name: .customLong("max-documents"), help: ArgumentHelp("Most documents in one batch (default 256).", valueName: "n")) var maxDocuments: Int?
    @Option(name: .customLong("max-tokens"), help: ArgumentHelp("Most tokens in one document (default 100000).", valueName: "n")) var maxTokens: Int?
    @Option(name: .customLong("request-timeout"), help: ArgumentHelp("Seconds a request may take to arrive and reach a detection thread (default 10).", valueName: "seconds"))
    var requestTimeout: Double?
    @Option(name: .customLong("idle-timeout"), help: ArgumentHelp("Seconds a connection may send nothing (between requests, or inside a body) before it is closed (default 30).", valueName: "seconds"))
    var idleTimeout: Int?
    @Option(name: .customLong("log-level"), help: ArgumentHelp("trace, debug, info, notice, warning, error or critical (default info).", valueName: "level"))
    var logLevel: String?

    func run() async throws {
        let level = try resolve(logLevel, "LOG_LEVEL", "info")
        guard let logLevel = Logger.Level(rawValue: level) else { throw ValidationError("--log-level: \"\(oneLine(level, limit: 40))\" is not a log level") }
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = logLevel
            return handler
        }
        let logger = Logger(label: "watermark-server")
        do {
            try await serve(logger: logger)
        } catch let error as ServerSetupError {
            throw fail(error.description)
        } catch let error as ExitCode {
            throw error
        } catch let error as ValidationError {
            throw error
        } catch {
            throw fail("\(error)")
        }
    }

    private func fail(_ message: String) -> ExitCode {
        FileHandle.standardError.write(Data("watermark-server: error: \(oneLine(message))\n".utf8))
        return ExitCode(2)
    }

    private func serve(logger: Logger) async throws {
        var files = keyFiles
        if files.isEmpty, let list = environment("KEY_FILES") { files = list.split(separator: ":").map(String.init) }
        guard !files.isEmpty else { throw fail("no key given: pass --key-file FILE (repeat it for several keys) or set WATERMARK_SERVER_KEY_FILES") }
        guard let tokensPath = tokens ?? environment("TOKENS") else {
            throw fail("no tokens file: pass --tokens FILE or set WATERMARK_SERVER_TOKENS (make tokens with 'watermark-server token')")
        }
        let parameters: SchemeParameters
        do {
            parameters = try SchemeParameters(gamma: try resolve(gamma, "GAMMA", SchemeParameters.defaultGamma),
                                              contextWidth: try resolve(contextWidth, "CONTEXT_WIDTH", SchemeParameters.defaultContextWidth))
        } catch let error as WatermarkError { throw fail(error.description) }
        var options = DetectionOptions()
        options.falsePositiveRate = try resolve(fpr, "FPR", DetectionOptions.defaultFalsePositiveRate)
        options.minimumScored = try resolve(minTokens, "MIN_TOKENS", DetectionOptions.defaultMinimumScored)
        options.deduplicate = !(noDedup || environment("NO_DEDUP") == "1")
        guard options.falsePositiveRate.isFinite, options.falsePositiveRate > 0, options.falsePositiveRate < 1 else {
            throw fail("--fpr must be strictly between 0 and 1 (got \(options.falsePositiveRate))")
        }
        guard options.minimumScored >= 1 else { throw fail("--min-tokens must be at least 1 (got \(options.minimumScored))") }
        let tokenizerPath = tokenizer ?? environment("TOKENIZER") ?? DefaultModelLocation.path(environment: ProcessInfo.processInfo.environment)
        let setup = try DetectionSetup(keyFiles: files, tokenizerPath: tokenizerPath, normalize: !(noNormalize || environment("NO_NORMALIZE") == "1"),
                                       parameters: parameters, options: options, commonTuplesPath: skipCommon ?? environment("SKIP_COMMON"),
                                       calibrationPath: calibration ?? environment("CALIBRATION"))
        for warning in setup.warnings { logger.warning("\(warning)") }

        var configuration = ServerConfiguration(tokensPath: tokensPath, databasePath: database ?? environment("DATABASE") ?? "watermark-server.sqlite")
        configuration.host = try resolve(host, "HOST", "127.0.0.1")
        configuration.port = try resolve(port, "PORT", 8080)
        guard (0...65535).contains(configuration.port) else { throw fail("--port must be 0 to 65535 (got \(configuration.port))") }
        var limits = ServiceLimits()
        limits.threads = try resolve(threads, "THREADS", limits.threads)
        limits.queueCapacity = try resolve(queue, "QUEUE", limits.queueCapacity)
        limits.maximumBodyBytes = try resolve(maxBodyBytes, "MAX_BODY_BYTES", limits.maximumBodyBytes)
        limits.maximumDocuments = try resolve(maxDocuments, "MAX_DOCUMENTS", limits.maximumDocuments)
        limits.maximumTokensPerDocument = try resolve(maxTokens, "MAX_TOKENS", limits.maximumTokensPerDocument)
        let timeout = try resolve(requestTimeout, "REQUEST_TIMEOUT", 10.0)
        for (name, value, range) in [("--threads", limits.threads, 1...1024), ("--queue", limits.queueCapacity, 1...1_000_000),
                                     ("--max-body-bytes", limits.maximumBodyBytes, 1...(1 << 30)), ("--max-documents", limits.maximumDocuments, 1...100_000),
                                     ("--max-tokens", limits.maximumTokensPerDocument, 1...100_000_000)] where !range.contains(value) {
            throw fail("\(name) must be \(range.lowerBound) to \(range.upperBound) (got \(value))")
        }
        guard timeout.isFinite, timeout > 0, timeout <= 3600 else { throw fail("--request-timeout must be more than 0 and at most 3600 seconds (got \(timeout))") }
        limits.requestTimeout = .milliseconds(Int64(timeout * 1000))
        configuration.limits = limits
        configuration.idleTimeout = Int64(try resolve(idleTimeout, "IDLE_TIMEOUT", 30))
        guard (1...86_400).contains(configuration.idleTimeout) else { throw fail("--idle-timeout must be 1 to 86400 seconds (got \(configuration.idleTimeout))") }

        try await runServer(setup: setup, configuration: configuration, logger: logger) { host, port in
            // On standard output, for scripts and tests that asked for port 0.
            FileHandle.standardOutput.write(Data("watermark-server: listening on http://\(host):\(port)\n".utf8))
        }
    }
}

struct MakeToken: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token",
        abstract: "Make a new API token: prints the token once, then the line to add to the tokens file.",
        discussion: "Only the line (with the token's SHA-256) goes in the tokens file; give the token itself to the caller. It is not shown again.")

    @Option(help: "A name for the caller, in the audit log and in no answer (A–Z, a–z, 0–9, '.', '_', '-').") var name: String
    @Option(help: "verdict (the verdict and a rounded p-value) or full (every field, attribution on request).") var scope: String
    @Option(name: .customLong("requests-per-minute"), help: "Requests a minute (a token bucket).") var requestsPerMinute = 60
    @Option(name: .customLong("tokens-per-day"), help: "Tokens of text a UTC day.") var tokensPerDay = 1_000_000

    func run() async throws {
        guard let scope = Scope(rawValue: scope) else { throw ValidationError("--scope must be verdict or full (got \"\(oneLine(scope, limit: 40))\")") }
        do {
            let made = try APIToken.generate(name: name, scope: scope, requestsPerMinute: requestsPerMinute, tokensPerDay: tokensPerDay)
            print(made.secret)
            print(made.entry.line)
            FileHandle.standardError.write(Data("watermark-server: the first line is the token (shown only now); add the second to the tokens file\n".utf8))
        } catch {
            FileHandle.standardError.write(Data("watermark-server: error: \(error.description)\n".utf8))
            throw ExitCode(2)
        }
    }
}

struct PrintOpenAPI: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "openapi", abstract: "Print the service's OpenAPI 3.1 document.")
    func run() async throws { print(OpenAPIDocument.json) }
}

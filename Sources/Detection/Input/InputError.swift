internal import SystemSupport

/// A problem with an input document, naming where it was found.
public struct InputError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The file (or `<stdin>`), with `:line` for JSON Lines input.
    public let source: String
    public let problem: String

    public init(source: String, problem: String) {
        self.source = source
        self.problem = problem
    }

    /// One line: the source and the problem with control characters escaped and long values cut.
    public var description: String { oneLine("\(oneLine(source, limit: 300)): \(problem)", limit: 2000) }
}

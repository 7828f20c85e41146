/// A problem with an input document, naming where it was found.
public struct InputError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The file (or `<stdin>`), with `:line` for JSON Lines input.
    public let source: String
    public let problem: String

    public init(source: String, problem: String) {
        self.source = source
        self.problem = problem
    }

    public var description: String { "\(source): \(problem)" }
}

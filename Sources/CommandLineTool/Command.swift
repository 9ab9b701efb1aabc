/// One subcommand of a tool (`fieldagent`, `fieldagent-bench`): its name, a one-line summary for the command list,
/// the full `--help` text, and what it does. Each command lives in its own file as
/// `enum XCommand { static let command = Command(...) }`.
public struct Command: Sendable {
    public let name: String
    public let summary: String
    public let help: String
    public let run: @Sendable (inout Arguments) throws -> Int32

    public init(name: String, summary: String, help: String, run: @escaping @Sendable (inout Arguments) throws -> Int32) {
        self.name = name
        self.summary = summary
        self.help = help
        self.run = run
    }
}

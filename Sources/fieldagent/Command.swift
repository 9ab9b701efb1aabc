/// One `fieldagent` subcommand: its name, a one-line summary for the command list, the full `--help`
/// text, and what it does. Each command lives in its own file as `enum XCommand { static let command = Command(...) }`.
struct Command: Sendable {
    let name: String
    let summary: String
    let help: String
    let run: @Sendable (inout Arguments) throws -> Int32
}

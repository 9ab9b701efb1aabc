import CommandLineTool
import Glibc

/// `fieldagent-bench`: the measurements behind the README's numbers, kept out of the shipped `fieldagent`
/// (make bench runs them). The agent's code is linked in here as it is in the product.
let tool = Tool(
    name: "fieldagent-bench",
    banner: """
    fieldagent-bench: FieldAgent's benchmarks (not installed on a Pi; make bench runs them).

    USAGE: fieldagent-bench <command> [options]

    """,
    footer: "Run 'fieldagent-bench <command> --help' for what a command measures. Nothing is asserted: tests check correctness.",
    versionLine: { "fieldagent-bench (FieldAgent's benchmarks)" },
    commands: [BenchCommand.command, BenchCommand.adversaries])

_ = signal(SIGPIPE, SIG_IGN)
exit(tool.run(Array(CommandLine.arguments.dropFirst())))

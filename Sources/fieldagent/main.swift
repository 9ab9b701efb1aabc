import CLinux
import CommandLineTool
import Config
import EventLoop
import GPIO
import Glibc

/// `fieldagent`: entry point. Dispatches to the subcommands registered here; each is one file.
let version = "0.1.0"

let commands: [Command] = [
    RunCommand.command, CheckCommand.command, SafeCommand.command, SimCommand.command, HILCommand.command,
    BoardsCommand.command, GPIOCommand.command, ModbusCommand.command,
    ModelCommand.command, PredictCommand.command, MachineCommand.command, DatasetCommand.command, ReleaseCommand.command, StatusCommand.command, ResetCommand.command,
    PKICommand.command,
]

/// The tool: its command list, usage text and version line.
let tool = Tool(
    name: "fieldagent",
    banner: """
    fieldagent \(version): sense, decide and act on a Linux single-board computer.

    USAGE: fieldagent <command> [options]

    """,
    footer: """
    Run 'fieldagent <command> --help' for a command's options and examples.
    With no hardware, 'fieldagent sim' runs the built-in simulation.
    Benchmarks are another executable: fieldagent-bench (make bench).
    """,
    // The version first (packaging reads the second word), then what the binary was built against.
    versionLine: { "fieldagent \(version) (\(LibgpiodChip.backendVersion), GPIO debounce \(LibgpiodChip.hasKernelDebounce ? "in the kernel" : "in software"))" },
    commands: commands,
    // Config errors are already one line per problem, each with its file:line:column.
    describesItself: { $0 is ConfigErrors })

// A closed stdout or stderr (`fieldagent run … | head`, `fieldagent status | head -1`) makes writes fail with EPIPE
// instead of killing the process; see SignalPolicy for what the agent does with every other signal.
_ = signal(SIGPIPE, SIG_IGN)
// What start-up faulted in of the code, mostly never run again, leaves the RSS (see cl_drop_startup_code_pages).
_ = cl_drop_startup_code_pages()
exit(tool.run(Array(CommandLine.arguments.dropFirst())))

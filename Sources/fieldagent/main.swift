import Config
import EventLoop
import GPIO
import Glibc

/// `fieldagent`: entry point. Dispatches to the subcommands registered here; each is one file.
let version = "0.1.0"

let commands: [Command] = [
    RunCommand.command, CheckCommand.command, SafeCommand.command, SimCommand.command, HILCommand.command,
    BoardsCommand.command, GPIOCommand.command, BenchCommand.command, ModbusCommand.command,
    ModelCommand.command, PredictCommand.command, MachineCommand.command, DatasetCommand.command, ReleaseCommand.command, StatusCommand.command, ResetCommand.command,
]

@MainActor func printUsage() {
    var text = """
    fieldagent \(version): sense, decide and act on a Linux single-board computer.

    USAGE: fieldagent <command> [options]

    COMMANDS:

    """
    let width = commands.map(\.name.count).max() ?? 8
    for c in commands {
        text += "  " + c.name + String(repeating: " ", count: width - c.name.count + 2) + c.summary + "\n"
    }
    text += """

    Run 'fieldagent <command> --help' for a command's options and examples.
    With no hardware, 'fieldagent sim' runs the built-in simulation.
    """
    print(text)
}

@MainActor func runMain() -> Int32 {
    var argv = Array(CommandLine.arguments.dropFirst())
    guard let name = argv.first else {
        printUsage()
        return 2
    }
    argv.removeFirst()
    switch name {
    case "--help", "-h", "help":
        if let topic = argv.first, let c = commands.first(where: { $0.name == topic }) {
            print(c.help)
        } else {
            printUsage()
        }
        return 0
    case "--version", "version":
        // The version first (packaging reads the second word), then what the binary was built against.
        print("fieldagent \(version) (\(LibgpiodChip.backendVersion), GPIO debounce \(LibgpiodChip.hasKernelDebounce ? "in the kernel" : "in software"))")
        return 0
    default:
        break
    }
    guard let command = commands.first(where: { $0.name == name }) else {
        let known = commands.map(\.name).joined(separator: ", ")
        StandardError.write("fieldagent: unknown command '\(name)'; commands: \(known) (see fieldagent --help)\n")
        return 2
    }
    var args = Arguments(argv, command: "fieldagent \(name)")
    if args.wantsHelp() {
        print(command.help)
        return 0
    }
    do {
        return try command.run(&args)
    } catch let error as UsageError {
        StandardError.write("\(error)\n")
        return 2
    } catch let errors as ConfigErrors {
        // Already one line per problem, each with its file:line:column.
        StandardError.write("\(errors)\n")
        return 1
    } catch {
        StandardError.write("fieldagent \(name): \(error)\n")
        return 1
    }
}

// A closed stdout or stderr (`fieldagent run … | head`, `fieldagent status | head -1`) makes writes fail with EPIPE
// instead of killing the process; see SignalPolicy for what the agent does with every other signal.
_ = signal(SIGPIPE, SIG_IGN)
exit(runMain())

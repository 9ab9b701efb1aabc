import EventLoop

/// A command-line tool made of subcommands: the command list, `--help`, `--version`, and one exit status per
/// outcome (0 done, 1 failed, 2 usage mistake). Both executables, `fieldagent` and `fieldagent-bench`, are one.
public struct Tool {
    /// The executable's name, as typed (`fieldagent`).
    public let name: String
    /// The first lines of the usage text (what the tool is, `USAGE:`).
    public let banner: String
    /// The lines after the command list (where to go next).
    public let footer: String
    /// What `--version` prints.
    public let versionLine: () -> String
    public let commands: [Command]
    /// Errors that already carry their whole message (one line per problem with its place): printed as they are.
    public let describesItself: (any Error) -> Bool

    public init(name: String, banner: String, footer: String, versionLine: @escaping () -> String, commands: [Command],
                describesItself: @escaping (any Error) -> Bool = { _ in false }) {
        self.name = name
        self.banner = banner
        self.footer = footer
        self.versionLine = versionLine
        self.commands = commands
        self.describesItself = describesItself
    }

    /// The usage text: the banner, one line per command, the footer.
    public var usage: String {
        let width = commands.map(\.name.count).max() ?? 8
        var text = banner + "\nCOMMANDS:\n"
        for c in commands {
            text += "  " + c.name + String(repeating: " ", count: width - c.name.count + 2) + c.summary + "\n"
        }
        return text + "\n" + footer
    }

    /// Runs the command named by `argv[0]` with the rest; returns the process's exit status.
    public func run(_ arguments: [String]) -> Int32 {
        var argv = arguments
        guard let commandName = argv.first else {
            print(usage)
            return 2
        }
        argv.removeFirst()
        switch commandName {
        case "--help", "-h", "help":
            if let topic = argv.first, let c = commands.first(where: { $0.name == topic }) {
                print(c.help)
            } else {
                print(usage)
            }
            return 0
        case "--version", "version":
            print(versionLine())
            return 0
        default:
            break
        }
        guard let command = commands.first(where: { $0.name == commandName }) else {
            let known = commands.map(\.name).joined(separator: ", ")
            StandardError.write("\(name): unknown command '\(commandName)'; commands: \(known) (see \(name) --help)\n")
            return 2
        }
        var args = Arguments(argv, command: "\(name) \(commandName)")
        if args.wantsHelp() {
            print(command.help)
            return 0
        }
        do {
            return try command.run(&args)
        } catch let error as UsageError {
            StandardError.write("\(error)\n")
            return 2
        } catch where describesItself(error) {
            StandardError.write("\(error)\n")
            return 1
        } catch {
            StandardError.write("\(name) \(commandName): \(error)\n")
            return 1
        }
    }
}

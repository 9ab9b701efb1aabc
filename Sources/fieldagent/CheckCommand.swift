import Config
import EventLoop

/// `fieldagent check`: validates a config without touching any hardware.
enum CheckCommand {
    static let command = Command(
        name: "check",
        summary: "Validate a config file without touching hardware (exit 0 when valid)",
        help: """
        USAGE: fieldagent check --config FILE [--boards DIR]

        Reads FILE with the same code as 'run' and reports every problem with its place and a fix:
          config.yaml:14:7: error: unknown pin "GPIO71" on board rpi4; the board has GPIO0…GPIO27 (or header.N)
        No GPIO line is requested. Exit status 0 when the config is valid, 1 when it is not, 2 for a usage error.
        systemd runs it as ExecStartPre, so a broken config never moves an output.

        EXAMPLES:
          fieldagent check --config Examples/sim-basic.yaml
          fieldagent check --config /etc/fieldagent/fieldagent.yaml && sudo systemctl restart fieldagent
        """,
        run: { args in
            let options = try CommonOptions.parse(&args)
            try args.finish()
            let (config, _) = try options.loadConfig()
            func count(_ n: Int, _ what: String) -> String { "\(n) \(what)\(n == 1 ? "" : "s")" }
            print("\(options.configPath): ok: board \(config.board.name), \(count(config.inputs.count, "input")), "
                  + "\(count(config.outputs.count, "output")), \(count(config.rules.count, "rule"))")
            return 0
        })
}

import Agent
import EventLoop

/// `fieldagent run`: the agent itself.
enum RunCommand {
    static let command = Command(
        name: "run",
        summary: "Run the agent with a config file (as systemd does)",
        help: """
        USAGE: fieldagent run --config FILE [--gpio libgpiod|mock] [--mock-socket PATH] [--log-level LEVEL]

        Loads and validates FILE (nothing moves if it is wrong), requests the GPIO lines, drives the outputs to
        their initial values and reacts to input edges until SIGTERM or SIGINT, which drive every output to its
        safe value before exiting. Logs go to stderr, one key=value line per event (journald keeps them as is).

        OPTIONS:
          --config FILE        the agent's YAML config (see README: Configuration)
          --gpio BACKEND       libgpiod (default on a board) or mock: FieldAgent's in-process mock chip
          --mock-socket PATH   with --gpio mock: serve the mock chip on this Unix socket, so inputs can be
                               driven from outside (default /tmp/fieldagent-NAME.sock). Try:
                                 socat - UNIX-CONNECT:/tmp/fieldagent-NAME.sock   then: set button 1, get lamp, watch
          --boards DIR         board files to use instead of the built-in ones
          --log-level LEVEL    debug, info (default), notice, warning, error

        EXAMPLES:
          fieldagent run --config /etc/fieldagent/fieldagent.yaml
          fieldagent run --config Examples/sim-basic.yaml --gpio mock
        """,
        run: { args in
            let options = try CommonOptions.parse(&args)
            let backend = try args.option("--gpio", expecting: "libgpiod or mock") { ChipSet.Backend(rawValue: $0) }
            let socket = try args.option("--mock-socket")
            try args.finish()
            let (config, catalog) = try options.loadConfig()
            _ = catalog
            let chosen = backend ?? (config.board.isSimulated ? .mock : .libgpiod)
            let runtime = try AgentRuntime(config: config, backend: chosen, logger: options.logger)
            if chosen == .mock {
                try runtime.serveMockChips(path: socket ?? "/tmp/fieldagent-\(config.name).sock")
            }
            return try runtime.runUntilSignalled()
        })
}

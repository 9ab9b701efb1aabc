import CLinux
import CommandLineTool
import Agent
import Config
import EventLoop
import Glibc
import Service

/// `fieldagent run`: the agent itself.
enum RunCommand {
    static let command = Command(
        name: "run",
        summary: "Run the agent with a config file (as systemd does)",
        help: """
        USAGE: fieldagent run --config FILE [--gpio libgpiod|mock] [--mock-socket PATH] [--log-level LEVEL]
                              [--status-socket PATH|none] [--metrics-dir DIR|none] [--metrics-every DURATION]
                              [--state-dir DIR|none]

        Loads and validates FILE (nothing moves if it is wrong), requests the GPIO lines, drives the outputs to
        their initial values and reacts to input edges until SIGTERM or SIGINT, which drive every output to its
        safe value before exiting (status 0). Every other signal that would end the process (SIGQUIT, SIGUSR1,
        SIGUSR2, SIGALRM, real-time signals …) does the same and exits with 128 + its number; SIGHUP is logged
        and ignored (restart to load a changed config); SIGPIPE is ignored. Logs go to stderr, one key=value line
        per event (journald keeps them as is).

        OPTIONS:
          --config FILE        the agent's YAML config (see README: Configuration)
          --gpio BACKEND       libgpiod (default on a board) or mock: FieldAgent's in-process mock chip
          --mock-socket PATH   with --gpio mock: serve the mock chip on this Unix socket, so inputs can be
                               driven from outside (default /tmp/fieldagent-NAME.sock). Try:
                                 socat - UNIX-CONNECT:/tmp/fieldagent-NAME.sock   then: set button 1, get lamp, watch
          --boards DIR         board files to use instead of the built-in ones
          --log-level LEVEL    debug, info (default), notice, warning, error
          --status-socket PATH where 'fieldagent status' reads the agent (default: $RUNTIME_DIRECTORY/NAME.sock
                               under systemd, else /run/fieldagent/NAME.sock when writable, else
                               /tmp/fieldagent-NAME.status.sock); none: no socket
          --metrics-dir DIR    write Prometheus metrics to DIR/NAME.prom atomically (node_exporter's textfile
                               collector; default /var/lib/fieldagent/metrics when it is writable); none: off
          --metrics-every D    how often the metrics file is written (default 10s)
          --state-dir DIR      where a latched class is kept across restarts, as NAME.latch (default: the first
                               entry of $STATE_DIRECTORY under systemd, else /var/lib/fieldagent when writable);
                               none: a restart forgets the latch

        EXAMPLES:
          fieldagent run --config /etc/fieldagent/fieldagent.yaml
          fieldagent run --config Examples/sim-basic.yaml --gpio mock
        """,
        run: { args in
            let options = try CommonOptions.parse(&args)
            let backend = try args.option("--gpio", expecting: "libgpiod or mock") { ChipSet.Backend(rawValue: $0) }
            let socket = try args.option("--mock-socket")
            let statusSocket = try args.option("--status-socket")
            let metricsDir = try args.option("--metrics-dir")
            let metricsEvery = try args.option("--metrics-every", expecting: "a duration such as 10s, at most 168h") { ConfigReader.parseDuration($0) }
            let stateDir = try args.option("--state-dir")
            try args.finish()
            let (config, catalog) = try options.loadConfig()
            _ = catalog
            // The config reader's code (YAML, boards, validation) is not run again until a reload: out of the RSS.
            _ = cl_drop_startup_code_pages()
            let chosen = backend ?? (config.board.isSimulated ? .mock : .libgpiod)
            let mockPath = socket ?? "/tmp/fieldagent-\(config.name).sock"
            let state = stateDir ?? defaultStateDirectory()
            let status = statusSocket ?? StatusSocket.defaultPath(name: config.name, environment: processEnvironment(["RUNTIME_DIRECTORY"]))
            // Socket paths that cannot be bound are refused before any line is requested.
            var paths = status == "none" ? [] : [status]
            if chosen == .mock { paths += [mockPath] + config.board.chips.dropFirst().map { mockPath + "." + $0.label } }
            for path in paths where path.utf8.count > AgentConfig.maximumSocketPath {
                throw UsageError("\(args.command): socket path \(path) is \(path.utf8.count) bytes; a Unix socket path holds at most \(AgentConfig.maximumSocketPath)")
            }
            // From here on the loop takes every signal (SignalPolicy): one that arrives while the lines are requested
            // waits in the signalfd for the runtime's handlers instead of killing the agent with its outputs driven.
            let loop = try EpollLoop()
            try SignalPolicy.install(on: loop, stop: { _ in }, hangup: {})
            let runtime = try AgentRuntime(config: config, backend: chosen, logger: options.logger, loop: loop,
                                           stateDirectory: state == "none" ? nil : state)
            do {
                if chosen == .mock { try runtime.serveMockChips(path: mockPath) }
                let metrics = metricsDir ?? (access(TextfileExporter.defaultDirectory, W_OK) == 0 ? TextfileExporter.defaultDirectory : "none")
                try runtime.startObservability(statusPath: status == "none" ? nil : status, metricsDirectory: metrics == "none" ? nil : metrics,
                                               metricsInterval: metricsEvery ?? TextfileExporter.defaultInterval)
            } catch {
                // The outputs are already driven: a socket that cannot be served ends the agent through its safe values.
                runtime.agent.shutdown(reason: "start failed")
                throw error
            }
            // Nor the code that started the agent: what stays resident is what the running loop uses.
            _ = cl_drop_startup_code_pages()
            return try runtime.runUntilSignalled()
        })
}

/// `$STATE_DIRECTORY`'s first entry under systemd (`StateDirectory=fieldagent`), else `/var/lib/fieldagent` when
/// writable, else `none`.
func defaultStateDirectory() -> String {
    if let dirs = environment("STATE_DIRECTORY"), let first = dirs.split(separator: ":").first, !first.isEmpty { return String(first) }
    return access("/var/lib/fieldagent", W_OK) == 0 ? "/var/lib/fieldagent" : "none"
}

import Agent
import Config
import EventLoop
import GPIO
import Glibc

/// `fieldagent sim`: the built-in simulation (what `make run` starts).
enum SimCommand {
    static let command = Command(
        name: "sim",
        summary: "Run the built-in simulation: mock GPIO, simulated inputs, live output",
        help: """
        USAGE: fieldagent sim [--config FILE] [--duration SECONDS] [--quiet] [--mock-socket PATH]

        Runs the agent on FieldAgent's mock GPIO chip with simulated inputs: every two seconds the next input
        is pressed (with contact bounce, which the debouncer absorbs), and you see live what the agent senses
        and what it drives. Needs no hardware. Ctrl-C stops it; the outputs go to their safe values first.
        The mock chip is also served on a Unix socket, so you can drive it yourself:
          socat - UNIX-CONNECT:/tmp/fieldagent-sim.sock      then type: set button 1 | get lamp | list | watch

        OPTIONS:
          --config FILE        the config to simulate (default: the built-in sim-basic config)
          --duration SECONDS   stop after this long (default: until Ctrl-C)
          --quiet              no live view (logs only)
          --report-rss         on exit, print the peak resident memory (make size uses it)
          --mock-socket PATH   where to serve the mock chip (default /tmp/fieldagent-sim.sock)
        """,
        run: { args in
            let configPath = try args.option("--config")
            let duration = try args.option("--duration", expecting: "a number of seconds") { Double($0) }
            let quiet = args.flag("--quiet")
            let reportRSS = args.flag("--report-rss")
            let socket = try args.option("--mock-socket") ?? "/tmp/fieldagent-sim.sock"
            let boards = try args.option("--boards")
            try args.finish()
            let catalog = try makeCatalog(directory: boards)
            let loader = ConfigLoader.forThisBinary(catalog: catalog)
            let config: AgentConfig
            if let configPath {
                config = try loader.load(path: configPath).0
            } else {
                config = try loader.load(text: BuiltinConfigs.simBasic, file: "<built-in sim-basic.yaml>").0
            }
            let logger = Logger(minimumLevel: quiet ? .notice : .warning)
            let runtime = try AgentRuntime(config: config, backend: .mock, logger: logger)
            try runtime.serveMockChips(path: socket)
            let view = LiveView(runtime: runtime, enabled: !quiet)
            view.start()
            let stimulator = InputStimulator(targets: config.inputs.compactMap { input in
                guard let chip = runtime.chips.mockChips.first(where: { $0.label == input.pin.chipLabel }) else { return nil }
                return .init(name: input.name, chip: chip, line: input.pin.line, activeLevel: !input.activeLow)
            }, loop: runtime.loop)
            stimulator.start()
            if let duration {
                runtime.loop.schedule(after: .milliseconds(Int64(duration * 1000))) { runtime.stop(reason: "duration elapsed") }
            }
            let status = try runtime.runUntilSignalled { stimulator.stop() }
            view.finish()
            if reportRSS { print("peak RSS: \(peakRSSKilobytes()) kB") }
            return status
        })

    /// The process's peak resident set size, from `getrusage`.
    static func peakRSSKilobytes() -> Int {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        return usage.ru_maxrss
    }
}

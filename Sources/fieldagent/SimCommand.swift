import CLinux
import CommandLineTool
import Agent
import Config
import EventLoop
import GPIO
import Glibc
import Modbus
import Service

/// `fieldagent sim`: the built-in simulation (what `make run` starts): two peer agents on loopback, each
/// with a mock GPIO chip and a simulated machine behind Modbus TCP.
enum SimCommand {
    static let command = Command(
        name: "sim",
        summary: "Run the built-in simulation: two peer agents, simulated machines, mock GPIO, live view",
        help: """
        USAGE: fieldagent sim [--config FILE]... [--only NAME] [--drift DURATION] [--duration SECONDS]
                              [--quiet] [--mock-socket PATH] [--metrics-dir DIR] [--report-rss]

        Without --config: two production lines, line-a and line-b (Examples/line-a.yaml and line-b.yaml, built
        in), on this machine's loopback, with no hardware:
          - each line has a simulated machine, a Modbus TCP sensor on 127.0.0.1:1601 (line-a) and :1602
            (line-b): vibration, bearing temperature and electrical values. line-a's machine wears from normal
            to fault over --drift (default 60s), holds the fault 20 s, is repaired, and starts again;
            line-b's machine stays healthy.
          - each agent reads its machine, runs the compiled-in model every 500 ms and drives its mock GPIO
            outputs (motor, warn_lamp, alarm_lamp, standby) and the machine's load register;
          - each serves its register map (127.0.0.1:1502 and :1503) and polls the other: when line-a is in
            fault (or gone), line-b turns its standby output on.
          - a fault latches: line-a's motor stays off after the machine is repaired, until a reset. A simulated
            technician presses line-a's fault_reset button a few seconds after each repair; try it yourself
            with: fieldagent reset line-a (refused while the machine still reads anything but normal).
        The live view prints, every 2 s, what each agent senses, decides, drives and sees of its peer, and a
        line for every decision and output change. Ctrl-C stops: outputs go to their safe values first.

        Try, in another terminal:
          mbpoll -m tcp -p 1502 -t 3 -r 1 -c 20 -1 127.0.0.1        line-a's status block (map version 2)
          mbpoll -m tcp -p 1601 -t 3:float -r 1 -c 12 -1 127.0.0.1  line-a's machine
          fieldagent status line-a           what line-a senses, decides, drives and sees of line-b
          fieldagent sim --only line-b       in one terminal, and --only line-a in another: stop and restart
                                             one and watch the other see it go down and come back

        With --config FILE (repeatable): runs those configs instead; for every Modbus device at
        tcp://127.0.0.1:PORT a simulated machine is started on that port (the first config's wears, the others'
        stay healthy). A config without decide: gets simulated button presses every 2 s instead.

        OPTIONS:
          --config FILE        a config to simulate (repeatable; default: the built-in line-a and line-b)
          --only NAME          run only the agent called NAME (and its machine)
          --drift DURATION     how long the wearing machine takes from normal to fault (default 60s)
          --duration SECONDS   stop after this long (default: until Ctrl-C)
          --quiet              no live view (logs only)
          --metrics-dir DIR    also write each agent's Prometheus metrics to DIR/NAME.prom every 10 s
          --report-rss         on exit, print the peak resident memory (make size uses it)
          --mock-socket PATH   where to serve the mock chips (default /tmp/fieldagent-sim.sock; with several
                               agents, /tmp/fieldagent-sim-NAME.sock)
        """,
        run: { args in
            var configPaths: [String] = []
            while let c = try args.option("--config") { configPaths.append(c) }
            let only = try args.option("--only")
            let drift = try args.option("--drift", expecting: "a duration such as 60s, at most 168h") { ConfigReader.parseDuration($0) }
            let duration = try args.seconds("--duration", atMost: 7 * 24 * 3600)
            let quiet = args.flag("--quiet")
            let reportRSS = args.flag("--report-rss")
            let socket = try args.option("--mock-socket")
            let metricsDir = try args.option("--metrics-dir")
            let boards = try args.option("--boards")
            try args.finish()
            let catalog = try makeCatalog(directory: boards)
            let loader = ConfigLoader.forThisBinary(catalog: catalog)
            var configs: [AgentConfig] = []
            if configPaths.isEmpty {
                configs.append(try loader.load(text: BuiltinConfigs.lineA, file: "<built-in line-a.yaml>").0)
                configs.append(try loader.load(text: BuiltinConfigs.lineB, file: "<built-in line-b.yaml>").0)
            } else {
                for path in configPaths { configs.append(try loader.load(path: path).0) }
            }
            // The config reader's code (YAML, boards, validation) is not run again until a reload: out of the RSS.
            _ = cl_drop_startup_code_pages()
            let wearing = configs.first?.name
            if let only {
                guard configs.contains(where: { $0.name == only }) else {
                    throw UsageError("fieldagent sim: --only \(only): no such agent; the agents are \(configs.map(\.name).joined(separator: ", "))")
                }
                configs = configs.filter { $0.name == only }
            }

            let loop = try EpollLoop()
            let logger = Logger(minimumLevel: quiet ? .notice : .warning)
            // Machines first, so the agents' first polls find them.
            var machines: [String: SimulatedMachine] = [:]
            for config in configs {
                let profile: MachineProfile = config.name == wearing ? .cycle(drift: drift ?? .seconds(60)) : .constant(0.1)
                machines[config.name] = try SimulatedMachine.startForLoopbackDevices(of: config, loop: loop, profile: profile, logger: logger)
            }
            var runtimes: [AgentRuntime] = []
            for config in configs {
                runtimes.append(try AgentRuntime(config: config, backend: .mock, logger: logger, loop: loop))
            }
            for r in runtimes {
                let path = socket.map { runtimes.count == 1 ? $0 : $0 + "-" + r.agent.config.name }
                    ?? (runtimes.count == 1 ? "/tmp/fieldagent-sim.sock" : "/tmp/fieldagent-sim-\(r.agent.config.name).sock")
                try r.serveMockChips(path: path)
                let status = StatusSocket.defaultPath(name: r.agent.config.name, environment: processEnvironment(["RUNTIME_DIRECTORY"]))
                try r.startObservability(statusPath: status, metricsDirectory: metricsDir)
            }
            // Simulated presses for configs that have inputs and no decision (the sim-basic example).
            var stimulators: [InputStimulator] = []
            for r in runtimes where r.agent.config.decision == nil && !r.agent.config.inputs.isEmpty {
                let s = InputStimulator(targets: r.agent.config.inputs.compactMap { input in
                    guard let chip = r.chips.mockChips.first(where: { $0.label == input.pin.chipLabel }) else { return nil }
                    return .init(name: input.name, chip: chip, line: input.pin.line, activeLevel: !input.activeLow)
                }, loop: loop)
                s.start()
                stimulators.append(s)
            }
            let view = FleetView(members: runtimes.map { .init(runtime: $0, machine: machines[$0.agent.config.name]) }, loop: loop)
            if !quiet {
                writeStandardOutput(banner(runtimes, machines))
                view.start()
            }
            // A technician for each wearing machine whose agent latches faults: presses its reset button after repairs.
            var technicians: [SimulatedTechnician] = []
            for r in runtimes {
                let c = r.agent.config
                guard let machine = machines[c.name], case .cycle = machine.profile.shape, let reset = c.decision?.resetInput,
                      let input = c.input(named: reset),
                      let chip = r.chips.mockChips.first(where: { $0.label == input.pin.chipLabel }) else { continue }
                let agent = r.agent
                let t = SimulatedTechnician(machine: machine, button: .init(name: reset, chip: chip, line: input.pin.line, activeLevel: !input.activeLow),
                                            loop: loop, isLatched: { agent.decision?.latchedClass != nil })
                if !quiet { t.onPress = { what in view.note(c.name, "tech    technician \(what)") } }
                t.start()
                technicians.append(t)
            }

            // Stopping: every agent drives its outputs safe (and waits for its Modbus safe writes), then the loop stops.
            var stopping = false
            var pending = runtimes.count
            func stopAll(_ reason: String) {
                guard !stopping else { return }
                stopping = true
                view.stop()
                for s in stimulators { s.stop() }
                for t in technicians { t.stop() }
                for r in runtimes {
                    r.onStopped = {
                        pending -= 1
                        if pending == 0 {
                            for m in machines.values { m.stop() }
                            loop.stop()
                        }
                    }
                    r.stop(reason: reason)
                }
            }
            var exitStatus: Int32 = 0
            try SignalPolicy.install(on: loop, stop: { signal in
                if !stopping { exitStatus = SignalPolicy.exitStatus(after: signal) }
                stopAll(SignalPolicy.name(of: signal))
            }, hangup: {})
            if let duration {
                loop.schedule(after: duration) { stopAll("duration elapsed") }
            }
            // Nor the code that started the agents: what stays resident is what the running loop uses.
            _ = cl_drop_startup_code_pages()
            try loop.run()
            if !quiet {
                for r in runtimes {
                    let a = r.agent
                    var line = "\(a.config.name): outputs safe; edge → output \(a.edgeToOutput.summary)"
                    if let d = a.decision { line += "; \(d.inferences) inferences, decision tick \(d.tickTime.summary)" }
                    writeStandardOutput(line + "\n")
                }
            }
            if reportRSS { print("peak RSS: \(peakRSSKilobytes()) kB") }
            return exitStatus
        })

    private static func banner(_ runtimes: [AgentRuntime], _ machines: [String: SimulatedMachine]) -> String {
        var text = "FieldAgent simulation: \(runtimes.count) agent\(runtimes.count == 1 ? "" : "s") on mock GPIO, loopback Modbus TCP\n"
        for r in runtimes {
            let c = r.agent.config
            var line = "  \(c.name): board \(c.board.name)"
            if let m = machines[c.name] { line += ", machine on 127.0.0.1:\(m.port) (\(m.profile.shape == .constant(0.1) ? "healthy" : "wearing"))" }
            if let s = r.modbusServer { line += ", register map on port \(s.port)" }
            if !c.peers.isEmpty { line += ", peers: " + c.peers.map { "\($0.name) (\($0.host):\($0.port))" }.joined(separator: ", ") }
            text += line + "\n"
        }
        text += "Ctrl-C stops (outputs go to their safe values first).\n\n"
        return text
    }

    /// The process's peak resident set size, from `getrusage`.
    static func peakRSSKilobytes() -> Int {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        return usage.ru_maxrss
    }
}

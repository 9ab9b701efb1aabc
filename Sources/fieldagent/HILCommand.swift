import CommandLineTool
import Agent
import Config
import EventLoop
import Modbus

/// `fieldagent hil`: runs a hardware-in-the-loop scenario against the real agent on the mock chip.
enum HILCommand {
    static let command = Command(
        name: "hil",
        summary: "Run hardware-in-the-loop scenarios against the agent on the mock chip",
        help: """
        USAGE: fieldagent hil SCENARIO... [--config FILE] [--boards DIR] [--log-level LEVEL] [--slowdown N]

        Starts the real agent (the same code as 'run') on FieldAgent's mock GPIO chip, then plays each
        SCENARIO: at the given times it drives inputs and checks that outputs reach the expected physical
        levels within the deadline. Prints PASS or FAIL per step; exit status 0 only when every step passes.
        Levels are physical (1 = high), as a voltmeter or gpio-sim shows them.

        SCENARIO FILE (YAML):
          config: ../Examples/sim-basic.yaml   # relative to the scenario; --config overrides it
          steps:
            - expect: {lamp: 0}                # at start: initial values
            - at: 100ms                        # time from the start of the scenario
              set: {button: 1}                 # drive inputs: 1/0/high/low, or float
              expect: {lamp: 1}                # outputs that must reach these levels...
              within: 20ms                     # ...this fast (default 50ms)
            - at: 1s
              stop: true                       # stop the agent as SIGTERM does
              expect: {lamp: 0}                # the safe states

        SEVERAL AGENTS, SIMULATED MACHINES AND REGISTER MAPS (see Scenarios/two-lines.yaml):
          agents: [../Examples/line-a.yaml, ../Examples/line-b.yaml]   # instead of config:
          machines: {line-a: 0, line-b: 0.1}   # a simulated machine for every Modbus device on 127.0.0.1,
                                               # at this severity (0 normal … 0.5 degraded … 1 fault)
          steps:
            - at: 1s
              machine: {line-a: 1.0}           # move a machine (constant severity from now on)
              inject: {line-a: nan}            # make it send garbage: nan | out-of-range | none
              kill: line-b                     # stop an agent as SIGTERM does (a peer disappearing)
              strangers: {line-a: 16}          # open idle connections to line-a's map from 127.0.0.2, a
                                               # stranger's address (see Scenarios/slot-reservation.yaml)
              expect: {line-a.motor: 0, line-b.standby: 1}     # agent.line with several agents
              expect_map:                      # read over Modbus TCP, as a peer reads it
                line-a: {class: fault, state: deciding, alarms: [worst-class]}
              within: 5s
              hold: 10s                        # once met, the expectations must hold this long (the motor
                                               # stays off until a reset: see Scenarios/fault-latch.yaml)
          States: starting, deciding, fail-safe. Alarms: fail-safe, sensor-down, peer-down, bad-sample,
          remote-stop, not-normal, worst-class, latched.

        --slowdown N multiplies every within: by N, for agents on an emulated CPU (make test-arm64 runs the
        scenarios under qemu-user with N = 3); hold: is not scaled.

        EXAMPLES:
          fieldagent hil Scenarios/sim-basic.yaml
          fieldagent hil my-test.yaml --config my-config.yaml
        """,
        run: { args in
            let configOverride = try args.option("--config")
            let boards = try args.option("--boards")
            let level = try args.option("--log-level", expecting: "debug, info, notice, warning or error") { Logger.Level(name: $0) }
            let slowdown = try args.option("--slowdown", expecting: "a whole factor 1…20") { Int($0).flatMap { (1...20).contains($0) ? $0 : nil } } ?? 1
            var files: [String] = []
            while let f = args.positional() { files.append(f) }
            try args.finish()
            guard !files.isEmpty else { throw UsageError("fieldagent hil: name at least one scenario file (see fieldagent hil --help)") }
            let catalog = try makeCatalog(directory: boards)
            var failed = 0
            for file in files {
                let scenario = try ScenarioLoader().load(path: file)
                let configPaths = configOverride.map { [$0] } ?? scenario.configs
                guard !configPaths.isEmpty else {
                    throw UsageError("\(file): the scenario names no config; add 'config: FILE' (or 'agents: [A, B]') or pass --config FILE")
                }
                let logger = Logger(minimumLevel: level ?? .warning)
                let loop = try EpollLoop()
                var configs: [AgentConfig] = []
                for path in configPaths { configs.append(try ConfigLoader.forThisBinary(catalog: catalog).load(path: path).0) }
                // Simulated machines for Modbus devices on loopback, at the scenario's initial severities.
                var machines: [String: SimulatedMachine] = [:]
                for config in configs {
                    let severity = scenario.machines.first { $0.agent == config.name }?.severity ?? 0
                    machines[config.name] = try SimulatedMachine.startForLoopbackDevices(of: config, loop: loop, profile: .constant(severity),
                                                                                         noise: 0.1, logger: logger)
                }
                var runtimes: [AgentRuntime] = []
                for config in configs { runtimes.append(try AgentRuntime(config: config, backend: .mock, logger: logger, loop: loop)) }
                print("scenario \(scenario.name) (\(file)) against \(configPaths.joined(separator: ", "))")
                // A killed agent has stopped already (stop() runs once): the end of the scenario must not wait for it.
                var killed = Set<ObjectIdentifier>()
                let members = runtimes.map { r in
                    ScenarioRunner.Member(agent: r.agent, chips: r.chips.mockChips, machine: machines[r.agent.config.name],
                                          mapPort: r.modbusServer?.port, kill: {
                                              killed.insert(ObjectIdentifier(r))
                                              r.onStopped = {}
                                              r.stop(reason: "scenario kill (as SIGTERM)")
                                          })
                }
                let runner = ScenarioRunner(scenario: scenario, members: members, loop: loop)
                runner.withinScale = slowdown
                let results = try runner.run()
                // Every agent drives its outputs safe (and finishes its Modbus safe writes) before the next scenario.
                let running = runtimes.filter { !killed.contains(ObjectIdentifier($0)) }
                var pending = running.count
                for r in running {
                    r.onStopped = {
                        pending -= 1
                        if pending == 0 { loop.stop() }
                    }
                    r.stop(reason: "scenario finished")
                }
                if pending > 0 { try loop.run() }
                for m in machines.values { m.stop() }
                for r in results {
                    let step = scenario.steps[r.index]
                    print("  step \(r.index + 1) (\(step.location)) at \(formatMicroseconds(step.at)): \(r.passed ? "PASS" : "FAIL")  \(r.detail)")
                }
                let passed = results.count == scenario.steps.count && results.allSatisfy { $0.passed }
                if results.count < scenario.steps.count {
                    print("  \(scenario.steps.count - results.count) later step(s) not run")
                }
                print("  \(passed ? "PASS" : "FAIL"): \(results.filter { $0.passed }.count)/\(scenario.steps.count) steps")
                if !passed { failed += 1 }
            }
            return failed == 0 ? 0 : 1
        })
}

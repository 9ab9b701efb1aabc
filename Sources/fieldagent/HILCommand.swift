import Agent
import Config
import EventLoop

/// `fieldagent hil`: runs a hardware-in-the-loop scenario against the real agent on the mock chip.
enum HILCommand {
    static let command = Command(
        name: "hil",
        summary: "Run hardware-in-the-loop scenarios against the agent on the mock chip",
        help: """
        USAGE: fieldagent hil SCENARIO... [--config FILE] [--boards DIR] [--log-level LEVEL]

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

        EXAMPLES:
          fieldagent hil Scenarios/sim-basic.yaml
          fieldagent hil my-test.yaml --config my-config.yaml
        """,
        run: { args in
            let configOverride = try args.option("--config")
            let boards = try args.option("--boards")
            let level = try args.option("--log-level", expecting: "debug, info, notice, warning or error") { Logger.Level(name: $0) }
            var files: [String] = []
            while let f = args.positional() { files.append(f) }
            try args.finish()
            guard !files.isEmpty else { throw UsageError("fieldagent hil: name at least one scenario file (see fieldagent hil --help)") }
            let catalog = try makeCatalog(directory: boards)
            var failed = 0
            for file in files {
                let scenario = try ScenarioLoader().load(path: file)
                guard let configPath = configOverride ?? scenario.config else {
                    throw UsageError("\(file): the scenario names no config; add 'config: FILE' or pass --config FILE")
                }
                let (config, _) = try ConfigLoader.forThisBinary(catalog: catalog).load(path: configPath)
                let logger = Logger(minimumLevel: level ?? .warning)
                let runtime = try AgentRuntime(config: config, backend: .mock, logger: logger)
                print("scenario \(scenario.name) (\(file)) against \(configPath)")
                let runner = ScenarioRunner(scenario: scenario, agent: runtime.agent, chips: runtime.chips.mockChips, loop: runtime.loop)
                let results = try runner.run()
                runtime.stop(reason: "scenario finished")
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

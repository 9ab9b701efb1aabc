import CommandLineTool
import Agent
import Config
import EventLoop
import Glibc

/// `fieldagent safe`: drives and verifies every actuator's safe value without the agent (systemd's ExecStopPost).
enum SafeCommand {
    static let command = Command(
        name: "safe",
        summary: "Drive every output and Modbus actuator of a config to its safe value and verify it",
        help: """
        USAGE: fieldagent safe --config FILE [--gpio libgpiod|mock] [--timeout SECONDS] [--hold SECONDS]

        What the agent does when it stops, done by a separate process, so that outputs end safe even when the
        agent died without doing it (a crash, a watchdog kill, SIGKILL, a power supply that browned out the
        agent but not the relays). systemd runs it after every stop of the service (ExecStopPost=); it is as
        useful by hand, before working on a machine.

          GPIO outputs      each line is requested at its safe value (the kernel drives it as it grants the
                            request), read back from the chip, then released (a Pi's pinctrl keeps the level).
                            A line still held by a running agent is reported busy and left alone: stop the
                            agent first (systemctl stop fieldagent runs this command by itself).
          Modbus actuators  every writable point with a safe: value is written, then read back; confirmed only
                            when the device returns exactly that value.

        Prints one line per actuator, what was confirmed and what was not. Exit status 0 only when every
        actuator was confirmed at its safe value; 1 otherwise (or when the config is invalid).

        OPTIONS:
          --config FILE        the agent's config (the same file as for run)
          --gpio BACKEND       libgpiod (default on a board) or mock (default for board: sim)
          --timeout SECONDS    how long Modbus devices may take to confirm, in all (default 5)
          --hold SECONDS       keep the GPIO lines requested this long before releasing them (default 0;
                               on gpio-sim a released line falls back to its pull, so a test reads it meanwhile)
          --boards DIR, --log-level LEVEL   as for run

        EXAMPLES:
          fieldagent safe --config /etc/fieldagent/fieldagent.yaml
          sudo systemctl stop fieldagent && fieldagent safe --config /etc/fieldagent/fieldagent.yaml
        """,
        run: { args in
            let options = try CommonOptions.parse(&args)
            let backend = try args.option("--gpio", expecting: "libgpiod or mock") { ChipSet.Backend(rawValue: $0) }
            let timeout = try args.option("--timeout", expecting: "a number of seconds, for example 5", StatusCommand.parseSeconds) ?? .seconds(5)
            let hold = try args.option("--hold", expecting: "a number of seconds, for example 2", StatusCommand.parseSeconds) ?? .zero
            try args.finish()
            let (config, _) = try options.loadConfig()
            let chosen = backend ?? (config.board.isSimulated ? .mock : .libgpiod)
            let loop = try EpollLoop()
            let board = config.board
            let chips = ChipSet(backend: chosen, loop: loop) { board.lineNames(ofChip: $0) }
            var logger = options.logger
            logger.minimumLevel = max(logger.minimumLevel, .warning)
            let results = try SafeStateDriver(config: config, chips: chips, loop: loop, logger: logger).run(timeout: timeout, hold: hold)
            let nameWidth = results.map { "\($0.actuator) = \($0.safe)".count }.max() ?? 0
            var out = "fieldagent safe: \(config.name) (\(options.configPath)), GPIO through \(chosen.rawValue)\n"
            for r in results {
                let what = "\(r.actuator) = \(r.safe)"
                out += "  \(r.confirmed ? "confirmed" : "FAILED   ")  \(what)\(String(repeating: " ", count: nameWidth - what.count))  \(r.location): \(r.detail)\n"
            }
            let confirmed = results.filter(\.confirmed).count
            out += "\(confirmed) of \(results.count) actuator\(results.count == 1 ? "" : "s") confirmed at the safe value"
            out += confirmed == results.count ? "\n" : "; NOT SAFE: \(results.filter { !$0.confirmed }.map(\.actuator).joined(separator: ", "))\n"
            writeStandardOutput(out)
            return confirmed == results.count ? 0 : 1
        })
}

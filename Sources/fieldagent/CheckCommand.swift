import CommandLineTool
import Config
import EventLoop
import TLS

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

        What check accepts, run starts: values that do not fit where they go are refused here (a safe value
        outside its Modbus point's range, a switch_at the model never reaches, a stale_after shorter than two
        polls, durations over 168h, a name too long for the socket paths, a host with a port in it). FILE must be
        a regular file of at most 1 MiB; a FIFO or a device is refused without being read.

        EXAMPLES:
          fieldagent check --config Examples/sim-basic.yaml
          fieldagent check --config /etc/fieldagent/fieldagent.yaml && sudo systemctl restart fieldagent
        """,
        run: { args in
            let options = try CommonOptions.parse(&args)
            try args.finish()
            let (config, _) = try options.loadConfig()
            func count(_ n: Int, _ what: String) -> String { "\(n) \(what)\(n == 1 ? "" : "s")" }
            var parts = ["board \(config.board.name)", count(config.inputs.count, "input"), count(config.outputs.count, "output"),
                         count(config.rules.count, "rule")]
            if !config.modbus.isEmpty { parts.append(count(config.modbus.count, "Modbus device")) }
            if !config.features.isEmpty { parts.append(count(config.features.count, "feature")) }
            if let d = config.decision {
                parts.append("model every \(durationText(d.every)) driving \(count(d.targets.count, "actuator"))")
            }
            if !config.peers.isEmpty { parts.append(count(config.peers.count, "peer")) }
            if let s = config.server {
                let plain = "\(s.bindAddress):\(s.port.map(String.init) ?? "502/1502")"
                if let tls = config.serverTLS {
                    let roles = tls.roles.keys.sorted().map { $0.isEmpty ? "\"\"" : $0 }.joined(separator: " ")
                    parts.append("Modbus/TCP Security (mutual TLS) on \(s.bindAddress):\(tls.port.map(String.init) ?? "802/1802") with roles \(roles.isEmpty ? "none" : roles)")
                    switch config.plainServer {
                    case .off: parts.append("plaintext Modbus TCP off")
                    case .readOnly: parts.append("plaintext Modbus TCP on \(plain) for reads only (writes get exception 01)")
                    case .readWrite: parts.append("plaintext Modbus TCP on \(plain)")
                    }
                    if let problem = tls.identity.keyFileProblem(checkOwner: false) { parts.append("WARNING: \(problem)") }
                } else {
                    parts.append("serving on \(plain) (plaintext Modbus TCP, no TLS)")
                }
            }
            print("\(options.configPath): ok: " + parts.joined(separator: ", "))
            return 0
        })
}

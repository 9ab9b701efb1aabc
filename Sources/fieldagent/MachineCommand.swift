import CommandLineTool
import Agent
import Config
import EventLoop
import Glibc
import Modbus

/// `fieldagent machine`: the simulated machine, a Modbus TCP sensor that wears from normal to fault.
enum MachineCommand {
    static let command = Command(
        name: "machine",
        summary: "Run the simulated machine: a Modbus TCP sensor drifting from normal to fault and back",
        help: """
        USAGE: fieldagent machine [--port N] [--bind ADDR] [--drift 60s] [--hold 10s] [--fault-hold 20s]
                                  [--maintenance 2s] [--severity X] [--seed N] [--noise F] [--period 200ms]

        Serves a machine's sensors over Modbus TCP until Ctrl-C, printing one status line per second. The
        machine runs normal for --hold, wears linearly from severity 0 to 1 over --drift, stays at fault for
        --fault-hold, is repaired (--maintenance, normal values) and starts again. With --severity it stays at
        that severity instead (0 normal, 0.5 degraded, 1 fault): a healthy peer or a broken one for HIL tests.
        The values are the operating points the compiled-in model was trained on (Models/train/train.py),
        interpolated by severity, plus deterministic noise (--noise × the class std, from --seed). The compiled
        model sees degraded from severity 0.32 and fault from 0.81 (noiseless, load 100 %).

        REGISTERS (any unit id; float32 = two registers, high word first, i.e. word order big):
          input 0-1    vibration_rms_g          g
          input 2-3    vibration_peak_g         g
          input 4-5    vibration_crest          peak/RMS
          input 6-7    vibration_kurtosis
          input 8-9    vibration_high_band      energy ratio above 1 kHz
          input 10-11  dominant_frequency_hz    Hz
          input 12-13  bearing_temperature_c    °C
          input 14-15  temperature_rise_c       °C per 10 min (the machine's own sensor)
          input 16-17  motor_current_a          A
          input 18-19  current_imbalance_pct    %
          input 20-21  speed_rpm                rpm
          input 22-23  power_factor
          input 24     severity, per mille (uint16, 0…1000)
          input 25     update counter (uint16, wraps)
          input 26     phase: 0 normal, 1 drifting, 2 fault hold, 3 maintenance
          holding 0    load command in percent, 0…100 (default 100); a lower load pulls vibration and
                       current toward normal (their distance from normal is halved at 0 %)
          holding 1    fault injection: 0 none, 1 vibration_rms_g reads NaN, 2 bearing_temperature_c reads −1e9
        Other values or addresses are refused (illegal data value / illegal data address).

        OPTIONS:
          --port N            TCP port (default 1502; 0 picks a free one, printed on the first line)
          --bind ADDR         numeric address to listen on (default 0.0.0.0; 127.0.0.1 for this host only)
          --hold D            time at normal before the drift (default 10s)
          --drift D           time from severity 0 to 1 (default 60s)
          --fault-hold D      time at fault before maintenance (default 20s)
          --maintenance D     time of the maintenance phase (default 2s)
          --severity X        constant severity 0…1 instead of the cycle
          --seed N            noise seed (default 1); the same seed gives the same values
          --noise F           noise as a fraction of the class std (default 0.25; 0 for exact operating points)
          --period D          time between updates (default 200ms)
          --log-level L       server log level (default warning)
        Durations: 500ms, 10s, 1.5m, …

        EXAMPLES:
          fieldagent machine --port 1502
          mbpoll -m tcp -p 1502 -t 3:float -B -r 1 -c 12 127.0.0.1   the twelve values, polled every second
          mbpoll -m tcp -p 1502 -t 3 -r 25 -c 3 -1 127.0.0.1           severity, counter, phase
          mbpoll -m tcp -p 1502 -t 4 -r 1 -1 127.0.0.1 40              load 40 %
            (mbpoll counts registers from 1: -r 1 is address 0; -B reads floats high word first, as served;
            without -B mbpoll swaps the words and prints nonsense)
          fieldagent modbus read tcp://127.0.0.1:1502 --table input --address 0 --count 12 --type float32
          fieldagent modbus write tcp://127.0.0.1:1502 --table holding --address 1 1    inject NaN vibration
          fieldagent machine --port 1503 --severity 0                                      a healthy peer
          fieldagent machine --drift 20s --hold 2s --fault-hold 5s                         a quick cycle
        """,
        run: { args in try run(&args) })

    private static func duration(_ args: inout Arguments, _ name: String) throws -> Duration? {
        try args.option(name, expecting: "a duration such as 500ms, 10s or 1.5m, at most 168h") { ConfigReader.parseDuration($0) }
    }

    private static func run(_ args: inout Arguments) throws -> Int32 {
        let port = try args.option("--port", expecting: "a port 0…65535") { UInt16($0) } ?? 1502
        let bind = try args.option("--bind") ?? "0.0.0.0"
        let hold = try duration(&args, "--hold")
        let drift = try duration(&args, "--drift")
        let faultHold = try duration(&args, "--fault-hold")
        let maintenance = try duration(&args, "--maintenance")
        let severity = try args.option("--severity", expecting: "a severity 0…1 (0 normal, 0.5 degraded, 1 fault)") {
            Double($0).flatMap { (0...1).contains($0) ? $0 : nil }
        }
        let seed = try args.option("--seed", expecting: "a whole number ≥ 0") { UInt64($0) } ?? 1
        let noise = try args.option("--noise", expecting: "a fraction ≥ 0, such as 0.25") { Double($0).flatMap { $0 >= 0 && $0.isFinite ? $0 : nil } } ?? 0.25
        let period = try duration(&args, "--period") ?? .milliseconds(200)
        let level = try args.option("--log-level", expecting: "debug, info, notice, warning or error") { Logger.Level(name: $0) } ?? .warning
        try args.finish()

        guard period > .zero else { throw UsageError("\(args.command): --period must be longer than 0") }
        let profile: MachineProfile
        if let severity {
            if [hold, drift, faultHold, maintenance].contains(where: { $0 != nil }) {
                throw UsageError("\(args.command): --severity keeps the machine at one severity; drop --hold, --drift, --fault-hold and --maintenance (or drop --severity)")
            }
            profile = .constant(severity)
        } else {
            let (h, d, f, m) = (hold ?? .seconds(10), drift ?? .seconds(60), faultHold ?? .seconds(20), maintenance ?? .seconds(2))
            guard h + d + f + m > .zero else { throw UsageError("\(args.command): the cycle has no length; give --drift or --hold a duration") }
            profile = .cycle(hold: h, drift: d, faultHold: f, maintenance: m)
        }

        let loop = try EpollLoop()
        try loop.onSignal(SIGINT) { loop.stop() }
        try loop.onSignal(SIGTERM) { loop.stop() }
        let machine = SimulatedMachine(loop: loop, profile: profile, bindAddress: bind, port: port, period: period,
                                       noise: noise, seed: seed, logger: Logger(minimumLevel: level))
        do {
            try machine.start()
        } catch {
            throw UsageError("\(args.command): cannot listen on \(bind):\(port): \(error)" + (port == 0 ? "" : " (another port with --port N, or 0 for any)"))
        }
        writeStandardOutput("listening \(machine.localAddress!)\n")
        let start = loop.now
        func status() {
            writeStandardOutput(statusLine(machine, at: loop.now - start) + "\n")
            loop.schedule(after: .seconds(1)) { status() }
        }
        status()
        try loop.run()
        machine.stop()
        return 0
    }

    /// One line: time, phase, severity, a few values, load and injected fault.
    static func statusLine(_ machine: SimulatedMachine, at elapsed: Duration) -> String {
        let v = machine.values
        func f(_ x: Float, _ digits: Int) -> String { formatFixed(Double(x), digits: digits) }
        var line = formatFixed(Double(elapsed.nanoseconds) / 1e9, digits: 1).leftPadded(7) + "s  "
        if case .constant = machine.profile.shape {
            line += "constant".padding(13)
        } else {
            line += machine.phase.description.padding(13)
        }
        line += "severity " + formatFixed(machine.severity, digits: 3)
        line += "  rms " + f(v[0], 3) + " g  peak " + f(v[1], 2) + " g  kurt " + f(v[3], 2)
        line += "  temp " + f(v[6], 1) + " °C  current " + f(v[8], 2) + " A"
        if machine.load != 100 { line += "  load \(machine.load)%" }
        if machine.injectedFault != .none { line += "  injected \(machine.injectedFault)" }
        return line
    }
}

import Agent
import Boards
import CommandLineTool
import CompiledModel
import Config
import EventLoop
import Glibc

/// `fieldagent-bench gpio`: the foundation's measurements (make bench-gpio runs it).
enum BenchCommand {
    static let command = Command(
        name: "gpio",
        summary: "Edge → output latency, the decision tick's cost, and idle cost (make bench-gpio)",
        help: """
        USAGE: fieldagent-bench gpio [--edges N] [--idle-seconds S] [--decide-every D]

        1. Edge → output: a child process runs the agent on the mock chip (rule: 'in changes → out follows');
           this process drives 'in' through the mock control socket N times (default 10000) and waits each
           time for the 'out' change. Prints the agent's own latency (edge seen by the loop → output written)
           and the round trip seen by the driver (two Unix-socket hops and two wake-ups included).
           Then the same again with the decision pipeline busy on the same loop: a simulated machine polled
           every 10 ms and the model deciding every --decide-every (default 1ms, 500× the examples' cadence);
           prints the decision tick's own cost (features, model, actuators) beside the edge latency.
        2. Idle: the agent with nothing scheduled for S seconds (default 10): loop wake-ups and CPU time.
        Numbers are printed next to the goals (p99 ≤ 100 µs; 0 wake-ups/s idle); nothing is asserted.
        The agent code measured is the product's, linked into this executable (fieldagent itself has no benchmarks).
        """,
        run: { args in
            let edges = try args.option("--edges", expecting: "a number") { Int($0) } ?? 10_000
            let idle = try args.option("--idle-seconds", expecting: "a number") { Double($0) } ?? 10
            let every = try args.option("--decide-every", expecting: "a duration such as 10ms") { ConfigReader.parseDuration($0) } ?? .milliseconds(1)
            try args.finish()
            try edgeToOutput(edges: edges)
            try edgeToOutput(edges: edges, decideEvery: every)
            try idleCost(seconds: idle)
            return 0
        })

    /// `fieldagent-bench modbus-adversaries`: the edge path with misbehaving Modbus peers on the same loop.
    static let adversaries = Command(
        name: "modbus-adversaries",
        summary: "Edge → output with the Modbus server and misbehaving peers on the loop (make bench-adversaries)",
        help: """
        USAGE: fieldagent-bench modbus-adversaries [--seconds S] [--interval-us N] [--peers-nice N]

        Edge → output with the agent's Modbus server and a poller on the same loop, without and with misbehaving
        Modbus peers (S seconds per row, default 5; an edge every N µs, default 1000; --peers-nice runs the peer
        threads at that nice value, as if their CPU were another host's). Nothing is asserted.
        """,
        run: { args in
            let seconds = try args.option("--seconds", expecting: "a number of seconds") { Double($0) } ?? 5
            let interval = try args.option("--interval-us", expecting: "microseconds") { Int64($0) } ?? 1000
            let nice = try args.option("--peers-nice", expecting: "a nice value 0…19") { Int32($0) } ?? 0
            try args.finish()
            return try AdversaryBench.run(seconds: seconds, interval: .microseconds(interval), peersNice: nice)
        })

    static let benchConfig = """
        board: sim
        name: bench
        inputs:
          - name: in
            pin: GPIO17
        outputs:
          - name: out
            pin: GPIO27
        rules:
          - when: in rises
            set: out on
          - when: in falls
            set: out off
        """

    private static func loadConfig(_ text: String = benchConfig) throws -> AgentConfig {
        try ConfigLoader.forThisBinary(catalog: try BoardCatalog.builtIn()).load(text: text, file: "<bench>").0
    }

    /// The bench config plus a machine on `port` and the model deciding every `every`, driving one more output.
    static func decisionConfig(port: UInt16, every: Duration) -> String {
        var text = """
            board: sim
            name: bench
            inputs:
              - name: in
                pin: GPIO17
            outputs:
              - name: out
                pin: GPIO27
              - name: decided
                pin: GPIO22
            rules:
              - when: in rises
                set: out on
              - when: in falls
                set: out off
            modbus:
              - name: machine
                endpoint: tcp://127.0.0.1:\(port)
                points:
                  - {name: values, table: input, address: 0, count: 12, type: float32, poll: 10ms}
            features:

            """
        for (i, name) in CompiledModel.info.features.enumerated() {
            text += "  - {name: \(name), from: \"machine.values[\(i)]\", take: mean, over: 5}\n"
        }
        text += """
            decide:
              every: \(durationText(every))
              confirm: 1
              min_dwell: 0
              actions:
                normal: [decided on]
                degraded: [decided on]
                fault: [decided off]

            """
        return text
    }

    private static func edgeToOutput(edges: Int, decideEvery: Duration? = nil) throws {
        let path = "/tmp/fieldagent-bench-\(getpid()).sock"
        var pipeFDs: [Int32] = [0, 0]
        guard pipe(&pipeFDs) == 0 else { throw SystemError("pipe") }
        fflush(nil)  // the child must not inherit (and print again) what is buffered
        let child = fork()
        if child == 0 {
            close(pipeFDs[0])
            let loop = try EpollLoop()
            var text = benchConfig
            var machine: SimulatedMachine?
            if let decideEvery {
                let m = SimulatedMachine(loop: loop, profile: .constant(0.2), port: 0, period: .milliseconds(10))
                try m.start()
                machine = m
                text = decisionConfig(port: m.port, every: decideEvery)
            }
            let runtime = try AgentRuntime(config: try loadConfig(text), backend: .mock, logger: Logger(minimumLevel: .error), loop: loop)
            try runtime.serveMockChips(path: path)
            var ready: UInt8 = 1
            _ = write(pipeFDs[1], &ready, 1)
            _ = try runtime.runUntilSignalled {
                let h = runtime.agent.edgeToOutput
                var line = "\(h.count) \(h.percentile(0.5)?.nanoseconds ?? 0) \(h.percentile(0.99)?.nanoseconds ?? 0) \(h.max.nanoseconds)"
                if let d = runtime.agent.decision {
                    let t = d.tickTime
                    line += " \(d.inferences) \(t.percentile(0.5)?.nanoseconds ?? 0) \(t.percentile(0.99)?.nanoseconds ?? 0) \(t.max.nanoseconds)"
                }
                line += "\n"
                machine?.stop()
                _ = line.withCString { write(pipeFDs[1], $0, strlen($0)) }
            }
            exit(0)
        }
        close(pipeFDs[1])
        var ready: UInt8 = 0
        guard read(pipeFDs[0], &ready, 1) == 1 else { throw SystemError("agent child did not start") }
        let fd = try UnixSocket.connect(path: path)
        var reader = LineReader(fd: fd)
        func send(_ s: String) { _ = (s + "\n").withCString { write(fd, $0, strlen($0)) } }
        send("watch")
        _ = reader.next()  // ok
        var roundTrips = LatencyHistogram()
        var level = false
        for _ in 0..<edges {
            level.toggle()
            let expected = "change out \(level ? 1 : 0)"
            let t0 = MonotonicClock.now()
            send("set in \(level ? 1 : 0)")
            while let line = reader.next(), line != expected {}
            roundTrips.record(MonotonicClock.now() - t0)
        }
        close(fd)
        kill(child, SIGTERM)
        var text: [UInt8] = []
        var byte: UInt8 = 0
        while read(pipeFDs[0], &byte, 1) == 1 { text.append(byte) }
        var status: Int32 = 0
        waitpid(child, &status, 0)
        let f = String(decoding: text, as: UTF8.self).split(whereSeparator: { $0 == " " || $0 == "\n" }).compactMap { Int64($0) }
        if let decideEvery {
            print("edge → output with the decision pipeline on the same loop (machine polled every 10 ms, model every \(durationText(decideEvery)))")
        } else {
            print("edge → output (mock chip, real loop, \(edges) edges)")
        }
        if f.count >= 4 {
            print("  agent (edge seen → output written):  p50 \(formatMicroseconds(.nanoseconds(f[1])))  p99 \(formatMicroseconds(.nanoseconds(f[2])))  max \(formatMicroseconds(.nanoseconds(f[3])))  n=\(f[0])   goal p99 ≤ 100µs")
        }
        if f.count == 8 {
            print("  decision tick (features, model, actuators): p50 \(formatMicroseconds(.nanoseconds(f[5])))  p99 \(formatMicroseconds(.nanoseconds(f[6])))  max \(formatMicroseconds(.nanoseconds(f[7])))  n=\(f[4])")
        }
        print("  driver round trip (socket → agent → socket): p50 \(formatMicroseconds(roundTrips.percentile(0.5)!))  p99 \(formatMicroseconds(roundTrips.percentile(0.99)!))  max \(formatMicroseconds(roundTrips.max))")
    }

    private static func idleCost(seconds: Double) throws {
        let runtime = try AgentRuntime(config: try loadConfig(), backend: .mock, logger: Logger(minimumLevel: .error))
        let before = cpuTime()
        let wakeupsBefore = runtime.loop.wakeups
        runtime.loop.schedule(after: .milliseconds(Int64(seconds * 1000))) { runtime.stop(reason: "bench") }
        try runtime.loop.run()
        let wakeups = runtime.loop.wakeups - wakeupsBefore - 1  // minus the stop timer
        let cpu = cpuTime() - before
        print("idle (\(formatFixed(seconds, digits: 0)) s, nothing scheduled)")
        print("  loop wake-ups: \(wakeups) (\(formatFixed(Double(wakeups) / seconds, digits: 2))/s)   goal 0/s")
        print("  CPU time: \(formatMicroseconds(cpu)) user+system")
    }

    private static func cpuTime() -> Duration {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        let us = (usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1_000_000 + usage.ru_utime.tv_usec + usage.ru_stime.tv_usec
        return .microseconds(us)
    }
}

/// Blocking line reader for the bench's driver side.
struct LineReader {
    let fd: Int32
    private var buffer: [UInt8] = []

    init(fd: Int32) { self.fd = fd }

    mutating func next() -> String? {
        while true {
            if let nl = buffer.firstIndex(of: 10) {
                let line = String(decoding: buffer[..<nl], as: UTF8.self)
                buffer.removeSubrange(...nl)
                return line
            }
            var chunk = [UInt8](repeating: 0, count: 4096)
            let n = read(fd, &chunk, chunk.count)
            if n <= 0 { return nil }
            buffer += chunk[0..<n]
        }
    }
}

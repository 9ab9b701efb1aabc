// fieldagent-uplink-load: many Sparkplug edge nodes (the product's SparkplugEdgeNode) in one process, on one
// event loop, for the fleet benchmark (make bench-uplink). Each node publishes METRICS changing doubles every
// INTERVAL; node i starts on broker i mod the number of brokers and fails over to the next ones.
//
//   fieldagent-uplink-load --nodes N --brokers URL,URL,… --seconds S [--interval 1s] [--metrics 5] [--dir DIR]
//                          [--group load] [--connect-timeout 10s]
//
// Prints: nodes born, messages acknowledged per second in the window, publish → broker ack latency, and for
// every node that lost its session the time from loss to its next birth (the reconnect storm) as a histogram.
// SIGUSR1 starts the measurement window afresh (once the fleet is up).
import Config
import EventLoop
import Glibc
import Uplink

/// `12.34` without Foundation.
func fixed(_ x: Double, _ digits: Int = 2) -> String {
    var scale = 1.0
    for _ in 0..<digits { scale *= 10 }
    let v = (x * scale).rounded() / scale
    var s = "\(v)"
    if let dot = s.firstIndex(of: ".") {
        let decimals = s.distance(from: dot, to: s.endIndex) - 1
        if decimals < digits { s += String(repeating: "0", count: digits - decimals) }
    }
    return s
}

func say(_ line: String) { writeStandardOutput(line + "\n") }

final class LoadRun {
    let loop: EpollLoop
    var fleet: [SparkplugEdgeNode] = []
    var bornCount = 0
    var lostAt: [Instant?]
    var reconnectTimes: [Duration] = []
    var tick: Double = 0
    var windowStart: Instant
    var publishedAtStart: UInt64 = 0
    var latencyAtStart: (sum: UInt64, count: UInt64) = (0, 0)
    let nodes: Int
    let interval: Duration

    init(nodes: Int, brokers: [UplinkConfig.Broker], interval: Duration, connectTimeout: Duration, metrics: Int, group: String, dir: String) throws {
        loop = try EpollLoop()
        self.nodes = nodes
        self.interval = interval
        lostAt = Array(repeating: nil, count: nodes)
        windowStart = loop.now
        let logger = Logger(minimumLevel: .error)
        for i in 0..<nodes {
            let k = i % brokers.count
            var config = UplinkConfig(brokers: Array(brokers[k...] + brokers[..<k]), group: group, node: "node\(i)")
            config.interval = interval
            config.maxInterval = interval
            config.connectTimeout = connectTimeout
            config.backoffMin = .milliseconds(500)
            config.backoffMax = .seconds(8)
            config.bufferBytes = 1 << 20
            let defs = (0..<metrics).map { SparkplugEdgeNode.Definition(name: "Load/m\($0)", dataType: .double) }
            let phase = Double(i)
            let node = try SparkplugEdgeNode(config: config, definitions: defs, bufferDirectory: "\(dir)/node\(i)", loop: loop, logger: logger) { [unowned self] in
                (0..<metrics).map { SparkplugMetric.Value.double(self.tick + phase + Double($0)) }
            }
            node.onOnlineChange = { [unowned self] online in self.onlineChanged(i, online) }
            fleet.append(node)
        }
    }

    func onlineChanged(_ i: Int, _ online: Bool) {
        if online {
            if let lost = lostAt[i] {
                reconnectTimes.append(loop.now - lost)
                lostAt[i] = nil
            } else {
                bornCount += 1
            }
        } else {
            lostAt[i] = loop.now
        }
    }

    func advance() {
        tick += 1
        loop.schedule(after: interval) { [unowned self] in self.advance() }
    }

    func totals() -> (published: UInt64, latencySum: UInt64, latencyCount: UInt64) {
        var p: UInt64 = 0, s: UInt64 = 0, c: UInt64 = 0
        for n in fleet {
            p += n.stats.published
            s += n.stats.latencySumMicros
            c += n.stats.latencyCount
        }
        return (p, s, c)
    }

    func startWindow() {
        windowStart = loop.now
        let t = totals()
        publishedAtStart = t.published
        latencyAtStart = (t.latencySum, t.latencyCount)
        reconnectTimes = []
        say("window: started with \(bornCount) of \(nodes) nodes born")
    }

    func run(seconds: Int) throws {
        advance()
        for node in fleet { node.start() }
        try loop.onSignal(SIGUSR1) { [unowned self] in self.startWindow() }
        try loop.onSignal(SIGTERM) { [unowned self] in self.loop.stop() }
        try loop.onSignal(SIGINT) { [unowned self] in self.loop.stop() }
        loop.schedule(after: .seconds(Int64(seconds))) { [unowned self] in self.loop.stop() }
        try loop.run()
        report()
        for node in fleet { node.stop() }
    }

    func report() {
        let t = totals()
        let elapsed = Double((loop.now - windowStart).nanoseconds) / 1e9
        let messages = t.published - publishedAtStart
        let latencyCount = t.latencyCount - latencyAtStart.count
        say("born: \(bornCount) of \(nodes)")
        say("messages: \(messages) acknowledged in \(fixed(elapsed, 1)) s = \(Int(Double(messages) / max(elapsed, 0.001)))/s")
        if latencyCount > 0 { say("publish→ack mean: \((t.latencySum - latencyAtStart.sum) / latencyCount) µs") }
        let still = lostAt.compactMap { $0 }.count
        say("reconnects: \(reconnectTimes.count) nodes re-born after losing their session, \(still) still away")
        guard !reconnectTimes.isEmpty else { return }
        let sorted = reconnectTimes.sorted()
        func pct(_ p: Double) -> String {
            let i = min(sorted.count - 1, Int(Double(sorted.count) * p))
            return fixed(Double(sorted[i].nanoseconds) / 1e9) + " s"
        }
        say("reconnect time: p50 \(pct(0.5)) p90 \(pct(0.9)) p99 \(pct(0.99)) max \(pct(1.0))")
        var histogram: [Int: Int] = [:]
        for d in sorted { histogram[Int(d.nanoseconds / 1_000_000_000), default: 0] += 1 }
        for k in histogram.keys.sorted() {
            let n = histogram[k]!
            let bar = String(repeating: "#", count: max(1, n * 60 / sorted.count))
            say("  \(k)–\(k + 1) s: \(n) \(bar)")
        }
    }
}

func main() {
    let args = Array(CommandLine.arguments.dropFirst())
    func option(_ name: String) -> String? {
        guard let i = args.firstIndex(of: name), i + 1 < args.count else { return nil }
        return args[i + 1]
    }
    func fail(_ message: String) -> Never {
        StandardError.write("fieldagent-uplink-load: \(message)\n")
        exit(2)
    }
    guard let nodes = option("--nodes").flatMap({ Int($0) }), nodes > 0, nodes <= 10_000 else { fail("--nodes 1…10000") }
    guard let seconds = option("--seconds").flatMap({ Int($0) }), seconds > 0 else { fail("--seconds N") }
    let list = (option("--brokers") ?? "").split(separator: ",").map(String.init)
    let brokers = list.compactMap { try? UplinkConfig.Broker.parse($0).get() }
    guard !brokers.isEmpty, brokers.count == list.count else { fail("--brokers mqtt://HOST:PORT,…") }
    let interval = option("--interval").flatMap(ConfigReader.parseDuration) ?? .seconds(1)
    let connectTimeout = option("--connect-timeout").flatMap(ConfigReader.parseDuration) ?? .seconds(10)
    let metrics = option("--metrics").flatMap({ Int($0) }) ?? 5
    let dir = option("--dir") ?? "/tmp/fieldagent-uplink-load"
    mkdir(dir, 0o755)
    // Each node holds a socket and a buffer segment open: raise the descriptor limit to what the system allows.
    var limit = rlimit()
    if getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 {
        limit.rlim_cur = limit.rlim_max
        setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    }
    do {
        let run = try LoadRun(nodes: nodes, brokers: brokers, interval: interval, connectTimeout: connectTimeout, metrics: metrics,
                              group: option("--group") ?? "load", dir: dir)
        say("started: \(nodes) nodes, \(metrics) metrics each every \(interval), brokers \(list.joined(separator: ","))")
        try run.run(seconds: seconds)
    } catch {
        fail("\(error)")
    }
}

main()

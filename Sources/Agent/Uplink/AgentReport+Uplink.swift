import Service
import Uplink

/// The uplink's lines in `fieldagent status` and its metrics.
extension Agent {
    func uplinkStatusLines() -> [String] {
        guard let cfg = config.uplink else { return [] }
        guard let u = uplink else { return ["uplink: not running (its buffer directory could not be opened; see the log)"] }
        let s = u.stats
        var out: [String] = []
        let state = s.online ? "online via \(s.broker ?? "?")" : s.broker.map { "connected to \($0), not born (waiting for primary host \(cfg.primaryHost ?? "?"))" } ?? "offline"
        out.append("uplink: \(state), group \(cfg.group), node \(cfg.node), bdSeq \(u.bdSeq)")
        let mean = s.latencyCount == 0 ? "-" : "\(s.latencySumMicros / s.latencyCount)µs"
        out.append("  published \(s.published) messages (\(s.replayed) replayed, \(s.samples) samples), births \(s.births), publish → ack mean \(mean) max \(s.latencyMaxMicros)µs")
        out.append("  buffered \(u.buffer.count) on disk (\(u.buffer.bytes) bytes of \(u.buffer.limit), \(u.buffer.directory)) + \(u.queued) in memory, dropped \(u.buffer.dropped)"
                   + (u.buffer.lastError.map { " [\($0)]" } ?? ""))
        out.append("  connects \(s.connects), failed attempts \(s.connectFailures), commands \(s.commandsAccepted) accepted, \(s.commandsRefused) refused"
                   + (s.lastProblem.map { "; last problem: \($0)" } ?? ""))
        return out
    }

    func uplinkMetricFamilies() -> [MetricFamily] {
        guard let u = uplink else { return [] }
        let s = u.stats
        let agent = [MetricFamily.Label("agent", config.name)]
        func one(_ name: String, _ help: String, _ type: MetricFamily.Kind, _ value: Double) -> MetricFamily {
            MetricFamily(name, help: help, type: type, samples: [.init(labels: agent, value: value)])
        }
        var out = [
            one("fieldagent_uplink_connected", "1 while the Sparkplug node is born on a broker.", .gauge, s.online ? 1 : 0),
            one("fieldagent_uplink_buffered", "Messages waiting in the store-and-forward buffer (disk and memory).", .gauge, Double(u.buffer.count + u.queued)),
            one("fieldagent_uplink_buffer_bytes", "Bytes of the store-and-forward buffer on disk.", .gauge, Double(u.buffer.bytes)),
            one("fieldagent_uplink_dropped_total", "Buffered messages dropped (bound reached, oldest first, or unreadable).", .counter, Double(u.buffer.dropped)),
            one("fieldagent_uplink_published_total", "NDATA/DDATA messages the broker acknowledged.", .counter, Double(s.published)),
            one("fieldagent_uplink_samples_total", "Metric values in acknowledged NDATA/DDATA messages.", .counter, Double(s.samples)),
            one("fieldagent_uplink_replayed_total", "Of those, replayed from the buffer as historical data.", .counter, Double(s.replayed)),
            one("fieldagent_uplink_connects_total", "Connections accepted by a broker.", .counter, Double(s.connects)),
            one("fieldagent_uplink_commands_refused_total", "NCMD/DCMD commands refused.", .counter, Double(s.commandsRefused)),
        ]
        if s.latencyCount > 0 {
            out.append(one("fieldagent_uplink_publish_latency_mean_seconds", "Mean publish → broker acknowledgement time.", .gauge, Double(s.latencySumMicros) / Double(s.latencyCount) / 1e6))
        }
        return out
    }
}

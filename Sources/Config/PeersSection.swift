import Modbus
import YAML

/// `peers:`: other agents whose register maps this agent polls (point-to-point Modbus TCP, no broker).
///
/// ```yaml
/// peers:
///   - name: line-b            # required; unique among peers and Modbus devices
///     host: 192.168.1.21      # required; name or numeric address (allowed to write; a name once it resolves)
///     port: 1502              # default 1502
///     unit: 1                 # default 1
///     interval: 1s            # how often its status is read, default 1s
///     timeout: 500ms          # default 500ms
///     stale_after: 3s         # default 3 × interval; at least 2 × interval
///     down_after: 3           # failed reads in a row, default 3
///     tls: on                 # Modbus/TCP Security with the agent's certificate (server: tls:); port default 802
/// ```
enum PeersSection {
    static let key = "peers"
    static let keys = ["name", "host", "port", "unit", "interval", "timeout", "stale_after", "down_after", "tls"]

    static func decode(_ node: YAMLNode?, _ c: ConfigContext) -> [PeerConfig] {
        let r = c.reader
        var out: [PeerConfig] = []
        var seen: [String: Int] = [:]
        for item in r.list(node, key) {
            let what = item["name"]?.scalarValue.map { "peer '\($0)'" } ?? "a peer"
            guard let f = r.fields(item, what: what, known: keys) else { continue }
            let name = r.uniqueName(f, in: what, at: item.mark, kind: "peer", seen: &seen)
            let host = r.required(f, "host", in: what, at: item.mark)
            if let h = host, let n = f["host"], let problem = HostName.problem(h) { r.error(n.mark, "\(what): host: \(problem)") }
            let tls = f["tls"].flatMap { r.bool($0, "tls") } ?? false
            let port = f["port"].flatMap { r.int($0, "port", in: 1...65535) } ?? (tls ? 802 : 1502)
            let unit = f["unit"].flatMap { r.int($0, "unit", in: 1...247) } ?? 1
            let interval = f["interval"].flatMap { r.cadence($0, "interval") } ?? .seconds(1)
            let timeout = f["timeout"].flatMap { r.timeBudget($0, "timeout") } ?? .milliseconds(500)
            let stale: Duration?? = f["stale_after"].map { r.positiveDuration($0, "stale_after") }
            let downAfter = f["down_after"].flatMap { r.int($0, "down_after", in: 1...100) } ?? 3
            // A peer with a bad value is still declared (its errors are recorded), so features and overrides naming
            // it are not reported as well.
            if let staleAfter = stale ?? nil, let n = f["stale_after"] {
                r.checkStaleWindow(staleAfter, at: n, interval: interval, source: "reads of the peer")
            }
            guard let name, let host else { continue }
            if let h = f["host"], HostName.problem(host) == nil, SocketAddress(numericHost: host, port: 0) == nil {
                r.warning(h.mark, "\(what): host '\(host)' is a name; it is resolved in the background (the peer is down until it resolves), and writes from this peer are accepted only once it has resolved: writers are matched by IP address")
            }
            if let t = f["timeout"], timeout >= interval {
                r.warning(t.mark, "\(what): timeout \(YAMLScalar.format(timeout)) is not shorter than interval \(YAMLScalar.format(interval)); a silent peer will skip polls")
            }
            out.append(PeerConfig(name: name, host: host, port: UInt16(port), unit: UInt8(unit), interval: interval, timeout: timeout,
                                  staleAfter: stale.flatMap { $0 }, downAfterFailures: downAfter, tls: tls, location: item.mark))
        }
        return out
    }
}

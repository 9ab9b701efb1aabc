import Modbus
import YAML

/// `server:`: the agent's own Modbus TCP server.
///
/// ```yaml
/// server:
///   bind: 0.0.0.0          # numeric IPv4 or IPv6 address; default 0.0.0.0 (all IPv4)
///   port: 1502             # default: 502 when the agent may bind it, else 1502
///   max_connections: 16    # clients at once, default 16
///   reserved: 4            # of those, slots only peers and writers may use, default a quarter, at most 4 (strangers get the rest;
///                          # a peer or writer that finds every slot taken gets in anyway: the longest idle
///                          # stranger is closed for it)
///   idle_timeout: 60s      # close a client without a complete request for this long, default 60s
///   units: [1]             # unit ids answered; default all
///   writers: [10.0.0.5]    # numeric addresses that may write the command block, besides the peers' hosts
/// ```
/// Writes are accepted only into the command block (holding registers 0–1) and only from the peers' numeric
/// hosts and `writers`; any other write gets an exception and a log line.
enum ServerSection {
    /// The top-level key.
    static let key = "server"
    /// The section's keys.
    static let keys = ["bind", "port", "max_connections", "reserved", "idle_timeout", "units", "writers", "plain", "tls"]

    /// What was decoded: the plaintext server's settings, the writers, Modbus/TCP Security (`tls:`, see
    /// `ServerTLSSection.swift`) and what plaintext clients may do beside it.
    struct Decoded {
        var configuration: ModbusServerConfiguration
        var writers: [String]
        var tls: ModbusTLSSettings?
        var plain: PlainServerMode
    }

    static func decode(_ node: YAMLNode?, _ c: ConfigContext) -> Decoded? {
        guard let node else { return nil }
        let r = c.reader
        guard let f = r.fields(node, what: "server", known: keys) else { return nil }
        var config = ModbusServerConfiguration()
        if let n = f["bind"], let bind = r.string(n, "bind") {
            if SocketAddress(numericHost: bind, port: 0) == nil {
                r.error(n.mark, "bind: '\(bind)' is not a numeric IPv4 or IPv6 address (for example 0.0.0.0, 127.0.0.1 or ::)")
            } else {
                config.bindAddress = bind
            }
        }
        if let n = f["port"], let port = r.int(n, "port", in: 1...65535) { config.port = UInt16(port) }
        if let n = f["max_connections"], let v = r.int(n, "max_connections", in: 1...1024) { config.maxConnections = v }
        config.reservedConnections = ModbusServerConfiguration.defaultReserved(maxConnections: config.maxConnections)
        if let n = f["reserved"], let v = r.int(n, "reserved", in: 0...1024) {
            if v > config.maxConnections {
                r.error(n.mark, "reserved: \(v) is more than max_connections \(config.maxConnections); use 0…\(config.maxConnections) (\(config.maxConnections): strangers get no slot)")
            } else {
                config.reservedConnections = v
            }
        }
        if let n = f["idle_timeout"], let d = r.timeBudget(n, "idle_timeout") { config.idleTimeout = d }
        if let n = f["units"] {
            var units = Set<UInt8>()
            for item in r.list(n, "units") { if let u = r.int(item, "unit", in: 1...247) { units.insert(UInt8(u)) } }
            config.units = units
        }
        var writers: [String] = []
        for item in r.list(f["writers"], "writers") {
            guard let w = r.string(item, "writer") else { continue }
            if SocketAddress(numericHost: w, port: 0) == nil {
                r.error(item.mark, "writers: '\(w)' is not a numeric IPv4 or IPv6 address; host names are not resolved for the allowlist")
            } else {
                writers.append(w)
            }
        }
        let tls = f["tls"].flatMap { ServerTLSSection.decode($0, c) }
        var plain = PlainServerMode.readWrite
        if let n = f["plain"], let text = r.string(n, "plain") {
            if f["tls"] == nil {
                r.error(n.mark, "plain: only goes with tls: (without Modbus/TCP Security the plaintext server is the server)")
            } else if let mode = PlainServerMode(rawValue: text), mode != .readWrite {
                plain = mode
            } else {
                r.error(n.mark, "plain: '\(text)' is not one of \(ServerTLSSection.plainModes.joined(separator: ", ")) (writes in the clear would bypass the roles)")
            }
        } else if f["tls"] != nil {
            plain = .readOnly
        }
        if let tls, let p = tls.port, let plainPort = config.port, p == plainPort, plain != .off {
            r.error(f["tls"]!.mark, "server: tls: port \(p) is also the plaintext port; give tls a port of its own (802) or set plain: off")
        }
        return Decoded(configuration: config, writers: writers, tls: tls, plain: plain)
    }
}

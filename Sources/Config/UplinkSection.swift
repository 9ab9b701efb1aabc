import YAML

/// `uplink:`: the Sparkplug B edge node (see ``UplinkConfig``).
///
/// ```yaml
/// uplink:
///   brokers: [mqtts://10.0.0.2:8883, mqtts://10.0.0.3:8883]   # required; tried in turn
///   protocol: "5"            # 3.1.1 (default) or 5
///   group: plant-1           # required Sparkplug group id
///   node: pump-a             # edge node id, default the agent's name
///   client_id: plant-1-pump-a
///   username: pump-a
///   password_file: /etc/fieldagent/mqtt.pass
///   tls: {ca: /etc/fieldagent/ca.pem, cert: /etc/fieldagent/pump-a.pem, key: /etc/fieldagent/pump-a.key}
///   primary_host: scada      # births wait for spBv1.0/STATE/scada to be online
///   command_hosts: [scada]   # NCMD commands accepted only with a "Host ID" metric naming one of these
///   interval: 1s             # sampling for report by exception
///   max_interval: 60s        # unchanged metrics still reported this often
///   deadband: 0.5            # absolute change below which a number is not reported
///   keepalive: 30s
///   backoff_min: 1s          # reconnect backoff, doubling with jitter
///   backoff_max: 60s
///   buffer: 16MiB            # store-and-forward bound on disk (KiB, MiB)
///   buffer_dir: /var/lib/fieldagent/uplink-pump-a
///   qos: 1                   # NDATA/DDATA QoS: 1 (default; unacknowledged data stays buffered) or 0
///   count_samples: false     # publish Node Info/Sample, a tick counter, every interval (gap detection)
///   connect_timeout: 10s     # a broker that has not accepted by then is left for the next one
/// ```
enum UplinkSection {
    static let key = "uplink"
    static let keys = ["brokers", "protocol", "group", "node", "client_id", "username", "password_file", "tls", "primary_host",
                       "command_hosts", "interval", "max_interval", "deadband", "keepalive", "backoff_min", "backoff_max",
                       "buffer", "buffer_dir", "qos", "count_samples", "connect_timeout"]

    /// Sparkplug ids: no `/`, `+`, `#` (topic levels and wildcards), at most 64 characters.
    static func isValidID(_ s: String) -> Bool {
        !s.isEmpty && s.utf8.count <= 64 && s.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }
    }

    static func decode(_ node: YAMLNode?, _ c: ConfigContext, agentName: String) -> UplinkConfig? {
        guard let node else { return nil }
        let r = c.reader
        guard let f = r.fields(node, what: "uplink", known: keys) else { return nil }
        var brokers: [UplinkConfig.Broker] = []
        let items = r.list(f["brokers"], "brokers")
        if f["brokers"] == nil || items.isEmpty { r.error(node.mark, "uplink needs 'brokers': a list of mqtt:// or mqtts:// URLs, tried in turn") }
        for item in items {
            guard let text = r.string(item, "broker") else { continue }
            switch UplinkConfig.Broker.parse(text) {
            case .success(let b): brokers.append(b)
            case .failure(let e): r.error(item.mark, "brokers: \(e.message)")
            }
        }
        var group = "fieldagent"
        if let g = r.required(f, "group", in: "uplink", at: node.mark), let n = f["group"] {
            if isValidID(g) { group = g } else { r.error(n.mark, "group '\(g)': use letters, digits, '-', '_' and '.' (at most 64; no '/', '+' or '#')") }
        }
        var config = UplinkConfig(brokers: brokers, group: group, node: agentName)
        if let n = f["node"], let v = r.string(n, "node") {
            if isValidID(v) { config.node = v } else { r.error(n.mark, "node '\(v)': use letters, digits, '-', '_' and '.' (at most 64; no '/', '+' or '#')") }
        }
        config.clientID = "\(config.group)-\(config.node)"
        if let n = f["client_id"], let v = r.string(n, "client_id") {
            if !v.isEmpty && v.utf8.count <= 128 { config.clientID = v } else { r.error(n.mark, "client_id must be 1…128 bytes") }
        }
        config.protocolVersion = r.choice(f["protocol"], "protocol", UplinkConfig.ProtocolVersion.allCases) ?? .v311
        config.username = r.string(f["username"], "username")
        if let n = f["password_file"], let v = r.string(n, "password_file") {
            if v.hasPrefix("/") { config.passwordFile = v } else { r.error(n.mark, "password_file must be an absolute path") }
            if config.username == nil { r.error(n.mark, "password_file needs 'username'") }
        }
        if let n = f["tls"], let t = r.fields(n, what: "uplink tls", known: ["ca", "cert", "key"]) {
            var tls = UplinkConfig.TLS(ca: "")
            if let ca = r.required(t, "ca", in: "uplink tls (the server is always verified)", at: n.mark) { tls.ca = ca }
            tls.cert = r.string(t["cert"], "cert")
            tls.key = r.string(t["key"], "key")
            if (tls.cert == nil) != (tls.key == nil) { r.error(n.mark, "uplink tls: 'cert' and 'key' go together (the client certificate and its private key)") }
            config.tls = tls
        }
        if config.tls == nil, let b = brokers.first(where: { $0.tls }), let n = f["brokers"] {
            r.error(n.mark, "brokers: \(b) uses TLS but uplink has no 'tls:' with the 'ca' that signs the broker's certificate")
        }
        if let n = f["primary_host"], let v = r.string(n, "primary_host") {
            if isValidID(v) { config.primaryHost = v } else { r.error(n.mark, "primary_host '\(v)': use letters, digits, '-', '_' and '.'") }
        }
        for item in r.list(f["command_hosts"], "command_hosts") {
            guard let v = r.string(item, "command host") else { continue }
            if isValidID(v) { config.commandHosts.append(v) } else { r.error(item.mark, "command_hosts: '\(v)': use letters, digits, '-', '_' and '.'") }
        }
        if let n = f["interval"], let d = r.cadence(n, "interval") { config.interval = d }
        if let n = f["max_interval"], let d = r.positiveDuration(n, "max_interval") {
            if d < config.interval { r.error(n.mark, "max_interval must be at least interval (\(YAMLScalar.format(config.interval)))") } else { config.maxInterval = d }
        }
        if let n = f["deadband"], let s = r.string(n, "deadband") {
            if let v = Double(s), v.isFinite, v >= 0 { config.deadband = v } else { r.error(n.mark, "deadband: '\(s)' is not a number ≥ 0") }
        }
        if let n = f["keepalive"], let d = r.positiveDuration(n, "keepalive") {
            if d >= .seconds(5) && d <= .seconds(65535) { config.keepalive = d } else { r.error(n.mark, "keepalive must be 5s…65535s") }
        }
        if let n = f["backoff_min"], let d = r.positiveDuration(n, "backoff_min") {
            if d >= .milliseconds(100) { config.backoffMin = d } else { r.error(n.mark, "backoff_min must be at least 100ms (a broker that refuses at once would be hammered)") }
        }
        if let n = f["backoff_max"], let d = r.positiveDuration(n, "backoff_max") {
            if d >= config.backoffMin && d <= .seconds(3600) { config.backoffMax = d } else { r.error(n.mark, "backoff_max must be backoff_min…1h") }
        }
        if let n = f["buffer"], let s = r.string(n, "buffer") {
            if let v = parseSize(s), v >= 64 << 10, v <= 1 << 30 { config.bufferBytes = v } else { r.error(n.mark, "buffer: '\(s)' must be a size from 64KiB to 1GiB (for example 16MiB)") }
        }
        if let n = f["buffer_dir"], let v = r.string(n, "buffer_dir") {
            if v.hasPrefix("/") { config.bufferDirectory = v } else { r.error(n.mark, "buffer_dir must be an absolute path") }
        }
        if let n = f["qos"], let q = r.int(n, "qos", in: 0...1) { config.dataQoS = q }
        if let n = f["count_samples"], let b = r.bool(n, "count_samples") { config.countSamples = b }
        if let n = f["connect_timeout"], let d = r.positiveDuration(n, "connect_timeout") {
            if d >= .seconds(1) && d <= .seconds(300) { config.connectTimeout = d } else { r.error(n.mark, "connect_timeout must be 1s…300s") }
        }
        return config
    }

    /// `65536`, `64KiB`, `16MiB`, `1GiB` → bytes.
    static func parseSize(_ s: String) -> Int? {
        let units: [(String, Int)] = [("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10), ("B", 1), ("", 1)]
        for (suffix, factor) in units where s.hasSuffix(suffix) {
            guard let v = Int(s.dropLast(suffix.count)), v >= 0, v <= (1 << 40) / factor else { return nil }
            return v * factor
        }
        return nil
    }
}

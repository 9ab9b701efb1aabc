import Modbus
import TLS
import YAML

/// `server: tls:` (Modbus/TCP Security) and `server: plain:`.
///
/// ```yaml
/// server:
///   port: 1502                  # the plaintext listener, as before
///   plain: read-only            # with tls: read-only (default: plaintext clients may read, never write) or off
///   tls:
///     port: 802                 # default 802 when the agent may bind it, else 1802
///     ca: /etc/fieldagent/pki/ca.crt        # the plant CA: clients and servers are verified against it
///     cert: /etc/fieldagent/pki/pump-a.crt  # this agent's certificate (also used for tls:// sensors and peers)
///     key: /etc/fieldagent/pki/pump-a.key   # readable by the service user only (mode 0600)
///     crl: /etc/fieldagent/pki/crl.pem      # optional revocation list from the CA
///     handshake_timeout: 10s    # a client without a complete handshake after this long is closed
///     handshake_rate: 10        # new TLS clients accepted per second at most (each handshake costs the loop
///                               # about 0.7 ms of CPU); 0: no limit
///     allowlist: false          # true: TLS writers must also be on the IP allowlist (peers' hosts, writers:)
///     roles:                    # the role in a client's certificate → what it may read and write
///       operator: {read: [all], write: [holding 0-1]}
///       scada: {read: [all]}
///       "": {}                  # the empty role (no role or several in the certificate): nothing, the default
/// ```
/// A `read:`/`write:` item is a table (`coils`, `discrete`, `holding`, `input`) or `all`, with an optional
/// address or range (`holding 0-1`, `input 100`). Anything else a role asks is answered with exception 01
/// (Illegal Function). Files are read when the agent starts (and again on SIGHUP), not by `check`.
enum ServerTLSSection {
    static let keys = ["port", "ca", "cert", "key", "crl", "handshake_timeout", "handshake_rate", "allowlist", "roles"]
    static let plainModes = ["read-only", "off"]

    static func decode(_ node: YAMLNode, _ c: ConfigContext) -> ModbusTLSSettings? {
        let r = c.reader
        guard let f = r.fields(node, what: "server: tls", known: keys) else { return nil }
        let port = f["port"].flatMap { r.int($0, "port", in: 1...65535) }.map { UInt16($0) }
        func path(_ key: String, required: Bool = true) -> String? {
            guard let n = f[key] else {
                if required { r.error(node.mark, "server: tls needs '\(key)' (a PEM file path, for example /etc/fieldagent/pki/\(key == "ca" ? "ca.crt" : "agent.\(key == "cert" ? "crt" : key)"))") }
                return nil
            }
            guard let p = r.string(n, key) else { return nil }
            if !p.hasPrefix("/") || p.utf8.count > 4096 || p.utf8.contains(0) {
                r.error(n.mark, "server: tls: \(key): '\(p)' is not an absolute path")
                return nil
            }
            return p
        }
        let ca = path("ca"), cert = path("cert"), key = path("key"), crl = path("crl", required: false)
        let timeout = f["handshake_timeout"].flatMap { r.timeBudget($0, "handshake_timeout") } ?? .seconds(10)
        let allowlist = f["allowlist"].flatMap { r.bool($0, "allowlist") } ?? false
        let rate = f["handshake_rate"].flatMap { r.int($0, "handshake_rate", in: 0...100_000) } ?? 10
        var roles: [String: ModbusAccessRights] = [:]
        if let rolesNode = f["roles"] {
            if let pairs = rolesNode.mappingPairs {
                for (k, v) in pairs {
                    guard let name = k.scalarValue else { r.error(k.mark, "server: tls: roles: a role is a plain name"); continue }
                    if name.utf8.count > 64 || !name.utf8.allSatisfy({ $0 >= 0x21 && $0 <= 0x7E }) {
                        r.error(k.mark, "server: tls: roles: '\(name)' is not a role a certificate can carry (1…64 printable ASCII characters, no spaces; \"\" for the empty role)")
                        continue
                    }
                    if let rights = decodeRights(v, role: name, r) { roles[name] = rights }
                }
            } else {
                r.error(rolesNode.mark, "server: tls: roles must be a mapping (role: {read: [...], write: [...]}), not \(rolesNode.kindName)")
            }
        } else {
            r.warning(node.mark, "server: tls has no roles: every TLS client gets exception 01 for every request")
        }
        guard let ca, let cert, let key else { return nil }
        var settings = ModbusTLSSettings(port: port, identity: TLSIdentity(ca: ca, certificate: cert, key: key, crl: crl), roles: roles,
                                         handshakeTimeout: timeout, requireAllowlist: allowlist)
        settings.handshakesPerSecond = rate == 0 ? nil : rate
        return settings
    }

    private static func decodeRights(_ node: YAMLNode, role: String, _ r: ConfigReader) -> ModbusAccessRights? {
        let what = "server: tls: roles: \(role.isEmpty ? "\"\"" : role)"
        if node.scalarValue == "" { return .nothing }
        guard let f = r.fields(node, what: what, known: ["read", "write"]) else { return nil }
        var rights = ModbusAccessRights()
        for item in r.list(f["read"], "read") {
            guard let text = r.string(item, "read") else { continue }
            guard let (tables, range) = parseArea(text) else {
                r.error(item.mark, "\(what): read: '\(text)' is not 'all', a table (coils, discrete, holding, input) or a table with addresses ('holding 0-99', 'input 7')")
                continue
            }
            for t in tables { rights.read[t, default: []].append(range) }
        }
        for item in r.list(f["write"], "write") {
            guard let text = r.string(item, "write") else { continue }
            guard let (tables, range) = parseArea(text) else {
                r.error(item.mark, "\(what): write: '\(text)' is not 'all', coils or holding, or one of them with addresses ('holding 0-1')")
                continue
            }
            let writable = tables.filter(\.isWritable)
            if writable.isEmpty {
                r.error(item.mark, "\(what): write: '\(text)': only coils and holding registers can be written")
                continue
            }
            for t in writable { rights.write[t, default: []].append(range) }
        }
        return rights
    }

    /// `all`, `holding`, `holding 0-99`, `input 7` → the tables and the address range.
    static func parseArea(_ text: String) -> ([ModbusTable], ClosedRange<UInt16>)? {
        let words = text.split(separator: " ", omittingEmptySubsequences: true)
        guard let first = words.first, words.count <= 2 else { return nil }
        let tables: [ModbusTable]
        if first == "all" { tables = ModbusTable.allCases } else if let t = ModbusTable(rawValue: String(first)) { tables = [t] } else { return nil }
        guard words.count == 2 else { return (tables, 0...UInt16.max) }
        let bounds = words[1].split(separator: "-", maxSplits: 1)
        guard let low = UInt16(bounds[0]), let high = bounds.count == 2 ? UInt16(bounds[1]) : low, low <= high else { return nil }
        return (tables, low...high)
    }
}

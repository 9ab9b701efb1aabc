/// The fleet uplink (`uplink:`): a Sparkplug B 3.0 edge node over MQTT, with store-and-forward.
/// Decoded by ``UplinkSection``; nothing in it needs checking again.
public struct UplinkConfig: Sendable, Equatable {
    /// One broker, as `mqtt://HOST:PORT` (plain TCP, default port 1883) or `mqtts://HOST:PORT` (TLS, default 8883).
    public struct Broker: Sendable, Equatable, CustomStringConvertible {
        /// A numeric address or a host name (resolved off the loop).
        public var host: String
        public var port: UInt16
        public var tls: Bool
        public init(host: String, port: UInt16, tls: Bool) {
            self.host = host
            self.port = port
            self.tls = tls
        }
        public var description: String { (tls ? "mqtts://" : "mqtt://") + (host.contains(":") ? "[\(host)]" : host) + ":\(port)" }

        /// Parses `mqtt://HOST[:PORT]` or `mqtts://HOST[:PORT]` (`[::1]:1883` for IPv6); nil, with the reason, otherwise.
        public static func parse(_ text: String) -> Result<Broker, BrokerError> {
            let tls: Bool
            var rest: Substring
            if text.hasPrefix("mqtts://") { tls = true; rest = text.dropFirst(8) }
            else if text.hasPrefix("mqtt://") { tls = false; rest = text.dropFirst(7) }
            else { return .failure(BrokerError("'\(text)' must start with mqtt:// or mqtts://")) }
            if rest.hasSuffix("/") { rest = rest.dropLast() }
            var host: Substring
            var portText: Substring?
            if rest.hasPrefix("[") {
                guard let close = rest.firstIndex(of: "]") else { return .failure(BrokerError("'\(text)': an IPv6 address needs its closing ']'")) }
                host = rest[rest.index(after: rest.startIndex)..<close]
                let after = rest[rest.index(after: close)...]
                if after.hasPrefix(":") { portText = after.dropFirst() } else if !after.isEmpty { return .failure(BrokerError("'\(text)': unexpected '\(after)' after the address")) }
            } else if let colon = rest.firstIndex(of: ":") {
                host = rest[..<colon]
                portText = rest[rest.index(after: colon)...]
            } else {
                host = rest
            }
            guard !host.isEmpty, host.utf8.count <= 253, host.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || ".-:_".contains($0)) }) else {
                return .failure(BrokerError("'\(text)': the host must be a name or a numeric address"))
            }
            var port: UInt16 = tls ? 8883 : 1883
            if let portText {
                guard let p = Int(portText), (1...65535).contains(p) else { return .failure(BrokerError("'\(text)': the port must be 1…65535")) }
                port = UInt16(p)
            }
            return .success(Broker(host: String(host), port: port, tls: tls))
        }
    }

    /// Why a broker URL was refused.
    public struct BrokerError: Error, Sendable, Equatable {
        public var message: String
        public init(_ message: String) { self.message = message }
    }

    /// The MQTT protocol version spoken.
    public enum ProtocolVersion: String, Sendable, CaseIterable {
        case v311 = "3.1.1"
        case v5 = "5"
    }

    /// TLS files (PEM). The server is always verified against `ca`; `cert` and `key` are the client certificate.
    public struct TLS: Sendable, Equatable {
        public var ca: String
        public var cert: String?
        public var key: String?
        public init(ca: String, cert: String? = nil, key: String? = nil) {
            self.ca = ca
            self.cert = cert
            self.key = key
        }
    }

    /// Brokers tried in turn.
    public var brokers: [Broker]
    public var protocolVersion: ProtocolVersion = .v311
    /// Sparkplug group id.
    public var group: String
    /// Sparkplug edge node id (default: the agent's name).
    public var node: String
    /// MQTT client id (default: `GROUP-NODE`).
    public var clientID: String
    public var username: String?
    /// A file holding the password (first line), so the config can be world-readable.
    public var passwordFile: String?
    public var tls: TLS?
    /// With a primary host id: births wait until that host's `STATE` says online.
    public var primaryHost: String?
    /// Host application ids whose NCMD commands go to the command block.
    public var commandHosts: [String] = []
    /// How often metrics are sampled for report by exception.
    public var interval: Duration = .seconds(1)
    /// A metric unchanged (within the deadband) is still reported this often.
    public var maxInterval: Duration = .seconds(60)
    /// Changes smaller than this (absolute) are not reported before `maxInterval`.
    public var deadband: Double = 0
    public var keepalive: Duration = .seconds(30)
    /// Reconnect backoff: first wait, doubling up to `backoffMax`, each with ±50% jitter.
    public var backoffMin: Duration = .seconds(1)
    public var backoffMax: Duration = .seconds(60)
    /// The store-and-forward bound in bytes; beyond it the oldest data is dropped (and counted).
    public var bufferBytes: Int = 16 << 20
    /// Where the buffer's segments live (default: STATE_DIR/uplink-NAME).
    public var bufferDirectory: String?
    /// Publish `Node Info/Sample`, a counter of sampling ticks reported every tick, so a host application can prove
    /// it saw every sample exactly once (costs one NDATA per interval).
    public var countSamples = false
    /// The longest a broker may take to accept a connection (TCP, TLS, CONNACK) before the next one is tried.
    public var connectTimeout: Duration = .seconds(10)
    /// MQTT QoS of NDATA/DDATA: 1 (default) lets the buffer keep what the broker has not acknowledged.
    public var dataQoS: Int = 1

    public init(brokers: [Broker], group: String, node: String) {
        self.brokers = brokers
        self.group = group
        self.node = node
        self.clientID = "\(group)-\(node)"
    }
}

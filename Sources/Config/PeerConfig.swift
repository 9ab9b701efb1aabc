import YAML

/// One peer agent (`peers:` entry): another FieldAgent whose register map this agent polls over Modbus TCP.
public struct PeerConfig: Sendable, Equatable {
    /// The peer's name here (rules, features, logs, status); unique among peers and Modbus devices.
    public var name: String
    /// Host name or numeric address.
    public var host: String
    public var port: UInt16
    public var unit: UInt8
    /// How often its status block is read.
    public var interval: Duration
    /// Response timeout of one read.
    public var timeout: Duration
    /// Up turns stale after this long without a good answer (default 3 × interval).
    public var staleAfter: Duration
    /// Failed reads in a row that make the peer down.
    public var downAfterFailures: Int
    /// Polled over Modbus/TCP Security with the agent's certificate (`tls: on`).
    public var tls: Bool
    /// Where the entry starts in the config.
    public var location: SourceLocation

    public init(name: String, host: String, port: UInt16 = 1502, unit: UInt8 = 1, interval: Duration = .seconds(1),
                timeout: Duration = .milliseconds(500), staleAfter: Duration? = nil, downAfterFailures: Int = 3,
                tls: Bool = false, location: SourceLocation) {
        self.tls = tls
        self.name = name
        self.host = host
        self.port = port
        self.unit = unit
        self.interval = interval
        self.timeout = timeout
        self.staleAfter = staleAfter ?? interval * 3
        self.downAfterFailures = downAfterFailures
        self.location = location
    }
}

/// Sparkplug B topic names: `spBv1.0/GROUP/TYPE/NODE[/DEVICE]` and `spBv1.0/STATE/HOST`.
public struct SparkplugTopic: Sendable {
    public static let namespace = "spBv1.0"
    public let group: String
    public let node: String

    public init(group: String, node: String) {
        self.group = group
        self.node = node
    }

    /// NBIRTH, NDEATH, NDATA, NCMD.
    public func node(_ type: String) -> String { "\(Self.namespace)/\(group)/\(type)/\(node)" }
    /// DBIRTH, DDEATH, DDATA, DCMD.
    public func device(_ type: String, _ device: String) -> String { "\(Self.namespace)/\(group)/\(type)/\(node)/\(device)" }
    /// A host application's STATE (Sparkplug 3.0).
    public static func state(_ host: String) -> String { "\(namespace)/STATE/\(host)" }
}

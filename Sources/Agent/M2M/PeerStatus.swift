/// A peer's status block as read over Modbus (input registers 0–35 of map version 3, see ``RegisterLayout``).
public struct PeerStatus: Sendable, Equatable {
    public var mapVersion: UInt16
    public var heartbeat: UInt16
    public var uptimeSeconds: UInt32
    /// The peer's class index, nil when it has none (starting, fail-safe).
    public var healthClass: Int?
    /// 0…1.
    public var confidence: Double
    public var state: RegisterLayout.State?
    public var alarms: RegisterLayout.Alarm
    public var inferences: UInt32
    /// The name the peer gives itself.
    public var name: String

    /// Decodes the status block; nil when `registers` is too short. A wrong map version still decodes the
    /// version (the caller refuses the rest).
    public init?(registers r: [UInt16]) {
        guard r.count >= 1 else { return nil }
        mapVersion = r[0]
        guard mapVersion == RegisterLayout.version, r.count >= RegisterLayout.statusRegisters else {
            heartbeat = 0; uptimeSeconds = 0; healthClass = nil; confidence = 0; state = nil; alarms = []; inferences = 0; name = ""
            return
        }
        func u32(_ a: UInt16) -> UInt32 { UInt32(r[Int(a)]) << 16 | UInt32(r[Int(a) + 1]) }
        heartbeat = r[Int(RegisterLayout.heartbeat)]
        uptimeSeconds = u32(RegisterLayout.uptime)
        let c = r[Int(RegisterLayout.healthClass)]
        healthClass = c == RegisterLayout.noClass ? nil : Int(c)
        confidence = Double(min(r[Int(RegisterLayout.confidence)], 1000)) / 1000
        state = RegisterLayout.State(rawValue: r[Int(RegisterLayout.state)])
        alarms = RegisterLayout.Alarm(rawValue: r[Int(RegisterLayout.alarms)])
        inferences = u32(RegisterLayout.inferences)
        var bytes: [UInt8] = []
        for i in 0..<RegisterLayout.identityRegisters {
            let w = r[Int(RegisterLayout.identity) + i]
            bytes.append(UInt8(w >> 8))
            bytes.append(UInt8(w & 0xFF))
        }
        name = String(decoding: bytes.prefix { $0 != 0 && $0 < 0x80 }, as: UTF8.self)
    }

    /// Whether this agent can read the rest of the map.
    public var isCompatible: Bool { mapVersion == RegisterLayout.version }

    /// The name packed as the identity registers store it.
    public static func identityRegisters(_ name: String) -> [UInt16] {
        var bytes = Array(name.utf8.filter { $0 < 0x80 }.prefix(RegisterLayout.identityRegisters * 2))
        bytes += Array(repeating: 0, count: RegisterLayout.identityRegisters * 2 - bytes.count)
        return (0..<RegisterLayout.identityRegisters).map { UInt16(bytes[2 * $0]) << 8 | UInt16(bytes[2 * $0 + 1]) }
    }
}

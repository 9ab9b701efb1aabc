/// Where things are in an agent's register map (map version 3): shared by the server side
/// (``AgentRegisterMap``) and the peer side (``PeerStatus``), so both read the same table.
///
/// Input registers (FC 4, read-only), the **status block** (0–35), the **values block** (100–131) and the
/// **models block** (200–217; new in version 3):
///
/// | address | content |
/// |---|---|
/// | 0 | map version: 3 (a peer that reads another number treats the map as unreadable) |
/// | 1 | heartbeat: +1 every second, wraps at 65535 (a peer sees it move) |
/// | 2–3 | uptime in seconds, uint32, high word first |
/// | 4 | health class: the model's class index (0 normal, 1 degraded, 2 fault for the default model); 65535 = none |
/// | 5 | confidence of that class, per mille (0–1000) |
/// | 6 | state: 0 starting (no decision yet), 1 deciding, 2 fail-safe, 3 no model |
/// | 7 | alarm bits, see ``Alarm`` |
/// | 8–9 | inferences since start, uint32 |
/// | 10–11 | class changes since start, uint32 |
/// | 12–13 | GPIO edges since start, uint32 |
/// | 14, 15, 16 | number of inputs, outputs, exported values |
/// | 20–35 | identity: the agent's name, ASCII, two characters per register (high byte first), zero padded |
/// | 100–131 | values: feature i as float32 at 100 + 2i, high word first; NaN when invalid or unused (16 slots) |
/// | 200 | anomaly level (`decide: anomaly:`): 0 normal, 1 warn, 2 alarm; 65535 none (no anomaly decision, inputs invalid) |
/// | 201–202 | anomaly score, float32 (NaN when none) |
/// | 203–204, 205–206 | the warn and alarm thresholds in force, float32 (NaN without an anomaly decision) |
/// | 207 | number of estimate outputs served at 210… |
/// | 210–217 | estimates (`decide: estimate:`): output i of the listed regression models, in order, as float32 at 210 + 2i (4 slots; NaN when invalid or unused), e.g. remaining useful life in hours |
///
/// Holding registers (FC 3 read; FC 6/16 write), the **command block**, writable only from allowed peers:
///
/// | address | content |
/// |---|---|
/// | 0 | command bits: bit 0 `stop` (hold every decided actuator safe), bit 1 `reduce-load`, bit 2 `reset` (a pulse: resets a latched class; reads back 0), bits 3–15 `flag3`… |
/// | 1 | command sequence: any number the writer chooses (shown in status, so a writer can check it landed) |
///
/// Discrete inputs (FC 2): input i's logical value. Coils (FC 1, read-only): output i's logical value.
public enum RegisterLayout {
    public static let version: UInt16 = 3
    public static let mapVersion: UInt16 = 0
    public static let heartbeat: UInt16 = 1
    public static let uptime: UInt16 = 2
    public static let healthClass: UInt16 = 4
    public static let confidence: UInt16 = 5
    public static let state: UInt16 = 6
    public static let alarms: UInt16 = 7
    public static let inferences: UInt16 = 8
    public static let classChanges: UInt16 = 10
    public static let edges: UInt16 = 12
    public static let inputCount: UInt16 = 14
    public static let outputCount: UInt16 = 15
    public static let valueCount: UInt16 = 16
    public static let identity: UInt16 = 20
    public static let identityRegisters = 16
    /// Registers in the status block (0 up to the end of the identity).
    public static let statusRegisters = 36
    public static let values: UInt16 = 100
    public static let valueSlots = 16
    public static let anomalyLevel: UInt16 = 200
    public static let anomalyScore: UInt16 = 201
    public static let anomalyWarn: UInt16 = 203
    public static let anomalyAlarm: UInt16 = 205
    public static let estimateCount: UInt16 = 207
    public static let estimates: UInt16 = 210
    public static let estimateSlots = 4
    public static let commandBits: UInt16 = 0
    public static let commandSequence: UInt16 = 1
    public static let commandRegisters = 2
    /// Health class register value when there is no class.
    public static let noClass: UInt16 = 0xFFFF

    /// Input register 6.
    public enum State: UInt16, Sendable, CustomStringConvertible {
        case starting = 0, deciding = 1, failSafe = 2, noModel = 3

        public var description: String {
            switch self {
            case .starting: "starting"
            case .deciding: "deciding"
            case .failSafe: "fail-safe"
            case .noModel: "no-model"
            }
        }
    }

    /// Input register 7's bits.
    public struct Alarm: OptionSet, Sendable, CustomStringConvertible {
        public let rawValue: UInt16
        public init(rawValue: UInt16) { self.rawValue = rawValue }
        /// Decided actuators are held at their safe values.
        public static let failSafe = Alarm(rawValue: 1 << 0)
        /// A Modbus sensor is stale or down.
        public static let sensorDown = Alarm(rawValue: 1 << 1)
        /// A peer is stale, down or serves an unreadable map.
        public static let peerDown = Alarm(rawValue: 1 << 2)
        /// A sensor value was rejected (NaN, infinite or out of its range) at the last decision.
        public static let badSample = Alarm(rawValue: 1 << 3)
        /// A peer commanded `stop`.
        public static let remoteStop = Alarm(rawValue: 1 << 4)
        /// The health class is not the first (not normal).
        public static let notNormal = Alarm(rawValue: 1 << 5)
        /// The health class is the last (fault).
        public static let worst = Alarm(rawValue: 1 << 6)
        /// A latched class holds until a reset (`decide: latch:`).
        public static let latched = Alarm(rawValue: 1 << 7)
        /// The anomaly level is warn or alarm.
        public static let anomalyWarn = Alarm(rawValue: 1 << 8)
        /// The anomaly level is alarm.
        public static let anomalyAlarm = Alarm(rawValue: 1 << 9)
        /// A client of the server is quarantined (`security:`).
        public static let quarantine = Alarm(rawValue: 1 << 10)
        /// A polled device answers unlike itself: a possible swap or spoof (`security:`).
        public static let identity = Alarm(rawValue: 1 << 11)

        public static let names: [(Alarm, String)] = [(.failSafe, "fail-safe"), (.sensorDown, "sensor-down"), (.peerDown, "peer-down"),
                                               (.badSample, "bad-sample"), (.remoteStop, "remote-stop"), (.notNormal, "not-normal"), (.worst, "worst-class"),
                                               (.latched, "latched"), (.anomalyWarn, "anomaly-warn"), (.anomalyAlarm, "anomaly-alarm"),
                                               (.quarantine, "quarantine"), (.identity, "identity")]

        public var description: String {
            let set = Self.names.filter { contains($0.0) }.map(\.1)
            return set.isEmpty ? "none" : set.joined(separator: ",")
        }
    }
}

import EventLoop
import Modbus

/// The register map an agent serves to peers and SCADA tools over Modbus TCP (`server:` in the config).
///
/// Map version 1 (read-only; every write is refused with *illegal data address*):
///
/// | table | address | content |
/// |---|---|---|
/// | input registers (FC 4) | 0 | map version (1) |
/// | input registers | 1 | heartbeat: seconds since start, modulo 65536 (a peer sees it move) |
/// | input registers | 2, 3 | uptime in seconds, uint32, high word first |
/// | input registers | 4, 5 | number of inputs, number of outputs |
/// | input registers | 6, 7 | edges seen since start, uint32, high word first |
/// | discrete inputs (FC 2) | i | input i's debounced logical value, in config order |
/// | coils (FC 1) | i | output i's logical value, in config order |
///
/// Addresses beyond these answer *illegal data address*.
public final class AgentRegisterMap: RegisterMap {
    /// The layout's version, in input register 0; peers check it before reading the rest.
    public static let mapVersion: UInt16 = 1
    private unowned let agent: Agent
    private let loop: EventLoop
    private let start: Instant

    public init(agent: Agent, loop: EventLoop) {
        self.agent = agent
        self.loop = loop
        start = loop.now
    }

    public func bit(_ table: ModbusTable, at address: UInt16) -> Bool? {
        let i = Int(address)
        switch table {
        case .discreteInputs: return i < agent.inputs.count ? agent.inputs[i].value : nil
        case .coils: return i < agent.outputs.count ? agent.outputs[i].value : nil
        default: return nil
        }
    }

    public func register(_ table: ModbusTable, at address: UInt16) -> UInt16? {
        guard table == .inputRegisters else { return nil }
        let uptime = UInt32(clamping: max(0, (loop.now - start).nanoseconds / 1_000_000_000))
        let edges = UInt32(truncatingIfNeeded: agent.edgeCount)
        switch address {
        case 0: return Self.mapVersion
        case 1: return UInt16(truncatingIfNeeded: uptime)
        case 2: return UInt16(truncatingIfNeeded: uptime >> 16)
        case 3: return UInt16(truncatingIfNeeded: uptime)
        case 4: return UInt16(clamping: agent.inputs.count)
        case 5: return UInt16(clamping: agent.outputs.count)
        case 6: return UInt16(truncatingIfNeeded: edges >> 16)
        case 7: return UInt16(truncatingIfNeeded: edges)
        default: return nil
        }
    }

    /// Map version 1 takes no writes (the command block comes with peer exchange).
    public func apply(_ write: RegisterWrite) -> ModbusExceptionCode? { .illegalDataAddress }
}

import EventLoop
import Modbus

/// The register map an agent serves to peers and SCADA tools over Modbus TCP (`server:` in the config):
/// map version 3, laid out in ``RegisterLayout`` (status block, values block, command block, inputs, outputs).
///
/// Reads are computed live from the agent. Writes reach ``CommandBlock`` only, after its authorizer let them
/// through (allowed peers, command block addresses); everything else answers *illegal data address*.
public final class AgentRegisterMap: RegisterMap {
    /// The layout's version, in input register 0; peers check it before reading the rest.
    public static let mapVersion = RegisterLayout.version
    private unowned let agent: Agent
    private let loop: EventLoop
    private let identity: [UInt16]

    public init(agent: Agent, loop: EventLoop) {
        self.agent = agent
        self.loop = loop
        identity = PeerStatus.identityRegisters(agent.config.name)
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
        switch table {
        case .holdingRegisters:
            switch address {
            case RegisterLayout.commandBits: return agent.commands.bits
            case RegisterLayout.commandSequence: return agent.commands.sequence
            default: return nil
            }
        case .inputRegisters:
            if address >= RegisterLayout.values, Int(address - RegisterLayout.values) < RegisterLayout.valueSlots * 2 {
                let slot = Int(address - RegisterLayout.values) / 2
                let bits = Float(agent.exportedValue(slot) ?? .nan).bitPattern
                return address % 2 == 0 ? UInt16(bits >> 16) : UInt16(bits & 0xFFFF)
            }
            if address >= RegisterLayout.anomalyLevel, address < RegisterLayout.estimates + UInt16(2 * RegisterLayout.estimateSlots) {
                return models(address)
            }
            return status(address)
        default:
            return nil
        }
    }

    private func status(_ address: UInt16) -> UInt16? {
        let uptime = UInt32(clamping: max(0, (loop.now - agent.startedAt).nanoseconds / 1_000_000_000))
        func high(_ v: UInt64) -> UInt16 { UInt16(truncatingIfNeeded: UInt32(truncatingIfNeeded: v) >> 16) }
        func low(_ v: UInt64) -> UInt16 { UInt16(truncatingIfNeeded: v) }
        let engine = agent.decision
        switch address {
        case RegisterLayout.mapVersion: return Self.mapVersion
        case RegisterLayout.heartbeat: return UInt16(truncatingIfNeeded: uptime)
        case RegisterLayout.uptime: return high(UInt64(uptime))
        case RegisterLayout.uptime + 1: return low(UInt64(uptime))
        case RegisterLayout.healthClass: return engine?.currentClass.map { UInt16($0) } ?? RegisterLayout.noClass
        case RegisterLayout.confidence:
            guard let engine, let c = engine.currentClass else { return 0 }
            // Per mille of a probability; clamped first, so that no model output can make the conversion trap.
            let p = min(max(engine.probabilities[c], 0), 1)
            return p.isNaN ? 0 : UInt16((p * 1000).rounded())
        case RegisterLayout.state: return (engine?.state ?? .noModel).rawValue
        case RegisterLayout.alarms: return agent.alarms.rawValue
        case RegisterLayout.inferences: return high(engine?.inferences ?? 0)
        case RegisterLayout.inferences + 1: return low(engine?.inferences ?? 0)
        case RegisterLayout.classChanges: return high(engine?.classChanges ?? 0)
        case RegisterLayout.classChanges + 1: return low(engine?.classChanges ?? 0)
        case RegisterLayout.edges: return high(agent.edgeCount)
        case RegisterLayout.edges + 1: return low(agent.edgeCount)
        case RegisterLayout.inputCount: return UInt16(clamping: agent.inputs.count)
        case RegisterLayout.outputCount: return UInt16(clamping: agent.outputs.count)
        case RegisterLayout.valueCount: return UInt16(clamping: min(agent.config.features.count, RegisterLayout.valueSlots))
        case 17...19: return 0
        case RegisterLayout.identity..<(RegisterLayout.identity + UInt16(RegisterLayout.identityRegisters)):
            return identity[Int(address - RegisterLayout.identity)]
        default: return nil
        }
    }

    /// The models block (200–217): anomaly level, score, thresholds, estimates.
    private func models(_ address: UInt16) -> UInt16? {
        let m = agent.decision?.companions
        func float(_ value: Double?, _ first: UInt16) -> UInt16 {
            let bits = Float(value ?? .nan).bitPattern
            return address == first ? UInt16(bits >> 16) : UInt16(bits & 0xFFFF)
        }
        let values = m?.estimates.flatMap(\.values) ?? []
        switch address {
        case RegisterLayout.anomalyLevel: return m?.levels?.inForce.map { UInt16($0) } ?? RegisterLayout.noClass
        case RegisterLayout.anomalyScore...(RegisterLayout.anomalyScore + 1): return float(m?.score, RegisterLayout.anomalyScore)
        case RegisterLayout.anomalyWarn...(RegisterLayout.anomalyWarn + 1): return float(m?.anomaly?.warn, RegisterLayout.anomalyWarn)
        case RegisterLayout.anomalyAlarm...(RegisterLayout.anomalyAlarm + 1): return float(m?.anomaly?.alarm, RegisterLayout.anomalyAlarm)
        case RegisterLayout.estimateCount: return UInt16(min(values.count, RegisterLayout.estimateSlots))
        case RegisterLayout.estimates...:
            let slot = Int(address - RegisterLayout.estimates) / 2
            return float(slot < values.count ? values[slot] : nil, RegisterLayout.estimates + UInt16(2 * slot))
        default: return 0
        }
    }

    /// Writes land in the command block (the server's authorizer has checked who and where).
    public func apply(_ write: RegisterWrite) -> ModbusExceptionCode? { agent.commands.apply(write) }
}

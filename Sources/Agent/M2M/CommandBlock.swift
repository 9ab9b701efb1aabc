import EventLoop
import Modbus

/// The command block of the register map (holding registers 0–1): what allowed peers may write, and the
/// write allowlist itself. Writes anywhere else, or from an address not on the list, are refused with
/// *illegal data address* / *illegal function* and logged.
public final class CommandBlock {
    /// Holding register 0: `stop`, `reduce-load`, `flag2`…`flag15`.
    public private(set) var bits: UInt16 = 0
    /// Holding register 1: the writer's sequence number.
    public private(set) var sequence: UInt16 = 0
    /// Who wrote last, and when.
    public private(set) var lastWriter: String?
    public private(set) var lastWrite: Instant?
    /// Writes accepted and refused since start.
    public private(set) var accepted: UInt64 = 0
    public private(set) var refused: UInt64 = 0
    /// Called after an accepted write changed the bits.
    public var onChange: (UInt16) -> Void = { _ in }
    /// The numeric addresses allowed to write.
    public let allowed: Set<String>
    private let loop: EventLoop
    private let logger: Logger

    public init(allowed: Set<String>, loop: EventLoop, logger: Logger) {
        self.allowed = allowed
        self.loop = loop
        self.logger = logger
    }

    /// Whether bit `n` is set.
    public func isSet(_ bit: Int) -> Bool { bits & (1 << UInt16(bit)) != 0 }

    /// The server's write authorizer: only allowed hosts, only into the command block.
    public func authorize(_ client: ModbusClientInfo, _ unit: UInt8, _ write: RegisterWrite) -> WriteDecision {
        let host = Self.normalized(client.host)
        guard allowed.contains(host) else {
            refused += 1
            logger.warning("m2m.write_refused", ["client": client.description, "reason": "not an allowed writer",
                                                 "allowed": allowed.isEmpty ? "none" : allowed.sorted().joined(separator: ",")])
            return .reject(.illegalFunction)
        }
        guard write.table == .holdingRegisters, Int(write.address) + write.count <= RegisterLayout.commandRegisters else {
            refused += 1
            logger.warning("m2m.write_refused", ["client": client.description, "table": write.table.rawValue,
                                                 "address": write.address, "count": write.count,
                                                 "reason": "outside the command block (holding registers 0-1)"])
            return .reject(.illegalDataAddress)
        }
        return .allow
    }

    /// Applies an authorized write (called by the register map).
    func apply(_ write: RegisterWrite, from writer: String = "peer") -> ModbusExceptionCode? {
        guard case .registers(let address, let values) = write else { return .illegalDataAddress }
        let before = bits
        for (k, v) in values.enumerated() {
            switch Int(address) + k {
            case Int(RegisterLayout.commandBits): bits = v
            case Int(RegisterLayout.commandSequence): sequence = v
            default: return .illegalDataAddress
            }
        }
        accepted += 1
        lastWrite = loop.now
        logger.notice("m2m.command", ["bits": "0x" + String(bits, radix: 16), "sequence": sequence])
        if bits != before { onChange(bits) }
        return nil
    }

    /// `::ffff:127.0.0.1` → `127.0.0.1` (IPv4 clients of a dual-stack socket).
    static func normalized(_ host: String) -> String {
        host.hasPrefix("::ffff:") && host.contains(".") ? String(host.dropFirst(7)) : host
    }
}

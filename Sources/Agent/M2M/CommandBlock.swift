import Config
import EventLoop
import Modbus

/// The command block of the register map (holding registers 0–1): what allowed peers may write, and the
/// write allowlist itself. Writes anywhere else, or from an address not on the list, are refused with
/// *illegal data address* / *illegal function* and logged.
///
/// Bit 2, `reset`, is a pulse: a write that sets it asks for a reset of a latched class (``onReset``), and the
/// agent clears it at once, so the next reset is a new write of 1.
public final class CommandBlock {
    /// Holding register 0: `stop`, `reduce-load`, `reset` (self-clearing), `flag3`…`flag15`.
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
    /// Called when an accepted write set the `reset` bit, with the writer (`192.0.2.7:50312#4`).
    public var onReset: (String) -> Void = { _ in }
    /// The client whose write was authorized last: the one whose write ``apply(_:from:)`` applies next.
    private var authorizedWriter: String?
    /// The numeric addresses allowed to write (and given the server's reserved connection slots).
    public private(set) var allowed: Set<String>
    private let loop: EventLoop
    private let logger: Logger
    /// Refused writes, logged once per client address per 10 s with a count.
    private let refusals: RateLimitedLog

    public init(allowed: Set<String>, loop: EventLoop, logger: Logger) {
        self.allowed = Set(allowed.map(Self.normalized))
        self.loop = loop
        self.logger = logger
        refusals = RateLimitedLog(event: "m2m.write_refused", loop: loop, logger: logger)
    }

    /// Adds an address to the allowlist (a peer given by name, once it resolves).
    public func allow(_ host: String) {
        let host = Self.normalized(host)
        guard allowed.insert(host).inserted else { return }
        logger.notice("m2m.writer_allowed", ["address": host])
    }

    /// Whether `host` (as a client address reads, `::ffff:` or not) is on the allowlist.
    public func isAllowed(_ host: String) -> Bool { allowed.contains(Self.normalized(host)) }

    /// Whether bit `n` is set.
    public func isSet(_ bit: Int) -> Bool { bits & (1 << UInt16(bit)) != 0 }

    /// The server's write authorizer: only allowed hosts, only into the command block. A TLS client (its
    /// role already authorized the write) skips the IP allowlist unless `requireAllowlist`.
    public func authorize(_ client: ModbusClientInfo, _ unit: UInt8, _ write: RegisterWrite, requireAllowlist: Bool = true) -> WriteDecision {
        let host = Self.normalized(client.host)
        guard allowed.contains(host) || (client.role != nil && !requireAllowlist) else {
            refused += 1
            refusals.record(source: host, [("client", client.description), ("reason", "not an allowed writer"),
                                           ("allowed", allowed.isEmpty ? "none" : allowed.sorted().joined(separator: ","))])
            return .reject(.illegalFunction)
        }
        guard write.table == .holdingRegisters, Int(write.address) + write.count <= RegisterLayout.commandRegisters else {
            refused += 1
            refusals.record(source: host, [("client", client.description), ("table", write.table.rawValue),
                                           ("address", "\(write.address)"), ("count", "\(write.count)"),
                                           ("reason", "outside the command block (holding registers 0-1)")])
            return .reject(.illegalDataAddress)
        }
        authorizedWriter = client.description
        return .allow
    }

    /// Applies an authorized write (called by the register map).
    func apply(_ write: RegisterWrite, from writer: String? = nil) -> ModbusExceptionCode? {
        guard case .registers(let address, let values) = write else { return .illegalDataAddress }
        let writer = writer ?? authorizedWriter ?? "peer"
        authorizedWriter = nil
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
        lastWriter = writer
        logger.notice("m2m.command", ["bits": "0x" + String(bits, radix: 16), "sequence": sequence, "writer": writer])
        let resetMask = UInt16(1) << UInt16(DecisionConfig.resetBit)
        let reset = bits & resetMask != 0
        bits &= ~resetMask
        if bits != before { onChange(bits) }
        if reset { onReset(writer) }
        return nil
    }

    /// `::ffff:127.0.0.1` → `127.0.0.1` (IPv4 clients of a dual-stack socket).
    static func normalized(_ host: String) -> String {
        host.hasPrefix("::ffff:") && host.contains(".") ? String(host.dropFirst(7)) : host
    }
}

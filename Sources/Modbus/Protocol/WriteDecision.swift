/// What a write authorizer decides for one write: the hook the agent uses for its peer allowlist and command block.
public enum WriteDecision: Sendable, Equatable {
    /// Apply the write to the register map.
    case allow
    /// Refuse it with this exception (the connection stays open).
    case reject(ModbusExceptionCode)
    /// Refuse it and close the connection.
    case close
}

/// Decides whether `client` may perform `write` on unit `unit`. Runs on the loop, before the map sees the write.
public typealias WriteAuthorizer = (_ client: ModbusClientInfo, _ unit: UInt8, _ write: RegisterWrite) -> WriteDecision

/// Who may do what on a Modbus server, checked for every request before the register map sees it.
public enum ModbusAccessPolicy: Sendable, Equatable {
    /// Every client gets the same rights (plaintext Modbus TCP kept on beside TLS: ``ModbusAccessRights/readOnly``).
    case everyone(ModbusAccessRights)
    /// Rights by the role in the client's certificate (TLS); a role not listed, and the empty role, get the
    /// rights listed under `""`, else nothing.
    case byRole([String: ModbusAccessRights])

    /// The rights of a client with `role` (nil: a plaintext client, which gets nothing under `byRole`).
    public func rights(role: String?) -> ModbusAccessRights {
        switch self {
        case .everyone(let rights): rights
        case .byRole(let roles): role.flatMap { roles[$0] } ?? roles[""] ?? .nothing
        }
    }
}

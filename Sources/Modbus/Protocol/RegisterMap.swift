/// The data a Modbus server serves: the agent's live register map, or ``MemoryRegisterMap``.
///
/// Reads go item by item so an implementation can compute live values without building arrays; a read
/// touching an unmapped address is answered with ``ModbusExceptionCode/illegalDataAddress``.
/// Writes arrive whole (a multi-register write is one call) after the server's ``WriteAuthorizer`` allowed them.
public protocol RegisterMap: AnyObject {
    /// The coil or discrete input at `address` (`table` is `.coils` or `.discreteInputs`), or nil when not mapped.
    func bit(_ table: ModbusTable, at address: UInt16) -> Bool?

    /// The holding or input register at `address` (`table` is `.holdingRegisters` or `.inputRegisters`), or nil when not mapped.
    func register(_ table: ModbusTable, at address: UInt16) -> UInt16?

    /// Applies `write` entirely, or refuses it entirely by returning an exception
    /// (``ModbusExceptionCode/illegalDataAddress`` for unmapped or read-only addresses,
    /// ``ModbusExceptionCode/illegalDataValue`` for values out of range). This is where the agent learns of writes.
    func apply(_ write: RegisterWrite) -> ModbusExceptionCode?
}

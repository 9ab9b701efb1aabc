/// A decoded, successful Modbus response, as the client sees it.
public enum ModbusResponse: Sendable, Equatable {
    /// FC 1 / 2: the bits asked for (exactly the requested count).
    case bits([Bool])
    /// FC 3 / 4 / 23: the registers asked for.
    case registers([UInt16])
    /// FC 5 / 6 / 15 / 16: the server confirmed writing `count` items from `address`.
    case written(address: UInt16, count: UInt16)
    /// FC 43 / MEI 14: one answer of the server's device identification.
    case deviceIdentification(DeviceIdentificationAnswer)
}

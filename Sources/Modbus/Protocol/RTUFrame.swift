/// One Modbus RTU frame without its CRC: `unit` then the PDU.
public struct RTUFrame: Sendable, Equatable {
    /// The addressed (request) or answering (response) unit; 0 is broadcast.
    public var unit: UInt8
    /// Function code and data.
    public var pdu: [UInt8]

    public init(unit: UInt8, pdu: [UInt8]) {
        self.unit = unit
        self.pdu = pdu
    }

    /// The bytes on the wire: unit, PDU, CRC (low byte first).
    public var encoded: [UInt8] {
        var out: [UInt8] = [unit]
        out.append(contentsOf: pdu)
        CRC16.append(to: &out)
        return out
    }
}

/// The 7-byte header in front of every Modbus TCP PDU (MBAP: Modbus Application Protocol header).
///
/// `transaction(2) protocol(2) length(2) unit(1)`, big-endian; `length` counts the unit id and the PDU.
public struct MBAPHeader: Sendable, Equatable {
    /// Header size in bytes.
    public static let size = 7
    /// The largest `length` field: unit id + a 253-byte PDU.
    public static let maxLength = 254
    /// The smallest `length` field: unit id + function code.
    public static let minLength = 2

    /// Chosen by the client, echoed by the server.
    public var transaction: UInt16
    /// Always 0 for Modbus.
    public var protocolID: UInt16
    /// Bytes that follow the length field (unit id + PDU).
    public var length: UInt16
    /// The addressed unit.
    public var unit: UInt8

    public init(transaction: UInt16, protocolID: UInt16 = 0, length: UInt16, unit: UInt8) {
        self.transaction = transaction
        self.protocolID = protocolID
        self.length = length
        self.unit = unit
    }

    /// The PDU's size in bytes.
    public var pduLength: Int { Int(length) - 1 }

    /// Appends the header to `out`.
    public func encode(into out: inout [UInt8]) {
        out.appendWord(transaction)
        out.appendWord(protocolID)
        out.appendWord(length)
        out.append(unit)
    }

    /// Writes the length field (bytes after it) into a header already in `out` at `headerStart`.
    public static func patchLength(in out: inout [UInt8], headerStart: Int) {
        let length = UInt16(truncatingIfNeeded: out.count - headerStart - 6)
        out[headerStart + 4] = UInt8(truncatingIfNeeded: length >> 8)
        out[headerStart + 5] = UInt8(truncatingIfNeeded: length)
    }
}

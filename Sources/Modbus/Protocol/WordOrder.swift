/// The order of the two registers of a 32-bit value. Bytes within a register are always big-endian.
public enum WordOrder: String, Sendable, CaseIterable, Hashable {
    /// High word first (`ABCD`), the Modbus convention and the default.
    case big
    /// Low word first (`CDAB`), "word swapped", common on PLCs and energy meters.
    case little
}

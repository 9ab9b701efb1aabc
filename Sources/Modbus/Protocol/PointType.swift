/// How the registers (or bit) of a Modbus point are read as a number.
public enum PointType: String, Sendable, CaseIterable, Hashable {
    /// One coil or discrete input (or a register read as zero / non-zero): 0 or 1.
    case bool
    /// One register, two's complement.
    case int16
    /// One register.
    case uint16
    /// Two registers, two's complement, in the point's ``WordOrder``.
    case int32
    /// Two registers, in the point's ``WordOrder``.
    case uint32
    /// Two registers holding an IEEE 754 single, in the point's ``WordOrder``.
    case float32

    /// Registers one value occupies (a bool in a bit table occupies one bit).
    public var registerCount: Int {
        switch self {
        case .bool, .int16, .uint16: 1
        case .int32, .uint32, .float32: 2
        }
    }
}

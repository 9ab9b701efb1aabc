/// The reason a Modbus server gives for refusing a request (the byte after `function | 0x80`).
public struct ModbusExceptionCode: RawRepresentable, Hashable, Sendable, Error, CustomStringConvertible {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// 1: the function code is not supported.
    public static let illegalFunction = ModbusExceptionCode(rawValue: 0x01)
    /// 2: an address in the request is not mapped.
    public static let illegalDataAddress = ModbusExceptionCode(rawValue: 0x02)
    /// 3: a value or quantity in the request is not allowed (count out of range, byte count mismatch, bad coil value).
    public static let illegalDataValue = ModbusExceptionCode(rawValue: 0x03)
    /// 4: the server failed while performing the request.
    public static let serverDeviceFailure = ModbusExceptionCode(rawValue: 0x04)
    /// 5: accepted, the result comes later.
    public static let acknowledge = ModbusExceptionCode(rawValue: 0x05)
    /// 6: the server is busy.
    public static let serverDeviceBusy = ModbusExceptionCode(rawValue: 0x06)
    /// 8: memory parity error.
    public static let memoryParityError = ModbusExceptionCode(rawValue: 0x08)
    /// 10 (0x0A): a gateway has no path to the unit.
    public static let gatewayPathUnavailable = ModbusExceptionCode(rawValue: 0x0A)
    /// 11 (0x0B): a gateway's target did not answer.
    public static let gatewayTargetFailedToRespond = ModbusExceptionCode(rawValue: 0x0B)

    /// The name used in logs and by `fieldagent modbus`, for example `illegal-data-address`.
    public var name: String {
        switch self {
        case .illegalFunction: "illegal-function"
        case .illegalDataAddress: "illegal-data-address"
        case .illegalDataValue: "illegal-data-value"
        case .serverDeviceFailure: "server-device-failure"
        case .acknowledge: "acknowledge"
        case .serverDeviceBusy: "server-device-busy"
        case .memoryParityError: "memory-parity-error"
        case .gatewayPathUnavailable: "gateway-path-unavailable"
        case .gatewayTargetFailedToRespond: "gateway-target-failed-to-respond"
        default: "exception-\(rawValue)"
        }
    }

    public var description: String { "\(name) (\(rawValue))" }
}

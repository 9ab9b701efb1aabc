/// Why a client request did not get a normal response.
public enum ModbusError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The device answered with an exception.
    case exception(ModbusExceptionCode)
    /// No (valid) answer within the response timeout, after every retry.
    case timeout
    /// The TCP connection or serial port could not be opened; says why.
    case connectFailed(String)
    /// The connection closed or broke while the request waited; says why.
    case disconnected(String)
    /// The answer did not fit the request; says how.
    case malformedResponse(String)
    /// Too many requests waiting for this device.
    case queueFull
    /// The client was closed.
    case cancelled
    /// A value could not be encoded for a write.
    case invalidValue(String)

    public var description: String {
        switch self {
        case .exception(let code): "exception \(code.name) (\(code.rawValue))"
        case .timeout: "timeout"
        case .connectFailed(let why): "connect failed: \(why)"
        case .disconnected(let why): "disconnected: \(why)"
        case .malformedResponse(let why): "malformed response: \(why)"
        case .queueFull: "request queue full"
        case .cancelled: "cancelled"
        case .invalidValue(let why): "invalid value: \(why)"
        }
    }
}

/// What the server does after ``RequestHandler`` looked at one request.
public enum HandlerAction: Sendable, Equatable {
    /// A normal response PDU was appended to the output.
    case reply
    /// An exception response PDU was appended to the output.
    case replyException(ModbusExceptionCode)
    /// Nothing was appended; close the connection (the write authorizer said so).
    case close
}

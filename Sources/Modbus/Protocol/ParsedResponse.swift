/// The outcome of parsing a response PDU against the request it answers.
public enum ParsedResponse: Sendable, Equatable {
    /// A well-formed answer.
    case response(ModbusResponse)
    /// The server refused the request.
    case exception(ModbusExceptionCode)
    /// The bytes do not answer this request (wrong function, byte count or echo); says what was wrong.
    case malformed(String)
}

/// What plaintext Modbus TCP clients may do on the agent's server (`server: plain:`).
public enum PlainServerMode: String, Sendable, Equatable {
    /// Read and write (the command block, for allowed writers): the only mode without `tls:`.
    case readWrite = "read-write"
    /// Read only, beside Modbus/TCP Security: writes are answered with exception 01. The default with `tls:`.
    case readOnly = "read-only"
    /// No plaintext listener at all: Modbus/TCP Security only.
    case off
}

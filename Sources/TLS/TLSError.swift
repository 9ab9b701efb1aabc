/// Why a TLS context, session or test PKI operation failed, in words a user can act on.
public struct TLSError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The reason (`cannot load the private key from /etc/fieldagent/agent.key: …`).
    public var description: String

    public init(_ description: String) { self.description = description }
}

/// The text in a NUL-terminated C buffer the shim filled.
func cText(_ buffer: [CChar]) -> String {
    let end = buffer.firstIndex(of: 0) ?? buffer.count
    return String(decoding: buffer[..<end].map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

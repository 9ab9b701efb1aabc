import CTLSShim

/// An OpenSSL context for one side of Modbus/TCP Security: TLS 1.2 at least (1.3 preferred), no
/// renegotiation, no compression, no session tickets, the peer's certificate verified against the plant CA
/// (and the CRL when given). A server context requires a client certificate (mutual TLS).
///
/// Made once per identity and shared by every session; replaced whole on reload (``TLSSession``s made from
/// the old one keep it alive until they end).
public final class TLSContext {
    /// Whether sessions made from it accept (server) or connect (client).
    public let isServer: Bool
    /// The files it was made from.
    public let identity: TLSIdentity
    let pointer: OpaquePointer

    /// Loads `identity`; refuses a key file others can read. The corresponding C function is `SSL_CTX_new`
    /// and its configuration calls (see `fa_tls.h`).
    public init(server: Bool, identity: TLSIdentity) throws(TLSError) {
        if let problem = identity.keyFileProblem() { throw TLSError(problem) }
        var err = [CChar](repeating: 0, count: 512)
        let made = err.withUnsafeMutableBufferPointer { buffer in
            // buffer is this call's 512-byte error text.
            fa_tls_context_new(server ? 1 : 0, identity.ca, identity.certificate, identity.key, identity.crl, buffer.baseAddress, buffer.count)
        }
        guard let made else { throw TLSError(cText(err)) }
        pointer = made
        isServer = server
        self.identity = identity
    }

    deinit { fa_tls_context_free(pointer) }

    /// Whole days until this side's own certificate expires (negative once it has); nil when unknown.
    public var daysLeft: Int? {
        let d = fa_tls_context_days_left(pointer)
        return d == Int32.min ? nil : Int(d)
    }

    /// When this side's certificate expires, in seconds since the Epoch; nil when unknown.
    public var notAfter: Int64? {
        let t = fa_tls_context_not_after(pointer)
        return t == 0 ? nil : t
    }
}

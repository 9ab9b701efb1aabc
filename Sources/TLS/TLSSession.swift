import CTLSShim

/// One TLS connection over a connected non-blocking socket, driven by the caller on readiness: every call
/// returns at once, saying whether it needs the socket readable or writable to go on.
///
/// The caller keeps the descriptor (and closes it after ``close()``).
public final class TLSSession {
    /// What a handshake, read or write step came to.
    public enum Step: Equatable, Sendable {
        /// Done (handshake) or this many bytes moved (read, write).
        case done(Int)
        /// Call again when the socket is readable.
        case wantRead
        /// Call again when the socket is writable.
        case wantWrite
        /// The peer closed the connection.
        case closed
        /// A fatal error: ``lastError`` says why.
        case failed
    }

    /// The context it was made from (kept alive while the session lives).
    public let context: TLSContext
    private var pointer: OpaquePointer?
    /// True once the handshake finished.
    public private(set) var established = false

    /// A session on `fd`; a client session verifies that the server's certificate names `host`
    /// (a DNS name, or an IP address matched against its IP addresses).
    public init(context: TLSContext, fd: Int32, host: String? = nil) throws(TLSError) {
        self.context = context
        var err = [CChar](repeating: 0, count: 256)
        let made = err.withUnsafeMutableBufferPointer { buffer in
            // buffer is this call's error text.
            fa_tls_session_new(context.pointer, fd, context.isServer ? 1 : 0, host, buffer.baseAddress, buffer.count)
        }
        guard let made else { throw TLSError(cText(err)) }
        pointer = made
    }

    deinit { close() }

    /// Sends close_notify (without waiting) and frees the session; safe to call twice.
    public func close() {
        if let pointer { fa_tls_session_free(pointer) }
        pointer = nil
    }

    private static func step(_ rc: Int) -> Step {
        switch rc {
        case 0...: .done(rc)
        case Int(FA_TLS_WANT_READ): .wantRead
        case Int(FA_TLS_WANT_WRITE): .wantWrite
        case Int(FA_TLS_CLOSED): .closed
        default: .failed
        }
    }

    /// Drives the handshake one step.
    public func handshake() -> Step {
        guard let pointer else { return .failed }
        let s = Self.step(Int(fa_tls_handshake(pointer)))
        if case .done = s { established = true }
        return s
    }

    /// Reads decrypted bytes into `buffer` (at most `count`).
    public func read(into buffer: UnsafeMutableRawPointer, count: Int) -> Step {
        guard let pointer else { return .failed }
        return Self.step(fa_tls_read(pointer, buffer, count))
    }

    /// Writes bytes from `buffer` (as many of `count` as the socket takes).
    public func write(from buffer: UnsafeRawPointer, count: Int) -> Step {
        guard let pointer else { return .failed }
        return Self.step(fa_tls_write(pointer, buffer, count))
    }

    /// Decrypted bytes OpenSSL holds that a read returns without the socket being readable.
    public var pending: Int { pointer.map { Int(fa_tls_pending($0)) } ?? 0 }

    /// Why the last step failed (certificate verification first, then OpenSSL's error queue).
    public var lastError: String {
        var text = [CChar](repeating: 0, count: 512)
        text.withUnsafeMutableBufferPointer { buffer in
            // buffer is the 512-byte text the shim fills.
            fa_tls_last_error(pointer, buffer.baseAddress, buffer.count)
        }
        return cText(text)
    }

    /// The negotiated protocol (`TLSv1.3`).
    public var version: String { pointer.map { String(cString: fa_tls_version($0)) } ?? "" }

    /// The peer certificate's role extension.
    public var peerRole: TLSPeerRole {
        guard let pointer else { return .none }
        var text = [CChar](repeating: 0, count: 72)
        let found = text.withUnsafeMutableBufferPointer { buffer in
            // buffer has room for a 64-character role and its NUL (FA_TLS_ROLE_MAX + 1).
            fa_tls_peer_role(pointer, buffer.baseAddress)
        }
        switch found {
        case 1: return .role(cText(text))
        case 2: return .duplicated
        case 3: return .malformed
        default: return .none
        }
    }

    /// The peer certificate's subject common name (printable ASCII; empty when none).
    public var peerName: String {
        guard let pointer else { return "" }
        var text = [CChar](repeating: 0, count: 128)
        text.withUnsafeMutableBufferPointer { buffer in
            // buffer is the 128-byte name the shim fills.
            fa_tls_peer_name(pointer, buffer.baseAddress, buffer.count)
        }
        return cText(text)
    }
}

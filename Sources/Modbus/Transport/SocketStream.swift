import CLinux
import EventLoop
import Glibc
import TLS

/// The bytes of one connection, in the clear or through TLS: the one place the server's connections and the
/// client's links read and write, so the Modbus framing above does not know which.
struct SocketStream {
    /// What a read or write came to.
    enum Result: Equatable {
        /// This many bytes moved (> 0).
        case bytes(Int)
        /// Nothing now: wait for the socket to be readable (or writable, for TLS records that must go out first).
        case wouldBlock(needsWritable: Bool)
        /// The peer closed.
        case closed
        /// The connection failed, with the reason.
        case failed(String)
    }

    let fd: Int32
    let tls: TLSSession?

    /// Reads at most `count` bytes into `buffer`. The corresponding C functions are `read` and `SSL_read_ex`.
    func read(into buffer: UnsafeMutableRawPointer, count: Int) -> Result {
        if let tls {
            switch tls.read(into: buffer, count: count) {
            case .done(let n): return n > 0 ? .bytes(n) : .wouldBlock(needsWritable: false)
            case .wantRead: return .wouldBlock(needsWritable: false)
            case .wantWrite: return .wouldBlock(needsWritable: true)
            case .closed: return .closed
            case .failed: return .failed("TLS: \(tls.lastError)")
            }
        }
        let n = Glibc.read(fd, buffer, count)
        if n > 0 { return .bytes(n) }
        if n == 0 { return .closed }
        if errno == EAGAIN || errno == EINTR { return .wouldBlock(needsWritable: false) }
        return .failed(SystemError.message(for: errno))
    }

    /// Writes what the socket takes of `count` bytes from `buffer`. The corresponding C functions are `send`
    /// (with `MSG_NOSIGNAL`) and `SSL_write_ex`.
    func write(from buffer: UnsafeRawPointer, count: Int) -> Result {
        if let tls {
            switch tls.write(from: buffer, count: count) {
            case .done(let n): return n > 0 ? .bytes(n) : .wouldBlock(needsWritable: true)
            case .wantRead: return .wouldBlock(needsWritable: false)
            case .wantWrite: return .wouldBlock(needsWritable: true)
            case .closed: return .closed
            case .failed: return .failed("TLS: \(tls.lastError)")
            }
        }
        while true {
            let n = Glibc.send(fd, buffer, count, Int32(MSG_NOSIGNAL))
            if n > 0 { return .bytes(n) }
            if n < 0 && errno == EINTR { continue }
            if n < 0 && errno == EAGAIN { return .wouldBlock(needsWritable: true) }
            return .failed(n < 0 ? SystemError.message(for: errno) : "send returned 0")
        }
    }

    /// Decrypted bytes TLS holds that a read returns without the socket being readable again.
    var buffered: Int { tls?.pending ?? 0 }
}

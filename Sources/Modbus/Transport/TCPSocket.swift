import CLinux
import EventLoop
import Glibc

/// Non-blocking TCP sockets for the loop: listen, accept, connect without waiting, read and write what is ready.
public enum TCPSocket {
    /// A non-blocking listening socket on `address` with `SO_REUSEADDR`.
    /// The corresponding C functions are `socket`, `setsockopt`, `bind` and `listen`.
    public static func listen(on address: SocketAddress, backlog: Int32 = 64) throws(SystemError) -> Int32 {
        let fd = try makeSocket(address.family, "listen on \(address)")
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        let bound = address.withSockAddr { bind(fd, $0, $1) }
        if bound != 0 {
            let error = SystemError("bind(\(address))")
            close(fd)
            throw error
        }
        if Glibc.listen(fd, backlog) != 0 {
            let error = SystemError("listen(\(address))")
            close(fd)
            throw error
        }
        return fd
    }

    /// The address a socket is bound to (to learn the port the kernel chose for port 0).
    /// The corresponding C function is `getsockname`.
    public static func localAddress(_ fd: Int32) -> SocketAddress {
        var address = SocketAddress(storage: sockaddr_storage(), length: socklen_t(MemoryLayout<sockaddr_storage>.size))
        withUnsafeMutableBytes(of: &address.storage) { raw in
            // raw is the storage; getsockname writes at most `length` bytes into it.
            _ = getsockname(fd, raw.baseAddress!.assumingMemoryBound(to: sockaddr.self), &address.length)
        }
        return address
    }

    /// Accepts one pending connection as a non-blocking descriptor with its peer address, or nil when none waits.
    /// The corresponding C function is `accept4`.
    public static func accept(_ listener: Int32) -> (fd: Int32, peer: SocketAddress)? {
        var address = SocketAddress(storage: sockaddr_storage(), length: socklen_t(MemoryLayout<sockaddr_storage>.size))
        let fd = withUnsafeMutableBytes(of: &address.storage) { raw in
            // raw is the storage; accept4 writes the peer address into it.
            cl_accept_with_peer(listener, raw.baseAddress!.assumingMemoryBound(to: sockaddr.self), &address.length)
        }
        guard fd >= 0 else { return nil }
        setNoDelay(fd)
        return (fd, address)
    }

    /// Starts connecting to `address` without waiting: returns the descriptor, connected or in progress
    /// (the loop reports it writable when the attempt ends; then ``pendingError(_:)`` says how).
    /// The corresponding C function is `connect` on a non-blocking socket.
    /// With `source`, the connection comes from that local address (a test playing a stranger from 127.0.0.2).
    public static func startConnect(to address: SocketAddress, from source: SocketAddress? = nil) throws(SystemError) -> Int32 {
        let fd = try makeSocket(address.family, "connect to \(address)")
        setNoDelay(fd)
        if let source, source.withSockAddr({ bind(fd, $0, $1) }) != 0 {
            let error = SystemError("bind(\(source))")
            close(fd)
            throw error
        }
        let rc = address.withSockAddr { Glibc.connect(fd, $0, $1) }
        if rc != 0 && errno != EINPROGRESS && errno != EINTR {
            let error = SystemError("connect(\(address))")
            close(fd)
            throw error
        }
        return fd
    }

    /// The error of a finished non-blocking connect (0 when it succeeded). The corresponding C call is
    /// `getsockopt(SO_ERROR)`.
    public static func pendingError(_ fd: Int32) -> Int32 {
        var code: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        if getsockopt(fd, SOL_SOCKET, SO_ERROR, &code, &length) != 0 { return errno }
        return code
    }

    private static func makeSocket(_ family: Int32, _ what: String) throws(SystemError) -> Int32 {
        try retryingSyscall("socket (\(what))") {
            socket(family, Int32(SOCK_STREAM.rawValue | SOCK_NONBLOCK.rawValue | SOCK_CLOEXEC.rawValue), 0)
        }
    }

    private static func setNoDelay(_ fd: Int32) {
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
    }
}

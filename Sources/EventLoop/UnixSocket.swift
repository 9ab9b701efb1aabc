import CLinux
import Glibc

/// Unix-domain stream sockets for the agent's local control channels (mock chip, status).
public enum UnixSocket {
    /// Creates a non-blocking listening socket at `path`, replacing a stale socket file left by a dead process.
    /// The corresponding C functions are `socket`, `bind` and `listen`.
    public static func listen(path: String, backlog: Int32 = 16) throws(SystemError) -> Int32 {
        var address = try makeAddress(path)
        let fd = try retryingSyscall("socket(AF_UNIX)") {
            socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        }
        unlink(path)
        let bound = withUnsafePointer(to: &address) { p in
            // p points at a sockaddr_un that lives for this call; bind reads it as a generic sockaddr.
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        if bound != 0 {
            let error = SystemError("bind(\(path))")
            close(fd)
            throw error
        }
        if Glibc.listen(fd, backlog) != 0 {
            let error = SystemError("listen(\(path))")
            close(fd)
            throw error
        }
        return fd
    }

    /// Connects to the socket at `path` (blocking; for command-line clients, not for the loop).
    public static func connect(path: String) throws(SystemError) -> Int32 {
        var address = try makeAddress(path)
        let fd = try retryingSyscall("socket(AF_UNIX)") { socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0) }
        let rc = withUnsafePointer(to: &address) { p in
            // p points at a sockaddr_un that lives for this call.
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        if rc != 0 {
            let error = SystemError("connect(\(path))")
            close(fd)
            throw error
        }
        return fd
    }

    /// Accepts one pending connection as a non-blocking descriptor, or nil when none is waiting.
    public static func accept(_ listener: Int32) -> Int32? {
        let fd = cl_accept_nonblocking(listener)
        return fd >= 0 ? fd : nil
    }

    private static func makeAddress(_ path: String) throws(SystemError) -> sockaddr_un {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard bytes.count < capacity else { throw SystemError("socket path \(path) is longer than \(capacity - 1) bytes", code: ENAMETOOLONG) }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            // raw covers sun_path; bytes.count < its size leaves the terminating NUL in place.
            raw.copyBytes(from: bytes)
        }
        return address
    }
}

import CLinux
import EventLoop
import Glibc

/// An IPv4 or IPv6 socket address (a C `sockaddr_storage` and its length).
public struct SocketAddress: Sendable, CustomStringConvertible {
    var storage = sockaddr_storage()
    var length: socklen_t = 0

    /// The address family (`AF_INET` or `AF_INET6`).
    public var family: Int32 { Int32(storage.ss_family) }

    /// Parses a numeric IPv4 or IPv6 address (no name lookup). The corresponding C function is `inet_pton`.
    public init?(numericHost host: String, port: UInt16) {
        // C would read "10.0.0.5\0anything" as 10.0.0.5: a string with a NUL is no address.
        guard !host.utf8.contains(0) else { return nil }
        var v4 = sockaddr_in()
        if inet_pton(AF_INET, host, &v4.sin_addr) == 1 {
            v4.sin_family = sa_family_t(AF_INET)
            v4.sin_port = port.bigEndian
            withUnsafeMutableBytes(of: &storage) { dst in
                // sockaddr_storage is large enough for any sockaddr; we copy a sockaddr_in into its front.
                withUnsafeBytes(of: v4) { dst.copyMemory(from: $0) }
            }
            length = socklen_t(MemoryLayout<sockaddr_in>.size)
            return
        }
        var v6 = sockaddr_in6()
        if inet_pton(AF_INET6, host, &v6.sin6_addr) == 1 {
            v6.sin6_family = sa_family_t(AF_INET6)
            v6.sin6_port = port.bigEndian
            withUnsafeMutableBytes(of: &storage) { dst in
                // As above, for a sockaddr_in6.
                withUnsafeBytes(of: v6) { dst.copyMemory(from: $0) }
            }
            length = socklen_t(MemoryLayout<sockaddr_in6>.size)
            return
        }
        return nil
    }

    init(storage: sockaddr_storage, length: socklen_t) {
        self.storage = storage
        self.length = length
    }

    /// The host part as text (`192.0.2.7`, `::1`). The corresponding C function is `inet_ntop`.
    public var host: String {
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        withUnsafeBytes(of: storage) { raw in
            // raw is the whole sockaddr_storage; the family says which sockaddr is at its front.
            if family == AF_INET6 {
                let a = raw.load(as: sockaddr_in6.self)
                withUnsafeBytes(of: a.sin6_addr) { _ = inet_ntop(AF_INET6, $0.baseAddress, &text, socklen_t(text.count)) }
            } else {
                let a = raw.load(as: sockaddr_in.self)
                withUnsafeBytes(of: a.sin_addr) { _ = inet_ntop(AF_INET, $0.baseAddress, &text, socklen_t(text.count)) }
            }
        }
        return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The port.
    public var port: UInt16 {
        withUnsafeBytes(of: storage) { raw in
            // As in host.
            family == AF_INET6 ? UInt16(bigEndian: raw.load(as: sockaddr_in6.self).sin6_port)
                : UInt16(bigEndian: raw.load(as: sockaddr_in.self).sin_port)
        }
    }

    public var description: String { family == AF_INET6 ? "[\(host)]:\(port)" : "\(host):\(port)" }

    /// Calls `body` with the address as a C `sockaddr` pointer and its length.
    func withSockAddr<R>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> R) -> R {
        withUnsafeBytes(of: storage) { raw in
            // raw lives for this call; every sockaddr type may be read through a sockaddr pointer.
            body(raw.baseAddress!.assumingMemoryBound(to: sockaddr.self), length)
        }
    }
}

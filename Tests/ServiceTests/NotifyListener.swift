import Glibc

/// The systemd side of the protocol for tests: a real AF_UNIX datagram socket, bound to a path in a fresh
/// temporary directory or to an abstract name, that collects what the notifier sends.
final class NotifyListener {
    /// The value to put in `NOTIFY_SOCKET`.
    let socketName: String
    private let fd: Int32
    private let directory: String?

    /// Binds to `<tmpdir>/notify` (or to a unique abstract name when `abstract`).
    init(abstract: Bool = false) throws {
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw ListenerError("socket: errno \(errno)") }
        var pathBytes: [UInt8]
        if abstract {
            let name = "fieldagent-test-\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
            socketName = "@" + name
            directory = nil
            pathBytes = [0] + Array(name.utf8)
        } else {
            var template = Array("/tmp/fieldagent-notify-XXXXXX".utf8CString)
            guard let dir = mkdtemp(&template) else { throw ListenerError("mkdtemp: errno \(errno)") }
            directory = String(cString: dir)
            socketName = directory! + "/notify"
            pathBytes = Array(socketName.utf8) + [0]
        }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        // raw covers sun_path (108 bytes); our names are far shorter.
        withUnsafeMutableBytes(of: &address.sun_path) { raw in raw.copyBytes(from: pathBytes) }
        let length = socklen_t(MemoryLayout<sockaddr_un>.offset(of: \.sun_path)! + pathBytes.count)
        let rc = withUnsafePointer(to: &address) { p in
            // p points at address for the call; bind reads it as a sockaddr.
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        guard rc == 0 else { throw ListenerError("bind(\(socketName)): errno \(errno)") }
    }

    deinit {
        close(fd)
        if let directory {
            unlink(directory + "/notify")
            rmdir(directory)
        }
    }

    /// Every datagram waiting now, oldest first, without blocking.
    func received() -> [String] {
        var messages: [String] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = recv(fd, &buffer, buffer.count, Int32(MSG_DONTWAIT))
            if n < 0 { break }
            messages.append(String(decoding: buffer[0..<n], as: UTF8.self))
        }
        return messages
    }

    struct ListenerError: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }
}

import EventLoop
import Glibc

/// Tells systemd how the service is doing, over the `sd_notify` datagram protocol, without libsystemd.
///
/// systemd passes the socket in `NOTIFY_SOCKET` (a path, or an abstract socket written with a leading `@`)
/// and, with `WatchdogSec=`, the watchdog period in `WATCHDOG_USEC` (and the process it applies to in
/// `WATCHDOG_PID`). Without `NOTIFY_SOCKET` (run by hand, in tests, in the simulation) every send does
/// nothing and returns `false`, so callers need no "am I under systemd?" branches.
///
/// Owns one non-blocking datagram socket, opened on the first send: sending never blocks the loop. Not
/// thread-safe; use it on the loop's thread. The environment is not modified, so children inherit
/// `NOTIFY_SOCKET`; `NotifyAccess=main` in the unit makes systemd ignore them.
public final class SystemdNotifier {
    /// `NOTIFY_SOCKET` as given, or nil when it is absent or empty.
    public let socketName: String?
    /// Why `NOTIFY_SOCKET` or `WATCHDOG_USEC` was ignored (an unsupported form, a bad number), for a log line at start-up.
    public let configurationProblem: String?
    /// The watchdog period (`WATCHDOG_USEC`), or nil when the watchdog is off or meant for another process.
    public let watchdogTimeout: Duration?

    private let address: sockaddr_un?
    private let addressLength: socklen_t
    private var fd: Int32 = -1

    /// Reads `NOTIFY_SOCKET`, `WATCHDOG_USEC` and `WATCHDOG_PID` from `environment`.
    /// `processID` is compared with `WATCHDOG_PID`; it defaults to this process.
    public init(environment: [String: String], processID: Int32 = getpid()) {
        var problems: [String] = []

        let name = environment["NOTIFY_SOCKET"].flatMap { $0.isEmpty ? nil : $0 }
        socketName = name
        if let name {
            switch Self.makeAddress(name) {
            case .success(let (address, length)):
                self.address = address
                addressLength = length
            case .failure(let reason):
                problems.append("NOTIFY_SOCKET=\(name) ignored: \(reason)")
                address = nil
                addressLength = 0
            }
        } else {
            address = nil
            addressLength = 0
        }

        var timeout: Duration? = nil
        if let usecText = environment["WATCHDOG_USEC"] {
            if let usec = Int64(usecText), usec > 0 {
                if let pidText = environment["WATCHDOG_PID"] {
                    if let pid = Int32(pidText), pid > 0 {
                        if pid == processID { timeout = .microseconds(usec) }
                    } else {
                        problems.append("WATCHDOG_PID=\(pidText) ignored: not a process id")
                    }
                } else {
                    timeout = .microseconds(usec)
                }
            } else {
                problems.append("WATCHDOG_USEC=\(usecText) ignored: not a positive number of microseconds")
            }
        }
        watchdogTimeout = timeout
        configurationProblem = problems.isEmpty ? nil : problems.joined(separator: "; ")
    }

    /// A notifier configured from this process's environment. The corresponding C function is `getenv`.
    public static func fromProcessEnvironment() -> SystemdNotifier {
        var environment: [String: String] = [:]
        for key in ["NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"] {
            if let value = getenv(key) { environment[key] = String(cString: value) }
        }
        return SystemdNotifier(environment: environment)
    }

    deinit {
        if fd >= 0 { close(fd) }
    }

    /// True when running under systemd with a usable notification socket.
    public var isEnabled: Bool { address != nil }

    /// How often to send ``watchdog()``: half the watchdog period, as `sd_watchdog_enabled(3)` recommends.
    /// Nil when the watchdog is off, meant for another process, or there is no socket to ping.
    public var watchdogInterval: Duration? {
        guard isEnabled, let watchdogTimeout else { return nil }
        return .nanoseconds(watchdogTimeout.nanoseconds / 2)
    }

    /// Sends `fields` in one datagram. Returns false, sending nothing, when not under systemd (or `fields` is empty).
    /// The corresponding C functions are `socket(AF_UNIX, SOCK_DGRAM)` and `sendto`.
    @discardableResult
    public func send(_ fields: [NotifyField]) throws(SystemError) -> Bool {
        guard var address, !fields.isEmpty else { return false }
        if fd < 0 {
            fd = try retryingSyscall("socket(AF_UNIX, SOCK_DGRAM)") {
                socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            }
        }
        var message = fields.map(\.line).joined(separator: "\n")
        message += "\n"
        let length = addressLength
        let descriptor = fd
        let sent = message.withUTF8 { bytes in
            withUnsafePointer(to: &address) { p in
                // p points at a sockaddr_un that lives for this call; sendto reads it as a generic sockaddr,
                // and bytes is the message's UTF-8, valid for the closure.
                p.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                    Result { () throws(SystemError) in
                        try retryingSyscall("sendto(NOTIFY_SOCKET=\(socketName ?? ""))") {
                            sendto(descriptor, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL), sa, length)
                        }
                    }
                }
            }
        }
        _ = try sent.get()
        return true
    }

    /// Start-up is complete: `READY=1`, with a status line when given.
    @discardableResult
    public func ready(status: String? = nil) throws(SystemError) -> Bool {
        try send(status.map { [.ready, .status($0)] } ?? [.ready])
    }

    /// Sets the status line shown by `systemctl status`.
    @discardableResult
    public func status(_ text: String) throws(SystemError) -> Bool {
        try send([.status(text)])
    }

    /// One watchdog keep-alive ping. Prefer a ``Watchdog``, which pings from the loop.
    @discardableResult
    public func watchdog() throws(SystemError) -> Bool {
        try send([.watchdog])
    }

    /// Shutdown has begun: `STOPPING=1`, with a status line when given.
    @discardableResult
    public func stopping(status: String? = nil) throws(SystemError) -> Bool {
        try send(status.map { [.stopping, .status($0)] } ?? [.stopping])
    }

    /// A configuration reload has begun at `now` (the loop's clock, which is `CLOCK_MONOTONIC`);
    /// send ``ready(status:)`` when it is done.
    @discardableResult
    public func reloading(at now: Instant, status: String? = nil) throws(SystemError) -> Bool {
        try send(status.map { [.reloading(at: now), .status($0)] } ?? [.reloading(at: now)])
    }

    /// The socket address for `name`: an absolute path, or `@name` for an abstract socket.
    private static func makeAddress(_ name: String) -> Result<(sockaddr_un, socklen_t), AddressError> {
        var bytes = Array(name.utf8)
        let abstract = bytes.first == UInt8(ascii: "@")
        guard abstract || bytes.first == UInt8(ascii: "/") else {
            return .failure(AddressError("only absolute paths and abstract (@) sockets are supported"))
        }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        // A path needs room for its terminating NUL; an abstract name is exactly its bytes.
        guard abstract ? bytes.count <= capacity : bytes.count < capacity else {
            return .failure(AddressError("longer than \(capacity - 1) bytes"))
        }
        if abstract { bytes[0] = 0 }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            // raw covers sun_path, which is zero-filled and at least bytes.count long (checked above).
            raw.copyBytes(from: bytes)
        }
        let pathOffset = MemoryLayout<sockaddr_un>.offset(of: \.sun_path)!
        let length = pathOffset + bytes.count + (abstract ? 0 : 1)
        return .success((address, socklen_t(length)))
    }

    private struct AddressError: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }
}

import EventLoop
import Glibc

/// Where an agent's status socket lives, and how `fieldagent status` finds it.
///
/// Under systemd the socket is `$RUNTIME_DIRECTORY/NAME.sock` (the unit's `RuntimeDirectory=fieldagent`, so
/// `/run/fieldagent/NAME.sock`); run by hand, `/run/fieldagent/NAME.sock` when that directory is writable,
/// else `/tmp/fieldagent-NAME.status.sock`. (Not `/tmp/fieldagent-NAME.sock`: that is the mock chip's
/// control socket of `fieldagent run --gpio mock`.)
public enum StatusSocket {
    /// The directory systemd creates for the service (`RuntimeDirectory=fieldagent`).
    public static let runDirectory = "/run/fieldagent"
    /// Where agents run by hand put their socket when ``runDirectory`` is not writable to them.
    public static let fallbackDirectory = "/tmp"

    /// The socket path for the agent `name`, in this order:
    /// 1. `$RUNTIME_DIRECTORY/NAME.sock` when systemd sets `RUNTIME_DIRECTORY` (its first entry, when the
    ///    unit lists several directories);
    /// 2. `/run/fieldagent/NAME.sock` when `/run/fieldagent` exists and is writable (`isWritableDirectory`);
    /// 3. `/tmp/fieldagent-NAME.status.sock` otherwise (note: with `PrivateTmp=yes` only the service sees it).
    /// `fieldagent status` looks in the last two places (``candidatePaths(name:)``, ``discover()``).
    public static func defaultPath(
        name: String, environment: [String: String],
        isWritableDirectory: (String) -> Bool = { access($0, W_OK | X_OK) == 0 }
    ) -> String {
        if let runtime = environment["RUNTIME_DIRECTORY"]?.split(separator: ":").first, !runtime.isEmpty {
            return String(runtime) + "/" + name + ".sock"
        }
        if isWritableDirectory(runDirectory) { return runDirectory + "/" + name + ".sock" }
        return fallbackPath(name: name)
    }

    /// `/tmp/fieldagent-NAME.status.sock`.
    public static func fallbackPath(name: String) -> String {
        fallbackDirectory + "/fieldagent-" + name + ".status.sock"
    }

    /// Where the agent `name` may have its socket, most likely first.
    public static func candidatePaths(name: String) -> [String] {
        [runDirectory + "/" + name + ".sock", fallbackPath(name: name)]
    }

    /// What is at a socket path.
    public enum Probe: Equatable, Sendable {
        /// A process accepts connections there (or its backlog is full, which also means it runs).
        case live
        /// A socket file nobody listens on: left by an agent that stopped without removing it.
        case stale
        /// Nothing there.
        case absent
        /// Something that is not a socket (never removed automatically).
        case notASocket
        /// The socket cannot be reached (for example `EACCES`: the socket is mode 0660 and this user is not in its group).
        case unreachable(SystemError)
    }

    /// Finds out whether an agent listens at `path`, without blocking (a non-blocking `connect`, closed at once).
    /// The corresponding C functions are `lstat`, `socket` and `connect`.
    public static func probe(_ path: String) -> Probe {
        var info = stat()
        if lstat(path, &info) != 0 { return errno == ENOENT ? .absent : .unreachable(SystemError("lstat(\(path))")) }
        guard info.st_mode & S_IFMT == S_IFSOCK else { return .notASocket }
        let fd: Int32
        do {
            fd = try connect(path: path, nonBlocking: true)
        } catch {
            switch error.code {
            case EAGAIN, EINPROGRESS: return .live
            case ECONNREFUSED: return .stale
            case ENOENT: return .absent
            default: return .unreachable(error)
            }
        }
        close(fd)
        return .live
    }

    /// One agent socket found by ``discover()``.
    public struct Found: Equatable, Sendable {
        /// The agent's name, from the file name.
        public var name: String
        /// The socket's path.
        public var path: String
    }

    /// The agent sockets in `/run/fieldagent` (`*.sock`) and `/tmp` (`fieldagent-*.status.sock`), sorted by
    /// path. Only socket files are listed; whether an agent still listens is for ``probe(_:)``.
    public static func discover(runDirectory: String = runDirectory, fallbackDirectory: String = fallbackDirectory) -> [Found] {
        var found: [Found] = []
        for file in socketFiles(in: runDirectory) where file.hasSuffix(".sock") && file.count > 5 {
            found.append(Found(name: String(file.dropLast(5)), path: runDirectory + "/" + file))
        }
        let prefix = "fieldagent-", suffix = ".status.sock"
        for file in socketFiles(in: fallbackDirectory)
        where file.hasPrefix(prefix) && file.hasSuffix(suffix) && file.count > prefix.count + suffix.count {
            found.append(Found(name: String(file.dropFirst(prefix.count).dropLast(suffix.count)), path: fallbackDirectory + "/" + file))
        }
        return found.sorted { $0.path < $1.path }
    }

    /// Names of the sockets in `directory` (none when it cannot be read). The corresponding C functions are `opendir` and `readdir`.
    private static func socketFiles(in directory: String) -> [String] {
        guard let dir = opendir(directory) else { return [] }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            // entry points at readdir's dirent, valid until the next readdir; d_name is NUL-terminated.
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(cString: raw.bindMemory(to: CChar.self).baseAddress!)
            }
            let type = entry.pointee.d_type
            if type == UInt8(DT_SOCK) {
                names.append(name)
            } else if type == UInt8(DT_UNKNOWN) {
                var info = stat()
                if lstat(directory + "/" + name, &info) == 0 && info.st_mode & S_IFMT == S_IFSOCK { names.append(name) }
            }
        }
        return names
    }

    /// Connects a stream socket to `path`. Non-blocking: a Unix-domain connect completes at once or fails with
    /// `EAGAIN` (the listener's backlog is full). The corresponding C functions are `socket` and `connect`.
    static func connect(path: String, nonBlocking: Bool) throws(SystemError) -> Int32 {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard bytes.count < capacity else { throw SystemError("socket path \(path) is longer than \(capacity - 1) bytes", code: ENAMETOOLONG) }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            // raw covers sun_path; bytes.count < its size leaves the terminating NUL in place.
            raw.copyBytes(from: bytes)
        }
        let flags = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | (nonBlocking ? Int32(SOCK_NONBLOCK.rawValue) : 0)
        let fd = try retryingSyscall("socket(AF_UNIX)") { socket(AF_UNIX, flags, 0) }
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
}

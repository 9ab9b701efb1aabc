import CLinux
import EventLoop
import Glibc

/// Resolves host names without blocking the loop. `getaddrinfo` may wait for DNS for seconds (a silent
/// resolver: 5 s per attempt), so each lookup runs on a helper thread of its own that calls it and nothing else,
/// then hands the result back through a socket pair the loop watches. The loop thread never blocks and never
/// shares memory with the helper: the result travels as one datagram.
///
/// Numeric addresses complete on the loop at once, without a thread. A lookup whose caller gave up
/// (``Lookup/cancel()``) still finishes on its thread; its answer is dropped. Not thread-safe; call it on the
/// loop's thread (the helper threads touch nothing of it).
public final class NameResolver {
    /// How a name becomes an address; runs on the helper thread. The default calls `getaddrinfo`.
    public typealias Resolve = @Sendable (_ host: String, _ port: UInt16) -> Result<SocketAddress, Failure>
    /// Every address of a name, in `getaddrinfo`'s order of preference (at most ``maxAddresses``).
    public typealias ResolveAll = @Sendable (_ host: String, _ port: UInt16) -> Result<[SocketAddress], Failure>
    /// The most addresses one lookup hands back (a name with more is rare; the rest are not tried).
    public static let maxAddresses = 8

    /// Why a name did not resolve (the resolver's own words, for a status line).
    public struct Failure: Error, Sendable, Equatable, CustomStringConvertible {
        public var description: String
        public init(_ description: String) { self.description = description }
    }

    /// A lookup in progress; ``cancel()`` drops its answer.
    public final class Lookup {
        fileprivate var fd: Int32
        fileprivate weak var resolver: NameResolver?
        fileprivate init(fd: Int32, resolver: NameResolver?) {
            self.fd = fd
            self.resolver = resolver
        }

        /// The answer will not be delivered. Safe to call twice and after completion.
        public func cancel() { resolver?.finish(self) }
    }

    private let loop: any EventLoop
    private let resolve: ResolveAll

    /// A resolver on `loop`; `resolve` replaces `getaddrinfo` (tests: a silent or a failing DNS; one address).
    public init(loop: any EventLoop, resolve: Resolve? = nil) {
        self.loop = loop
        if let one = resolve {
            self.resolve = { host, port in one(host, port).map { [$0] } }
        } else {
            self.resolve = NameResolver.getaddrinfoAll
        }
    }

    /// A resolver on `loop` whose lookups give every address of a name (tests: a name with several addresses).
    public init(loop: any EventLoop, resolveAll: @escaping ResolveAll) {
        self.loop = loop
        self.resolve = resolveAll
    }

    /// Resolves `host` (a name or a numeric address) to a TCP address; `completion` runs on the loop, never
    /// inside this call. Returns nil for a numeric address (no lookup to cancel) or when the helper could not
    /// be started (then `completion` gets the reason).
    @discardableResult
    public func lookup(host: String, port: UInt16, _ completion: @escaping (Result<SocketAddress, Failure>) -> Void) -> Lookup? {
        lookupAll(host: host, port: port) { result in
            completion(result.flatMap { all in all.first.map { .success($0) } ?? .failure(Failure("no address for \(host)")) })
        }
    }

    /// Like ``lookup(host:port:_:)``, with every address of the name (never empty on success), so a caller
    /// can try them in turn.
    @discardableResult
    public func lookupAll(host: String, port: UInt16, _ completion: @escaping (Result<[SocketAddress], Failure>) -> Void) -> Lookup? {
        if let numeric = SocketAddress(numericHost: host, port: port) {
            loop.schedule(after: .zero) { completion(.success([numeric])) }
            return nil
        }
        var fds: [Int32] = [-1, -1]
        guard socketpair(AF_UNIX, Int32(SOCK_SEQPACKET.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &fds) == 0 else {
            let reason = Failure("socketpair: " + SystemError.message(for: errno))
            loop.schedule(after: .zero) { completion(.failure(reason)) }
            return nil
        }
        _ = fcntl(fds[0], F_SETFL, fcntl(fds[0], F_GETFL) | O_NONBLOCK)
        let job = Job(host: host, port: port, fd: fds[1], resolve: resolve)
        if let problem = job.start() {
            close(fds[0])
            close(fds[1])
            let reason = Failure(problem)
            loop.schedule(after: .zero) { completion(.failure(reason)) }
            return nil
        }
        let lookup = Lookup(fd: fds[0], resolver: self)
        do {
            // The watch keeps the resolver and the lookup alive until the answer comes or the lookup is cancelled.
            try loop.watch(fds[0], for: .readable) { _ in
                let result = Self.receive(lookup.fd, host: host)
                self.finish(lookup)
                completion(result)
            }
        } catch {
            close(fds[0])
            let reason = Failure(error.description)
            loop.schedule(after: .zero) { completion(.failure(reason)) }
            return nil
        }
        return lookup
    }

    fileprivate func finish(_ lookup: Lookup) {
        guard lookup.fd >= 0 else { return }
        loop.unwatch(lookup.fd)
        close(lookup.fd)
        lookup.fd = -1
    }

    // MARK: The answer's wire format (one datagram): status byte, then addresses (length, storage) or a reason.

    private static let addressSize = 4 + MemoryLayout<sockaddr_storage>.size

    private static func receive(_ fd: Int32, host: String) -> Result<[SocketAddress], Failure> {
        var record = [UInt8](repeating: 0, count: 1 + maxAddresses * addressSize)
        let n = record.withUnsafeMutableBytes { raw in
            // raw is record's storage for this call.
            recv(fd, raw.baseAddress, raw.count, 0)
        }
        guard n > 0 else { return .failure(Failure("the lookup of \(host) ended without an answer")) }
        if record[0] != 0 {
            return .failure(Failure(String(decoding: record[1..<n], as: UTF8.self)))
        }
        guard n > 1, (n - 1) % addressSize == 0 else { return .failure(Failure("the lookup of \(host) gave a malformed answer")) }
        var addresses: [SocketAddress] = []
        var at = 1
        while at + addressSize <= n {
            var length: UInt32 = 0
            withUnsafeMutableBytes(of: &length) { $0.copyBytes(from: record[at..<(at + 4)]) }
            var storage = sockaddr_storage()
            withUnsafeMutableBytes(of: &storage) { $0.copyBytes(from: record[(at + 4)..<(at + addressSize)]) }
            addresses.append(SocketAddress(storage: storage, length: socklen_t(min(length, UInt32(MemoryLayout<sockaddr_storage>.size)))))
            at += addressSize
        }
        return .success(addresses)
    }

    /// One lookup on its helper thread: everything it needs, immutable, owned by the thread once started.
    private final class Job: Sendable {
        let host: String
        let port: UInt16
        let fd: Int32
        let resolve: ResolveAll

        init(host: String, port: UInt16, fd: Int32, resolve: @escaping ResolveAll) {
            self.host = host
            self.port = port
            self.fd = fd
            self.resolve = resolve
        }

        /// Starts the detached helper thread; nil, or why it could not be started.
        /// The corresponding C function is `pthread_create`.
        func start() -> String? {
            var attributes = pthread_attr_t()
            pthread_attr_init(&attributes)
            defer { pthread_attr_destroy(&attributes) }
            pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED))
            var thread = pthread_t()
            // The retained job is released by the thread (takeRetainedValue), or below if it never starts.
            let context = Unmanaged.passRetained(self).toOpaque()
            let rc = pthread_create(&thread, &attributes, { context in
                let job = Unmanaged<Job>.fromOpaque(context!).takeRetainedValue()
                job.run()
                return nil
            }, context)
            guard rc == 0 else {
                Unmanaged<Job>.fromOpaque(context).release()
                return "cannot start a lookup thread: " + SystemError.message(for: rc)
            }
            return nil
        }

        /// On the helper thread: resolve, send the answer (MSG_NOSIGNAL: the loop may have stopped listening), close.
        func run() {
            var record: [UInt8]
            switch resolve(host, port) {
            case .success(let addresses) where !addresses.isEmpty:
                record = [0]
                for address in addresses.prefix(NameResolver.maxAddresses) {
                    withUnsafeBytes(of: UInt32(address.length)) { record += $0 }
                    withUnsafeBytes(of: address.storage) { record += $0 }
                }
            case .success:
                record = [1] + Array("no address for \(host)".utf8.prefix(400))
            case .failure(let failure):
                record = [1] + Array(failure.description.utf8.prefix(400))
            }
            _ = record.withUnsafeBytes { raw in
                // raw is record's storage for this call.
                send(fd, raw.baseAddress, raw.count, Int32(MSG_NOSIGNAL))
            }
            close(fd)
        }
    }

    /// `getaddrinfo` for a TCP address: the first one it gives. Blocks; runs on a helper thread only.
    public static let getaddrinfo: Resolve = { host, port in
        getaddrinfoAll(host, port).map { $0[0] }
    }

    /// `getaddrinfo` for TCP: every address, in its order (at most ``maxAddresses``). Blocks; helper thread only.
    public static let getaddrinfoAll: ResolveAll = { host, port in
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        let rc = Glibc.getaddrinfo(host, String(port), &hints, &result)
        guard rc == 0, result != nil else {
            let reason = rc == EAI_SYSTEM ? SystemError.message(for: errno) : String(cString: gai_strerror(rc))
            return .failure(Failure(reason))
        }
        defer { freeaddrinfo(result) }
        var addresses: [SocketAddress] = []
        var next = result
        while let info = next, addresses.count < maxAddresses {
            next = info.pointee.ai_next
            guard let addr = info.pointee.ai_addr else { continue }
            var storage = sockaddr_storage()
            let length = min(Int(info.pointee.ai_addrlen), MemoryLayout<sockaddr_storage>.size)
            withUnsafeMutableBytes(of: &storage) { dst in
                // ai_addr points at ai_addrlen valid bytes; we copy at most what sockaddr_storage holds.
                dst.copyMemory(from: UnsafeRawBufferPointer(start: addr, count: length))
            }
            addresses.append(SocketAddress(storage: storage, length: socklen_t(length)))
        }
        return addresses.isEmpty ? .failure(Failure("no address for \(host)")) : .success(addresses)
    }
}

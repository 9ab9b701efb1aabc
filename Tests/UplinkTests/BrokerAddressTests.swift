import Config
import EventLoop
import Glibc
import Modbus
import Testing
@testable import Uplink

/// A broker name with several addresses: the node tries them in turn. The name resolves (through a resolver of
/// the test) to 127.0.0.2, where nothing listens (refused at once), then to 127.0.0.1, where a minimal MQTT
/// listener of the test accepts the CONNECT with a CONNACK.
@Suite struct BrokerAddressTests {
    /// Accepts connections on 127.0.0.1 and answers each CONNECT with CONNACK 0; ignores everything else.
    final class MinimalBroker {
        let fd: Int32
        let port: UInt16
        var clients: [Int32] = []
        var connects = 0

        init(loop: EpollLoop) throws {
            let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let bound = withUnsafeMutablePointer(to: &address) { p in
                p.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, length) == 0 && listen(listener, 4) == 0 && getsockname(listener, $0, &length) == 0 }
            }
            fd = listener
            try #require(listener >= 0 && bound)
            port = UInt16(bigEndian: address.sin_port)
            try loop.watch(fd, for: .readable) { [unowned self] _ in
                let client = accept(self.fd, nil, nil)
                guard client >= 0 else { return }
                _ = fcntl(client, F_SETFL, fcntl(client, F_GETFL) | O_NONBLOCK)
                self.clients.append(client)
                try? loop.watch(client, for: .readable) { [unowned self] _ in
                    var buffer = [UInt8](repeating: 0, count: 4096)
                    let n = buffer.withUnsafeMutableBytes { read(client, $0.baseAddress, $0.count) }
                    // The CONNECT is the client's first packet (type 1); it arrives whole on loopback.
                    if n > 0 && buffer[0] == 0x10 {
                        self.connects += 1
                        let connack: [UInt8] = [0x20, 0x02, 0x00, 0x00]
                        _ = connack.withUnsafeBytes { write(client, $0.baseAddress, $0.count) }
                    }
                    if n == 0 { loop.unwatch(client) }
                }
            }
        }

        func close(loop: EpollLoop) {
            for c in clients { loop.unwatch(c); Glibc.close(c) }
            loop.unwatch(fd)
            Glibc.close(fd)
        }
    }

    @Test func everyResolvedAddressIsTriedInTurn() throws {
        let loop = try EpollLoop()
        let broker = try MinimalBroker(loop: loop)
        defer { broker.close(loop: loop) }
        let resolver = NameResolver(loop: loop, resolveAll: { _, port in
            .success([SocketAddress(numericHost: "127.0.0.2", port: port)!, SocketAddress(numericHost: "127.0.0.1", port: port)!])
        })
        let config = UplinkConfig(brokers: [.init(host: "broker.test", port: broker.port, tls: false)], group: "g", node: "n")
        let node = try SparkplugEdgeNode(config: config, definitions: [.init(name: "Constant", dataType: .int64)], bufferDirectory: temporary.path,
                                         loop: loop, logger: .silent, resolver: resolver) { [.int64(1)] }
        node.start()
        defer { node.stop() }
        let deadline = loop.preciseNow() + .seconds(10)
        while node.stats.connects == 0 && loop.preciseNow() < deadline {
            let tick = loop.schedule(after: .milliseconds(5)) {}
            try loop.runOnce(blocking: true)
            loop.cancel(tick)
        }
        #expect(node.stats.connects == 1)
        #expect(broker.connects == 1)
        #expect(node.stats.connectFailures == 1)
        #expect(node.stats.lastProblem?.includes("127.0.0.2") == true)
    }

    /// Kept until the suite instance (one per test) goes away.
    private let temporary = TemporaryDirectory()
}

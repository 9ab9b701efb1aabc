import EventLoop
import Glibc
import Modbus

/// A TCP port on 127.0.0.1 that nothing listens on now (bound to port 0, read back, closed): tests that must
/// name a server's port in a config before it starts take one, so parallel test runs do not collide.
enum FreePort {
    static func next() -> UInt16 {
        let fd = try! TCPSocket.listen(on: SocketAddress(numericHost: "127.0.0.1", port: 0)!)
        defer { close(fd) }
        return TCPSocket.localAddress(fd).port
    }
}

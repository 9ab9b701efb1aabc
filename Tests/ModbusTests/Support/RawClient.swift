import EventLoop
import Glibc
import Modbus

/// A plain blocking TCP client socket for server tests: the test writes exact bytes and reads what comes back
/// without waiting (the server runs on the same thread's loop between the two).
final class RawClient {
    let fd: Int32

    init(port: UInt16) {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var a = sockaddr_in()
        a.sin_family = sa_family_t(AF_INET)
        a.sin_port = port.bigEndian
        a.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        let rc = withUnsafePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        precondition(rc == 0, "connect: \(SystemError.message(for: errno))")
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
    }

    deinit { close(fd) }

    func send(_ bytes: [UInt8]) {
        _ = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }

    /// Bytes waiting now (empty when none), and whether the server closed the connection.
    func receive() -> (bytes: [UInt8], closed: Bool) {
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n > 0 { out += buffer[0..<n]; continue }
            if n == 0 { return (out, true) }
            return (out, errno == ECONNRESET)
        }
    }

    /// An MBAP frame for `request`.
    static func frame(_ request: ModbusRequest, transaction: UInt16 = 1, unit: UInt8 = 1) -> [UInt8] {
        let pdu = request.pdu
        var out: [UInt8] = []
        MBAPHeader(transaction: transaction, length: UInt16(pdu.count + 1), unit: unit).encode(into: &out)
        return out + pdu
    }
}

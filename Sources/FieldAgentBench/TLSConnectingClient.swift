import EventLoop
import Glibc
import Harness
import TLS

/// The outside world of the Modbus/TCP Security rows of `fieldagent-bench modbus-adversaries`: a client that opens
/// TLS connections to the agent back to back (connect, full handshake with its certificate, one read, close), as
/// a reconnect storm or someone probing port 802 would.
enum TLSConnectingClient {
    /// What the client got.
    struct Result: Sendable {
        /// Handshakes that completed and got a correct answer.
        var completed = 0
        /// Connections that failed (handshake refused or no answer).
        var failed = 0
    }

    /// FC 4: read the first 10 input registers (the agent's status block; the answer is 29 bytes).
    static let readStatus: [UInt8] = [0, 1, 0, 0, 0, 6, 1, 4, 0, 0, 0, 10]

    /// Connects to 127.0.0.1:`port` over and over until `end`, as `identity`, verifying the server's certificate.
    static func run(port: UInt16, identity: TLSIdentity, until end: Instant) -> Result {
        var result = Result()
        guard let context = try? TLSContext(server: false, identity: identity) else { return result }
        var answer = [UInt8](repeating: 0, count: 64)
        while MonotonicClock.now() < end {
            guard let fd = ModbusAdversaries.connect(port: port) else {
                result.failed += 1
                ModbusAdversaries.sleep(until: min(MonotonicClock.now() + .milliseconds(10), end))
                continue
            }
            defer { close(fd) }
            guard let session = try? TLSSession(context: context, fd: fd, host: "127.0.0.1"), case .done = session.handshake() else {
                result.failed += 1
                continue
            }
            let request = readStatus
            let sent = request.withUnsafeBytes { session.write(from: $0.baseAddress!, count: $0.count) }
            var got = 0
            while got < 29, case .done(let n) = answer.withUnsafeMutableBytes({ session.read(into: $0.baseAddress! + got, count: 29 - got) }), n > 0 {
                got += n
            }
            if sent == .done(request.count) && got == 29 && answer[7] == 4 { result.completed += 1 } else { result.failed += 1 }
            session.close()
        }
        return result
    }
}

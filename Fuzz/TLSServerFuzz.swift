// libFuzzer entry point over the TLS-wrapped Modbus server (Modbus/TCP Security): the server on a manual loop
// with mutual TLS and roles, fed over loopback by an in-process client. The first byte picks what the input is:
//   0: raw bytes before any handshake (a broken or hostile ClientHello, plaintext on the TLS port);
//   1: MBAP frames inside TLS from an operator (may read everything, write holding registers 0-9 only);
//   2: MBAP frames inside TLS from a client whose certificate has no role (may do nothing).
// The rest is sent in pieces (each byte ≥ 0xF0 cuts a piece). Built by `make fuzz-tls` (mk/fuzz.mk).
// A crash, a trap or a hang is a bug; so is a write outside the role's rights reaching the map, an answer that
// is not a well-formed MBAP frame, or a connection slot that is not given back once the client has gone.
import EventLoop
import Glibc
import Modbus
import TLS

private final class Rig {
    let loop = ManualLoop()
    let map = MemoryRegisterMap(size: 64)
    let server: ModbusTCPServer
    let operatorContext: TLSContext
    let noRoleContext: TLSContext
    var writesOutsideRights = 0

    init() {
        var template = Array("/tmp/fieldagent-tls-fuzz-XXXXXX".utf8CString)
        let dir = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)) }
        let pki = PlantPKI(directory: dir + "/pki")
        try! pki.makeCA()
        try! pki.issue("server", roles: ["agent"], hosts: ["127.0.0.1"])
        try! pki.issue("operator", roles: ["operator"])
        try! pki.issue("norole", roles: [])
        let operatorRights = ModbusAccessRights(read: ModbusAccessRights.readOnly.read, write: [.holdingRegisters: [0...9]])
        var configuration = ModbusServerConfiguration(bindAddress: "127.0.0.1", port: 0, maxConnections: 4)
        configuration.handshakeTimeout = .milliseconds(300)
        server = ModbusTCPServer(loop: loop, map: map, configuration: configuration,
                                 tls: try! TLSContext(server: true, identity: pki.identity("server")),
                                 access: .byRole(["operator": operatorRights]))
        try! server.start()
        operatorContext = try! TLSContext(server: false, identity: pki.identity("operator"))
        noRoleContext = try! TLSContext(server: false, identity: pki.identity("norole"))
        map.onWrite = { [unowned self] write in
            if write.table != .holdingRegisters || Int(write.address) + write.count > 10 { self.writesOutsideRights += 1 }
        }
    }

    /// Lets the server's loop work: `steps` × 10 ms of virtual time, ready descriptors at each step.
    func pump(_ steps: Int = 1) {
        for _ in 0..<steps {
            loop.advance(by: .milliseconds(10))
            var quiet = 0
            while quiet < 3 { quiet = loop.runReadyIO() == 0 ? quiet + 1 : 0 }
        }
    }

    func connect() -> Int32 {
        let fd = try! TCPSocket.startConnect(to: SocketAddress(numericHost: "127.0.0.1", port: server.port)!)
        pump()
        return fd
    }

    /// Checks the answers: each a complete MBAP frame (protocol 0, length 3…254).
    func checkAnswers(_ bytes: [UInt8]) {
        var i = 0
        while i + 7 <= bytes.count {
            precondition(bytes[i + 2] == 0 && bytes[i + 3] == 0, "answer with protocol id \(bytes[i + 2]) \(bytes[i + 3])")
            let length = Int(bytes[i + 4]) << 8 | Int(bytes[i + 5])
            precondition(length >= 3 && length <= 254, "answer length \(length)")
            i += 6 + length
        }
    }

    func run(_ bytes: [UInt8]) {
        guard let mode = bytes.first else { return }
        var pieces: [[UInt8]] = [[]]
        for b in bytes.dropFirst() {
            if b >= 0xF0 { pieces.append([]) } else { pieces[pieces.count - 1].append(b) }
        }
        let fd = connect()
        var answers: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        switch mode % 3 {
        case 0:
            for piece in pieces where !piece.isEmpty {
                _ = piece.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                pump()
            }
        default:
            let session = try! TLSSession(context: mode % 3 == 1 ? operatorContext : noRoleContext, fd: fd, host: "127.0.0.1")
            var steps = 0
            while steps < 50 {
                if case .done = session.handshake() { break }
                pump()
                steps += 1
            }
            precondition(session.established, "the handshake with a valid client did not finish: \(session.lastError)")
            for piece in pieces where !piece.isEmpty {
                var sent = 0
                while sent < piece.count {
                    let step = piece.withUnsafeBytes { session.write(from: $0.baseAddress! + sent, count: $0.count - sent) }
                    guard case .done(let n) = step else { break }
                    sent += n
                }
                pump()
                while case .done(let n) = buffer.withUnsafeMutableBytes({ session.read(into: $0.baseAddress!, count: $0.count) }), n > 0 {
                    answers += buffer[0..<n]
                }
            }
            session.close()
        }
        close(fd)
        pump(2)
        checkAnswers(answers)
        precondition(writesOutsideRights == 0, "a write outside the role's rights reached the map")
        // Slots come back: the client is gone, so is its connection (at the latest after the handshake timeout).
        pump(40)
        precondition(server.connections.isEmpty, "\(server.connections.count) connections left after the client closed")
    }
}

private let rig = Rig()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    // data points at `size` bytes libFuzzer owns for this call; we copy them.
    rig.run(Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}

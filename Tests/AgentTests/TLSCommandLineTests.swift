import Agent
import EventLoop
import Glibc
import Testing

/// `fieldagent pki` and `fieldagent modbus read|write|serve` over TLS, as a user types them: a PKI made by the
/// command, a TLS server with roles, an operator that may write and a viewer that may not.
@Suite struct TLSCommandLineTests {
    /// Runs `fieldagent arguments` to the end; its exit status and output.
    func run(_ arguments: [String]) throws -> (Int32?, String) {
        let p = try AgentProcess(arguments)
        p.waitForExit(timeout: .seconds(20))
        return (p.exitStatus, p.text)
    }

    @Test(.enabled(if: AgentProcess.binary != nil, "the fieldagent binary is built with the tests"))
    func aPKIFromTheCommandAndTLSReadsAndWritesByRole() throws {
        let dir = try makeTemporaryDirectory("tls-cli") + "/pki"
        for args in [["pki", "init", "--dir", dir], ["pki", "issue", "plc", "--role", "agent", "--host", "127.0.0.1", "--dir", dir],
                     ["pki", "issue", "hmi", "--role", "operator", "--dir", dir], ["pki", "issue", "viewer", "--role", "viewer", "--dir", dir]] {
            let (status, out) = try run(args)
            #expect(status == 0, "\(args): \(out)")
        }
        let (again, refusal) = try run(["pki", "init", "--dir", dir])
        #expect(again == 2 && refusal.contains("refusing to replace the plant's CA"), "\(refusal)")
        var st = stat()
        #expect(stat(dir + "/hmi.key", &st) == 0 && st.st_mode & 0o777 == 0o600)

        let server = try AgentProcess(["modbus", "serve", "--bind", "127.0.0.1", "--port", "0", "--set", "holding:0=42",
                                       "--ca", dir + "/ca.crt", "--cert", dir + "/plc.crt", "--key", dir + "/plc.key",
                                       "--role", "operator=write", "--role", "viewer=read"])
        defer { kill(server.pid, SIGINT); server.waitForExit(timeout: .seconds(5)) }
        let listening = server.firstLine(timeout: .seconds(10)) ?? ""
        let address = listening.split(separator: " ").last.map(String.init) ?? ""
        #expect(listening.contains("listening 127.0.0.1:"), "\(server.text)")
        func id(_ name: String) -> [String] { ["--ca", dir + "/ca.crt", "--cert", "\(dir)/\(name).crt", "--key", "\(dir)/\(name).key"] }

        let (r1, o1) = try run(["modbus", "read", "tls://\(address)", "--table", "holding", "--address", "0"] + id("viewer"))
        #expect(r1 == 0 && o1 == "0 42\n", "\(o1)")
        let (w1, o2) = try run(["modbus", "write", "tls://\(address)", "--table", "holding", "--address", "1", "7"] + id("viewer"))
        #expect(w1 == 4 && o2.contains("illegal-function (Modbus exception 1)"), "\(o2)")
        let (w2, o3) = try run(["modbus", "write", "tls://\(address)", "--table", "holding", "--address", "1", "7"] + id("hmi"))
        #expect(w2 == 0 && o3.contains("wrote 1 register at 1"), "\(o3)")
        let (r2, o4) = try run(["modbus", "read", "tls://\(address)", "--table", "holding", "--address", "0", "--count", "2"] + id("hmi"))
        #expect(r2 == 0 && o4 == "0 42\n1 7\n", "\(o4)")
        let (u1, o5) = try run(["modbus", "read", "tls://\(address)", "--table", "holding", "--address", "0"])
        #expect(u1 == 2 && o5.contains("give --ca, --cert and --key"), "\(o5)")
        let (p1, o6) = try run(["modbus", "read", "tcp://\(address)", "--table", "holding", "--address", "0"])
        #expect(p1 == 1 && !o6.contains("0 42"), "a plaintext client gets nothing from the TLS port: \(o6)")
        #expect(Self.contains(server, "event=modbus.server.role-refused") && Self.contains(server, "event=modbus.tls.handshake-failed"), "\(server.text)")
    }

    static func contains(_ p: AgentProcess, _ text: String) -> Bool {
        let deadline = MonotonicClock.now() + .seconds(5)
        while MonotonicClock.now() < deadline {
            if p.text.contains(text) { return true }
            var pause = timespec(tv_sec: 0, tv_nsec: 10_000_000)
            nanosleep(&pause, nil)  // polling another process's output
        }
        return false
    }

    @Test(.enabled(if: AgentProcess.binary != nil, "the fieldagent binary is built with the tests"))
    func checkSaysWhatPlaintextMayDoBesideTLS() throws {
        var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(3)
        let example = parts.joined(separator: "/") + "/Examples/secure-peers.yaml"
        let (status, out) = try run(["check", "--config", example])
        #expect(status == 0, "\(out)")
        #expect(out.contains("Modbus/TCP Security (mutual TLS) on 127.0.0.1:1802 with roles agent operator scada"), "\(out)")
        #expect(out.contains("plaintext Modbus TCP on 127.0.0.1:1502 for reads only (writes get exception 01)"), "\(out)")
    }
}

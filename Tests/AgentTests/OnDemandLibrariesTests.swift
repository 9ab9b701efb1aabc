import Agent
import EventLoop
import Glibc
import Modbus
import Testing
import TLS

/// OpenSSL and libmosquitto are loaded with dlopen when a config first uses TLS or the uplink, not linked: the real
/// binary without them maps neither (read from its /proc/PID/maps), with TLS it maps OpenSSL and serves over it,
/// and without OpenSSL installed it says which package to install. (The uplink's side: Tests/Uplink/uplink_tests.py.)
@Suite struct OnDemandLibrariesTests {
    /// The file names of the shared objects the process `pid` maps now.
    static func mappedLibraries(_ pid: pid_t) -> Set<String> {
        guard let f = fopen("/proc/\(pid)/maps", "r") else { return [] }
        defer { fclose(f) }
        var names: Set<String> = []
        var line = [CChar](repeating: 0, count: 4096)
        while fgets(&line, Int32(line.count), f) != nil {
            let text = Self.text(line).trimmingSuffix("\n")
            guard let slash = text.lastIndex(of: "/") else { continue }
            names.insert(String(text[text.index(after: slash)...]))
        }
        return names
    }

    /// The text in a NUL-terminated C buffer.
    static func text(_ buffer: [CChar]) -> String {
        String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    static func isOpenSSLOrMosquitto(_ name: String) -> Bool {
        name.hasPrefix("libssl.so") || name.hasPrefix("libcrypto.so") || name.hasPrefix("libmosquitto.so")
    }

    /// Runs the agent on `config` (written to a new directory) until `ready` shows in its output.
    static func start(_ config: String, in dir: String, until ready: String) throws -> AgentProcess {
        let path = dir + "/agent.yaml"
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        var text = config
        _ = text.withUTF8 { write(fd, $0.baseAddress, $0.count) }
        close(fd)
        let agent = try AgentProcess(["run", "--config", path, "--gpio", "mock", "--mock-socket", dir + "/chip.sock",
                                      "--status-socket", "none", "--metrics-dir", "none"])
        #expect(agent.waitFor(ready), "\(agent.text)")
        return agent
    }

    @Test(.enabled(if: AgentProcess.binary != nil, "the fieldagent binary is built with the tests"))
    func anAgentWithoutTLSOrUplinkMapsNeitherOpenSSLNorLibmosquitto() throws {
        let dir = try makeTemporaryDirectory("no-tls")
        let agent = try Self.start("""
            board: sim
            name: no-tls-\(getpid())
            outputs:
              - {name: lamp, pin: GPIO27, initial: on, safe: off}
            server:
              bind: 127.0.0.1
              port: \(FreePort.next())

            """, in: dir, until: "event=modbus.serving")
        defer { kill(agent.pid, SIGTERM); agent.waitForExit(timeout: .seconds(10)) }
        let mapped = Self.mappedLibraries(agent.pid)
        #expect(mapped.contains { $0.hasPrefix("libmodbus.so") }, "the maps were read: the linked libraries show (\(mapped.sorted()))")
        #expect(!mapped.contains { Self.isOpenSSLOrMosquitto($0) }, "\(mapped.sorted())")
    }

    @Test(.enabled(if: AgentProcess.binary != nil, "the fieldagent binary is built with the tests"))
    func anAgentServingTLSLoadsOpenSSLAndAnswersOverIt() throws {
        let dir = try makeTemporaryDirectory("tls-load")
        let pki = PlantPKI(directory: dir + "/pki")
        try pki.makeCA()
        try pki.issue("agent", roles: ["agent"], hosts: ["127.0.0.1"])
        try pki.issue("hmi", roles: ["operator"])
        let tlsPort = FreePort.next()
        let agent = try Self.start("""
            board: sim
            name: tls-load-\(getpid())
            outputs:
              - {name: lamp, pin: GPIO27, initial: on, safe: off}
            server:
              bind: 127.0.0.1
              port: \(FreePort.next())
              plain: off
              tls:
                port: \(tlsPort)
                ca: \(pki.caCertificate)
                cert: \(pki.certificate("agent"))
                key: \(pki.key("agent"))
                roles:
                  operator: {read: [all]}

            """, in: dir, until: "event=modbus.tls.serving")
        defer { kill(agent.pid, SIGTERM); agent.waitForExit(timeout: .seconds(10)) }
        let mapped = Self.mappedLibraries(agent.pid)
        #expect(mapped.contains { $0.hasPrefix("libssl.so.3") } && mapped.contains { $0.hasPrefix("libcrypto.so.3") }, "\(mapped.sorted())")
        #expect(!mapped.contains { $0.hasPrefix("libmosquitto.so") }, "no uplink: \(mapped.sorted())")

        let loop = try EpollLoop()
        let client = try ModbusClient(loop: loop, endpoint: .tls(host: "127.0.0.1", port: tlsPort),
                                      tls: try TLSContext(server: false, identity: pki.identity("hmi")))
        var result: Result<ModbusResponse, ModbusError>?
        client.send(.read(table: .inputRegisters, address: 0, count: 1), unit: 1) { result = $0 }
        var expired = false
        let timer = loop.schedule(after: .seconds(10)) { expired = true }
        while result == nil && !expired { try loop.runOnce() }
        loop.cancel(timer)
        #expect(result == .success(.registers([RegisterLayout.version])), "the map version over TLS")
    }

    /// Whether this process may hide a file from a child in a mount namespace of its own (root, unshare(1)).
    static let canHideFiles: Bool = {
        // Under qemu-user (make test-arm64) the binary loads the sysroot's libssl, not the one ldconfig names.
        guard geteuid() == 0, access("/usr/bin/unshare", X_OK) == 0, getenv("QEMU_LD_PREFIX") == nil else { return false }
        return shell("unshare --mount --propagation private true").status == 0
    }()

    /// Runs `command` with sh; its exit status and output.
    static func shell(_ command: String) -> (status: Int32, output: String) {
        guard let dir = try? makeTemporaryDirectory("shell") else { return (-1, "no temporary directory") }
        let out = dir + "/out"
        let status = system("(\(command)) >\(out) 2>&1")
        var text = ""
        if let f = fopen(out, "r") {
            var buffer = [CChar](repeating: 0, count: 4096)
            while fgets(&buffer, Int32(buffer.count), f) != nil { text += Self.text(buffer) }
            fclose(f)
        }
        return (status == -1 ? -1 : (status >> 8) & 0xFF, text)
    }

    @Test(.enabled(if: AgentProcess.binary != nil && canHideFiles, "the built binary, and root with unshare(1) to hide OpenSSL"))
    func withoutOpenSSLInstalledTLSSaysWhichPackageToInstall() throws {
        // libssl.so.3 where the dynamic loader finds it (merged /usr: /lib is /usr/lib), replaced by an empty file
        // in a mount namespace of the child's own: the rest of the machine keeps it.
        let found = Self.shell("ldconfig -p | sed -n 's/.*libssl\\.so\\.3 .*=> //p' | head -1")
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let library = found.output.trimmingSuffix("\n")
        try #require(!library.isEmpty && realpath(library, &buffer) != nil, "libssl.so.3 in ldconfig's cache: \(found.output)")
        let resolved = Self.text(buffer)
        let dir = try makeTemporaryDirectory("no-openssl")
        let binary = AgentProcess.binary ?? ""
        let run = Self.shell("unshare --mount --propagation private sh -c 'mount --bind /dev/null \(resolved) && "
                             + "exec \(binary) pki init --dir \(dir)/pki'")
        #expect(run.status == 1, "\(run.output)")
        #expect(run.output.contains("TLS needs OpenSSL 3 (libssl.so.3), which cannot be loaded") && run.output.contains("libssl3t64"), "\(run.output)")
        // The agent itself still starts without it when its config does not use TLS.
        let plain = Self.shell("unshare --mount --propagation private sh -c 'mount --bind /dev/null \(resolved) && "
                               + "exec \(binary) --version'")
        #expect(plain.status == 0 && plain.output.hasPrefix("fieldagent "), "\(plain.output)")
    }
}

private extension String {
    func trimmingSuffix(_ suffix: String) -> String { hasSuffix(suffix) ? String(dropLast(suffix.count)) : self }
}

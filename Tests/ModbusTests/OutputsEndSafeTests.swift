import EventLoop
import Glibc
import Modbus
import Testing

/// Outputs end safe even when the agent dies: the agent (`fieldagent run`, a process) drives a simulated
/// machine (`fieldagent machine`, another process) to a non-safe load; the agent is killed in a way that gives
/// it no chance to drive anything; `fieldagent safe` (what systemd's ExecStopPost runs) then drives and
/// verifies the safe value, and the machine's register is read afterwards by this test.
@Suite(.serialized) struct OutputsEndSafeTests {
    /// `fieldagent` built beside the running test bundle (so make test-arm64 runs the arm64 one under qemu-user),
    /// else the repository's debug build.
    static let binary: String = {
        var buffer = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        if n > 0 {
            var dir = String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            while let last = dir.last, last != "/" { dir.removeLast() }
            if access(dir + "fieldagent", X_OK) == 0 { return dir + "fieldagent" }
        }
        return TestEnvironment.root + "/.build/debug/fieldagent"
    }()

    /// A config for one line reading the machine's 12 values and driving its load (safe 0, normal 100).
    static func config(machinePort: UInt16) -> String {
        let names = ["vibration_rms_g", "vibration_peak_g", "vibration_crest", "vibration_kurtosis", "vibration_high_band",
                     "dominant_frequency_hz", "bearing_temperature_c", "temperature_rise_c", "motor_current_a",
                     "current_imbalance_pct", "speed_rpm", "power_factor"]
        var text = """
        board: sim
        name: doomed
        outputs:
          - {name: motor, pin: GPIO22, safe: off}
        modbus:
          - name: machine
            endpoint: tcp://127.0.0.1:\(machinePort)
            timeout: 200ms
            points:
              - {name: values, table: input, address: 0, count: 12, type: float32, poll: 100ms}
              - {name: load, table: holding, address: 0, writable: true, safe: 0}
        features:

        """
        for (i, n) in names.enumerated() { text += "  - {name: \(n), from: \"machine.values[\(i)]\"}\n" }
        text += """
        decide:
          every: 200ms
          confirm: 2
          actions:
            normal: [motor on, machine.load 100]
            fault: [motor off, machine.load 0]

        """
        return text
    }

    /// The machine's load register (holding 0), read by a client of this test; nil when it does not answer.
    static func load(port: UInt16) -> UInt16? {
        guard let loop = try? EpollLoop(), let client = try? ModbusClient(loop: loop, endpoint: .tcp(host: "127.0.0.1", port: port)) else { return nil }
        defer { client.close() }
        var value: UInt16?
        var done = false
        client.send(.read(table: .holdingRegisters, address: 0, count: 1), unit: 1) { result in
            if case .success(.registers(let r)) = result { value = r.first }
            done = true
        }
        TestEnvironment.run(loop, timeout: .seconds(3)) { done }
        return value
    }

    static func write(load: UInt16, port: UInt16) {
        guard let loop = try? EpollLoop(), let client = try? ModbusClient(loop: loop, endpoint: .tcp(host: "127.0.0.1", port: port)) else { return }
        defer { client.close() }
        var done = false
        client.send(.writeSingleRegister(address: 0, value: load), unit: 1) { _ in done = true }
        TestEnvironment.run(loop, timeout: .seconds(3)) { done }
    }

    static func writeFile(_ path: String, _ text: String) -> Bool {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var text = text
        return text.withUTF8 { Glibc.write(fd, $0.baseAddress, $0.count) } == text.utf8.count
    }

    static func waitFor(_ timeout: Duration, _ condition: () -> Bool) -> Bool {
        let deadline = MonotonicClock.now() + timeout
        while MonotonicClock.now() < deadline {
            if condition() { return true }
            var ts = timespec(tv_sec: 0, tv_nsec: 50_000_000)
            nanosleep(&ts, nil)  // polling other processes' state, not synchronising our own code
        }
        return condition()
    }

    /// SIGKILL (nothing can run), SIGABRT (what systemd's watchdog sends), SIGSEGV (a trap).
    @Test(arguments: [SIGKILL, SIGABRT, SIGSEGV])
    func anAgentKilledWhileDrivingANonSafeValueEndsSafeOnceFieldagentSafeHasRun(signal: Int32) throws {
        guard access(Self.binary, X_OK) == 0 else {
            Issue.record("\(Self.binary) not found: swift build first")
            return
        }
        let dir = TestEnvironment.temporaryDirectory()
        let port = TestEnvironment.freePort()
        let machine = try ChildProcess(Self.binary, ["machine", "--port", "\(port)", "--bind", "127.0.0.1", "--severity", "0", "--noise", "0"])
        #expect(TestEnvironment.waitForListener(port: port))
        Self.write(load: 55, port: port)          // not the agent's: the agent must write its own values
        let path = dir + "/doomed.yaml"
        let text = Self.config(machinePort: port)
        #expect(Self.writeFile(path, text))
        // SWIFT_BACKTRACE: the runtime's crash reporter would delay the trap's exit.
        let agent = try ChildProcess(Self.binary, ["run", "--config", path, "--gpio", "mock", "--mock-socket", dir + "/mock.sock",
                                                   "--status-socket", "none", "--metrics-dir", "none", "--state-dir", "none"],
                                     environment: ["SWIFT_BACKTRACE": "enable=no"])
        // The agent decides normal and drives load 100: a value that is not safe.
        #expect(Self.waitFor(.seconds(15)) { Self.load(port: port) == 100 }, "the agent never drove the load: \(agent.text)")
        kill(agent.pid, signal)
        let status = agent.wait(timeout: .seconds(10))
        #expect(status == 128 + signal, "exit status \(String(describing: status)); output: \(agent.text)")
        if signal == SIGKILL {
            #expect(Self.load(port: port) == 100, "the load changed without the agent: the test would prove nothing")
        }
        // What systemd runs after any exit of the service.
        let safe = try ChildProcess(Self.binary, ["safe", "--config", path, "--gpio", "mock", "--timeout", "3"])
        #expect(safe.wait(timeout: .seconds(10)) == 0, "fieldagent safe: \(safe.text)")
        #expect(safe.text.contains("confirmed  machine.load = 0"))
        #expect(safe.text.contains("2 of 2 actuators confirmed at the safe value"))
        #expect(Self.load(port: port) == 0)
        machine.terminate()
        unlink(path)
        rmdir(dir)
    }

    @Test func fieldagentSafeReportsAnActuatorItCouldNotConfirmAndExitsWithFailure() throws {
        guard access(Self.binary, X_OK) == 0 else {
            Issue.record("\(Self.binary) not found: swift build first")
            return
        }
        let dir = TestEnvironment.temporaryDirectory()
        let path = dir + "/doomed.yaml"
        let text = Self.config(machinePort: TestEnvironment.freePort())   // nothing listens there
        #expect(Self.writeFile(path, text))
        let safe = try ChildProcess(Self.binary, ["safe", "--config", path, "--gpio", "mock", "--timeout", "1"])
        #expect(safe.wait(timeout: .seconds(10)) == 1)
        #expect(safe.text.contains("confirmed  motor = off"))
        #expect(safe.text.contains("FAILED     machine.load = 0"))
        #expect(safe.text.contains("NOT SAFE: machine.load"))
        unlink(path)
        rmdir(dir)
    }
}

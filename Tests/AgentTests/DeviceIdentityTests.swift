import Agent
import Boards
import Config
import EventLoop
import Modbus
import Service
import Testing

/// `security:` on the polling side: a sensor swapped for another device that answers the same endpoint
/// differently is flagged (log, status, metric, alarm bit 11) within a few polls, on real loopback sockets.
@Suite(.serialized) struct DeviceIdentityTests {
    @Test func aSensorSwappedForADeviceWithAnotherMapIsFlagged() throws {
        let loop = ManualLoop()
        let machine = try FakeMachine(loop: loop)
        machine.set(MachinePoints.normal)
        let port = machine.server.port
        let text = lineConfig(name: "line-a", machinePort: port, serverPort: 1)
            + "security: {learn: 5s}\n"
        let line = try DecisionPipelineTests.Line(text, loop: loop)
        let identity = try #require(line.agent.identity)
        pump(loop, .seconds(8))
        #expect(identity.suspects.isEmpty)
        #expect((identity.devices["machine"]?.answers ?? 0) > 40)
        #expect(!line.agent.alarms.contains(.identity))

        // The sensor is swapped: another device on the same address and port, with only 8 input registers.
        machine.server.stop()
        let other = ModbusTCPServer(loop: loop, map: MemoryRegisterMap(coils: 0, discreteInputs: 0, holdingRegisters: 2, inputRegisters: 8),
                                    configuration: ModbusServerConfiguration(bindAddress: "127.0.0.1", port: port))
        try other.start()
        defer { other.stop() }
        var took: Duration?
        let start = loop.now
        while loop.now - start < .seconds(5) {
            pump(loop, .milliseconds(100))
            if !identity.suspects.isEmpty { took = loop.now - start; break }
        }
        #expect(took != nil && took! <= .seconds(2), "flagged after \(String(describing: took))")
        #expect(identity.suspects == ["machine"])
        #expect(identity.devices["machine"]?.suspect?.contains("answered ok while learning, now illegal-data-address") == true)
        #expect(line.agent.alarms.contains(.identity))
        #expect(line.agent.statusText().contains("device machine:") && line.agent.statusText().contains("possible swap or spoof"))
        #expect(PrometheusText.render(line.agent.metricFamilies()).contains("fieldagent_device_identity_suspect{agent=\"line-a\",device=\"machine\"} 1\n"))
        line.agent.shutdown(reason: "test")
    }

    @Test func aSensorReplacedByOneWithTheSameMapButAnotherDeviceIdentificationIsFlagged() throws {
        let loop = ManualLoop()
        let machine = try FakeMachine(loop: loop)
        machine.set(MachinePoints.normal)
        machine.server.setIdentity(DeviceIdentification([0x00: "Acme", 0x01: "FM-100", 0x02: "2.1"]))
        let port = machine.server.port
        let line = try DecisionPipelineTests.Line(lineConfig(name: "line-a", machinePort: port, serverPort: 1) + "security: {learn: 5s}\n", loop: loop)
        let identity = try #require(line.agent.identity)
        pump(loop, .seconds(8))
        #expect(identity.suspects.isEmpty)
        #expect(identity.devices["machine"]?.points["identification"] == "'Acme' 'FM-100' '2.1'")

        // The same register map and values, served by a device that identifies as another product.
        machine.server.stop()
        let other = ModbusTCPServer(loop: loop, map: machine.map, configuration: ModbusServerConfiguration(bindAddress: "127.0.0.1", port: port))
        other.setIdentity(DeviceIdentification([0x00: "Acme", 0x01: "FM-100", 0x02: "9.9"]))
        try other.start()
        defer { other.stop() }
        var took: Duration?
        let start = loop.now
        while loop.now - start < .seconds(10) {
            pump(loop, .milliseconds(100))
            if !identity.suspects.isEmpty { took = loop.now - start; break }
        }
        #expect(took != nil && took! <= Agent.identificationInterval + .seconds(1), "flagged after \(String(describing: took))")
        #expect(identity.devices["machine"]?.suspect == "identifies as 'Acme' 'FM-100' '9.9', was 'Acme' 'FM-100' '2.1' while learning")
        #expect(line.agent.alarms.contains(.identity))
        line.agent.shutdown(reason: "test")
    }

    @Test func aPeerWhoseStatusBlockNamesAnotherAgentIsFlagged() throws {
        let loop = ManualLoop()
        // A peer serving a map of this version, named line-b in its identity registers.
        let peer = try PeerSetTests.StrangePeer(loop: loop, version: RegisterLayout.version)
        defer { peer.server.stop() }
        func name(_ n: String) {
            for (i, r) in PeerStatus.identityRegisters(n).enumerated() { peer.map.inputRegisters[Int(RegisterLayout.identity) + i] = r }
        }
        name("line-b")
        peer.map.inputRegisters[Int(RegisterLayout.state)] = RegisterLayout.State.deciding.rawValue
        let text = """
            board: sim
            name: line-a
            outputs:
              - {name: lamp, pin: GPIO22}
            peers:
              - {name: line-b, host: 127.0.0.1, port: \(peer.server.port), interval: 200ms, timeout: 100ms}
            server: {bind: 127.0.0.1, port: 1}
            security: {learn: 3s}

            """
        let line = try DecisionPipelineTests.Line(text, loop: loop)
        let identity = try #require(line.agent.identity)
        for _ in 0..<40 {
            peer.map.inputRegisters[Int(RegisterLayout.heartbeat)] &+= 1
            pump(loop, .milliseconds(100))
        }
        #expect(identity.suspects.isEmpty)
        #expect((identity.devices["peer line-b"]?.answers ?? 0) > 10)
        // Something else now answers at line-b's address, with another name.
        name("rogue")
        for _ in 0..<5 {
            peer.map.inputRegisters[Int(RegisterLayout.heartbeat)] &+= 1
            pump(loop, .milliseconds(100))
        }
        #expect(identity.suspects == ["peer line-b"])
        #expect(identity.devices["peer line-b"]?.suspect == "answers as 'rogue', was 'line-b' while learning")
        #expect(line.agent.alarms.contains(.identity))
        line.agent.shutdown(reason: "test")
    }
}

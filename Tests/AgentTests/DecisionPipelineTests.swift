import Agent
import Boards
import Config
import EventLoop
import GPIO
import Modbus
import Service
import Testing
import YAML

/// The machine-health model's class operating points (Models/train/train.py), in model input order.
enum MachinePoints {
    static let normal: [Float] = [0.25, 0.80, 3.2, 3.0, 0.10, 25.0, 48.0, 0.2, 8.0, 1.5, 1480, 0.86]
    static let degraded: [Float] = [0.55, 1.90, 3.6, 3.9, 0.18, 25.5, 58.0, 0.9, 8.9, 3.2, 1472, 0.83]
    static let fault: [Float] = [1.10, 4.20, 4.4, 6.5, 0.32, 27.0, 72.0, 2.4, 10.2, 6.5, 1455, 0.78]
}

/// A Modbus TCP sensor on the test's loop: the 12 machine values as float32 input registers 0–23, a writable
/// holding register 0 (load).
final class FakeMachine {
    let map = MemoryRegisterMap(coils: 1, discreteInputs: 1, holdingRegisters: 2, inputRegisters: 24)
    let server: ModbusTCPServer

    init(loop: EventLoop) throws {
        server = ModbusTCPServer(loop: loop, map: map, configuration: ModbusServerConfiguration(bindAddress: "127.0.0.1", port: 0))
        try server.start()
        map.holdingRegisters[0] = 100
    }

    func set(_ values: [Float]) {
        for (i, v) in values.enumerated() {
            map.inputRegisters[2 * i] = UInt16(v.bitPattern >> 16)
            map.inputRegisters[2 * i + 1] = UInt16(v.bitPattern & 0xFFFF)
        }
    }
}

/// A config for one line: the machine's 12 values as the model's features, three outputs, the load command.
func lineConfig(name: String, machinePort: UInt16, serverPort: UInt16? = nil, peer: (name: String, port: UInt16)? = nil) -> String {
    let names = ["vibration_rms_g", "vibration_peak_g", "vibration_crest", "vibration_kurtosis", "vibration_high_band",
                 "dominant_frequency_hz", "bearing_temperature_c", "temperature_rise_c", "motor_current_a",
                 "current_imbalance_pct", "speed_rpm", "power_factor"]
    var text = """
    board: sim
    name: \(name)
    outputs:
      - {name: motor, pin: GPIO22, safe: off}
      - {name: warn_lamp, pin: GPIO23, safe: on}
      - {name: standby, pin: GPIO24, safe: off}
    modbus:
      - name: machine
        endpoint: tcp://127.0.0.1:\(machinePort)
        timeout: 100ms
        retries: 0
        down_after: 2
        points:
          - {name: values, table: input, address: 0, count: 12, type: float32, poll: 100ms}
          - {name: load, table: holding, address: 0, writable: true, safe: 0}
    features:

    """
    for (i, n) in names.enumerated() {
        let window = i == 0 ? ", take: mean, over: 3" : ""
        let range = i == 6 ? ", range: [-40, 200]" : ""
        text += "  - {name: \(n), from: \"machine.values[\(i)]\"\(window)\(range)}\n"
    }
    text += """
    decide:
      every: 200ms
      confirm: 2
      min_dwell: 1s
      actions:
        normal: [motor on, warn_lamp off, machine.load 100]
        degraded: [motor on, warn_lamp on, machine.load 80]
        fault: [motor off, warn_lamp on, machine.load 0]

    """
    if let peer {
        text += """
          overrides:
            - when: \(peer.name) is fault
              do: [standby on]
            - when: command reduce-load
              do: [machine.load 50]
        peers:
          - {name: \(peer.name), host: 127.0.0.1, port: \(peer.port), interval: 200ms, timeout: 100ms}

        """
    }
    if let serverPort { text += "server: {bind: 127.0.0.1, port: \(serverPort)}\n" }
    return text
}

/// Moves virtual time in 10 ms steps, letting loopback sockets do their work at each step.
func pump(_ loop: ManualLoop, _ duration: Duration) {
    let end = loop.now + duration
    while loop.now < end {
        loop.advance(by: .milliseconds(10))
        var quiet = 0
        while quiet < 3 { quiet = loop.runReadyIO() == 0 ? quiet + 1 : 0 }
    }
}

@Suite(.serialized) struct DecisionPipelineTests {
    struct Line {
        let loop: ManualLoop
        let chips: ChipSet
        let agent: Agent
        var chip: MockChip { chips.mockChips[0] }
        func level(_ name: String) -> Bool { chip.level(ofLine: chip.line(named: name)!) }

        init(_ text: String, loop: ManualLoop) throws {
            self.loop = loop
            let (config, _) = try ConfigLoader.forThisBinary(catalog: try BoardCatalog.builtIn()).load(text: text, file: "line.yaml")
            let board = config.board
            chips = ChipSet(backend: .mock, loop: loop) { board.lineNames(ofChip: $0) }
            agent = Agent(config: config, chips: chips, loop: loop, logger: .silent)
            try agent.start()
        }
    }

    @Test func classesDriveTheActuatorsAndGarbageOrASilentSensorFallsBackToSafe() throws {
        let loop = ManualLoop()
        let machine = try FakeMachine(loop: loop)
        machine.set(MachinePoints.normal)
        let line = try Line(lineConfig(name: "line-a", machinePort: machine.server.port), loop: loop)
        let engine = try #require(line.agent.decision)
        // Starting: safe values until the first decision.
        #expect(engine.state == .starting)
        #expect(!line.level("motor") && line.level("warn_lamp"))

        pump(loop, .seconds(1))
        #expect(engine.state == .deciding && engine.currentClass == 0)
        #expect(line.level("motor") && !line.level("warn_lamp"))
        #expect(machine.map.holdingRegisters[0] == 100)
        // What fieldagent status and the metrics file show.
        let status = line.agent.statusText()
        #expect(status.contains("decision: deciding, class normal"))
        #expect(status.contains("machine tcp://127.0.0.1:\(machine.server.port): up"))
        let metrics = PrometheusText.render(line.agent.metricFamilies())
        #expect(metrics.contains("fieldagent_health_class{agent=\"line-a\"} 0\n"))
        #expect(metrics.contains("fieldagent_link_up{agent=\"line-a\",device=\"machine\",role=\"sensor\"} 1\n"))

        machine.set(MachinePoints.fault)
        pump(loop, .milliseconds(900))           // mean over 3 samples, then 2 confirmations; no dwell for a fault
        #expect(engine.currentClass == 2)
        #expect(!line.level("motor") && line.level("warn_lamp"))
        #expect(machine.map.holdingRegisters[0] == 0)
        #expect(line.agent.alarms.contains(.worst))

        // The fault latches: normal readings again do not restart the machine until a reset.
        machine.set(MachinePoints.normal)
        pump(loop, .seconds(2))
        #expect(engine.currentClass == 2 && !line.level("motor"))
        #expect(line.agent.resetAnswer(source: "test").hasPrefix("reset: fault cleared"))
        pump(loop, .seconds(1))
        #expect(engine.currentClass == 0 && line.level("motor"))

        // Garbage: an out-of-range bearing temperature makes the decision invalid.
        var bad = MachinePoints.normal
        bad[6] = -1e9
        machine.set(bad)
        pump(loop, .milliseconds(400))
        #expect(engine.state == .failSafe)
        #expect(engine.reason.contains("bearing_temperature_c"))
        #expect(!line.level("motor") && line.level("warn_lamp"))
        #expect(line.agent.alarms.contains(.badSample) && line.agent.alarms.contains(.failSafe))
        // A good sample recovers: confirmations again, then the class's actions.
        machine.set(MachinePoints.normal)
        pump(loop, .seconds(1))
        #expect(engine.state == .deciding && line.level("motor"))

        // NaN from the sensor.
        var nan = MachinePoints.normal
        nan[0] = .nan
        machine.set(nan)
        pump(loop, .milliseconds(400))
        #expect(engine.state == .failSafe && !line.level("motor"))
        machine.set(MachinePoints.normal)
        pump(loop, .seconds(1))
        #expect(engine.state == .deciding)

        // The sensor goes silent: link down, fail-safe; it comes back and is picked up again.
        machine.server.stop()
        pump(loop, .seconds(2))
        #expect(engine.state == .failSafe && engine.reason.contains("sensor machine"))
        #expect(!line.level("motor"))
        line.agent.shutdown(reason: "test")
    }

    @Test func aPeerInFaultChangesTheOtherLinesActionAndOnlyAllowedPeersWriteCommands() throws {
        let loop = ManualLoop()
        let machineA = try FakeMachine(loop: loop)
        let machineB = try FakeMachine(loop: loop)
        machineA.set(MachinePoints.normal)
        machineB.set(MachinePoints.normal)
        let portA = FreePort.next()
        var portB = FreePort.next()
        while portB == portA { portB = FreePort.next() }
        let a = try Line(lineConfig(name: "line-a", machinePort: machineA.server.port, serverPort: portA, peer: ("line-b", portB)), loop: loop)
        let b = try Line(lineConfig(name: "line-b", machinePort: machineB.server.port, serverPort: portB, peer: ("line-a", portA)), loop: loop)
        let serverA = ModbusTCPServer(loop: loop, map: AgentRegisterMap(agent: a.agent, loop: loop),
                                      configuration: a.agent.config.server!, authorize: { a.agent.commands.authorize($0, $1, $2) })
        let serverB = ModbusTCPServer(loop: loop, map: AgentRegisterMap(agent: b.agent, loop: loop),
                                      configuration: b.agent.config.server!, authorize: { b.agent.commands.authorize($0, $1, $2) })
        try serverA.start()
        try serverB.start()
        pump(loop, .seconds(2))
        #expect(a.agent.decision?.currentClass == 0 && b.agent.decision?.currentClass == 0)
        #expect(b.agent.peers?.peers[0].link == .up)
        #expect(b.agent.peers?.peers[0].status?.name == "line-a")
        #expect(!b.level("standby"))

        machineA.set(MachinePoints.fault)
        pump(loop, .seconds(2))
        #expect(a.agent.decision?.currentClass == 2)
        #expect(b.agent.peers?.peers[0].status?.healthClass == 2)
        #expect(b.level("standby"))              // line-a in fault → line-b starts its standby
        #expect(b.agent.decision?.currentClass == 0)

        // A peer (an allowed address: 127.0.0.1 is line-a's host) writes reduce-load into line-b's command block.
        let client = try ModbusClient(loop: loop, endpoint: .tcp(host: "127.0.0.1", port: portB))
        var result: Result<ModbusResponse, ModbusError>?
        client.send(.writeSingleRegister(address: 0, value: 0b10), unit: 1) { result = $0 }
        pump(loop, .milliseconds(500))
        #expect(throws: Never.self) { try result?.get() }
        #expect(b.agent.commands.isSet(1))
        #expect(machineB.map.holdingRegisters[0] == 50)
        // Outside the command block: refused, nothing changes.
        result = nil
        client.send(.writeSingleRegister(address: 5, value: 1), unit: 1) { result = $0 }
        pump(loop, .milliseconds(200))
        if case .failure(.exception(let code))? = result { #expect(code == .illegalDataAddress) } else { Issue.record("expected an exception, got \(String(describing: result))") }

        // line-a goes away: line-b sees it down (its override for a fault no longer holds).
        serverA.stop()
        pump(loop, .seconds(3))
        #expect(b.agent.peers?.peers[0].link == .down)
        #expect(!b.level("standby"))
        // line-a comes back (still in fault): line-b picks it up again without a restart.
        let serverA2 = ModbusTCPServer(loop: loop, map: AgentRegisterMap(agent: a.agent, loop: loop),
                                       configuration: a.agent.config.server!, authorize: { a.agent.commands.authorize($0, $1, $2) })
        try serverA2.start()
        pump(loop, .seconds(2))
        #expect(b.agent.peers?.peers[0].link == .up)
        #expect(b.level("standby"))
        client.close()
        serverA2.stop()
        serverB.stop()
        // Shutdown: GPIO outputs at once, the Modbus actuator's safe value (load 0) written before the connection closes.
        b.agent.shutdown(reason: "test")
        #expect(!b.level("motor") && b.level("warn_lamp"))
        #expect(b.agent.safeWritesPending)
        pump(loop, .milliseconds(200))
        #expect(!b.agent.safeWritesPending)
        #expect(machineB.map.holdingRegisters[0] == 0)
        b.agent.closeModbus()
        a.agent.shutdown(reason: "test")
    }

    @Test func commandsFromAddressesNotOnTheListAreRefused() throws {
        let loop = ManualLoop()
        let commands = CommandBlock(allowed: ["10.0.0.5"], loop: loop, logger: .silent)
        let stranger = ModbusClientInfo(host: "127.0.0.1", port: 4000, connectionID: 1)
        let friend = ModbusClientInfo(host: "::ffff:10.0.0.5", port: 4000, connectionID: 2)
        #expect(commands.authorize(stranger, 1, .registers(address: 0, values: [1])) == .reject(.illegalFunction))
        #expect(commands.authorize(friend, 1, .registers(address: 0, values: [1])) == .allow)
        #expect(commands.authorize(friend, 1, .coils(address: 0, values: [true])) == .reject(.illegalDataAddress))
        #expect(commands.authorize(friend, 1, .registers(address: 1, values: [1, 2])) == .reject(.illegalDataAddress))
        #expect(commands.refused == 3)
    }
}

@Suite struct PeerSetTests {
    /// Something answering on the peer's port, but not a FieldAgent map of this version.
    final class StrangePeer {
        let map = MemoryRegisterMap(coils: 1, discreteInputs: 1, holdingRegisters: 2, inputRegisters: 200)
        let server: ModbusTCPServer
        init(loop: EventLoop, version: UInt16) throws {
            map.inputRegisters[0] = version
            server = ModbusTCPServer(loop: loop, map: map, configuration: ModbusServerConfiguration(bindAddress: "127.0.0.1", port: 0))
            try server.start()
        }
    }

    @Test func aPeerServingAnotherMapVersionIsDownAndComesUpWhenItServesOurs() throws {
        let loop = ManualLoop()
        let peer = try StrangePeer(loop: loop, version: 7)
        let config = PeerConfig(name: "old", host: "127.0.0.1", port: peer.server.port, interval: .milliseconds(100),
                                timeout: .milliseconds(50), location: SourceMark(file: "t", line: 1, column: 1))
        let peers = try PeerSet(configs: [config], loop: loop, logger: .silent)
        var changes = 0
        peers.onChange = { _ in changes += 1 }
        peers.start()
        pump(loop, .milliseconds(500))
        #expect(peers.peers[0].link == .down)
        #expect(peers.peers[0].problem == "map version 7, expected \(RegisterLayout.version)")
        #expect(peers.peers[0].values.allSatisfy { $0.isNaN })
        // The peer is upgraded: this version, with a heartbeat and a class.
        peer.map.inputRegisters[0] = RegisterLayout.version
        peer.map.inputRegisters[Int(RegisterLayout.healthClass)] = 1
        peer.map.inputRegisters[Int(RegisterLayout.state)] = RegisterLayout.State.deciding.rawValue
        pump(loop, .milliseconds(500))
        #expect(peers.peers[0].link == .up)
        #expect(peers.peers[0].problem == nil && peers.peers[0].status?.healthClass == 1)
        // Its heartbeat stops moving for longer than 3 s: it answers, but is stale.
        pump(loop, .seconds(4))
        #expect(peers.peers[0].link == .stale)
        #expect(changes >= 2)
        peers.stop()
    }
}

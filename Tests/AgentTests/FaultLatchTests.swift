import Agent
import Boards
import Config
import EventLoop
import GPIO
import Glibc
import Modbus
import Testing

/// The latch as a pure state machine: classes 0 normal, 1 degraded, 2 fault; fault latches.
@Suite struct ClassLatchTests {
    let labels = ["normal", "degraded", "fault"]
    let t0 = Instant(nanoseconds: 0)

    func latch(_ latching: Set<Int> = [2]) -> ClassLatch { ClassLatch(latching: latching, confirm: 3, switchAt: 0.6) }

    @Test func aLatchingClassHoldsWhateverTheModelConfirmsLater() {
        var l = latch()
        #expect(l.confirmed(0, at: t0) == 0)
        #expect(l.confirmed(2, at: t0 + .seconds(1)) == 2)
        #expect(l.latched == 2 && l.since == t0 + .seconds(1))
        #expect(l.confirmed(1, at: t0 + .seconds(8)) == 2)
        #expect(l.confirmed(0, at: t0 + .seconds(9)) == 2)
        #expect(l.inForce(modelClass: nil) == 2)
    }

    @Test func aResetWhileTheFaultPersistsDoesNothing() {
        var l = latch()
        _ = l.confirmed(2, at: t0)
        for _ in 0..<5 { l.observe(top: 2, probability: 0.99) }
        #expect(l.reset(labels: labels) == .refused("fault persists: the model sees fault (p=0.99); a reset needs normal in 3 inferences in a row"))
        // Degraded is not healthy either: with the motor stopped a faulty machine can read degraded.
        for _ in 0..<5 { l.observe(top: 1, probability: 0.9) }
        if case .refused = l.reset(labels: labels) {} else { Issue.record("a reset while the model sees degraded was accepted") }
        // Nor are invalid inputs.
        l.inputsInvalid()
        #expect(l.reset(labels: labels) == .refused("fault persists: the inputs are invalid, so the machine's state is unknown; a reset needs normal in 3 inferences in a row"))
        #expect(l.latched == 2)
    }

    @Test func aResetIsAcceptedOnceTheMachineReadsHealthyInConfirmInferencesInARow() {
        var l = latch()
        _ = l.confirmed(2, at: t0)
        l.observe(top: 0, probability: 0.9)
        l.observe(top: 0, probability: 0.9)
        l.observe(top: 0, probability: 0.5)            // too weak: the streak starts over
        l.observe(top: 0, probability: 0.9)
        l.observe(top: 0, probability: 0.9)
        if case .refused = l.reset(labels: labels) {} else { Issue.record("accepted after 2 healthy inferences") }
        l.observe(top: 0, probability: 0.9)
        #expect(l.reset(labels: labels) == .cleared(2))
        #expect(l.latched == nil)
        #expect(l.reset(labels: labels) == .notLatched)
    }

    @Test func aWorseClassStillTakesOverAndLatchesWhileALesserOneIsLatched() {
        var l = latch([1, 2])
        #expect(l.confirmed(1, at: t0) == 1)
        #expect(l.confirmed(2, at: t0 + .seconds(1)) == 2)
        #expect(l.latched == 2)
        var lesser = latch([1])
        _ = lesser.confirmed(1, at: t0)
        #expect(lesser.confirmed(2, at: t0) == 2)        // fault does not latch here, but it is worse: it is in force
        #expect(lesser.confirmed(0, at: t0) == 1)        // and the latched degraded holds after it
    }
}

/// The latch in the running agent, against a Modbus machine on the test's loop.
@Suite(.serialized) struct FaultLatchPipelineTests {
    /// lineConfig with a reset button (GPIO17, active high) and the decision's reset input.
    func config(machinePort: UInt16, serverPort: UInt16? = nil, extra: String = "") -> String {
        var text = lineConfig(name: "line-a", machinePort: machinePort, serverPort: serverPort)
        text = text.replacing("outputs:\n", with: "inputs:\n  - {name: ack, pin: GPIO17}\noutputs:\n")
        text = text.replacing("decide:\n  every: 200ms\n", with: "decide:\n  every: 200ms\n  reset_input: ack\n" + extra)
        return text
    }

    func start(_ text: String, loop: ManualLoop, store: LatchStore? = nil) throws -> (Agent, MockChip) {
        let (config, _) = try ConfigLoader.forThisBinary(catalog: try BoardCatalog.builtIn()).load(text: text, file: "line-a.yaml")
        let board = config.board
        let chips = ChipSet(backend: .mock, loop: loop) { board.lineNames(ofChip: $0) }
        let agent = Agent(config: config, chips: chips, loop: loop, logger: .silent)
        agent.latchStore = store
        try agent.start()
        return (agent, chips.mockChips[0])
    }

    func level(_ chip: MockChip, _ name: String) -> Bool { chip.level(ofLine: chip.line(named: name)!) }

    @Test func aFaultKeepsTheMotorOffAfterTheMachineReadsNormalAgainUntilAReset() throws {
        let loop = ManualLoop()
        let machine = try FakeMachine(loop: loop)
        machine.set(MachinePoints.normal)
        let (agent, chip) = try start(config(machinePort: machine.server.port), loop: loop)
        let engine = try #require(agent.decision)
        pump(loop, .seconds(1))
        #expect(engine.currentClass == 0 && level(chip, "motor"))

        machine.set(MachinePoints.fault)
        pump(loop, .seconds(1))
        #expect(engine.currentClass == 2 && engine.latchedClass == 2)
        #expect(!level(chip, "motor") && machine.map.holdingRegisters[0] == 0)
        #expect(agent.alarms.contains(.latched))

        // A reset while the fault persists does nothing.
        #expect(agent.resetAnswer(source: "test").hasPrefix("error: reset refused: fault persists: the model sees fault"))
        pump(loop, .milliseconds(500))
        #expect(engine.currentClass == 2 && !level(chip, "motor"))

        // The readings go back to normal (a stopped motor pulls them there): the fault holds, far beyond min_dwell.
        machine.set(MachinePoints.normal)
        pump(loop, .seconds(6))
        #expect(engine.modelClass == 0)
        #expect(engine.currentClass == 2, "a faulty machine was restarted without a reset")
        #expect(!level(chip, "motor") && machine.map.holdingRegisters[0] == 0)
        #expect(agent.statusText().contains("LATCHED: fault"))

        // The reset button: accepted now; safe until a class is confirmed afresh, then normal.
        chip.drive(line: chip.line(named: "ack")!, level: true)
        loop.advance(by: .milliseconds(1))
        #expect(engine.latchedClass == nil && engine.state == .starting)
        #expect(!level(chip, "motor"))
        pump(loop, .seconds(1))
        #expect(engine.currentClass == 0 && level(chip, "motor") && machine.map.holdingRegisters[0] == 100)
        #expect(!agent.alarms.contains(.latched))
        #expect(engine.classChanges == 3)                  // normal, fault, normal: the held model classes do not count
        agent.shutdown(reason: "test")
    }

    @Test func theCommandBitResetsFromAnAllowedWriterAndClearsItself() throws {
        let loop = ManualLoop()
        let machine = try FakeMachine(loop: loop)
        machine.set(MachinePoints.fault)
        let port = FreePort.next()
        let (agent, chip) = try start(config(machinePort: machine.server.port, serverPort: port) + "peers:\n  - {name: scada, host: 127.0.0.1, port: 9}\n", loop: loop)
        let server = ModbusTCPServer(loop: loop, map: AgentRegisterMap(agent: agent, loop: loop), configuration: agent.config.server!,
                                     authorize: { agent.commands.authorize($0, $1, $2) })
        try server.start()
        let engine = try #require(agent.decision)
        pump(loop, .seconds(1))
        #expect(engine.latchedClass == 2)
        machine.set(MachinePoints.normal)
        pump(loop, .seconds(2))
        #expect(engine.currentClass == 2 && !level(chip, "motor"))
        let client = try ModbusClient(loop: loop, endpoint: .tcp(host: "127.0.0.1", port: port))
        var written = false
        client.send(.writeSingleRegister(address: 0, value: 1 << 2), unit: 1) { if case .success = $0 { written = true } }
        pump(loop, .milliseconds(100))
        #expect(written)
        #expect(engine.latchedClass == nil)
        #expect(agent.commands.bits == 0)                  // a pulse: it reads back 0
        pump(loop, .seconds(1))
        #expect(engine.currentClass == 0 && level(chip, "motor"))
        client.close()
        server.stop()
        agent.shutdown(reason: "test")
    }

    @Test func aLatchedFaultSurvivesARestartOfTheAgent() throws {
        let dir = try makeTemporaryDirectory("latch")
        let store = LatchStore(directory: dir, name: "line-a")
        defer { unlink(store.path); rmdir(dir) }
        let loop = ManualLoop()
        let machine = try FakeMachine(loop: loop)
        machine.set(MachinePoints.fault)
        let text = config(machinePort: machine.server.port)
        let (first, _) = try start(text, loop: loop, store: store)
        pump(loop, .seconds(1))
        #expect(first.decision?.latchedClass == 2)
        #expect(store.load() == "fault")
        first.shutdown(reason: "crash")
        first.closeModbus()

        // The agent comes back (a crash, a watchdog restart) to a machine that now reads normal.
        machine.set(MachinePoints.normal)
        let (second, chip) = try start(text, loop: loop, store: store)
        let engine = try #require(second.decision)
        #expect(engine.latchedClass == 2)
        pump(loop, .seconds(2))
        #expect(engine.currentClass == 2 && !level(chip, "motor"))
        #expect(second.resetAnswer(source: "test").hasPrefix("reset: fault cleared"))
        #expect(store.load() == nil)
        second.shutdown(reason: "test")
    }

    @Test func latchingCanBeTurnedOffPerClass() throws {
        let loop = ManualLoop()
        let machine = try FakeMachine(loop: loop)
        machine.set(MachinePoints.fault)
        let (agent, chip) = try start(config(machinePort: machine.server.port).replacing("reset_input: ack\n", with: "latch: []\n"), loop: loop)
        pump(loop, .seconds(1))
        #expect(agent.decision?.currentClass == 2 && agent.decision?.latchedClass == nil)
        machine.set(MachinePoints.normal)
        pump(loop, .seconds(3))
        #expect(agent.decision?.currentClass == 0 && level(chip, "motor"))
        agent.shutdown(reason: "test")
    }
}

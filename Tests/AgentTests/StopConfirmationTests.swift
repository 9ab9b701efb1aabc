import Agent
import Boards
import Config
import EventLoop
import GPIO
import Modbus
import Testing

/// The stop log says what the devices confirmed, not what was attempted: GPIO lines read back, Modbus safe
/// writes acknowledged by the device.
@Suite(.serialized) struct StopConfirmationTests {
    final class Lines: @unchecked Sendable {
        var all: [String] = []
        var stopped: String? { all.last { $0.contains("event=agent.stopped ") } }
    }

    func start(machinePort: UInt16, loop: ManualLoop, lines: Lines) throws -> Agent {
        let (config, _) = try ConfigLoader.forThisBinary(catalog: try BoardCatalog.builtIn())
            .load(text: lineConfig(name: "line-a", machinePort: machinePort), file: "line-a.yaml")
        let board = config.board
        let chips = ChipSet(backend: .mock, loop: loop) { board.lineNames(ofChip: $0) }
        let agent = Agent(config: config, chips: chips, loop: loop, logger: Logger(minimumLevel: .notice, sink: { lines.all.append($0) }))
        try agent.start()
        return agent
    }

    @Test func aSafeWriteTheDeviceNeverAcknowledgedIsReportedUnconfirmedNotSafe() throws {
        let loop = ManualLoop()
        let machine = try FakeMachine(loop: loop)
        machine.set(MachinePoints.normal)
        let lines = Lines()
        let agent = try start(machinePort: machine.server.port, loop: loop, lines: lines)
        pump(loop, .seconds(1))
        #expect(machine.map.holdingRegisters[0] == 100)
        machine.server.stop()                        // the machine stops answering
        agent.shutdown(reason: "SIGTERM")
        #expect(lines.stopped == nil, "agent.stopped was logged before the Modbus safe write was answered")
        pump(loop, .seconds(2))
        agent.logStopped()
        let line = try #require(lines.stopped)
        #expect(line.hasPrefix("level=error event=agent.stopped reason=SIGTERM confirmed_safe=3/4"))
        #expect(line.contains("unconfirmed=\"machine.load (disconnected: peer closed)\""))
        #expect(machine.map.holdingRegisters[0] == 100)
        agent.closeModbus()
    }

    @Test func everySafeValueConfirmedIsReportedAsSuch() throws {
        let loop = ManualLoop()
        let machine = try FakeMachine(loop: loop)
        machine.set(MachinePoints.fault)
        let lines = Lines()
        let agent = try start(machinePort: machine.server.port, loop: loop, lines: lines)
        pump(loop, .seconds(1))
        #expect(machine.map.holdingRegisters[0] == 0)   // fault: load 0 already, written once
        machine.map.holdingRegisters[0] = 30           // someone changed it behind the agent's back
        agent.shutdown(reason: "SIGTERM")
        pump(loop, .milliseconds(300))
        #expect(!agent.safeWritesPending)
        agent.logStopped()
        #expect(lines.stopped?.hasPrefix("level=notice event=agent.stopped reason=SIGTERM confirmed_safe=4/4") == true)
        #expect(machine.map.holdingRegisters[0] == 0)   // written again at the stop, not assumed
        agent.closeModbus()
    }
}

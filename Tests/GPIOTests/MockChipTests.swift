import EventLoop
import GPIO
import Testing

@Suite struct MockChipTests {
    func makeChip(_ loop: EventLoop) -> MockChip {
        MockChip(lineNames: (0..<28).map { "GPIO\($0)" }, loop: loop)
    }

    @Test func drivingAnInputDeliversTheEdgesTheRequestAskedFor() throws {
        let loop = ManualLoop()
        let chip = makeChip(loop)
        var edges: [Edge] = []
        let input = try chip.requestInput(line: 17, settings: InputSettings(edges: .rising), consumer: "t") { edges.append($0.edge) }
        chip.drive(line: 17, level: true)
        chip.drive(line: 17, level: false)
        chip.drive(line: 17, level: true)
        #expect(edges == [.rising, .rising])
        #expect(try input.read())
    }

    @Test func activeLowInvertsTheLogicalValueAndTheEdges() throws {
        let loop = ManualLoop()
        let chip = makeChip(loop)
        var edges: [Edge] = []
        let input = try chip.requestInput(line: 5, settings: InputSettings(bias: .pullUp, activeLow: true, edges: .both),
                                          consumer: "t") { edges.append($0.edge) }
        #expect(try input.read() == false)  // pulled up, active-low: logical 0
        chip.drive(line: 5, level: false)   // pressed: the switch pulls it to ground
        #expect(try input.read() == true)
        #expect(edges == [.rising])
        chip.drive(line: 5, level: nil)     // released: the pull-up wins again
        #expect(edges == [.rising, .falling])
    }

    @Test func aLineCannotBeRequestedTwice() throws {
        let loop = ManualLoop()
        let chip = makeChip(loop)
        let first = try chip.requestOutput(line: 27, activeLow: false, initial: false, consumer: "one")
        #expect(throws: GPIOError.self) { _ = try chip.requestOutput(line: 27, activeLow: false, initial: false, consumer: "two") }
        first.release()
        _ = try chip.requestOutput(line: 27, activeLow: false, initial: false, consumer: "two")
    }

    @Test func outputsShowTheirPhysicalLevelAndNotifyObservers() throws {
        let loop = ManualLoop()
        let chip = makeChip(loop)
        var changes: [MockChip.Change] = []
        chip.addObserver { changes.append($0) }
        let out = try chip.requestOutput(line: 22, activeLow: true, initial: false, consumer: "t")
        #expect(chip.level(ofLine: 22) == true)  // active-low off = high
        try out.write(true)
        #expect(chip.level(ofLine: 22) == false)
        #expect(changes.map(\.level) == [true, false])
        #expect(changes.allSatisfy { $0.byAgent })
    }

    @Test func linesAreFoundByAliasBoardNameOrOffset() {
        let loop = ManualLoop()
        let chip = makeChip(loop)
        chip.setAlias("button", line: 17)
        #expect(chip.line(named: "button") == 17)
        #expect(chip.line(named: "GPIO4") == 4)
        #expect(chip.line(named: "9") == 9)
        #expect(chip.line(named: "nope") == nil)
    }

    @Test func controlCommandsParseAndExplainMistakes() throws {
        #expect(try MockControlCommand.parse("set button 1").get() == .set(name: "button", level: true))
        #expect(try MockControlCommand.parse("set GPIO17 low").get() == .set(name: "GPIO17", level: false))
        #expect(try MockControlCommand.parse("get lamp").get() == .get(name: "lamp"))
        #expect(try MockControlCommand.parse("watch").get() == .watch)
        guard case .failure(let e) = MockControlCommand.parse("set button maybe") else { Issue.record("accepted"); return }
        #expect(e.message.contains("level must be"))
        guard case .failure(let e2) = MockControlCommand.parse("jump") else { Issue.record("accepted"); return }
        #expect(e2.message.contains("unknown command"))
    }
}

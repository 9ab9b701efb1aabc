import Agent
import Boards
import Config
import EventLoop
import GPIO
import Testing
import YAML

let repoRoot: String = {
    var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
    parts.removeLast(3)
    return parts.joined(separator: "/")
}()

/// An agent on the mock chip and a manual loop: edges, rules and timers without sockets or sleeps.
struct Harness {
    let loop = ManualLoop()
    let chips: ChipSet
    let agent: Agent
    var chip: MockChip { chips.mockChips[0] }

    init(_ text: String = BuiltinConfigs.simBasic) throws {
        let (config, _) = try ConfigLoader.forThisBinary(catalog: try BoardCatalog.builtIn()).load(text: text, file: "t.yaml")
        let board = config.board
        chips = ChipSet(backend: .mock, loop: loop) { board.lineNames(ofChip: $0) }
        agent = Agent(config: config, chips: chips, loop: loop, logger: .silent)
        try agent.start()
    }

    func level(_ name: String) -> Bool { chip.level(ofLine: chip.line(named: name)!) }
    func drive(_ name: String, _ level: Bool) { chip.drive(line: chip.line(named: name)!, level: level) }
}

@Suite struct AgentTests {
    @Test func outputsStartAtTheirInitialValues() throws {
        let h = try Harness()
        #expect(!h.level("lamp") && !h.level("buzzer") && !h.level("fan"))
    }

    @Test func aDebouncedPressTogglesTheLampOnceDespiteBounce() throws {
        let h = try Harness()
        h.drive("button", false)                  // active-low: pressed
        h.loop.advance(by: .milliseconds(1))
        h.drive("button", true)                   // bounce
        h.loop.advance(by: .milliseconds(1))
        h.drive("button", false)
        #expect(!h.level("lamp"))                 // not yet: 10 ms debounce
        h.loop.advance(by: .milliseconds(9))
        #expect(!h.level("lamp"))
        h.loop.advance(by: .milliseconds(2))
        #expect(h.level("lamp"))
        #expect(h.agent.edgeCount == 1)
    }

    @Test func aPulseEndsAfterItsDurationAndARetriggerExtendsIt() throws {
        let h = try Harness()
        h.drive("door", true)
        h.loop.advance(by: .milliseconds(5))      // 5 ms debounce
        #expect(h.level("buzzer"))
        h.loop.advance(by: .milliseconds(200))
        h.drive("door", false)
        h.loop.advance(by: .milliseconds(50))
        h.drive("door", true)                     // re-trigger at 255 ms
        h.loop.advance(by: .milliseconds(5))
        h.loop.advance(by: .milliseconds(250))    // past the first pulse's end (305 ms)
        #expect(h.level("buzzer"))
        h.loop.advance(by: .milliseconds(60))
        #expect(!h.level("buzzer"))
    }

    @Test func shutdownDrivesEveryOutputToItsSafeValue() throws {
        let h = try Harness()
        h.drive("button", false)
        h.loop.advance(by: .milliseconds(20))
        #expect(h.level("lamp"))
        h.agent.shutdown(reason: "test")
        #expect(!h.level("lamp"))                 // safe: off
        #expect(h.level("fan"))                   // safe: on
        #expect(h.chip.snapshot().allSatisfy { $0.consumer == nil })
    }

    @Test func aStartThatFailsLeavesEarlierOutputsSafeAndReleased() throws {
        let loop = ManualLoop()
        let (config, _) = try ConfigLoader.forThisBinary(catalog: try BoardCatalog.builtIn()).load(text: BuiltinConfigs.simBasic, file: "t.yaml")
        let board = config.board
        let chips = ChipSet(backend: .mock, loop: loop) { board.lineNames(ofChip: $0) }
        let chip = try chips.chip(label: "fieldagent-mock")
        let squatter = try chip.requestInput(line: 17, settings: InputSettings(), consumer: "other") { _ in }
        let agent = Agent(config: config, chips: chips, loop: loop, logger: .silent)
        #expect(throws: AgentError.self) { try agent.start() }
        let mock = try #require(chip as? MockChip)
        #expect(mock.level(ofLine: 24))           // fan went to its safe value (on)
        #expect(mock.snapshot().filter { $0.consumer != nil }.map(\.line) == [17])
        squatter.release()
    }

    @Test func theBuiltInConfigsAreTheExampleFiles() throws {
        // scripts/embed-configs regenerates BuiltinConfigs.swift after an example changes.
        for (file, text) in [("sim-basic", BuiltinConfigs.simBasic), ("line-a", BuiltinConfigs.lineA), ("line-b", BuiltinConfigs.lineB)] {
            let onDisk = try #require(YAMLParser.readFile(repoRoot + "/Examples/\(file).yaml"))
            #expect(onDisk == text + "\n", "Examples/\(file).yaml differs from BuiltinConfigs; run scripts/embed-configs")
        }
    }

    @Test func theLatencyHistogramReportsPercentiles() {
        var h = LatencyHistogram()
        for us in 1...100 { h.record(.microseconds(us)) }
        #expect(h.percentile(0.5) == .microseconds(50) || h.percentile(0.5) == .microseconds(51))
        #expect(h.percentile(0.99)! >= .microseconds(99))
        #expect(h.max == .microseconds(100))
    }
}

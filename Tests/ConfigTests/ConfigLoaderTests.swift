import Boards
import Config
import Testing
import YAML

@Suite struct ConfigLoaderTests {
    let loader = ConfigLoader(catalog: try! BoardCatalog.builtIn())

    /// Loads `text` and returns the first error's `line:column: message`, or nil if it loaded.
    func firstError(_ text: String) -> String? {
        do {
            _ = try loader.load(text: text, file: "t.yaml")
            return nil
        } catch {
            guard let d = error.diagnostics.first(where: { $0.severity == .error }) else { return nil }
            return "\(d.mark.line):\(d.mark.column): \(d.message)"
        }
    }

    @Test func theExampleConfigsLoadAndResolvePinsToChipAndLine() throws {
        for name in ["sim-basic", "rpi4-basic", "rpi5-basic"] {
            let (config, _) = try loader.load(path: repoRoot + "/Examples/\(name).yaml")
            #expect(config.inputs.count == 2 && config.outputs.count == 3 && config.rules.count == 4, "\(name)")
            let button = try #require(config.inputs.first { $0.name == "button" })
            #expect(button.pin.line == 17)
            #expect(button.pin.chipLabel == config.board.chipLabel)
        }
    }

    @Test func malformedYAMLIsReportedAtItsPlace() {
        let e = firstError("board: sim\ninputs:\n  - name: a\n   pin: GPIO4\n")
        #expect(e?.hasPrefix("4:") == true, "\(e ?? "nil")")
        #expect(e?.contains("malformed YAML") == true)
    }

    @Test func anUnknownBoardIsAnErrorListingTheBoards() {
        let e = firstError("board: rpi9\n")
        #expect(e?.hasPrefix("1:8: unknown board \"rpi9\"") == true, "\(e ?? "nil")")
        #expect(e?.contains("rpi5") == true)
    }

    @Test func anUnknownPinIsAnErrorAtThePin() {
        let e = firstError("board: rpi4\ninputs:\n  - name: a\n    pin: GPIO71\n")
        #expect(e == "4:10: unknown pin \"GPIO71\" on board rpi4; the header has GPIO0…GPIO27 (or header.N)")
    }

    @Test func aPinUsedTwiceNamesTheFirstUse() {
        let e = firstError("board: rpi4\ninputs:\n  - name: a\n    pin: GPIO17\noutputs:\n  - name: b\n    pin: header.11\n")
        #expect(e?.hasPrefix("7:10: pin GPIO17 (header 11) is already used by input a at line 4") == true, "\(e ?? "nil")")
    }

    @Test func anOutputOnAPowerPinIsRefused() {
        let e = firstError("board: rpi4\noutputs:\n  - name: b\n    pin: header.2\n")
        #expect(e?.hasPrefix("4:10: header.2 is a 5V power pin") == true, "\(e ?? "nil")")
    }

    @Test func aRuleNamingAnUnknownLineSuggestsTheClosestName() {
        let text = "board: sim\ninputs:\n  - name: button\n    pin: GPIO17\noutputs:\n  - name: lamp\n    pin: GPIO22\nrules:\n  - when: buton rises\n    set: lamp on\n  - when: button rises\n    toggle: lump\n"
        do {
            _ = try loader.load(text: text, file: "t.yaml")
            Issue.record("accepted")
        } catch {
            let messages = error.diagnostics.map { "\($0.mark.line):\($0.mark.column): \($0.message)" }
            #expect(messages.count == 2)
            #expect(messages.first?.hasPrefix("9:11: when: unknown input 'buton'; did you mean 'button'?") == true, "\(messages)")
            #expect(messages.last?.hasPrefix("12:13: toggle: unknown output 'lump'; did you mean 'lamp'?") == true, "\(messages)")
        }
    }

    @Test func unknownKeysAndBadValuesAreErrorsWithTheFix() {
        #expect(firstError("board: sim\ninput:\n")?.contains("unknown key 'input' in the config; did you mean 'inputs'?") == true)
        #expect(firstError("board: sim\ninputs:\n  - name: a\n    pin: GPIO4\n    debounce: fast\n")?.contains("not a duration") == true)
        #expect(firstError("board: sim\ninputs:\n  - name: a\n    pin: GPIO4\n    bias: up\n")?.contains("pull-up") == true)
    }

    @Test func durationsParseWithUnits() {
        #expect(ConfigReader.parseDuration("10ms") == .milliseconds(10))
        #expect(ConfigReader.parseDuration("1.5s") == .milliseconds(1500))
        #expect(ConfigReader.parseDuration("250us") == .microseconds(250))
        #expect(ConfigReader.parseDuration("1m") == .seconds(60))
        #expect(ConfigReader.parseDuration("fast") == nil)
    }

    @Test func aFixedRolePinIsAWarningNotAnError() throws {
        let (_, warnings) = try loader.load(text: "board: rpi4\ninputs:\n  - name: a\n    pin: GPIO2\n", file: "t.yaml")
        #expect(warnings.contains { $0.message.contains("i2c1-sda") })
    }
}

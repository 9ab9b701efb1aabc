import Boards
import Config
import Testing
import YAML

@Suite struct ConfigLoaderTests {
    let loader = ConfigLoader(catalog: try! BoardCatalog.builtIn())

    /// Every diagnostic of `text` as `line:column: severity: message`; empty if it loaded without warnings.
    func diagnostics(_ text: String) -> [String] {
        do {
            return try loader.load(text: text, file: "t.yaml").1.map(brief)
        } catch {
            return error.diagnostics.map(brief)
        }
    }

    @Test(arguments: ["sim-basic", "rpi4-basic", "rpi5-basic"])
    func theExampleConfigsLoadAndResolvePinsToChipLabelAndLine(example: String) throws {
        let (config, warnings) = try loader.load(path: repoRoot + "/Examples/\(example).yaml")
        #expect(warnings.isEmpty)
        #expect(config.inputs.map(\.name) == ["button", "door"])
        #expect(config.outputs.map(\.name) == ["lamp", "buzzer", "fan"])
        #expect(config.rules.count == 4)
        let label = ["sim-basic": "fieldagent-mock", "rpi4-basic": "pinctrl-bcm2711", "rpi5-basic": "pinctrl-rp1"][example]
        let button = try #require(config.input(named: "button"))
        #expect(button.pin == ResolvedPin(bcmName: "GPIO17", headerPin: 11, chipLabel: label!, line: 17, role: nil))
        let door = try #require(config.input(named: "door"))
        #expect(door.pin.line == 27 && door.pin.headerPin == 13 && door.pin.chipLabel == label)
    }

    @Test func theSameLogicRunsOnEveryBoardByChangingOnlyTheBoardLine() throws {
        let sim = try #require(YAMLParser.readFile(repoRoot + "/Examples/sim-basic.yaml"))
        let (simConfig, _) = try loader.load(text: sim, file: "sim.yaml")
        for board in ["rpi3", "rpi4", "rpi5", "zero2w", "cm4"] {
            let text = sim.replacingBoard(with: board)
            let (config, _) = try loader.load(text: text, file: "\(board).yaml")
            #expect(config.board.name == board)
            #expect(config.rules.map(\.action) == simConfig.rules.map(\.action))
            #expect(config.rules.map(\.location.line) == simConfig.rules.map(\.location.line))
            #expect(config.inputs.map(\.pin.line) == simConfig.inputs.map(\.pin.line))
            #expect(config.outputs.map(\.pin.headerPin) == simConfig.outputs.map(\.pin.headerPin))
        }
    }

    @Test func aGoodConfigIsReadWithItsDefaultsAndPlaces() throws {
        let text = """
        board: pi5
        inputs:
          - name: button
            pin: header.11
          - name: door
            pin: GPIO27
            bias: pull-down
            active_low: yes
            debounce: 1.5ms
            edges: rising
        outputs:
          - name: lamp
            pin: GPIO22
          - name: pump
            pin: GPIO23
            initial: on
            active_low: true
          - name: valve
            pin: GPIO24
            safe: on
        rules:
          - when: door rises
            pulse: lamp 1.5s
          - when: button changes
            toggle: pump
          - when: button falls
            set: valve off
        """
        let (config, warnings) = try loader.load(text: text, file: "/etc/fieldagent/pump-a.yaml")
        #expect(warnings.isEmpty)
        #expect(config.name == "pump-a")
        #expect(config.file == "/etc/fieldagent/pump-a.yaml")
        #expect(config.board.name == "rpi5")
        let p = SourceLocation(file: "/etc/fieldagent/pump-a.yaml", line: 3, column: 5)
        let gpio17 = try config.board.resolve(pin: "GPIO17")
        #expect(config.inputs[0] == InputConfig(name: "button", pin: gpio17, location: p))
        #expect(config.inputs[1].bias == .pullDown && config.inputs[1].activeLow && config.inputs[1].edges == .rising)
        #expect(config.inputs[1].debounce == .microseconds(1500))
        #expect(config.outputs.map(\.initial) == [false, true, false])
        #expect(config.outputs.map(\.safe) == [false, true, true])  // safe defaults to initial
        #expect(config.outputs.map(\.activeLow) == [false, true, false])
        #expect(config.rules.map(\.action) == [.pulse(output: "lamp", duration: .milliseconds(1500)),
                                               .toggle(output: "pump"), .set(output: "valve", value: false)])
        #expect(config.rules.map(\.edge) == [.rises, .changes, .falls])
        #expect(config.rules[1].location.line == 24)
    }

    @Test func anAgentNameIsCheckedAndDefaultsToTheFileName() throws {
        #expect(try loader.load(text: "board: sim\nname: pump-a\n", file: "x.yaml").0.name == "pump-a")
        #expect(try loader.load(text: "board: sim\n", file: "dir/station 3.yml").0.name == "station3")
        #expect(diagnostics("board: sim\nname: \"pump a\"\n") == ["2:7: error: name 'pump a': use letters, digits, _ and -, starting with a letter"])
    }

    @Test func anEmptyOrMissingBoardIsAnErrorThatSaysWhatToWrite() {
        #expect(diagnostics("") == ["1:1: error: the config needs 'board'"])
        #expect(diagnostics("inputs:\n") == ["1:1: error: the config needs 'board'"])
        #expect(diagnostics("- board: sim\n") == ["1:1: error: the config must be a mapping (key: value), not a list"])
    }

    @Test func allErrorsAreReportedInOnePassInFileOrder() {
        let text = """
        board: rpi4
        inputs:
          - name: button
            pin: GPIO71
            debounce: fast
        outputs:
          - name: lamp
            pin: header.1
        rules:
          - when: button rises
            set: lamp on
          - when: nothing rises
            set: lamp sideways
        """
        let d = diagnostics(text)
        #expect(d.map { String($0.prefix { $0 != " " }) } == ["4:10:", "5:15:", "8:10:", "12:11:", "13:10:"], "\(d)")
    }

    @Test func anEntryWithAnErrorStillNamesItsLineSoRulesAreNotReportedTwice() {
        // button's pin is wrong; the rule naming button must not add "unknown input".
        let d = diagnostics("board: sim\ninputs:\n  - name: button\n    pin: GPIO99\noutputs:\n  - name: lamp\n    pin: GPIO4\nrules:\n  - when: button rises\n    set: lamp on\n")
        #expect(d.count == 1 && d[0].hasPrefix("4:10: error: unknown pin \"GPIO99\""), "\(d)")
    }

    @Test func aMissingPinOrNameIsReportedAtTheEntry() {
        #expect(diagnostics("board: rpi4\ninputs:\n  - name: a\n") == [
            "3:5: error: input 'a' needs 'pin' (a BCM name like GPIO17, or a header position like header.11; see 'fieldagent boards rpi4')",
        ])
        #expect(diagnostics("board: rpi4\noutputs:\n  - pin: GPIO4\n") == ["3:5: error: an output needs 'name'"])
    }

    @Test func aRuleNeedsExactlyOneWellFormedWhenAndAction() {
        let head = "board: sim\ninputs:\n  - name: b\n    pin: GPIO4\noutputs:\n  - name: l\n    pin: GPIO5\nrules:\n"
        #expect(diagnostics(head + "  - when: b rise\n    set: l on\n") == [
            "9:11: error: when: 'b rise' (did you mean 'b rises'?): write '<input> rises', '<input> falls' or '<input> changes'",
        ])
        #expect(diagnostics(head + "  - when: b rises\n") == [
            "9:5: error: a rule needs an action: set: <output> on|off, toggle: <output> or pulse: <output> <duration>",
        ])
        #expect(diagnostics(head + "  - set: l on\n") == ["9:5: error: a rule needs 'when'"])
        #expect(diagnostics(head + "  - when: b rises\n    pulse: l 0ms\n") == [
            "10:12: error: pulse: 'l 0ms': write 'pulse: l 200ms' (a duration above zero: 250us, 10ms, 1.5s, 1m)",
        ])
        #expect(diagnostics(head + "  - when: b rises\n    toggle: l now\n") == ["10:13: error: toggle: 'l now': write 'toggle: l'"])
    }

    @Test func aRuleOnAnInputThatReportsNoEdgesCanNeverFire() {
        let text = "board: sim\ninputs:\n  - name: b\n    pin: GPIO4\n    edges: none\noutputs:\n  - name: l\n    pin: GPIO5\nrules:\n  - when: b changes\n    toggle: l\n"
        #expect(diagnostics(text) == ["10:11: error: when: 'b changes' can never fire: input 'b' has edges: none; set its edges to both"])
    }

    @Test func aLongDebounceIsAWarning() throws {
        let (_, warnings) = try loader.load(text: "board: sim\ninputs:\n  - name: a\n    pin: GPIO4\n    debounce: 1m\n", file: "t.yaml")
        #expect(warnings.map(brief) == ["5:15: warning: debounce of 60.0 seconds is unusually long; edges shorter than that are ignored"])
    }

    @Test func aPinNamedTwoWaysOnTheSameLineIsStillOnePin() {
        let d = diagnostics("board: sim\ninputs:\n  - name: a\n    pin: gpio4\noutputs:\n  - name: b\n    pin: header.7\n")
        #expect(d == ["7:10: error: pin GPIO4 (header.7) is used twice: by input 'a' (line 4) and by output 'b' (line 7); each pin serves one input or output"])
    }

    @Test func configErrorsPrintOneLinePerDiagnosticAndACount() {
        do {
            _ = try loader.load(text: "board: rpi4\ninputs:\n  - name: a\n    pin: GPIO2\n  - name: b\n    pin: GPIO71\n", file: "c.yaml")
            Issue.record("accepted")
        } catch {
            #expect(error.errors.count == 1 && error.warnings.count == 1)
            let lines = "\(error)".split(separator: "\n")
            #expect(lines.count == 3)
            #expect(lines[0].hasPrefix("c.yaml:4:10: warning: GPIO2 (header.3) is i2c1-sda on board rpi4"))
            #expect(lines[1] == "c.yaml:6:10: error: unknown pin \"GPIO71\" on board rpi4; the board has GPIO0…GPIO27 (or header.N)")
            #expect(lines[2] == "1 error, 1 warning; nothing was started")
        }
    }

    @Test func anUnreadableConfigFileIsOneErrorNamingIt() {
        do {
            _ = try loader.load(path: "/nonexistent/c.yaml")
            Issue.record("accepted")
        } catch {
            #expect(error.diagnostics.map(\.description) == ["/nonexistent/c.yaml: error: cannot read the config: No such file or directory"])
        }
    }

    @Test func theTopLevelKeysAreTheSectionsThisFileKnows() {
        #expect(ConfigLoader.topLevelKeys == ["board", "name", "inputs", "outputs", "rules", "modbus", "server", "peers", "features", "decide", "uplink", "security"])
    }
}

extension String {
    /// The config with its `board:` line changed.
    func replacingBoard(with board: String) -> String {
        split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.hasPrefix("board:") ? "board: \(board)" : String($0) }
            .joined(separator: "\n")
    }
}

import Boards
import Glibc
import Testing
import YAML

@Suite struct BoardTests {
    /// The chips FieldAgent knows, by label, with their line counts (see PI-FACTS: find the chip by label).
    static let knownChips = ["pinctrl-bcm2835": 54, "pinctrl-bcm2711": 58, "pinctrl-rp1": 54, "fieldagent-mock": 28,
                             "raspberrypi-exp-gpio": 8]
    static let expectedChip = ["rpi3": "pinctrl-bcm2835", "rpi4": "pinctrl-bcm2711", "rpi5": "pinctrl-rp1",
                               "zero2w": "pinctrl-bcm2835", "cm4": "pinctrl-bcm2711", "sim": "fieldagent-mock"]
    /// The Raspberry Pi 40-pin header (PI-FACTS), which every board, the sim included, must match.
    static let piHeader: [Int: String] = [
        3: "GPIO2", 5: "GPIO3", 7: "GPIO4", 8: "GPIO14", 10: "GPIO15", 11: "GPIO17", 12: "GPIO18", 13: "GPIO27", 15: "GPIO22",
        16: "GPIO23", 18: "GPIO24", 19: "GPIO10", 21: "GPIO9", 22: "GPIO25", 23: "GPIO11", 24: "GPIO8", 26: "GPIO7", 27: "GPIO0",
        28: "GPIO1", 29: "GPIO5", 31: "GPIO6", 32: "GPIO12", 33: "GPIO13", 35: "GPIO19", 36: "GPIO16", 37: "GPIO26", 38: "GPIO20",
        40: "GPIO21", 1: "3V3", 17: "3V3", 2: "5V", 4: "5V", 6: "GND", 9: "GND", 14: "GND", 20: "GND", 25: "GND", 30: "GND",
        34: "GND", 39: "GND",
    ]
    static let fixedRoles: Set<Int> = [3, 5, 8, 10, 27, 28, 19, 21, 23, 24, 26]

    let files: BoardCatalog
    let builtIn: BoardCatalog

    init() throws {
        files = try BoardCatalog.load(directory: repoRoot + "/Boards")
        builtIn = try BoardCatalog.builtIn()
    }

    @Test func everyBoardFileDescribesTheWholeRaspberryPiHeaderOnAKnownChip() throws {
        #expect(files.boards.map(\.name) == ["cm4", "rpi3", "rpi4", "rpi5", "sim", "zero2w"])
        for board in files.boards {
            #expect(board.chipLabel == Self.expectedChip[board.name], "\(board.name): header chip")
            for chip in board.chips {
                #expect(Self.knownChips[chip.label] == chip.lines, "\(board.name): chip \(chip.label) with \(chip.lines) lines")
            }
            #expect(board.header.count == 40, "\(board.name): pins 1…40")
            for (index, pin) in board.header.enumerated() {
                let text = pin.bcm.map { "GPIO\($0)" } ?? pin.label
                #expect(text == Self.piHeader[index + 1], "\(board.name): header.\(index + 1) is \(pin.label)")
                #expect((pin.bcm ?? 0) < board.chipLines, "\(board.name): header.\(index + 1) beyond the chip")
                if case .gpio(_, let role) = pin {
                    #expect((role != nil) == Self.fixedRoles.contains(index + 1), "\(board.name): role of header.\(index + 1)")
                }
            }
            let gpios = board.header.compactMap(\.bcm)
            #expect(Set(gpios).count == 28, "\(board.name): 28 distinct GPIOs")
        }
    }

    @Test func namesAndAliasesAreUniqueAcrossBoards() {
        let all = files.boards.flatMap { [$0.name] + $0.aliases }
        #expect(Set(all).count == all.count)
    }

    @Test func theEmbeddedBoardFilesAreByteForByteTheFilesUnderBoards() throws {
        let embedded = BoardCatalog.embeddedFiles
        #expect(embedded.map(\.path) == ["raspberrypi/cm4.yaml", "raspberrypi/rpi3.yaml", "raspberrypi/rpi4.yaml",
                                         "raspberrypi/rpi5.yaml", "raspberrypi/zero2w.yaml", "sim/sim.yaml"])
        for (path, text) in embedded {
            let onDisk = YAMLParser.readFile(repoRoot + "/Boards/" + path)
            #expect(onDisk == text, "Boards/\(path) differs from the embedded copy: run scripts/embed-boards")
        }
        #expect(files.boards.map(\.header) == builtIn.boards.map(\.header))
    }

    @Test func regeneratingTheEmbeddedBoardsGivesTheSameBytes() throws {
        let out = "/tmp/fieldagent-embedded-boards-\(getpid()).swift"
        defer { unlink(out) }
        #expect(system("'\(repoRoot)/scripts/embed-boards' '\(out)'") == 0)
        let regenerated = try #require(YAMLParser.readFile(out))
        #expect(regenerated == YAMLParser.readFile(repoRoot + "/Sources/Boards/EmbeddedBoards.swift"), "run scripts/embed-boards")
    }

    @Test func pinsResolveByBCMNameOrHeaderPositionToChipLabelAndLine() throws {
        let rpi5 = try builtIn.board(named: "rpi5")
        let byName = try rpi5.resolve(pin: "GPIO17")
        #expect(try rpi5.resolve(pin: "header.11") == byName)
        #expect(try rpi5.resolve(pin: "gpio17") == byName)
        #expect(byName == ResolvedPin(bcmName: "GPIO17", headerPin: 11, chipLabel: "pinctrl-rp1", line: 17, role: nil))
        #expect(byName.description == "GPIO17 (header.11, pinctrl-rp1 line 17)")
        #expect(try rpi5.resolve(pin: "header.3").role == "i2c1-sda")
        #expect(try builtIn.board(named: "sim").resolve(pin: "GPIO27").chipLabel == "fieldagent-mock")
    }

    @Test(arguments: [
        ("GPIO71", "unknown pin \"GPIO71\" on board rpi4; the board has GPIO0…GPIO27 (or header.N)"),
        ("GPIO28", "unknown pin \"GPIO28\" on board rpi4; the board has GPIO0…GPIO27 (or header.N)"),
        ("header.41", "unknown pin \"header.41\" on board rpi4; the header has pins header.1…header.40"),
        ("header.1", "header.1 is a 3V3 power pin on board rpi4, not a GPIO; see 'fieldagent boards rpi4'"),
        ("header.2", "header.2 is a 5V power pin on board rpi4, not a GPIO; see 'fieldagent boards rpi4'"),
        ("header.6", "header.6 is a ground pin on board rpi4, not a GPIO; see 'fieldagent boards rpi4'"),
        ("11", "pin \"11\" is ambiguous on board rpi4; write header.11 (physical pin 11: GPIO17) or GPIO11 (header.23)"),
        ("pin11", "unknown pin \"pin11\" on board rpi4; write a BCM name (the board has GPIO0…GPIO27) or a header position (header.1…header.40)"),
        ("GPIO+17", "unknown pin \"GPIO+17\" on board rpi4; write a BCM name (the board has GPIO0…GPIO27) or a header position (header.1…header.40)"),
    ])
    func pinsTheBoardDoesNotHaveAreRefusedWithWhatItHas(pin: String, message: String) throws {
        let rpi4 = try builtIn.board(named: "rpi4")
        #expect(throws: BoardError(message)) { try rpi4.resolve(pin: pin) }
    }

    @Test func boardsAreFoundByNameOrAliasInAnyCase() throws {
        #expect(try builtIn.board(named: "pi4").name == "rpi4")
        #expect(try builtIn.board(named: "RPi4B").name == "rpi4")
        #expect(try builtIn.board(named: "raspberrypi5").name == "rpi5")
        #expect(try builtIn.board(named: "mock").name == "sim")
    }

    @Test func anUnknownBoardSuggestsTheClosestAndListsTheKnownOnes() {
        #expect(throws: BoardError("unknown board \"rpi6\" (did you mean rpi3, rpi4 or rpi5?); known boards: cm4, rpi3, rpi4, rpi5, sim, zero2w")) {
            try builtIn.board(named: "rpi6")
        }
        #expect(throws: BoardError("unknown board \"beaglebone\"; known boards: cm4, rpi3, rpi4, rpi5, sim, zero2w")) {
            try builtIn.board(named: "beaglebone")
        }
    }

    @Test func theDeviceTreeModelFindsTheBoard() {
        #expect(builtIn.board(forModel: "Raspberry Pi 4 Model B Rev 1.4")?.name == "rpi4")
        #expect(builtIn.board(forModel: "Raspberry Pi Compute Module 4 Rev 1.0")?.name == "cm4")
        #expect(builtIn.board(forModel: "Raspberry Pi 5 Model B Rev 1.0")?.name == "rpi5")
        #expect(builtIn.board(forModel: "Raspberry Pi 3 Model B Plus Rev 1.3")?.name == "rpi3")
        #expect(builtIn.board(forModel: "Raspberry Pi Zero 2 W Rev 1.0")?.name == "zero2w")
        #expect(builtIn.board(forModel: "Raspberry Pi Compute Module 5 Rev 1.0") == nil)
    }

    @Test func thePinTableShowsTheHeaderInTwoColumns() throws {
        let table = try builtIn.board(named: "rpi5").pinTable()
        let lines = table.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines.first == "rpi5: Raspberry Pi 5")
        #expect(lines.contains("               3V3   1 | 2   5V"))
        #expect(lines.contains("  GPIO2 (i2c1-sda)   3 | 4   5V"))
        #expect(lines.contains("            GPIO17  11 | 12  GPIO18"))
        #expect(lines.contains("               GND  39 | 40  GPIO21"))
        #expect(lines.filter { $0.contains(" | ") }.count == 20)
    }

    @Test func aBrokenBoardFileIsRefusedAtItsPlace() {
        func error(_ text: String) -> String? {
            do {
                _ = try Board.parse(try YAMLParser.parse(text, file: "b.yaml"))
                return nil
            } catch {
                return "\(error)"
            }
        }
        let head = "name: x\nchip: {label: pinctrl-rp1, lines: 54}\nheader:\n"
        var full = head
        for n in 1...40 { full += "  \(n): \(n == 1 ? "3V3" : n == 6 ? "GND" : "GPIO\(n)")\n" }
        #expect(error(full) == nil)
        #expect(error(head + "  1: 3V3\n")?.hasPrefix("b.yaml:4:3: error: header incomplete; pins 2, 3") == true)
        #expect(error(head + "  1: GPIO60\n") == "b.yaml:4:6: error: 'GPIO60' is not a line of chip pinctrl-rp1 (0…53)")
        #expect(error(head + "  1: GPIO5\n  2: GPIO5\n") == "b.yaml:5:6: error: GPIO5 is already header pin 1")
        #expect(error(head + "  41: GND\n") == "b.yaml:4:3: error: a header pin: 41 is out of range; write 1…40")
        #expect(error(head + "  1: 12V\n") == "b.yaml:4:6: error: '12V': expected GPIOn [role], 3V3, 5V or GND")
        #expect(error("name: x\nchips: {}\n")?.hasPrefix("b.yaml:2:1: error: unknown key 'chips' in a board file; did you mean 'chip'?") == true)
        #expect(error("name: x\n") == "b.yaml:1:1: error: a board file needs 'chip'")
    }

    @Test func aBoardsDirectoryThatDoesNotExistIsAnError() {
        #expect(throws: BoardError("cannot read the boards directory /nonexistent: No such file or directory")) {
            try BoardCatalog.load(directory: "/nonexistent")
        }
    }
}

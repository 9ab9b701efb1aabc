import Boards
import Testing
import YAML

/// The repository root, found from this file's path.
let repoRoot: String = {
    var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
    parts.removeLast(3)
    return parts.joined(separator: "/")
}()

@Suite struct BoardTests {
    static let expectedLabels = ["rpi3": "pinctrl-bcm2835", "rpi4": "pinctrl-bcm2711", "rpi5": "pinctrl-rp1",
                                 "zero2w": "pinctrl-bcm2835", "cm4": "pinctrl-bcm2711", "sim": "fieldagent-mock"]

    @Test func everyBoardFileLoadsWithACompleteHeaderAndUniquePins() throws {
        let catalog = try BoardCatalog.load(directory: repoRoot + "/Boards")
        #expect(Set(catalog.boards.map(\.name)) == Set(Self.expectedLabels.keys))
        for board in catalog.boards {
            #expect(board.header.count == 40, "\(board.name)")
            #expect(board.chipLabel == Self.expectedLabels[board.name], "\(board.name) chip label")
            let gpios = board.header.compactMap { if case .gpio(let b, _) = $0 { b } else { nil } }
            #expect(gpios.count == 28, "\(board.name): 28 GPIOs on the header")
            #expect(Set(gpios).count == gpios.count, "\(board.name): a GPIO appears twice")
            #expect(gpios.allSatisfy { $0 < board.chipLines }, "\(board.name): line beyond the chip")
            #expect(board.header.filter { $0 == .ground }.count == 8, "\(board.name) ground pins")
        }
    }

    @Test func theEmbeddedBoardsAreTheBoardFiles() throws {
        let files = try BoardCatalog.load(directory: repoRoot + "/Boards")
        let embedded = try BoardCatalog.builtIn()
        #expect(files.boards.map(\.name) == embedded.boards.map(\.name))
        for (a, b) in zip(files.boards, embedded.boards) {
            #expect(a.header == b.header, "\(a.name): run scripts/embed-boards")
            #expect(a.chipLabel == b.chipLabel && a.description == b.description && a.aliases == b.aliases)
        }
    }

    @Test func pinsResolveByBCMNameOrHeaderPosition() throws {
        let rpi5 = try BoardCatalog.builtIn().board(named: "rpi5")
        let byName = try rpi5.resolve(pin: "GPIO17")
        let byHeader = try rpi5.resolve(pin: "header.11")
        #expect(byName == byHeader)
        #expect(byName.chipLabel == "pinctrl-rp1" && byName.line == 17 && byName.headerPin == 11)
    }

    @Test func powerGroundAndUnknownPinsAreRefusedWithTheReason() throws {
        let rpi4 = try BoardCatalog.builtIn().board(named: "pi4")
        #expect(throws: BoardError.self) { try rpi4.resolve(pin: "header.1") }
        do { _ = try rpi4.resolve(pin: "header.6"); Issue.record("ground accepted") } catch { #expect(error.description.contains("ground")) }
        do { _ = try rpi4.resolve(pin: "GPIO71"); Issue.record("GPIO71 accepted") } catch { #expect(error.description.contains("GPIO0…GPIO27")) }
    }

    @Test func anUnknownBoardListsTheKnownOnes() throws {
        let catalog = try BoardCatalog.builtIn()
        let result = Result { () throws(BoardError) -> Board in try catalog.board(named: "rpi6") }
        guard case .failure(let e) = result else { Issue.record("rpi6 accepted"); return }
        #expect(e.description.contains("rpi5"))
    }
}

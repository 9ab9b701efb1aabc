import Boards
import Config
import Modbus
import Testing

/// `server: reserved:`: the connection slots kept for peers and writers.
@Suite struct ServerSlotConfigTests {
    let loader = ConfigLoader(catalog: try! BoardCatalog.builtIn())

    func load(_ server: String) throws(ConfigErrors) -> ModbusServerConfiguration? {
        try loader.load(text: "board: sim\nserver: \(server)\n", file: "t.yaml").0.server
    }

    @Test func aQuarterOfTheSlotsAtMostFourAreReservedByDefault() throws {
        let byDefault = try load("{port: 1502}")
        let eight = try load("{port: 1502, max_connections: 8}")
        let two = try load("{port: 1502, max_connections: 2}")
        let all = try load("{port: 1502, max_connections: 8, reserved: 8}")
        #expect(byDefault?.reservedConnections == 4)
        #expect(eight?.reservedConnections == 2)
        #expect(two?.reservedConnections == 0)
        #expect(all?.reservedConnections == 8)
    }

    @Test func moreReservedSlotsThanConnectionsIsAnErrorWithTheRange() {
        do throws(ConfigErrors) {
            _ = try load("{port: 1502, max_connections: 4, reserved: 5}")
            Issue.record("reserved: 5 of 4 was accepted")
        } catch {
            #expect(error.diagnostics.map(brief) == ["2:52: error: reserved: 5 is more than max_connections 4; use 0…4 (4: strangers get no slot)"])
        }
    }
}

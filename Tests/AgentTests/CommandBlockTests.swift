import Agent
import EventLoop
import Modbus
import Testing

/// The command block's allowlist, its refusals' log lines and its self-clearing reset bit.
@Suite struct CommandBlockTests {
    final class Lines: @unchecked Sendable { var all: [String] = [] }

    @Test func aStrangerHammeringTheCommandBlockIsLoggedOncePerIntervalWithACount() {
        let loop = ManualLoop()
        let lines = Lines()
        let commands = CommandBlock(allowed: ["10.0.0.5"], loop: loop, logger: Logger(sink: { lines.all.append($0) }))
        let stranger = ModbusClientInfo(host: "192.0.2.9", port: 4000, connectionID: 1)
        for _ in 0..<20_000 { _ = commands.authorize(stranger, 1, .registers(address: 0, values: [1])) }
        #expect(commands.refused == 20_000)
        #expect(lines.all.count == 1)
        loop.advance(by: .seconds(10))
        #expect(lines.all.count == 2)
        #expect(lines.all.last?.contains("repeated=19999 over=10s") == true)
    }

    @Test func anAddressAddedLaterIsAllowedWithOrWithoutTheV4MappedPrefix() {
        let loop = ManualLoop()
        let commands = CommandBlock(allowed: ["10.0.0.5"], loop: loop, logger: .silent)
        #expect(commands.isAllowed("::ffff:10.0.0.5"))
        #expect(!commands.isAllowed("192.0.2.20"))
        commands.allow("::ffff:192.0.2.20")          // a peer given by name, once it resolved
        #expect(commands.isAllowed("192.0.2.20"))
        let client = ModbusClientInfo(host: "192.0.2.20", port: 1, connectionID: 1)
        #expect(commands.authorize(client, 1, .registers(address: 0, values: [1])) == .allow)
    }
}

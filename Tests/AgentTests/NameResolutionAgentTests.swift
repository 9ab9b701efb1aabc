import Agent
import Boards
import Config
import EventLoop
import Glibc
import Modbus
import Testing

/// Host names of sensors and peers resolve off the loop: with DNS down the agent still starts (outputs safe),
/// the device and the peer are down with the reason, and a peer given by name may write once it resolves.
@Suite struct NameResolutionAgentTests {
    static let config = """
    board: sim
    name: line-a
    outputs:
      - {name: motor, pin: GPIO22, safe: off}
    modbus:
      - name: machine
        endpoint: tcp://machine.plant.example:1601
        timeout: 100ms
        points:
          - {name: values, table: input, address: 0, count: 12, type: float32, poll: 100ms}
    peers:
      - {name: line-b, host: line-b.plant.example, port: 1503, interval: 200ms}
    server: {bind: 127.0.0.1, port: 15020}

    """

    /// Runs `loop` until `done` or `limit` of real time.
    func run(_ loop: EpollLoop, for limit: Duration, until done: () -> Bool) throws {
        var expired = false
        let timer = loop.schedule(after: limit) { expired = true }
        while !done() && !expired { try loop.runOnce() }
        loop.cancel(timer)
    }

    func start(_ resolve: @escaping NameResolver.Resolve, loop: EpollLoop) throws -> Agent {
        let (config, warnings) = try ConfigLoader.forThisBinary(catalog: try BoardCatalog.builtIn()).load(text: Self.config, file: "line-a.yaml")
        #expect(warnings.map(\.message).contains { $0.contains("host 'line-b.plant.example' is a name") && $0.contains("writers are matched by IP address") })
        let board = config.board
        let chips = ChipSet(backend: .mock, loop: loop) { board.lineNames(ofChip: $0) }
        let agent = Agent(config: config, chips: chips, loop: loop, logger: .silent)
        agent.resolver = NameResolver(loop: loop, resolve: resolve)
        try agent.start()
        return agent
    }

    @Test func withDNSDownTheAgentStartsAndReportsTheSensorAndThePeerDownWithTheReason() throws {
        let loop = try EpollLoop()
        let agent = try start({ _, _ in .failure(NameResolver.Failure("Temporary failure in name resolution")) }, loop: loop)
        try run(loop, for: .milliseconds(500)) { false }
        #expect(agent.sensors?.link(of: "machine")?.state == .down)
        #expect(agent.sensors?.problem(of: "machine")?.hasPrefix("cannot resolve machine.plant.example: Temporary failure in name resolution; retrying in") == true)
        let peers = try #require(agent.peers)
        #expect(peers.peers[0].link == .down)
        #expect(peers.reason(0)?.contains("cannot resolve line-b.plant.example") == true)
        #expect(agent.statusText().contains("[cannot resolve line-b.plant.example"))
        #expect(!agent.commands.isAllowed("127.0.0.9"))
        agent.shutdown(reason: "test")
        agent.closeModbus()
    }

    @Test func aPeerGivenByNameMayWriteOnceItResolves() throws {
        let loop = try EpollLoop()
        let agent = try start({ host, port in
            .success(SocketAddress(numericHost: host.hasPrefix("line-b") ? "127.0.0.9" : "127.0.0.1", port: port)!)
        }, loop: loop)
        #expect(!agent.commands.isAllowed("127.0.0.9"))
        try run(loop, for: .seconds(2)) { agent.commands.isAllowed("127.0.0.9") }
        #expect(agent.commands.isAllowed("127.0.0.9"))
        #expect(agent.peers?.reason(0) == nil)
        agent.shutdown(reason: "test")
        agent.closeModbus()
    }
}

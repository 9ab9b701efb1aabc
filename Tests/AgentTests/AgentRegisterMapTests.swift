import Agent
import Modbus
import Testing

@Suite struct AgentRegisterMapTests {
    @Test func theMapShowsInputsOutputsVersionAndUptimeAndRefusesWrites() throws {
        let h = try Harness()
        let map = AgentRegisterMap(agent: h.agent, loop: h.loop)
        #expect(map.register(.inputRegisters, at: 0) == AgentRegisterMap.mapVersion)
        #expect(map.register(.inputRegisters, at: 4) == 2 && map.register(.inputRegisters, at: 5) == 3)
        h.drive("button", false)                   // press (active-low), 10 ms debounce
        h.loop.advance(by: .seconds(3))
        #expect(map.bit(.discreteInputs, at: 0) == true)
        #expect(map.bit(.coils, at: 0) == true)     // the lamp toggled on
        #expect(map.bit(.coils, at: 2) == false)    // fan
        #expect(map.register(.inputRegisters, at: 1) == 3)   // heartbeat: seconds since start
        #expect(map.register(.inputRegisters, at: 7) == 1)   // one edge
        #expect(map.bit(.coils, at: 3) == nil)
        #expect(map.register(.inputRegisters, at: 8) == nil)
        #expect(map.register(.holdingRegisters, at: 0) == nil)
        #expect(map.apply(.coils(address: 0, values: [false])) == .illegalDataAddress)
        #expect(map.bit(.coils, at: 0) == true)
    }
}

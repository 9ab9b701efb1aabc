import Agent
import Modbus
import Testing

@Suite struct AgentRegisterMapTests {
    @Test func theMapShowsIdentityStatusInputsAndOutputsAndTakesWritesOnlyInTheCommandBlock() throws {
        let h = try Harness()
        let map = AgentRegisterMap(agent: h.agent, loop: h.loop)
        #expect(map.register(.inputRegisters, at: RegisterLayout.mapVersion) == 3)
        #expect(map.register(.inputRegisters, at: RegisterLayout.inputCount) == 2)
        #expect(map.register(.inputRegisters, at: RegisterLayout.outputCount) == 3)
        // No decide: section: no class, state "no model".
        #expect(map.register(.inputRegisters, at: RegisterLayout.healthClass) == RegisterLayout.noClass)
        #expect(map.register(.inputRegisters, at: RegisterLayout.state) == RegisterLayout.State.noModel.rawValue)
        h.drive("button", false)                   // press (active-low), 10 ms debounce
        h.loop.advance(by: .seconds(3))
        #expect(map.bit(.discreteInputs, at: 0) == true)
        #expect(map.bit(.coils, at: 0) == true)     // the lamp toggled on
        #expect(map.bit(.coils, at: 2) == false)    // fan
        #expect(map.register(.inputRegisters, at: RegisterLayout.heartbeat) == 3)
        #expect(map.register(.inputRegisters, at: RegisterLayout.edges + 1) == 1)
        #expect(map.bit(.coils, at: 3) == nil)
        #expect(map.register(.inputRegisters, at: 36) == nil)
        #expect(map.register(.inputRegisters, at: 99) == nil)
        #expect(map.register(.inputRegisters, at: 132) == nil)
        // Unused value slots read NaN.
        let hi = map.register(.inputRegisters, at: RegisterLayout.values)!, lo = map.register(.inputRegisters, at: RegisterLayout.values + 1)!
        #expect(Float(bitPattern: UInt32(hi) << 16 | UInt32(lo)).isNaN)
        // The identity: the agent's name, two characters per register.
        let regs = (0..<RegisterLayout.statusRegisters).map { map.register(.inputRegisters, at: UInt16($0))! }
        let status = try #require(PeerStatus(registers: regs))
        #expect(status.name == "sim-basic" && status.isCompatible)
        // Writes: the command block only.
        #expect(map.register(.holdingRegisters, at: 0) == 0)
        #expect(map.register(.holdingRegisters, at: 2) == nil)
        #expect(map.apply(.coils(address: 0, values: [false])) == .illegalDataAddress)
        #expect(map.bit(.coils, at: 0) == true)
        #expect(map.apply(.registers(address: 0, values: [1, 7])) == nil)
        #expect(h.agent.commands.isSet(0) && h.agent.commands.sequence == 7)
    }

    @Test func aPeerServingAnotherMapVersionIsRecognised() {
        var regs = [UInt16](repeating: 0, count: RegisterLayout.statusRegisters)
        regs[0] = 7
        let status = PeerStatus(registers: regs)
        #expect(status?.isCompatible == false && status?.mapVersion == 7)
    }
}

@Suite struct ExportedFeatureTests {
    @Test func aFeatureOverAnInputIsSampledAndServedInTheValuesBlock() throws {
        let h = try Harness(BuiltinConfigs.simBasic + """

            features:
              - {name: pressed, from: button}
              - {name: pressed_share, from: button, take: mean, over: 4}
            server: {bind: 127.0.0.1, port: 1}
            """)
        let map = AgentRegisterMap(agent: h.agent, loop: h.loop)
        func value(_ slot: UInt16) -> Float {
            let hi = map.register(.inputRegisters, at: RegisterLayout.values + 2 * slot)!
            let lo = map.register(.inputRegisters, at: RegisterLayout.values + 2 * slot + 1)!
            return Float(bitPattern: UInt32(hi) << 16 | UInt32(lo))
        }
        #expect(map.register(.inputRegisters, at: RegisterLayout.valueCount) == 2)
        #expect(value(0) == 0)                    // released
        h.drive("button", false)                  // press (active-low), 10 ms debounce
        h.loop.advance(by: .milliseconds(20))
        #expect(value(0) == 1)
        #expect(value(1) == 0.5)                  // one sample released, one pressed
        #expect(value(2).isNaN)                   // unused slot
    }
}

// libFuzzer entry point over the decision pipeline with outside values: arbitrary Doubles (NaN, infinities,
// subnormals, huge) as sensor samples, straight into the features and as float32 registers of a sensor the agent
// polls over loopback Modbus TCP; then the decision tick, the status text, the metrics, the register map a peer
// reads, and requests a peer or SCADA tool sends to that register map. Built by `make fuzz` (see mk/modbus.mk).
// A crash or a trap is a bug; so is a non-finite feature value handed to the model.
import Agent
import Boards
import Config
import EventLoop
import Modbus
import Service

/// One agent on a manual loop with a simulated sensor behind Modbus TCP on the same loop: built once, then fed.
private final class Rig {
    let loop = ManualLoop()
    let sensor = MemoryRegisterMap(coils: 1, discreteInputs: 1, holdingRegisters: 2, inputRegisters: 24)
    let server: ModbusTCPServer
    let agent: Agent
    let map: AgentRegisterMap
    let handler: RequestHandler
    let client = ModbusClientInfo(host: "127.0.0.1", port: 50000, connectionID: 1)
    var output: [UInt8] = []

    init() {
        server = ModbusTCPServer(loop: loop, map: sensor, configuration: ModbusServerConfiguration(bindAddress: "127.0.0.1", port: 0))
        try! server.start()
        let reductions = ["take: last", "take: mean, over: 3", "take: rms, over: 4", "take: peak, over: 3", "take: slope, over: 5"]
        let names = ["vibration_rms_g", "vibration_peak_g", "vibration_crest", "vibration_kurtosis", "vibration_high_band",
                     "dominant_frequency_hz", "bearing_temperature_c", "temperature_rise_c", "motor_current_a",
                     "current_imbalance_pct", "speed_rpm", "power_factor"]
        var text = """
            board: sim
            name: fuzz
            outputs:
              - {name: motor, pin: GPIO22, safe: off}
            modbus:
              - name: machine
                endpoint: tcp://127.0.0.1:\(server.port)
                timeout: 50ms
                retries: 0
                points:
                  - {name: values, table: input, address: 0, count: 12, type: float32, poll: 100ms}
                  - {name: load, table: holding, address: 0, writable: true, safe: 0}
            features:

            """
        for (i, n) in names.enumerated() { text += "  - {name: \(n), from: \"machine.values[\(i)]\", \(reductions[i % reductions.count])}\n" }
        text += """
            decide:
              every: 100ms
              confirm: 1
              min_dwell: 0
              actions:
                normal: [motor on, machine.load 100]
                degraded: [motor on, machine.load 70]
                fault: [motor off, machine.load 0]
            server: {bind: 127.0.0.1, port: 1502, writers: [127.0.0.1]}

            """
        let (config, _) = try! ConfigLoader.forThisBinary(catalog: try! BoardCatalog.builtIn()).load(text: text, file: "fuzz.yaml")
        let chips = ChipSet(backend: .mock, loop: loop) { config.board.lineNames(ofChip: $0) }
        agent = Agent(config: config, chips: chips, loop: loop, logger: .silent)
        try! agent.start()
        map = AgentRegisterMap(agent: agent, loop: loop)
        let commands = agent.commands!
        handler = RequestHandler(map: map) { client, unit, write in commands.authorize(client, unit, write) }
        for i in 0..<12 { store(Float(i + 1), at: i) }
        pump(.seconds(1))
    }

    func store(_ value: Float, at index: Int) {
        sensor.inputRegisters[2 * index] = UInt16(truncatingIfNeeded: value.bitPattern >> 16)
        sensor.inputRegisters[2 * index + 1] = UInt16(truncatingIfNeeded: value.bitPattern)
    }

    /// Moves virtual time in 10 ms steps, letting the loopback sockets work at each step.
    func pump(_ duration: Duration) {
        let end = loop.now + duration
        while loop.now < end {
            loop.advance(by: .milliseconds(10))
            var quiet = 0
            while quiet < 3 { quiet = loop.runReadyIO() == 0 ? quiet + 1 : 0 }
        }
    }

    /// Everything that reads features, as status, metrics, peers and SCADA do.
    func render() {
        if let engine = agent.decision {
            engine.tick()
            for p in engine.probabilities { precondition(p.isFinite && p >= 0 && p <= 1, "probability \(p)") }
        }
        for f in agent.features.features { if let v = f.value { precondition(v.isFinite, "non-finite feature \(f.config.name)") } }
        _ = agent.statusText()
        _ = agent.oneLineStatus()
        _ = PrometheusText.render(agent.metricFamilies())
        for address in 0...UInt16(120) { _ = map.register(.inputRegisters, at: address) }
        _ = map.register(.holdingRegisters, at: 0)
    }
}

private let rig = Rig()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    // data points at `size` bytes libFuzzer owns for this call; we copy them.
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    var i = 0
    while i + 9 <= bytes.count {
        let selector = Int(bytes[i])
        var bits: UInt64 = 0
        for k in 1...8 { bits = bits << 8 | UInt64(bytes[i + k]) }
        let value = Double(bitPattern: bits)
        let feature = selector % 12
        switch selector / 12 % 4 {
        case 0:
            var values = Array(repeating: 1.0, count: 12)
            values[feature] = value
            rig.agent.features.ingest(ModbusSample(device: "machine", point: "values", values: values, at: rig.loop.now))
        case 1:
            rig.store(Float(value), at: feature)
        case 2:
            // A request to the agent's register map, as a peer or SCADA tool sends it (the value's bytes as the PDU).
            let pdu = (0..<8).map { UInt8(truncatingIfNeeded: bits >> (8 * UInt64($0))) }
            rig.output.removeAll(keepingCapacity: true)
            _ = rig.handler.handle(pdu: pdu[...], unit: 1, client: rig.client, into: &rig.output)
        default:
            rig.render()
        }
        i += 9
    }
    rig.pump(.milliseconds(100))
    rig.render()
    return 0
}

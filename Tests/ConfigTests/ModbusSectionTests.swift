import Boards
import Config
import Modbus
import Testing

private func load(_ text: String) throws -> AgentConfig {
    try ConfigLoader(catalog: BoardCatalog.builtIn()).load(text: text, file: "test.yaml").0
}

private func errors(_ text: String) -> String {
    do {
        _ = try ConfigLoader(catalog: BoardCatalog.builtIn()).load(text: text, file: "test.yaml")
        return ""
    } catch {
        return "\(error)"
    }
}

@Test func modbusDevicesAndTheServerDecodeIntoTheModbusTypes() throws {
    let config = try load("""
    board: sim
    modbus:
      - name: boiler
        endpoint: tcp://192.168.1.20:1502
        unit: 3
        timeout: 500ms
        retries: 1
        down_after: 2
        points:
          - name: temperature
            table: input
            address: 10
            type: float32
            word_order: little
            scale: 0.5
            offset: -1
            poll: 2s
          - name: valve
            table: coils
            address: 4
            writable: true
      - name: meter
        endpoint: rtu:/dev/ttyUSB0?baud=9600&parity=N&rs485=1
        points:
          - { name: power, table: holding, address: 0, count: 2, type: int32, poll: 1s }
    server:
      bind: 127.0.0.1
      port: 1502
      max_connections: 4
      idle_timeout: 30s
    """)
    #expect(config.modbus.count == 2)
    let boiler = config.modbus[0]
    #expect(boiler.endpoint == .tcp(host: "192.168.1.20", port: 1502) && boiler.unit == 3)
    #expect(boiler.options.responseTimeout == .milliseconds(500) && boiler.options.retries == 1 && boiler.downAfterFailures == 2)
    #expect(boiler.points[0] == ModbusPointConfig(name: "temperature", table: .inputRegisters, address: 10,
                                                  codec: PointCodec(type: .float32, wordOrder: .little, scale: 0.5, offset: -1), pollInterval: .seconds(2)))
    #expect(boiler.points[1].table == .coils && boiler.points[1].codec.type == .bool && boiler.points[1].writable && boiler.points[1].pollInterval == nil)
    #expect(config.modbus[1].endpoint == .rtu(SerialSettings(device: "/dev/ttyUSB0", baud: 9600, parity: .none, rs485: true)))
    #expect(config.modbus[1].points[0].itemCount == 4)
    #expect(config.server == ModbusServerConfiguration(bindAddress: "127.0.0.1", port: 1502, maxConnections: 4, idleTimeout: .seconds(30)))
}

@Test func modbusMistakesAreReportedWithTheirPlaceAndTheFix() {
    let text = errors("""
    board: sim
    modbus:
      - name: a
        endpoint: udp://x
        points:
          - { name: p, table: input, address: 0, writable: true }
          - { name: q, table: coils, address: 0, type: float32, poll: 1s }
          - { name: r, table: holding, address: 65535, count: 2, poll: 1s }
          - { name: s, table: holdings, address: 1, poll: 1s }
    server:
      bind: localhost
      port: 70000
    """)
    #expect(text.contains("test.yaml:4:15"), "\(text)")
    #expect(text.contains("expected tcp://HOST:PORT, tls://HOST:PORT or rtu:"), "\(text)")
    #expect(text.contains("only coils and holding registers can be written"), "\(text)")
    #expect(text.contains("coils hold bits; type must be bool"), "\(text)")
    #expect(text.contains("ends by 65535"), "\(text)")
    #expect(text.contains("did you mean 'holding'"), "\(text)")
    #expect(text.contains("not a numeric IPv4 or IPv6 address"), "\(text)")
    #expect(text.contains("port"), "\(text)")
}

@Test func devicesOnOneSerialLineMustAgreeOnItsSettings() {
    let text = errors("""
    board: sim
    modbus:
      - { name: a, endpoint: "rtu:/dev/ttyUSB0?baud=9600", unit: 1, points: [] }
      - { name: b, endpoint: "rtu:/dev/ttyUSB0?baud=19200", unit: 2, points: [] }
    """)
    #expect(text.contains("test.yaml:4:26") && text.contains("devices on one serial line must use the same settings"), "\(text)")
}

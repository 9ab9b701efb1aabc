import Config
import EventLoop
import GPIO
import Modbus
import TLS

/// Drives every actuator of a config to its safe value and verifies it, without the agent: what
/// `fieldagent safe` does, and what systemd runs after the agent stopped for any reason (`ExecStopPost=`: a
/// crash, a watchdog kill, SIGKILL), so that outputs end safe even when the process died.
///
/// - GPIO outputs: each line is requested as an output at its safe value (the kernel drives it as it grants
///   the request), read back from the chip, and released after `hold` (a Pi's pinctrl keeps the level; a
///   line still held by a running agent is reported busy, not taken).
/// - Modbus actuators (writable points with `safe:`): the safe value is written (FC 5/6/16) and then read
///   back (FC 1/3); confirmed only when the device returns exactly the encoded value.
///
/// Runs on its own loop; nothing here blocks it (connections, host names and timeouts are the Modbus client's).
/// Actuators behind `tls://` are reached with the agent's certificate (`server: tls:`), as the agent reaches them;
/// when it cannot be loaded, they are reported unconfirmed with the reason.
public final class SafeStateDriver {
    private let config: AgentConfig
    private let chips: ChipSet
    private let loop: EpollLoop
    private let logger: Logger
    private var held: [GPIOOutputLine] = []

    /// A driver for `config`'s actuators, on `chips` (the backend `run` would use) and `loop`.
    public init(config: AgentConfig, chips: ChipSet, loop: EpollLoop, logger: Logger = .silent) {
        self.config = config
        self.chips = chips
        self.loop = loop
        self.logger = logger
    }

    /// Drives and verifies everything; returns one result per actuator, GPIO outputs first, in config order.
    /// Modbus actuators not confirmed within `timeout` are reported with what was last known; GPIO lines are
    /// held for `hold` (at least until the Modbus part is done) before they are released.
    public func run(timeout: Duration = .seconds(5), hold: Duration = .zero) throws(SystemError) -> [SafeStateResult] {
        var results = driveOutputs()
        let started = loop.now
        var modbus = modbusTargets()
        var pending = modbus.count
        var clients: [ModbusEndpoint: ModbusClient] = [:]
        var tls: TLSContext?
        if let identity = config.serverTLS?.identity, modbus.contains(where: { if case .tls = $0.device.endpoint { true } else { false } }) {
            do {
                tls = try TLSContext(server: false, identity: identity)
            } catch {
                logger.error("safe.tls_identity_failed", ["reason": error.description, "risk": "tls:// actuators cannot be reached"])
            }
        }
        for (i, t) in modbus.enumerated() {
            let client: ModbusClient
            if let c = clients[t.device.endpoint] {
                client = c
            } else {
                client = try ModbusClient(loop: loop, endpoint: t.device.endpoint, options: t.device.options, logger: logger, tls: tls)
                clients[t.device.endpoint] = client
            }
            verify(t, with: client) { confirmed, detail in
                guard modbus[i].result == nil else { return }
                modbus[i].result = (confirmed, detail)
                pending -= 1
            }
        }
        var expired = false
        let deadline = loop.schedule(after: timeout) { expired = true }
        var holdOver = hold <= .zero
        if !holdOver { loop.schedule(at: started + hold) { holdOver = true } }
        while !(pending == 0 || expired) || !holdOver {
            try loop.runOnce()
        }
        loop.cancel(deadline)
        for c in clients.values { c.close() }
        for line in held { line.release() }
        held = []
        for t in modbus {
            let (confirmed, detail) = t.result ?? (false, "no confirmation within \(durationText(timeout))")
            results.append(SafeStateResult(actuator: "\(t.device.name).\(t.point.name)", safe: Self.text(t.safe, coil: t.point.table == .coils),
                                           location: "\(t.device.endpoint) unit \(t.device.unit) \(t.point.table.rawValue) \(t.point.address)",
                                           confirmed: confirmed, detail: detail))
        }
        return results
    }

    // MARK: GPIO

    private func driveOutputs() -> [SafeStateResult] {
        let consumer = "fieldagent-safe:\(config.name)"
        return config.outputs.map { o in
            let location = "\(o.pin.bcmName) (\(o.pin.chipLabel) line \(o.pin.line))"
            let safe = o.safe ? "on" : "off"
            do throws(GPIOError) {
                let chip = try chips.chip(label: o.pin.chipLabel)
                let line = try chip.requestOutput(line: o.pin.line, activeLow: o.activeLow, initial: o.safe, consumer: consumer)
                held.append(line)
                let seen = try line.readBack()
                return SafeStateResult(actuator: o.name, safe: safe, location: location, confirmed: seen == o.safe,
                                       detail: "read back \(seen ? "on" : "off")")
            } catch {
                return SafeStateResult(actuator: o.name, safe: safe, location: location, confirmed: false, detail: error.message)
            }
        }
    }

    // MARK: Modbus

    private struct Target {
        let device: ModbusDeviceConfig
        let point: ModbusPointConfig
        let safe: Double
        var result: (Bool, String)?
    }

    /// Every writable point with a safe value, device by device.
    private func modbusTargets() -> [Target] {
        config.modbus.flatMap { d in
            d.points.compactMap { p in
                guard p.writable, p.table.isWritable, let safe = p.safeValue else { return nil }
                return Target(device: d, point: p, safe: safe)
            }
        }
    }

    /// Writes the safe value, reads it back, and reports whether the device holds exactly it.
    private func verify(_ t: Target, with client: ModbusClient, _ done: @escaping (Bool, String) -> Void) {
        let p = t.point
        let write: ModbusRequest
        let expected: [UInt16]
        if p.table == .coils {
            write = .writeSingleCoil(address: p.address, value: t.safe != 0)
            expected = [t.safe != 0 ? 1 : 0]
        } else {
            do {
                expected = try p.codec.encode(t.safe)
            } catch {
                return done(false, "the safe value \(t.safe) does not fit \(p.codec.type.rawValue): \(error)")
            }
            write = expected.count == 1 ? .writeSingleRegister(address: p.address, value: expected[0])
                : .writeMultipleRegisters(address: p.address, values: expected)
        }
        let unit = t.device.unit
        client.send(write, unit: unit) { result in
            if case .failure(let error) = result { return done(false, "write: \(error)") }
            let read: ModbusRequest = .read(table: p.table, address: p.address, count: UInt16(expected.count))
            client.send(read, unit: unit) { result in
                switch result {
                case .success(.bits(let bits)):
                    let seen = bits.prefix(expected.count).map { $0 ? UInt16(1) : 0 }
                    done(Array(seen) == expected, "read back \(seen.map(String.init).joined(separator: " "))")
                case .success(.registers(let registers)):
                    let seen = Array(registers.prefix(expected.count))
                    done(seen == expected, "read back \(p.codec.decode(seen)) (raw \(seen.map(String.init).joined(separator: " ")))")
                case .success(.written), .success(.deviceIdentification):
                    done(false, "read back: unexpected answer")
                case .failure(let error):
                    done(false, "written, but the read back failed: \(error)")
                }
            }
        }
    }

    private static func text(_ value: Double, coil: Bool) -> String {
        if coil { return value != 0 ? "on" : "off" }
        return value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
    }
}

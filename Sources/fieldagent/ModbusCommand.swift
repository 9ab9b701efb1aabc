import CommandLineTool
import EventLoop
import Glibc
import Modbus
import TLS

/// `fieldagent modbus`: read, write and serve Modbus through the agent's own client and server.
enum ModbusCommand {
    static let command = Command(
        name: "modbus",
        summary: "Modbus diagnostics: read and write a device, scan for unit ids, serve a test register map",
        help: """
        USAGE: fieldagent modbus read  ENDPOINT [--unit N] --table coils|discrete|holding|input --address A
                                       [--count N] [--type T] [--word-order big|little] [--timeout S] [--retries N]
               fieldagent modbus write ENDPOINT [--unit N] --table coils|holding --address A
                                       [--type T] [--word-order big|little] VALUE...
               fieldagent modbus serve [--bind ADDR] [--port N] [--max-connections N] [--idle-timeout S]
                                       [--size N] [--set TABLE:ADDRESS=VALUE]... [--rtu ENDPOINT --unit N]
                                       [--ca FILE --cert FILE --key FILE [--crl FILE] [--role NAME=read|write]...
                                        [--handshake-rate N]]
        \(scanHelp)

        Talks to Modbus devices through the same client and server the agent runs (non-blocking, on the
        agent's event loop), so what works here works in the agent.

        ENDPOINT is tcp://HOST:PORT (port 502 when omitted), tls://HOST:PORT (Modbus/TCP Security, port 802
        when omitted; needs --ca, --cert and --key) or rtu:DEVICE?baud=19200&parity=E
        (settings: baud, parity N|E|O, data 7|8, stop 1|2, rs485=1 for kernel RTS direction control;
        defaults 19200 8E1).

        read prints one value per line as 'ADDRESS VALUE'. Addresses are 0-based, as on the wire
        (register 40001 in a vendor's table is holding address 0). --count is the number of values: with a
        32-bit --type each value spans two registers, so addresses step by 2.
        write sends FC 5 (one coil), FC 15 (several coils), FC 6 (one 16-bit register) or FC 16 (anything
        longer). Coil values: 1, 0, on, off, true, false.
        A Modbus exception is printed by name (for example 'illegal-data-address') and exits with status 4;
        a timeout or connection failure exits with status 1.

        serve runs a register map in memory (all tables, --size items each, default 10000, all zero) until
        Ctrl-C, printing 'listening HOST:PORT' first; with --rtu it answers as unit --unit on a serial line
        instead, Read Device Identification (FC 43 / MEI 14) included. Writes are kept, so it is a handy peer for
        tests and benchmarks.

        OPTIONS:
          --unit N            unit id (default 1)
          --table T           coils, discrete, holding or input
          --address A         first address, 0…65535
          --count N           values to read (default 1)
          --type T            bool, uint16, int16, uint32, int32, float32 (default uint16; bool for bit tables)
          --word-order O      big (high word first, default) or little (word-swapped)
          --timeout S         response timeout in seconds (default 1)
          --retries N         retries after a timeout (default 0)
          --port N            serve: TCP port (default 502 when permitted, else 1502; 0 picks a free one)
          --bind ADDR         serve: address to listen on (default 0.0.0.0)
          --max-connections N serve: clients at once (default 16)
          --idle-timeout S    serve: close a client after S seconds without a request (default 60)
          --set T:A=V         serve: initial value, for example holding:0=1234 or coils:3=1
          --ca FILE           TLS: the plant CA the other side's certificate must chain to
          --cert FILE         TLS: this side's certificate (its role extension is what a server authorizes)
          --key FILE          TLS: this side's private key (mode 0600, owned by the user running the command)
          --crl FILE          TLS: a revocation list from the CA
          --role NAME=R       serve with TLS: clients whose certificate has role NAME may read (R=read) or read
                              and write (R=write); others get exception 01. Without --role, any client with a
                              certificate from the CA may read and write. With --ca/--cert/--key, serve speaks
                              only TLS, on --port (default 802 when permitted, else 1802)
          --handshake-rate N  serve with TLS: new clients accepted per second at most (default 10; 0: no limit)
          --probe-stdin       serve: for benchmarks, read lines 'T <CLOCK_MONOTONIC ns>' on stdin (an event
                              source like a GPIO edge, on the same loop) and print their p50/p99/max
                              latency at exit (see Bench/modbus-bench.sh)

        EXAMPLES:
          fieldagent modbus read tcp://192.168.1.20:502 --unit 1 --table holding --address 0 --count 10
          fieldagent modbus read rtu:/dev/ttyUSB0?baud=9600&parity=N --unit 7 --table input --address 30 --type float32 --word-order little
          fieldagent modbus write tcp://127.0.0.1:1502 --table coils --address 4 on
          fieldagent modbus write tcp://127.0.0.1:1502 --table holding --address 10 --type float32 21.5
          fieldagent modbus serve --port 1502 --set holding:0=42 &
          mbpoll -m tcp -p 1502 -a 1 -r 1 -c 5 -1 127.0.0.1
          fieldagent pki init --dir pki && fieldagent pki issue op1 --role operator --dir pki
          fieldagent pki issue plc --role agent --host 127.0.0.1 --dir pki
          fieldagent modbus serve --port 1802 --ca pki/ca.crt --cert pki/plc.crt --key pki/plc.key --role operator=write &
          fieldagent modbus read tls://127.0.0.1:1802 --table holding --address 0 --ca pki/ca.crt --cert pki/op1.crt --key pki/op1.key
        """,
        run: { args in
            guard let verb = args.positional() else { throw UsageError("fieldagent modbus: say read, write, serve or scan (see --help)") }
            var sub = Arguments(args.remaining, command: "fieldagent modbus \(verb)")
            defer { args = sub }
            switch verb {
            case "read", "write": return try transfer(verb, &sub)
            case "serve": return try serve(&sub)
            case "scan": return try scan(&sub)
            default: throw UsageError("fieldagent modbus: unknown verb '\(verb)'; say read, write, serve or scan")
            }
        })

    private static func transfer(_ verb: String, _ args: inout Arguments) throws -> Int32 {
        let endpointText = try args.requiredPositional("ENDPOINT (tcp://HOST:PORT or rtu:DEVICE?baud=…)")
        let endpoint = try parseEndpoint(endpointText, args.command)
        let unit = try args.option("--unit", expecting: "a unit id 0…247") { UInt8($0) } ?? 1
        guard let table = try args.option("--table", expecting: "coils, discrete, holding or input", { ModbusTable(rawValue: $0) }) else {
            throw UsageError("\(args.command): --table is required (coils, discrete, holding or input)")
        }
        guard let address = try args.option("--address", expecting: "an address 0…65535", { UInt16($0) }) else {
            throw UsageError("\(args.command): --address is required (0-based, 0…65535)")
        }
        let count = try args.option("--count", expecting: "a count from 1 to 2000") { Int($0).flatMap { (1...2000).contains($0) ? $0 : nil } } ?? 1
        let type = try args.option("--type", expecting: "bool, uint16, int16, uint32, int32 or float32") { PointType(rawValue: $0) }
            ?? (table.isBits ? .bool : .uint16)
        let order = try args.option("--word-order", expecting: "big or little") { WordOrder(rawValue: $0) } ?? .big
        let timeout = try args.seconds("--timeout", atMost: 3600) ?? .seconds(1)
        let retries = try args.option("--retries", expecting: "a number from 0 to 10") { Int($0).flatMap { (0...10).contains($0) ? $0 : nil } } ?? 0
        let identity = try tlsIdentity(&args)
        var values: [String] = []
        while let v = args.positional() { values.append(v) }
        try args.finish()
        var tls: TLSContext?
        switch (endpoint, identity) {
        case (.tls, nil):
            throw UsageError("\(args.command): \(endpointText) is Modbus/TCP Security: give --ca, --cert and --key")
        case (.tls, let identity?):
            do {
                tls = try TLSContext(server: false, identity: identity)
            } catch {
                throw UsageError("\(args.command): \(error)")
            }
        case (_, .some):
            throw UsageError("\(args.command): --ca/--cert/--key go with a tls:// endpoint")
        default:
            break
        }
        if table.isBits && type != .bool { throw UsageError("\(args.command): \(table.rawValue) hold bits; --type must be bool") }
        let codec = PointCodec(type: type, wordOrder: order)

        let request: ModbusRequest
        if verb == "read" {
            guard values.isEmpty else { throw UsageError("\(args.command): unexpected value '\(values[0])' (read takes none)") }
            let items = table.isBits ? count : count * type.registerCount
            guard items <= table.maxReadCount else {
                throw UsageError("\(args.command): one read covers at most \(table.maxReadCount) \(table.isBits ? "bits" : "registers"); asked for \(items)")
            }
            request = .read(table: table, address: address, count: UInt16(items))
        } else {
            guard table.isWritable else { throw UsageError("\(args.command): \(table.rawValue) are read-only; write coils or holding") }
            guard !values.isEmpty else { throw UsageError("\(args.command): give at least one VALUE to write") }
            request = try writeRequest(table: table, address: address, codec: codec, values: values, command: args.command)
        }

        let loop = try EpollLoop()
        let options = ModbusClientOptions(responseTimeout: timeout, retries: retries)
        let client = try ModbusClient(loop: loop, endpoint: endpoint, options: options, tls: tls)
        var outcome: Result<ModbusResponse, ModbusError>?
        client.send(request, unit: unit) { result in
            outcome = result
            loop.stop()
        }
        try loop.run()
        client.close()

        switch outcome {
        case .success(.bits(let bits)):
            for (i, b) in bits.enumerated() { print("\(Int(address) + i) \(b ? 1 : 0)") }
        case .success(.registers(let registers)):
            let step = type.registerCount
            var i = 0
            while i + step <= registers.count {
                print("\(Int(address) + i) \(format(codec.decode(registers[i..<(i + step)]), type))")
                i += step
            }
        case .success(.written(let a, let n)):
            print("wrote \(n) \(table == .coils ? "coil" : "register")\(n == 1 ? "" : "s") at \(a)")
        case .success(.deviceIdentification(let answer)):
            for object in answer.objects { print("object 0x\(String(object.id, radix: 16)) \(object.text)") }
        case .failure(.exception(let code)):
            StandardError.write("\(args.command): \(endpointText) unit \(unit): \(code.name) (Modbus exception \(code.rawValue))\n")
            return 4
        case .failure(let error):
            StandardError.write("\(args.command): \(endpointText) unit \(unit): \(error)\n")
            return 1
        case nil:
            return 1
        }
        return 0
    }

    private static func writeRequest(table: ModbusTable, address: UInt16, codec: PointCodec, values: [String], command: String) throws -> ModbusRequest {
        if table == .coils {
            let bits = try values.map { text -> Bool in
                switch text.lowercased() {
                case "1", "on", "true": return true
                case "0", "off", "false": return false
                default: throw UsageError("\(command): coil value '\(text)': expected 1, 0, on, off, true or false")
                }
            }
            guard bits.count <= 1968 else { throw UsageError("\(command): one write covers at most 1968 coils") }
            return bits.count == 1 ? .writeSingleCoil(address: address, value: bits[0]) : .writeMultipleCoils(address: address, values: bits)
        }
        var registers: [UInt16] = []
        for text in values {
            guard let v = Double(text) else { throw UsageError("\(command): value '\(text)' is not a number") }
            do {
                registers += try codec.encode(v)
            } catch {
                throw UsageError("\(command): value \(text): \(error)")
            }
        }
        guard registers.count <= 123 else { throw UsageError("\(command): one write covers at most 123 registers") }
        return registers.count == 1 ? .writeSingleRegister(address: address, value: registers[0]) : .writeMultipleRegisters(address: address, values: registers)
    }

    private static func format(_ value: Double, _ type: PointType) -> String {
        if type == .float32 { return "\(Float(value))" }
        if value == value.rounded() && abs(value) < 1e15 { return "\(Int64(value))" }
        return "\(value)"
    }

    /// `--ca`, `--cert`, `--key` (all three or none) and `--crl`.
    private static func tlsIdentity(_ args: inout Arguments) throws -> TLSIdentity? {
        let ca = try args.option("--ca"), cert = try args.option("--cert"), key = try args.option("--key"), crl = try args.option("--crl")
        if ca == nil && cert == nil && key == nil {
            if crl != nil { throw UsageError("\(args.command): --crl goes with --ca, --cert and --key") }
            return nil
        }
        guard let ca, let cert, let key else { throw UsageError("\(args.command): TLS needs all of --ca, --cert and --key") }
        return TLSIdentity(ca: ca, certificate: cert, key: key, crl: crl)
    }

    private static func parseEndpoint(_ text: String, _ command: String) throws -> ModbusEndpoint {
        do {
            return try ModbusEndpoint.parse(text)
        } catch {
            throw UsageError("\(command): \(error)")
        }
    }

    private static func serve(_ args: inout Arguments) throws -> Int32 {
        let bind = try args.option("--bind") ?? "0.0.0.0"
        let port = try args.option("--port", expecting: "a port 0…65535") { UInt16($0) }
        let maxConnections = try args.option("--max-connections", expecting: "a number ≥ 1") { Int($0).flatMap { $0 >= 1 ? $0 : nil } } ?? 16
        let idle = try args.seconds("--idle-timeout", atMost: 7 * 24 * 3600) ?? .seconds(60)
        let size = try args.option("--size", expecting: "a table size 1…65536") { Int($0).flatMap { (1...65536).contains($0) ? $0 : nil } } ?? 10_000
        let sets = try args.options("--set")
        let rtu = try args.option("--rtu")
        let unit = try args.option("--unit", expecting: "a unit id 1…247") { UInt8($0) } ?? 1
        let level = try args.option("--log-level", expecting: "debug, info, notice, warning or error") { Logger.Level(name: $0) } ?? .warning
        let probe = args.flag("--probe-stdin")
        let identity = try tlsIdentity(&args)
        let handshakeRate = try args.option("--handshake-rate", expecting: "a rate 0…100000") { Int($0).flatMap { (0...100_000).contains($0) ? $0 : nil } } ?? 10
        var roles: [String: ModbusAccessRights] = [:]
        for r in try args.options("--role") {
            let parts = r.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, !parts[0].isEmpty, parts[1] == "read" || parts[1] == "write" else {
                throw UsageError("fieldagent modbus serve: --role \(r): expected NAME=read or NAME=write, for example operator=write")
            }
            roles[parts[0]] = parts[1] == "write" ? .everything : .readOnly
        }
        try args.finish()
        if !roles.isEmpty && identity == nil { throw UsageError("fieldagent modbus serve: --role goes with --ca, --cert and --key") }
        var tls: TLSContext?
        if let identity {
            do {
                tls = try TLSContext(server: true, identity: identity)
            } catch {
                throw UsageError("fieldagent modbus serve: \(error)")
            }
        }

        let map = MemoryRegisterMap(size: size)
        for s in sets {
            let parts = s.split(separator: "=", maxSplits: 1)
            let target = parts.first.map { $0.split(separator: ":", maxSplits: 1) } ?? []
            guard parts.count == 2, target.count == 2, let table = ModbusTable(rawValue: String(target[0])),
                  let a = Int(target[1]), a >= 0, a < size, let v = Int(parts[1]) else {
                throw UsageError("fieldagent modbus serve: --set \(s): expected TABLE:ADDRESS=VALUE, for example holding:0=1234")
            }
            switch table {
            case .coils: map.coils[a] = v != 0
            case .discreteInputs: map.discreteInputs[a] = v != 0
            case .holdingRegisters: map.holdingRegisters[a] = UInt16(truncatingIfNeeded: v)
            case .inputRegisters: map.inputRegisters[a] = UInt16(truncatingIfNeeded: v)
            }
        }
        let logger = Logger(minimumLevel: level)
        let loop = try EpollLoop()
        try loop.onSignal(SIGINT) { loop.stop() }
        try loop.onSignal(SIGTERM) { loop.stop() }
        if let rtu {
            guard case .rtu(let settings) = try parseEndpoint(rtu, "fieldagent modbus serve") else {
                throw UsageError("fieldagent modbus serve: --rtu takes rtu:DEVICE?baud=…")
            }
            let server = ModbusRTUServer(loop: loop, settings: settings, unit: unit, map: map, logger: logger)
            server.setIdentity(.fieldAgent(name: "modbus serve", revision: "unit \(unit)"))
            try server.start()
            writeStandardOutput("listening \(settings.device) unit \(unit)\n")
            try loop.run()
            server.stop()
            return 0
        }
        var configuration = ModbusServerConfiguration(bindAddress: bind, port: port, maxConnections: maxConnections,
                                                      idleTimeout: idle)
        configuration.handshakesPerSecond = handshakeRate == 0 ? nil : handshakeRate
        let access: ModbusAccessPolicy? = tls == nil ? nil : .byRole(roles.isEmpty ? ["": .everything] : roles)
        let server = ModbusTCPServer(loop: loop, map: map, configuration: configuration, logger: logger, tls: tls, access: access)
        try server.start()
        writeStandardOutput("listening \(server.localAddress!)\n")
        let latencies = probe ? try LatencyProbe(loop: loop, fd: 0) : nil
        try loop.run()
        if let latencies { StandardError.write(latencies.report() + "\n") }
        let c = server.counters
        StandardError.write("served requests=\(c.requests) exceptions=\(c.exceptions) connections=\(c.accepted) rejected=\(c.rejected) malformed=\(c.malformed) idle_closed=\(c.idleClosed)"
                            + (tls == nil ? "\n" : " tls_handshakes=\(c.tlsHandshakes) tls_failures=\(c.tlsFailures) role_refusals=\(c.roleRefusals) handshake_deferrals=\(c.handshakeDeferrals)\n"))
        server.stop()
        return 0
    }
}

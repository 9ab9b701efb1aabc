import CommandLineTool
import Agent
import EventLoop
import Modbus

/// `fieldagent modbus scan ENDPOINT`: which unit ids answer and what each answers, as an inventory.
extension ModbusCommand {
    static let scanHelp = """
          fieldagent modbus scan ENDPOINT [--units 1-247] [--address N] [--timeout 200ms]
            reads one item of each table (holding, input, coils, discrete) at --address from every unit id in
            --units (a range 1-247, or a list 1,2,5; default 1-247), one after the other; prints each unit that
            answers, what each table gave (ok, or the exception: what the device refuses) and its mean answer
            time, then a modbus: skeleton to start a config from. A unit that stays silent for --timeout, or
            that a gateway reports unreachable, is absent.
        """

    static func scan(_ args: inout Arguments) throws -> Int32 {
        let endpointText = try args.requiredPositional("ENDPOINT (tcp://HOST:PORT or rtu:DEVICE?baud=…)")
        let endpoint = try parseScanEndpoint(endpointText, args.command)
        let unitsText = try args.option("--units") ?? "1-247"
        guard let units = parseUnits(unitsText) else {
            throw UsageError("\(args.command): --units \(unitsText): a range such as 1-247 or a list such as 1,2,5 (unit ids 0…247)")
        }
        let address = try args.option("--address", expecting: "an address 0…65535") { UInt16($0) } ?? 0
        let timeout = try args.seconds("--timeout", atMost: 60) ?? .milliseconds(200)
        try args.finish()

        let loop = try EpollLoop()
        let scanner = try ModbusScanner(loop: loop, endpoint: endpoint, units: units, address: address, timeout: timeout)
        var result: [ModbusScanner.Unit] = []
        scanner.start { found in
            result = found
            loop.stop()
        }
        try loop.run()
        scanner.close()
        if let error = scanner.error { throw UsageError("\(args.command): \(endpointText): \(error)") }
        print("\(endpointText): \(result.count) of \(units.count) unit ids answer")
        for u in result {
            let tables = u.answers.map { "\($0.table.rawValue) \($0.result)" }.joined(separator: ", ")
            print("  unit \(u.id): \(tables); answers in \(formatMicroseconds(u.responseTime))")
            if let identity = u.identity {
                let names = ["vendor", "product-code", "revision", "vendor-url", "product", "model", "application"]
                let text = identity.objects.map { "\($0.id < names.count ? names[Int($0.id)] : "object-\($0.id)") \"\($0.text)\"" }
                print("    identity: \(text.joined(separator: ", "))")
            }
        }
        guard !result.isEmpty else { return 1 }
        print("\n# a modbus: skeleton (fieldagent check tells what is missing):\nmodbus:")
        for u in result where !u.readable.isEmpty {
            print("  - name: unit\(u.id)\n    endpoint: \(endpointText)\n    unit: \(u.id)\n    points:")
            for t in u.readable { print("      - {name: \(t.rawValue)_\(address), table: \(t.rawValue), address: \(address), poll: 1s}") }
        }
        return 0
    }

    /// `1-247` or `1,2,5` (or a mix: `1-3,9`).
    static func parseUnits(_ text: String) -> [UInt8]? {
        var out: [UInt8] = []
        for part in text.split(separator: ",") {
            let bounds = part.split(separator: "-", maxSplits: 1).map { UInt8($0) }
            guard bounds.allSatisfy({ $0 != nil && $0! <= 247 }) else { return nil }
            if bounds.count == 1 { out.append(bounds[0]!) } else {
                guard bounds[0]! <= bounds[1]! else { return nil }
                out += Array(bounds[0]!...bounds[1]!)
            }
        }
        return out.isEmpty ? nil : out
    }

    private static func parseScanEndpoint(_ text: String, _ command: String) throws -> ModbusEndpoint {
        do { return try ModbusEndpoint.parse(text) } catch { throw UsageError("\(command): \(error)") }
    }
}

import CommandLineTool
import Agent
import Boards
import EventLoop
import GPIO
import Glibc

/// `fieldagent gpio`: diagnostics like gpioget/gpioset/gpiomon/gpiodetect, through the agent's own backends.
enum GPIOCommand {
    static let command = Command(
        name: "gpio",
        summary: "GPIO diagnostics: detect, get, set, monitor (like gpioget/gpioset/gpiomon)",
        help: """
        USAGE: fieldagent gpio detect
               fieldagent gpio get     [--board NAME | --chip LABEL] [--bias B] [--active-low] PIN...
               fieldagent gpio set     [--board NAME | --chip LABEL] [--active-low] [--hold SECONDS] PIN=VALUE...
               fieldagent gpio monitor [--board NAME | --chip LABEL] [--bias B] [--active-low] [--edges E] [--count N] PIN...

        Uses the same libgpiod backend as the agent (or, with --gpio mock, the mock chip served on
        /tmp/fieldagent-gpio.sock). PIN is a board name (GPIO17, header.11) with --board, or a line offset
        with --chip. Without either, the board is read from /proc/device-tree/model.

        OPTIONS:
          --board NAME     resolve pins on this board (see 'fieldagent boards')
          --chip LABEL     use the chip with this label (or /dev/gpiochipN) and raw line offsets
          --bias B         as-is (default), disable, pull-up, pull-down
          --active-low     logical 1 is the low level
          --edges E        monitor: both (default), rising, falling
          --count N        monitor: exit after N events
          --hold SECONDS   set: keep the lines driven this long (default: until Ctrl-C), since releasing them
                           may let them fall back
          --gpio BACKEND   libgpiod (default) or mock

        EXAMPLES:
          fieldagent gpio detect
          fieldagent gpio get --board rpi4 GPIO17 header.13
          fieldagent gpio set --board rpi5 GPIO27=1 --hold 2
          fieldagent gpio monitor --board rpi4 --bias pull-up --count 10 GPIO17
        """,
        run: { args in
            guard let verb = args.positional() else { throw UsageError("fieldagent gpio: say detect, get, set or monitor (see --help)") }
            var args2 = Arguments(args.remaining, command: "fieldagent gpio \(verb)")
            defer { args = args2 }
            return try run(verb, &args2)
        })

    private struct Target {
        var name: String
        var chipLabel: String
        var line: Int
    }

    private static func run(_ verb: String, _ args: inout Arguments) throws -> Int32 {
        if verb == "detect" {
            try args.finish()
            let chips = LibgpiodChip.availableChips()
            if chips.isEmpty { print("no GPIO chips (/dev/gpiochip*); backend \(LibgpiodChip.backendVersion)") }
            for c in chips { print("\(c.name) [\(c.label)] (\(c.lines) lines)") }
            return 0
        }
        let boardName = try args.option("--board")
        let chipLabel = try args.option("--chip")
        let boardsDir = try args.option("--boards")
        let backend = try args.option("--gpio", expecting: "libgpiod or mock") { ChipSet.Backend(rawValue: $0) } ?? .libgpiod
        let bias = try args.option("--bias", expecting: "as-is, disable, pull-up or pull-down") { Bias(rawValue: $0) } ?? .asIs
        let activeLow = args.flag("--active-low")
        let edges = try args.option("--edges", expecting: "both, rising or falling") { EdgeDetection(rawValue: $0) } ?? .both
        let count = try args.option("--count", expecting: "a number of events ≥ 1") { Int($0).flatMap { $0 >= 1 ? $0 : nil } }
        let hold = try args.seconds("--hold", atMost: 7 * 24 * 3600)
        var pins: [String] = []
        while let p = args.positional() { pins.append(p) }
        try args.finish()
        guard !pins.isEmpty else { throw UsageError("fieldagent gpio \(verb): name at least one pin") }

        var values: [Bool] = []
        var names: [String] = pins
        if verb == "set" {
            names = []
            for p in pins {
                let parts = p.split(separator: "=", maxSplits: 1).map(String.init)
                guard parts.count == 2, let v = MockControlCommand.parseLevel(parts[1]) else {
                    throw UsageError("fieldagent gpio set: '\(p)': write PIN=1 or PIN=0")
                }
                names.append(parts[0])
                values.append(v)
            }
        }
        let targets = try resolve(names, board: boardName, chip: chipLabel, boardsDir: boardsDir)
        let loop = try EpollLoop()
        let lineNames: (String) -> [String] = { _ in (0..<64).map { "GPIO\($0)" } }
        let chips = ChipSet(backend: backend, loop: loop, mockLineNames: lineNames)
        var servers: [MockControlServer] = []
        func chip(_ label: String) throws -> GPIOChip {
            let c = try chips.chip(label: label)
            if let mock = c as? MockChip, servers.isEmpty {
                servers.append(try MockControlServer(chip: mock, path: "/tmp/fieldagent-gpio.sock", loop: loop, logger: .silent))
            }
            return c
        }
        let consumer = "fieldagent-gpio"
        switch verb {
        case "get":
            for t in targets {
                let line = try chip(t.chipLabel).requestInput(line: t.line, settings: InputSettings(bias: bias, activeLow: activeLow, edges: .none),
                                                             consumer: consumer) { _ in }
                print("\(t.name) \(try line.read() ? 1 : 0)")
                line.release()
            }
            return 0
        case "set":
            var lines: [GPIOOutputLine] = []
            for (t, v) in zip(targets, values) {
                lines.append(try chip(t.chipLabel).requestOutput(line: t.line, activeLow: activeLow, initial: v, consumer: consumer))
                print("\(t.name) \(v ? 1 : 0)")
            }
            try loop.onSignal(SIGINT) { loop.stop() }
            try loop.onSignal(SIGTERM) { loop.stop() }
            if let hold { loop.schedule(after: hold) { loop.stop() } }
            try loop.run()
            for l in lines { l.release() }
            return 0
        case "monitor":
            var seen = 0
            var lines: [GPIOInputLine] = []
            let start = loop.now
            for t in targets {
                lines.append(try chip(t.chipLabel).requestInput(line: t.line, settings: InputSettings(bias: bias, activeLow: activeLow, edges: edges),
                                                               consumer: consumer) { e in
                    let ts = formatFixed(Double(e.timestamp.nanoseconds) / 1e9, digits: 9)
                    writeStandardOutput("\(ts) \(t.name) \(e.edge.rawValue) (+\(formatMicroseconds(e.timestamp - start)))\n")
                    seen += 1
                    if let count, seen >= count { loop.stop() }
                })
            }
            try loop.onSignal(SIGINT) { loop.stop() }
            try loop.onSignal(SIGTERM) { loop.stop() }
            try loop.run()
            for l in lines { l.release() }
            return 0
        default:
            throw UsageError("fieldagent gpio: unknown action '\(verb)'; use detect, get, set or monitor")
        }
    }

    private static func resolve(_ names: [String], board: String?, chip: String?, boardsDir: String?) throws -> [Target] {
        if let chip {
            return try names.map { n in
                guard let line = Int(n) else { throw UsageError("fieldagent gpio: with --chip, name lines by offset (got '\(n)')") }
                return Target(name: n, chipLabel: chip, line: line)
            }
        }
        let catalog = try makeCatalog(directory: boardsDir)
        let boardName = try board ?? detectBoard(catalog)
        let b = try catalog.board(named: boardName)
        return try names.map { n in
            let pin = try b.resolve(pin: n)
            return Target(name: n, chipLabel: pin.chipLabel, line: pin.line)
        }
    }

    /// The board this runs on, from /proc/device-tree/model and the board files' model names.
    private static func detectBoard(_ catalog: BoardCatalog) throws -> String {
        guard let f = fopen("/proc/device-tree/model", "r") else {
            throw UsageError("fieldagent gpio: not a Raspberry Pi (no /proc/device-tree/model); pass --board NAME or --chip LABEL")
        }
        defer { fclose(f) }
        var buf = [CChar](repeating: 0, count: 128)
        _ = fgets(&buf, 128, f)
        let model = String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        guard let board = catalog.board(forModel: model) else {
            throw UsageError("fieldagent gpio: unknown board '\(model)'; pass --board NAME (see fieldagent boards)")
        }
        return board.name
    }

}

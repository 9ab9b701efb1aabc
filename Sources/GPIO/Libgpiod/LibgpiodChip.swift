import CGPIOFacade
import EventLoop
import Glibc

/// A GPIO chip of the Linux GPIO character device, through libgpiod (see `fa_gpio.h`, the one facade
/// over libgpiod 1.x and 2.x, picked at build time). Edge events are read from a request's descriptor only when
/// the loop reports it readable. With libgpiod 2.x the kernel debounces inputs (``kernelDebounce``) and a request
/// may give each line its own settings in one kernel request (``requestInputs(lines:settings:consumer:onEdge:)``
/// with one ``InputSettings`` per line).
public final class LibgpiodChip: GPIOChip {
    // chip is valid from a successful open until deinit closes it.
    private let chip: OpaquePointer
    private let loop: EventLoop
    public let label: String
    public let name: String
    public let lineCount: Int

    /// Opens the chip whose label is `label` (for example `pinctrl-bcm2711`): the board maps name chips by
    /// label because gpiochip numbers change between kernels (Pi 5, kernel 6.6.45).
    public init(label: String, loop: EventLoop) throws(GPIOError) {
        errno = 0
        guard let chip = fa_chip_open_by_label(label) else {
            let code = errno
            let known = LibgpiodChip.availableChips().map { "\($0.name) \"\($0.label)\" (\($0.lines) lines)" }
            let list = known.isEmpty ? "no GPIO chips are present (/dev/gpiochip*)" : "chips present: " + known.joined(separator: ", ")
            if code == EACCES || code == EPERM { throw GPIOError.fromErrno(code, "open chip \"\(label)\"") }
            throw GPIOError(.chipNotFound, "no GPIO chip labelled \"\(label)\"; \(list)")
        }
        self.chip = chip
        self.loop = loop
        self.label = String(cString: fa_chip_label(chip))
        self.name = String(cString: fa_chip_name(chip))
        self.lineCount = Int(fa_chip_num_lines(chip))
    }

    /// Opens a chip by path (`/dev/gpiochip0`) or name (`gpiochip0`).
    public init(path: String, loop: EventLoop) throws(GPIOError) {
        guard let chip = fa_chip_open(path) else { throw GPIOError.fromErrno(errno, "open \(path)") }
        self.chip = chip
        self.loop = loop
        self.label = String(cString: fa_chip_label(chip))
        self.name = String(cString: fa_chip_name(chip))
        self.lineCount = Int(fa_chip_num_lines(chip))
    }

    deinit {
        fa_chip_close(chip)
    }

    /// The libgpiod version the backend runs on, for example `libgpiod 1.6.3` or `libgpiod 2.2.1`.
    public static var backendVersion: String { String(cString: fa_gpio_backend_version()) }

    /// The major version of the libgpiod API compiled in (1 or 2).
    public static var apiMajor: Int { Int(fa_gpio_api_major()) }

    /// Whether the kernel debounces inputs for this backend (libgpiod 2.x: `debounce_period_us`).
    public static var hasKernelDebounce: Bool { fa_gpio_kernel_debounce() != 0 }

    public var kernelDebounce: Bool { Self.hasKernelDebounce }

    /// The chips present on this system: name, label and line count.
    public static func availableChips() -> [(name: String, label: String, lines: Int)] {
        var chips: [(String, String, Int)] = []
        for i in 0..<64 {
            let path = "/dev/gpiochip\(i)"
            guard access(path, F_OK) == 0, let c = fa_chip_open(path) else { continue }
            chips.append((String(cString: fa_chip_name(c)), String(cString: fa_chip_label(c)), Int(fa_chip_num_lines(c))))
            fa_chip_close(c)
        }
        return chips
    }

    /// The kernel's name for a line (empty when unnamed) and its consumer when in use.
    public func lineInfo(_ line: Int) -> (name: String, consumer: String?) {
        var buf = [CChar](repeating: 0, count: 64)
        _ = fa_chip_line_name(chip, UInt32(line), &buf, UInt32(buf.count))
        let name = Self.string(fromNulTerminated: buf)
        let used = fa_chip_line_consumer(chip, UInt32(line), &buf, UInt32(buf.count))
        return (name, used == 1 ? Self.string(fromNulTerminated: buf) : nil)
    }

    private static func string(fromNulTerminated buf: [CChar]) -> String {
        let bytes = buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        return String(decoding: bytes, as: UTF8.self)
    }

    public func requestInput(line: Int, settings: InputSettings, consumer: String,
                             onEdge: @escaping (EdgeEvent) -> Void) throws(GPIOError) -> GPIOInputLine {
        LibgpiodInputLine(try requestInputGroup(lines: [line], settings: [settings], consumer: consumer, onEdge: onEdge))
    }

    public func requestOutput(line: Int, activeLow: Bool, initial: Bool, consumer: String) throws(GPIOError) -> GPIOOutputLine {
        let initial = GPIOLineValues(count: 1, bits: initial ? 1 : 0)
        return LibgpiodOutputLine(try requestOutputGroup(lines: [line], activeLow: activeLow, initial: initial, consumer: consumer))
    }

    public func requestInputs(lines: [Int], settings: InputSettings, consumer: String,
                              onEdge: @escaping (EdgeEvent) -> Void) throws(GPIOError) -> GPIOInputLines {
        try requestInputGroup(lines: lines, settings: Array(repeating: settings, count: lines.count), consumer: consumer, onEdge: onEdge)
    }

    /// Requests several inputs in one request, line `i` with `settings[i]` (bias, active-low, edges and kernel
    /// debounce may differ): one kernel request with libgpiod 2.x, one per distinct setting with 1.x. All or none.
    public func requestInputs(lines: [Int], settings: [InputSettings], consumer: String,
                              onEdge: @escaping (EdgeEvent) -> Void) throws(GPIOError) -> GPIOInputLines {
        guard settings.count == lines.count else {
            throw GPIOError(.invalidRequest, "\(settings.count) settings for \(lines.count) lines \(lines)")
        }
        return try requestInputGroup(lines: lines, settings: settings, consumer: consumer, onEdge: onEdge)
    }

    public func requestOutputs(lines: [Int], activeLow: Bool, initial: GPIOLineValues, consumer: String) throws(GPIOError) -> GPIOOutputLines {
        try requestOutputGroup(lines: lines, activeLow: activeLow, initial: initial, consumer: consumer)
    }

    private func requestInputGroup(lines: [Int], settings: [InputSettings], consumer: String,
                                   onEdge: @escaping (EdgeEvent) -> Void) throws(GPIOError) -> LibgpiodInputLines {
        var configs: [fa_line_config] = []
        for s in settings {
            configs.append(fa_line_config(output: 0, bias: Self.facadeBias(s.bias), active_low: s.activeLow ? 1 : 0,
                                          edges: Self.facadeEdges(s.edges), debounce_us: try Self.debounceMicroseconds(s.debounce)))
        }
        let request = try self.request(lines, configs, initial: nil, consumer: consumer, as: "input")
        let inputs = LibgpiodInputLines(request: request, chip: self, lines: lines, edges: settings.map(\.edges), loop: loop, onEdge: onEdge)
        do {
            try inputs.startWatching()
        } catch {
            inputs.release()
            throw GPIOError(.system(error.code), "watch \(label) \(Self.describe(lines)): \(error)")
        }
        return inputs
    }

    private func requestOutputGroup(lines: [Int], activeLow: Bool, initial: GPIOLineValues,
                                    consumer: String) throws(GPIOError) -> LibgpiodOutputLines {
        guard initial.count == lines.count else {
            throw GPIOError(.invalidRequest, "\(initial.count) initial values for \(lines.count) lines \(lines)")
        }
        let config = fa_line_config(output: 1, bias: Int32(FA_BIAS_AS_IS.rawValue), active_low: activeLow ? 1 : 0,
                                    edges: Int32(FA_EDGES_NONE.rawValue), debounce_us: 0)
        let request = try self.request(lines, Array(repeating: config, count: lines.count), initial: initial,
                                       consumer: consumer, as: "output")
        return LibgpiodOutputLines(request: request, chip: self, lines: lines, values: initial)
    }

    /// One facade request for `lines`, after checking them; a busy line's error names its holder.
    private func request(_ lines: [Int], _ configs: [fa_line_config], initial: GPIOLineValues?,
                         consumer: String, as direction: String) throws(GPIOError) -> OpaquePointer {
        guard !lines.isEmpty, lines.count <= GPIOLineValues.maxCount else {
            throw GPIOError(.invalidRequest, "a request holds 1…\(GPIOLineValues.maxCount) lines, not \(lines.count)")
        }
        for line in lines { try checkLine(line) }
        guard Set(lines).count == lines.count else {
            throw GPIOError(.invalidRequest, "lines \(lines) name a line twice; request each line once")
        }
        // Fixed-size stack arrays for the facade: offsets and initial values, `capacity` entries each.
        var offsets = FacadeValues(offsets: lines)
        var values = initial.map { FacadeValues($0) }
        let request = withUnsafeBytes(of: &offsets) { off in
            // off spans FacadeValues.capacity UInt32-sized entries; lines.count <= capacity was checked above.
            let offsetsPointer = off.baseAddress!.assumingMemoryBound(to: UInt32.self)
            if values == nil {
                return fa_request_lines(chip, consumer, offsetsPointer, UInt32(lines.count), configs, nil)
            }
            return withUnsafeBytes(of: &values!) { v in
                // v spans FacadeValues.capacity Int32 values owned by this frame.
                fa_request_lines(chip, consumer, offsetsPointer, UInt32(lines.count), configs,
                                 v.baseAddress!.assumingMemoryBound(to: Int32.self))
            }
        }
        guard let request else {
            let code = errno
            if code == EOPNOTSUPP {
                throw GPIOError(.invalidRequest, "request \(label) \(Self.describe(lines)): \(Self.backendVersion) has no kernel debounce; debounce in software")
            }
            throw error(code, "request \(label) \(Self.describe(lines)) as \(direction)", lines: lines)
        }
        return request
    }

    /// The error for a failed facade call; for EBUSY, names the consumer holding the first busy line of `lines`.
    func error(_ code: Int32, _ what: String, lines: [Int] = []) -> GPIOError {
        guard code == EBUSY else { return GPIOError.fromErrno(code, what) }
        for line in lines {
            if let holder = lineInfo(line).consumer {
                return GPIOError(.busy, "\(what): line \(line) is busy, held by \"\(holder)\"; release it there first (see `gpioinfo \(label)`)")
            }
        }
        return GPIOError.fromErrno(code, what)
    }

    private static func describe(_ lines: [Int]) -> String {
        lines.count == 1 ? "line \(lines[0])" : "lines \(lines.map(String.init).joined(separator: ","))"
    }

    private func checkLine(_ line: Int) throws(GPIOError) {
        guard line >= 0, line < lineCount else {
            throw GPIOError(.noSuchLine, "chip \(label) has lines 0…\(lineCount - 1); line \(line) does not exist")
        }
    }

    /// The kernel debounce period in whole microseconds (the uAPI's unit), refused beyond what it holds.
    private static func debounceMicroseconds(_ period: Duration) throws(GPIOError) -> UInt32 {
        guard period > .zero else { return 0 }
        let (seconds, attoseconds) = period.components
        guard seconds < 4_000 else { throw GPIOError(.invalidRequest, "kernel debounce of \(period) is beyond 4000 s") }
        return UInt32(seconds) * 1_000_000 + UInt32((attoseconds + 999_999_999_999) / 1_000_000_000_000)
    }

    private static func facadeBias(_ bias: Bias) -> Int32 {
        switch bias {
        case .asIs: Int32(FA_BIAS_AS_IS.rawValue)
        case .disable: Int32(FA_BIAS_DISABLE.rawValue)
        case .pullUp: Int32(FA_BIAS_PULL_UP.rawValue)
        case .pullDown: Int32(FA_BIAS_PULL_DOWN.rawValue)
        }
    }

    private static func facadeEdges(_ edges: EdgeDetection) -> Int32 {
        switch edges {
        case .none: Int32(FA_EDGES_NONE.rawValue)
        case .rising: Int32(FA_EDGES_RISING.rawValue)
        case .falling: Int32(FA_EDGES_FALLING.rawValue)
        case .both: Int32(FA_EDGES_BOTH.rawValue)
        }
    }
}

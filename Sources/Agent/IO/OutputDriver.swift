import EventLoop
import GPIO

/// One configured output: set, toggle, pulse (on, then off after a time; a new pulse extends it) and the
/// declared safe value. Reports every change of its logical value.
public final class OutputDriver {
    /// The config name (`lamp`).
    public let name: String
    /// The value driven on shutdown, fault or stale inputs.
    public let safeValue: Bool
    private let line: GPIOOutputLine
    private let loop: EventLoop
    private var pulseTimer: TimerID?
    private var onChange: (OutputDriver, Bool, String) -> Void = { _, _, _ in }
    /// Number of failed writes (the line is kept; the next command tries again).
    public private(set) var writeErrors = 0

    /// Requests the line, driven to `initial` at once.
    public init(name: String, chip: GPIOChip, line offset: Int, activeLow: Bool, initial: Bool, safe: Bool,
                consumer: String, loop: EventLoop) throws(GPIOError) {
        self.name = name
        self.safeValue = safe
        self.loop = loop
        line = try chip.requestOutput(line: offset, activeLow: activeLow, initial: initial, consumer: consumer)
    }

    /// The logical value last driven.
    public var value: Bool { line.value }

    /// Calls `handler(output, newValue, cause)` after every change.
    public func observe(_ handler: @escaping (OutputDriver, Bool, String) -> Void) { onChange = handler }

    /// Drives `value`; a running pulse is cancelled.
    public func set(_ value: Bool, cause: @autoclosure () -> String) {
        cancelPulse()
        write(value, cause)
    }

    /// Drives the opposite value.
    public func toggle(cause: @autoclosure () -> String) {
        set(!line.value, cause: cause())
    }

    /// Drives on now and off after `duration`; pulsing again before then restarts the duration.
    public func pulse(for duration: Duration, cause: @autoclosure () -> String) {
        cancelPulse()
        write(true, cause)
        pulseTimer = loop.schedule(after: duration) { [unowned self] in
            self.pulseTimer = nil
            self.write(false, { "pulse end" })
        }
    }

    /// Drives the safe value (cancelling any pulse).
    public func driveSafe(reason: String) {
        set(safeValue, cause: "safe state: \(reason)")
    }

    /// The line's value read back from the chip (what the kernel reports, not what was asked).
    public func readBack() -> Result<Bool, GPIOError> {
        do throws(GPIOError) {
            return .success(try line.readBack())
        } catch {
            return .failure(error)
        }
    }

    /// Releases the line (the kernel keeps the last driven value on most chips; drive the safe value first).
    public func release() {
        cancelPulse()
        line.release()
    }

    private func cancelPulse() {
        if let pulseTimer { loop.cancel(pulseTimer) }
        pulseTimer = nil
    }

    private func write(_ value: Bool, _ cause: () -> String) {
        guard value != line.value else { return }
        do {
            try line.write(value)
            onChange(self, value, cause())
        } catch {
            writeErrors += 1
            onChange(self, line.value, "write failed: \(error)")
        }
    }
}

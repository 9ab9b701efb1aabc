import EventLoop
import GPIO

/// Plays the outside world for the simulation: presses each mock input in turn (with contact bounce, so
/// debouncing shows), on the loop's timers.
public final class InputStimulator {
    /// One simulated input: which chip line, and the level that means "active".
    public struct Target {
        public var name: String
        public var chip: MockChip
        public var line: Int
        public var activeLevel: Bool

        public init(name: String, chip: MockChip, line: Int, activeLevel: Bool) {
            self.name = name
            self.chip = chip
            self.line = line
            self.activeLevel = activeLevel
        }
    }

    private let targets: [Target]
    private let loop: EventLoop
    private let period: Duration
    private let hold: Duration
    private var next = 0
    private var timer: TimerID?

    /// Every `period`, the next input is pressed for `hold`.
    public init(targets: [Target], loop: EventLoop, period: Duration = .seconds(2), hold: Duration = .milliseconds(400)) {
        self.targets = targets
        self.loop = loop
        self.period = period
        self.hold = hold
    }

    public func start() {
        guard !targets.isEmpty else { return }
        timer = loop.schedule(after: .milliseconds(500)) { [unowned self] in self.press() }
    }

    public func stop() {
        if let timer { loop.cancel(timer) }
        timer = nil
    }

    private func press() {
        let t = targets[next % targets.count]
        next += 1
        // Contact bounce: active, inactive, active within 2 ms; the debouncer must report one edge.
        t.chip.drive(line: t.line, level: t.activeLevel)
        loop.schedule(after: .microseconds(600)) { t.chip.drive(line: t.line, level: !t.activeLevel) }
        loop.schedule(after: .microseconds(1500)) { t.chip.drive(line: t.line, level: t.activeLevel) }
        loop.schedule(after: hold) { t.chip.drive(line: t.line, level: !t.activeLevel) }
        timer = loop.schedule(after: period) { [unowned self] in self.press() }
    }
}

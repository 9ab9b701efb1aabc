import EventLoop
import GPIO

/// Plays the maintenance technician for the simulation: once the wearing machine has been repaired (its
/// profile's maintenance phase), and the readings had time to settle, the technician presses the agent's
/// reset button (`decide: reset_input:`) to acknowledge the latched fault, and presses again every `retry`
/// while the agent still holds it (a reset is refused until the machine reads normal).
///
/// Without it, `make run` would show line-a latched in fault for good after its first wear cycle, which is
/// right for a real machine (a person must reset it) but ends the demonstration.
public final class SimulatedTechnician {
    private let machine: SimulatedMachine
    private let button: InputStimulator.Target
    private let loop: EventLoop
    private let settle: Duration
    private let retry: Duration
    private let isLatched: () -> Bool
    private var timer: TimerID?
    private var lastPhase = MachineProfile.Phase.runningNormal
    private var pressAt: Instant?
    /// Called at every press, with what the technician did (for the live view).
    public var onPress: (String) -> Void = { _ in }

    /// - Parameters:
    ///   - button: the reset input's mock line and its active level.
    ///   - settle: how long after the repair the first press comes.
    ///   - isLatched: whether the agent still holds a latched class.
    public init(machine: SimulatedMachine, button: InputStimulator.Target, loop: EventLoop, settle: Duration = .seconds(4),
                retry: Duration = .seconds(3), isLatched: @escaping () -> Bool) {
        self.machine = machine
        self.button = button
        self.loop = loop
        self.settle = settle
        self.retry = retry
        self.isLatched = isLatched
    }

    /// Watches the machine every 500 ms on the loop.
    public func start() {
        timer = loop.schedule(after: .milliseconds(500)) { [weak self] in self?.check() }
    }

    public func stop() {
        if let timer { loop.cancel(timer) }
        timer = nil
    }

    private func check() {
        let phase = machine.phase
        if phase == .maintenance && lastPhase != .maintenance { pressAt = loop.now + settle }
        lastPhase = phase
        if let at = pressAt, loop.now >= at {
            if isLatched() {
                press()
                pressAt = loop.now + retry
            } else {
                pressAt = nil
            }
        }
        timer = loop.schedule(after: .milliseconds(500)) { [weak self] in self?.check() }
    }

    private func press() {
        onPress("presses \(button.name) (machine repaired)")
        button.chip.drive(line: button.line, level: button.activeLevel)
        loop.schedule(after: .milliseconds(300)) { [button] in button.chip.drive(line: button.line, level: nil) }
    }
}

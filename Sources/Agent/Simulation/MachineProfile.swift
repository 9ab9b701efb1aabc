/// How the simulated machine's severity moves over time: a repeating wear cycle, or a constant level.
///
/// The cycle is: `hold` at normal (phase ``Phase/runningNormal``), a linear drift from severity 0 to 1 over
/// `drift` (``Phase/drifting``), `faultHold` at severity 1 (``Phase/faultHold``), then `maintenance` back at
/// normal (``Phase/maintenance``), and again from the start. A constant profile never moves: the healthy peer
/// of a HIL scenario, or a machine stuck at one severity for a test.
///
/// Pure: ``state(after:)`` maps the time since the machine started to a severity and a phase.
public struct MachineProfile: Sendable, Equatable {
    /// Where the machine is in its cycle; served as input register 26.
    public enum Phase: UInt16, Sendable, Equatable, CaseIterable, CustomStringConvertible {
        /// Healthy, before the drift starts (or a constant machine below severity 1).
        case runningNormal = 0
        /// Wearing: severity rising from 0 to 1.
        case drifting = 1
        /// At full fault (or a constant machine at severity 1).
        case faultHold = 2
        /// Just repaired: normal values until the cycle starts again.
        case maintenance = 3

        /// A short name for status lines: normal, drifting, fault, maintenance.
        public var description: String {
            switch self {
            case .runningNormal: "normal"
            case .drifting: "drifting"
            case .faultHold: "fault"
            case .maintenance: "maintenance"
            }
        }
    }

    /// The shape of the severity over time.
    public enum Shape: Sendable, Equatable {
        /// Normal for `hold`, 0 → 1 over `drift`, 1 for `faultHold`, normal for `maintenance`, repeat.
        case cycle(hold: Duration, drift: Duration, faultHold: Duration, maintenance: Duration)
        /// Always this severity (0…1).
        case constant(Double)
    }

    /// The shape of the severity over time.
    public var shape: Shape

    /// A repeating wear cycle; the defaults give a fault 70 s after start and a 92 s cycle.
    public static func cycle(hold: Duration = .seconds(10), drift: Duration = .seconds(60),
                             faultHold: Duration = .seconds(20), maintenance: Duration = .seconds(2)) -> MachineProfile {
        precondition(hold >= .zero && drift >= .zero && faultHold >= .zero && maintenance >= .zero, "negative phase length")
        precondition(hold + drift + faultHold + maintenance > .zero, "a cycle needs some length")
        return MachineProfile(shape: .cycle(hold: hold, drift: drift, faultHold: faultHold, maintenance: maintenance))
    }

    /// A machine that stays at `severity` (clamped to 0…1).
    public static func constant(_ severity: Double) -> MachineProfile {
        MachineProfile(shape: .constant(min(max(severity, 0), 1)))
    }

    /// The default: ``cycle(hold:drift:faultHold:maintenance:)`` with its defaults.
    public static let standard = MachineProfile.cycle()

    /// The severity (0 normal … 0.5 degraded … 1 fault) and phase `elapsed` after the machine started.
    public func state(after elapsed: Duration) -> (severity: Double, phase: Phase) {
        switch shape {
        case .constant(let s):
            return (s, s >= 1 ? .faultHold : .runningNormal)
        case .cycle(let hold, let drift, let faultHold, let maintenance):
            let h = hold.nanoseconds, d = drift.nanoseconds, f = faultHold.nanoseconds, m = maintenance.nanoseconds
            var t = max(elapsed.nanoseconds, 0) % (h + d + f + m)
            if t < h { return (0, .runningNormal) }
            t -= h
            if t < d { return (Double(t) / Double(d), .drifting) }
            t -= d
            if t < f { return (1, .faultHold) }
            return (0, .maintenance)
        }
    }
}

import EventLoop

/// The anomaly decision's level (0 normal, 1 warn, 2 alarm) from a stream of scores: thresholds with hysteresis
/// (a level clears only below `clear` × its threshold), confirmation (a new level must hold for `confirm` scores in
/// a row), a minimum dwell (the level in force holds for `minDwell` before another takes over; a rise to alarm
/// skips the dwell unless `dwellGuardsAlarm`, as a switch to the fault class does with `dwell_guards_fault`),
/// fail-safe (no level while the inputs are invalid) and an optional latch on alarm. Pure; no allocation.
public struct AnomalyLevels: Sendable {
    public let warn: Double
    public let alarm: Double
    public let clear: Double
    public let confirm: Int
    public let latches: Bool
    public let minDwell: Duration
    public let dwellGuardsAlarm: Bool
    /// When the confirmed level took over.
    public private(set) var since: Instant = .zero
    /// The confirmed level, nil before the first confirmation and while the inputs are invalid.
    public private(set) var confirmed: Int?
    /// True while alarm is latched (until ``reset(lastScore:)`` is accepted).
    public private(set) var latched = false
    private var candidate: Int?
    private var streak = 0

    public init(warn: Double, alarm: Double, clear: Double, confirm: Int, latches: Bool, minDwell: Duration = .zero,
                dwellGuardsAlarm: Bool = false) {
        self.minDwell = minDwell
        self.dwellGuardsAlarm = dwellGuardsAlarm
        self.warn = warn
        self.alarm = alarm
        self.clear = clear
        self.confirm = max(1, confirm)
        self.latches = latches
    }

    /// The level in force: the confirmed one, or alarm while latched.
    public var inForce: Int? { latched ? 2 : confirmed }

    /// The level `score` points to, given the confirmed level (hysteresis: a confirmed level holds down to
    /// `clear` × its threshold).
    public func target(_ score: Double) -> Int {
        let current = confirmed ?? 0
        for (level, threshold) in [(2, alarm), (1, warn)] where score >= threshold || (current >= level && score >= clear * threshold) {
            return level
        }
        return 0
    }

    /// Feeds one score at `now` (which only matters with a `minDwell`); returns the new confirmed level when it
    /// changed. A level confirmed while the dwell runs takes over at the first score after it, if still confirmed.
    public mutating func feed(_ score: Double, at now: Instant = .zero) -> Int? {
        // NaN scores (a broken model output) count as alarm: never as healthy.
        let t = score.isNaN ? 2 : target(score)
        if t == candidate { streak += 1 } else { candidate = t; streak = 1 }
        guard streak >= confirm, t != confirmed else { return nil }
        if confirmed != nil, now - since < minDwell, dwellGuardsAlarm || t != 2 { return nil }
        confirmed = t
        since = now
        if t == 2 && latches { latched = true }
        return t
    }

    /// The inputs went invalid: no level until one is confirmed afresh (a latched alarm stays).
    public mutating func inputsInvalid() {
        confirmed = nil
        candidate = nil
        streak = 0
    }

    /// Clears a latched alarm when the last score is below warn; returns whether anything was cleared, or why not.
    public mutating func reset(lastScore: Double?) -> Result<Bool, ResetRefused> {
        guard latched else { return .success(false) }
        guard let s = lastScore, s < warn else {
            return .failure(ResetRefused(reason: "the anomaly score reads \(lastScore.map { formatFixed($0, digits: 3) } ?? "nothing"), not below warn \(formatFixed(warn, digits: 3))"))
        }
        latched = false
        return .success(true)
    }

    /// Why a reset of the anomaly latch was refused.
    public struct ResetRefused: Error, Sendable { public var reason: String }
}

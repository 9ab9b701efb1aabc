import EventLoop

/// Turns a stream of model outputs into a class that does not chatter on a noisy boundary.
///
/// A class other than the current one takes over only when its probability reaches `switchAt` in
/// `confirm` inferences in a row, and the current class has held for `minDwell` (a switch to the
/// last class, the fault, skips the dwell unless `dwellGuardsLast`). The first class after start or
/// after a reset (invalid inputs) needs only the confirmations.
public struct ClassHysteresis {
    public let switchAt: Double
    public let confirm: Int
    public let minDwell: Duration
    public let dwellGuardsLast: Bool
    public let classCount: Int
    /// The class in force, nil before the first one.
    public private(set) var current: Int?
    /// When the current class took over.
    public private(set) var since: Instant = .zero
    private var candidate: Int?
    private var streak = 0

    public init(classCount: Int, switchAt: Double, confirm: Int, minDwell: Duration, dwellGuardsLast: Bool = false) {
        self.classCount = classCount
        self.switchAt = switchAt
        self.confirm = confirm
        self.minDwell = minDwell
        self.dwellGuardsLast = dwellGuardsLast
    }

    /// Feeds one inference's winning class and its probability; returns the new class when it changed.
    public mutating func feed(top: Int, probability: Double, at now: Instant) -> Int? {
        guard top != current, probability >= switchAt else {
            candidate = nil
            streak = 0
            return nil
        }
        if candidate == top { streak += 1 } else {
            candidate = top
            streak = 1
        }
        guard streak >= confirm else { return nil }
        if current != nil, now - since < minDwell, dwellGuardsLast || top != classCount - 1 { return nil }
        current = top
        since = now
        candidate = nil
        streak = 0
        return top
    }

    /// Forgets the class (inputs became invalid): the next one starts over with confirmations only.
    public mutating func reset() {
        current = nil
        candidate = nil
        streak = 0
    }
}

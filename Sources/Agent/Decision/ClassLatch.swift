import EventLoop

/// Alarm latching for model classes, as a PLC latches an alarm: once a latching class (by default the worst,
/// `fault`) is in force, it stays in force until an explicit reset, whatever the model says meanwhile, and
/// through fail-safe periods. A reset is accepted only when the machine reads healthy again: the first class
/// (`normal`) won the last `confirm` inferences in a row with at least `switchAt`. A reset while anything else
/// is seen does nothing.
///
/// Classes are ordered by severity (index 0 the best, the last the worst). While latched, the class in force
/// is the worse of the latched class and the model's current class: a worse class still takes over, and a
/// latching one then becomes the latched class.
///
/// A pure state machine: no clock, no I/O; ``DecisionEngine`` feeds it and acts on what it returns.
public struct ClassLatch: Sendable, Equatable {
    /// What a reset request did.
    public enum ResetOutcome: Sendable, Equatable {
        /// The latch was cleared; the class that had been latched.
        case cleared(Int)
        /// The latch holds; why (the fault persists, or the inputs cannot tell).
        case refused(String)
        /// Nothing was latched.
        case notLatched
    }

    /// The class indexes that latch.
    public let latching: Set<Int>
    /// Inferences in a row the first class must win before a reset is accepted.
    public let confirm: Int
    /// The probability those inferences need.
    public let switchAt: Double
    /// The latched class, or nil.
    public private(set) var latched: Int?
    /// When it latched.
    public private(set) var since: Instant?
    /// Inferences in a row, up to now, that the first class won with at least `switchAt`.
    public private(set) var healthyStreak = 0
    /// The last inference's winner and its probability (nil: no valid inference since the last one failed).
    public private(set) var lastSeen: (top: Int, probability: Double)?

    public init(latching: Set<Int>, confirm: Int, switchAt: Double, latched: Int? = nil, since: Instant? = nil) {
        self.latching = latching
        self.confirm = max(1, confirm)
        self.switchAt = switchAt
        self.latched = latched
        self.since = latched == nil ? nil : since
    }

    public static func == (a: ClassLatch, b: ClassLatch) -> Bool {
        a.latching == b.latching && a.confirm == b.confirm && a.switchAt == b.switchAt && a.latched == b.latched
            && a.since == b.since && a.healthyStreak == b.healthyStreak && a.lastSeen?.top == b.lastSeen?.top
            && a.lastSeen?.probability == b.lastSeen?.probability
    }

    /// One valid inference: its winning class and that class's probability.
    public mutating func observe(top: Int, probability: Double) {
        lastSeen = (top, probability)
        healthyStreak = top == 0 && probability >= switchAt ? healthyStreak + 1 : 0
    }

    /// The inputs are invalid (fail-safe): nothing can be told about the machine until they are valid again.
    public mutating func inputsInvalid() {
        lastSeen = nil
        healthyStreak = 0
    }

    /// The model confirmed `modelClass` at `now`: it latches when it is a latching class worse than what is
    /// latched. Returns the class in force.
    public mutating func confirmed(_ modelClass: Int, at now: Instant) -> Int {
        if latching.contains(modelClass), modelClass > (latched ?? -1) {
            latched = modelClass
            since = now
        }
        return inForce(modelClass: modelClass) ?? modelClass
    }

    /// The class in force when the model's confirmed class is `modelClass` (nil: none): the worse of it and the
    /// latched class.
    public func inForce(modelClass: Int?) -> Int? {
        switch (latched, modelClass) {
        case (let l?, let m?): return max(l, m)
        case (let l?, nil): return l
        case (nil, let m): return m
        }
    }

    /// An explicit reset: clears the latch when the machine reads healthy, else refuses with the reason.
    /// `labels` name the classes in the reason.
    public mutating func reset(labels: [String]) -> ResetOutcome {
        guard let l = latched else { return .notLatched }
        func name(_ c: Int) -> String { c < labels.count ? labels[c] : "class \(c)" }
        let healthy = labels.first ?? "class 0"
        guard healthyStreak >= confirm else {
            let seen: String
            if let s = lastSeen {
                seen = "the model sees \(name(s.top)) (p=\(formatFixed(s.probability, digits: 2)))"
            } else {
                seen = "the inputs are invalid, so the machine's state is unknown"
            }
            let need = "a reset needs \(healthy) in \(confirm) inference\(confirm == 1 ? "" : "s") in a row"
            return .refused("\(name(l)) persists: \(seen); \(need)")
        }
        latched = nil
        since = nil
        return .cleared(l)
    }
}

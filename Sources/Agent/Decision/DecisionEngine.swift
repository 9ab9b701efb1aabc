import Config
import EventLoop
import Inference

/// The on-device decision, on the loop at `decide.every`: features → int8 input → model → class (with
/// hysteresis) → actuators. Quantizing and the model allocate nothing; applying the actuator plan builds a few
/// small arrays and cause strings per tick (the whole tick: p50 3 µs, p99 11 µs in `make bench`).
///
/// States (register map input register 6): *starting* until the first class is confirmed, *deciding*, and
/// *fail-safe* while an input feature is invalid or a peer commanded `stop`. In *starting* and *fail-safe* every
/// decided actuator is held at its safe value.
///
/// A latching class (`decide: latch:`, by default the worst) stays in force once confirmed, through fail-safe
/// periods and whatever the model says later, until ``requestReset(source:)`` clears it; that is accepted only
/// when the machine reads healthy again (see ``ClassLatch``), and the engine then starts over (*starting*,
/// actuators safe, until a class is confirmed afresh).
public final class DecisionEngine {
    public let decision: DecisionConfig
    public private(set) var state: RegisterLayout.State = .starting
    /// The class in force (nil while starting or fail-safe): the model's confirmed class, or a latched one that
    /// is worse.
    public var currentClass: Int? { state == .deciding ? latch.inForce(modelClass: hysteresis.current) : nil }
    /// The class the model's hysteresis has confirmed, latched or not (nil while starting or fail-safe).
    public var modelClass: Int? { state == .deciding ? hysteresis.current : nil }
    /// The latched class, or nil; it holds through fail-safe periods and until a reset is accepted.
    public var latchedClass: Int? { latch.latched }
    /// When the latched class latched.
    public var latchedSince: Instant? { latch.since }
    /// Called when the latch changes (latched, escalated, cleared), with the latched class or nil: the agent keeps
    /// it across restarts.
    public var onLatchChange: (Int?) -> Void = { _ in }
    /// The last inference's probabilities, per class.
    public private(set) var probabilities: [Double]
    /// The last inference's winning class.
    public private(set) var lastTop: Int?
    /// Why the engine is fail-safe or still starting.
    public private(set) var reason = "waiting for the first decision"
    public private(set) var inferences: UInt64 = 0
    public private(set) var classChanges: UInt64 = 0
    /// When the current class took over.
    public var classSince: Instant? {
        guard let c = currentClass else { return nil }
        return c == latch.latched && c != hysteresis.current ? latch.since : hysteresis.since
    }
    /// Duration of each tick (features, model, actuators): the decision's cost on the loop.
    public private(set) var tickTime = LatencyHistogram()
    /// Called after the class or state changed.
    public var onChange: (DecisionEngine) -> Void = { _ in }

    public let plan: ActuatorPlan
    /// The anomaly decision and estimates (`decide: anomaly:`, `estimate:`), run at every tick; nil without them.
    public let companions: CompanionMonitor?
    private let features: FeatureBank
    private let model: any CompiledNetwork.Type
    private let loop: EventLoop
    private let logger: Logger
    private var hysteresis: ClassHysteresis
    private var latch: ClassLatch
    private let inputFeatures: [Int]
    private var featureBuffer: [Float]
    private var input: [Int8]
    private var output: [Int8]
    private var timer: TimerID?
    private var overrideActive: [Bool]
    /// Evaluates an override's condition (peers and command block live in the agent).
    private let condition: (DecisionConfig.Condition) -> Bool
    /// The command block's `stop` bit.
    private let remoteStop: () -> Bool
    /// Called first in every tick (the agent samples the GPIO inputs that features read).
    private let beforeTick: () -> Void

    /// - Parameter latched: a class latched before this engine existed (kept across a restart), or nil.
    public init(decision: DecisionConfig, features: FeatureBank, plan: ActuatorPlan, model: any CompiledNetwork.Type,
                loop: EventLoop, logger: Logger, condition: @escaping (DecisionConfig.Condition) -> Bool, remoteStop: @escaping () -> Bool,
                beforeTick: @escaping () -> Void = {}, latched: Int? = nil) {
        self.decision = decision
        self.features = features
        self.plan = plan
        self.model = model
        self.loop = loop
        self.logger = logger
        self.condition = condition
        self.remoteStop = remoteStop
        self.beforeTick = beforeTick
        hysteresis = ClassHysteresis(classCount: decision.labels.count, switchAt: decision.switchAt, confirm: decision.confirm,
                                     minDwell: decision.minDwell, dwellGuardsLast: decision.dwellGuardsFault)
        let restored = latched.flatMap { decision.latching.contains($0) ? $0 : nil }
        latch = ClassLatch(latching: Set(decision.latching), confirm: decision.confirm, switchAt: decision.switchAt,
                           latched: restored, since: restored == nil ? nil : loop.now)
        // Config validation guarantees every model input is a feature.
        inputFeatures = decision.inputs.map { name in features.index(of: name) ?? 0 }
        featureBuffer = Array(repeating: 0, count: decision.inputs.count)
        input = Array(repeating: 0, count: model.info.input.count)
        output = Array(repeating: 0, count: model.info.output.count)
        probabilities = Array(repeating: 0, count: decision.labels.count)
        overrideActive = Array(repeating: false, count: decision.overrides.count)
        companions = CompanionMonitor(decision: decision, features: features, logger: logger)
    }

    /// Holds every decided actuator safe and starts the ticks (the first one a full period from now, so
    /// windows can fill).
    public func start() {
        if let l = latch.latched {
            logger.warning("decision.latched", ["class": decision.labels[l], "since": "before this start",
                                                "action": "held until a reset, accepted once the machine reads \(decision.labels[0])"])
        }
        plan.driveSafe(reason: reason)
        logger.notice("decision.start", ["every": durationText(decision.every), "model_inputs": decision.inputs.count,
                                         "actuators": plan.targets.count, "state": "starting: actuators safe until the first decision"])
        schedule(at: loop.now + decision.every)
    }

    /// Stops ticking and drives every decided actuator safe, writing every Modbus actuator again so that
    /// ``ActuatorPlan/Target/confirmedSafe`` reports the device's answer to this stop.
    public func stop(reason: String) {
        if let timer { loop.cancel(timer) }
        timer = nil
        plan.driveSafeAndConfirm(reason: reason)
    }

    /// Re-applies the actuators now (an override's condition may have changed: a peer, a command).
    public func reapply() {
        guard timer != nil else { return }
        applyActuators()
    }

    /// One decision: normally called by the timer; public for tests and HIL.
    public func tick() {
        let started = loop.preciseNow()
        let now = loop.now
        beforeTick()
        features.evaluate(at: now)
        var problem: String?
        if remoteStop() { problem = "a peer commanded stop" }
        if problem == nil {
            for (k, f) in inputFeatures.enumerated() {
                guard let v = features.features[f].value else {
                    problem = features.features[f].invalidReason ?? "feature \(decision.inputs[k]) invalid"
                    break
                }
                featureBuffer[k] = Float(v)
            }
        }
        if problem == nil, let companions { problem = companions.tick(features, at: now) }
        if let problem {
            enterFailSafe(problem)
        } else {
            featureBuffer.withUnsafeBufferPointer { f in
                input.withUnsafeMutableBufferPointer { i in model.info.quantizeFeatures(f.baseAddress!, into: i.baseAddress!) }
            }
            input.withUnsafeBufferPointer { i in
                output.withUnsafeMutableBufferPointer { o in model.predictExclusively(input: i.baseAddress!, output: o.baseAddress!) }
            }
            inferences &+= 1
            var top = 0
            for k in probabilities.indices {
                probabilities[k] = Double(model.info.output.dequantize(output[k]))
                if output[k] > output[top] { top = k }
            }
            lastTop = top
            latch.observe(top: top, probability: probabilities[top])
            if state == .failSafe {
                logger.notice("decision.recovered", ["was": reason, "state": "starting: waiting for a confirmed class"])
                state = .starting
                reason = "waiting for the first decision after recovery"
                onChange(self)
            }
            let before = currentClass
            if let changed = hysteresis.feed(top: top, probability: probabilities[top], at: now) {
                classChanged(to: changed, from: before, at: now)
            }
        }
        applyActuators()
        tickTime.record(loop.preciseNow() - started)
    }

    /// The hysteresis confirmed `changed`: the class in force follows unless a latched class holds it.
    private func classChanged(to changed: Int, from before: Int?, at now: Instant) {
        let latchedBefore = latch.latched
        state = .deciding
        let inForce = latch.confirmed(changed, at: now)
        if latch.latched != latchedBefore, let l = latch.latched {
            logger.warning("decision.latched", ["class": decision.labels[l],
                                                "action": "held until a reset, accepted once the machine reads \(decision.labels[0]): fieldagent reset, command bit reset\(decision.resetInput.map { ", input \($0)" } ?? "")"])
            onLatchChange(l)
        }
        if inForce != before {
            classChanges &+= 1
            logger.notice("decision.class", ["class": decision.labels[inForce], "probability": formatFixed(probabilities[inForce], digits: 3),
                                             "inferences": inferences])
            onChange(self)
        }
        if inForce != changed {
            logger.info("decision.class_held", ["model": decision.labels[changed], "class": decision.labels[inForce], "reason": "latched until reset"])
        }
    }

    /// Asks to clear the latched class (`source` says who: `fieldagent reset`, `command bit reset from …`,
    /// `input fault_reset`). Accepted only when the machine reads healthy; then the engine starts over, every
    /// decided actuator safe until a class is confirmed afresh.
    @discardableResult
    public func requestReset(source: String) -> ClassLatch.ResetOutcome {
        if let companions {
            switch companions.reset() {
            case .success(true):
                logger.notice("anomaly.reset", ["by": source, "action": "alarm no longer latched"])
                if timer != nil { applyActuators() }
                if latch.latched == nil { onChange(self); return .cleared(0) }
            case .success(false): break
            case .failure(let refused):
                logger.warning("anomaly.reset_refused", ["by": source, "reason": refused.reason])
                if latch.latched == nil { return .refused(refused.reason) }
            }
        }
        let outcome = latch.reset(labels: decision.labels)
        switch outcome {
        case .cleared(let l):
            logger.notice("decision.reset", ["class": decision.labels[l], "by": source, "action": "starting over: actuators safe until a class is confirmed"])
            onLatchChange(nil)
            hysteresis.reset()
            if state != .failSafe {
                state = .starting
                reason = "reset by \(source): waiting for a confirmed class"
            }
            onChange(self)
            if timer != nil { applyActuators() }
        case .refused(let why):
            logger.warning("decision.reset_refused", ["by": source, "reason": why])
        case .notLatched:
            logger.info("decision.reset_ignored", ["by": source, "reason": "nothing is latched"])
        }
        return outcome
    }

    private func enterFailSafe(_ why: String) {
        hysteresis.reset()
        companions?.invalidate()
        latch.inputsInvalid()
        lastTop = nil
        guard state != .failSafe || reason != why else { return }
        let wasStarting = state == .starting
        state = .failSafe
        reason = why
        logger.warning("decision.failsafe", ["reason": why, "action": "decided actuators held at their safe values",
                                             "was": wasStarting ? "starting" : "deciding"])
        onChange(self)
    }

    private func applyActuators() {
        var active: [Int] = []
        for (i, o) in decision.overrides.enumerated() {
            let on = companions?.holds(o.condition) ?? condition(o.condition)
            if on != overrideActive[i] {
                overrideActive[i] = on
                logger.info("decision.override", ["when": o.condition.description, "line": o.location.line, "active": on ? 1 : 0])
            }
            if on { active.append(i) }
        }
        plan.apply(classIndex: currentClass, overrides: active, reason: reason)
    }

    /// Whether override `i` held at the last application.
    public func overrideIsActive(_ i: Int) -> Bool { overrideActive[i] }

    private func schedule(at deadline: Instant) {
        timer = loop.schedule(at: deadline) { [weak self] in
            guard let self else { return }
            // Fixed rate: the next tick is due one period after this one was due.
            var next = deadline + self.decision.every
            if next <= self.loop.now { next = self.loop.now + self.decision.every }
            self.schedule(at: next)
            self.tick()
        }
    }
}

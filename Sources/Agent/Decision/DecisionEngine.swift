import Config
import EventLoop
import Inference

/// The on-device decision, on the loop at `decide.every`: features → int8 input → model → class (with
/// hysteresis) → actuators. Quantizing and the model allocate nothing; applying the actuator plan builds a few
/// small arrays and cause strings per tick (the whole tick: p50 8 µs, p99 28 µs in `make bench`).
///
/// States (register map input register 6): *starting* until the first class is confirmed, *deciding*, and
/// *fail-safe* while an input feature is invalid or a peer commanded `stop`. In *starting* and *fail-safe* every
/// decided actuator is held at its safe value.
public final class DecisionEngine {
    public let decision: DecisionConfig
    public private(set) var state: RegisterLayout.State = .starting
    /// The class in force (nil while starting or fail-safe).
    public var currentClass: Int? { state == .deciding ? hysteresis.current : nil }
    /// The last inference's probabilities, per class.
    public private(set) var probabilities: [Double]
    /// The last inference's winning class.
    public private(set) var lastTop: Int?
    /// Why the engine is fail-safe or still starting.
    public private(set) var reason = "waiting for the first decision"
    public private(set) var inferences: UInt64 = 0
    public private(set) var classChanges: UInt64 = 0
    /// When the current class took over.
    public var classSince: Instant? { currentClass == nil ? nil : hysteresis.since }
    /// Duration of each tick (features, model, actuators): the decision's cost on the loop.
    public private(set) var tickTime = LatencyHistogram()
    /// Called after the class or state changed.
    public var onChange: (DecisionEngine) -> Void = { _ in }

    public let plan: ActuatorPlan
    private let features: FeatureBank
    private let model: any CompiledNetwork.Type
    private let loop: EventLoop
    private let logger: Logger
    private var hysteresis: ClassHysteresis
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

    public init(decision: DecisionConfig, features: FeatureBank, plan: ActuatorPlan, model: any CompiledNetwork.Type,
                loop: EventLoop, logger: Logger, condition: @escaping (DecisionConfig.Condition) -> Bool, remoteStop: @escaping () -> Bool,
                beforeTick: @escaping () -> Void = {}) {
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
        // Config validation guarantees every model input is a feature.
        inputFeatures = decision.inputs.map { name in features.index(of: name) ?? 0 }
        featureBuffer = Array(repeating: 0, count: decision.inputs.count)
        input = Array(repeating: 0, count: model.info.input.count)
        output = Array(repeating: 0, count: model.info.output.count)
        probabilities = Array(repeating: 0, count: decision.labels.count)
        overrideActive = Array(repeating: false, count: decision.overrides.count)
    }

    /// Holds every decided actuator safe and starts the ticks (the first one a full period from now, so
    /// windows can fill).
    public func start() {
        plan.driveSafe(reason: reason)
        logger.notice("decision.start", ["every": durationText(decision.every), "model_inputs": decision.inputs.count,
                                         "actuators": plan.targets.count, "state": "starting: actuators safe until the first decision"])
        schedule(at: loop.now + decision.every)
    }

    /// Stops ticking and drives every decided actuator safe.
    public func stop(reason: String) {
        if let timer { loop.cancel(timer) }
        timer = nil
        plan.driveSafe(reason: reason)
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
            if state == .failSafe {
                logger.notice("decision.recovered", ["was": reason, "state": "starting: waiting for a confirmed class"])
                state = .starting
                reason = "waiting for the first decision after recovery"
                onChange(self)
            }
            if let changed = hysteresis.feed(top: top, probability: probabilities[top], at: now) {
                classChanges &+= 1
                state = .deciding
                logger.notice("decision.class", ["class": decision.labels[changed], "probability": formatFixed(probabilities[top], digits: 3),
                                                 "inferences": inferences])
                onChange(self)
            }
        }
        applyActuators()
        tickTime.record(loop.preciseNow() - started)
    }

    private func enterFailSafe(_ why: String) {
        hysteresis.reset()
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
            let on = condition(o.condition)
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

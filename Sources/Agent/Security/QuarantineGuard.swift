import Config
import EventLoop
import Modbus

/// Watches every client address of the agent's Modbus server (`security:`): behaviour features per window
/// (``SourceBehaviour``), scored by the behaviour model trained on the simulation's normal M2M traffic
/// (``BehaviourModelScorer``, `security: model:`, by default `m2m_behaviour`), which decides; and against the
/// statistical baseline learned here (``BehaviourProfile``: the source's own behaviour while learning when it
/// was active then, else every source's), which explains which features stood out (and decides with
/// `model: none`). A source above the threshold (the model's `alarm`, or the baseline's `threshold`) for
/// `confirm` windows in a row is quarantined: its writes are refused (and, with
/// `refuse_connections`, its connections), the register map's quarantine alarm bit and a metric are raised, and
/// one log line says which features stood out. It is released after `release_after` of quiet (below
/// `clear` × threshold), or by an operator (``release(_:by:)``). Nothing is quarantined while learning.
public final class QuarantineGuard: ModbusRequestObserver {
    /// One source's state.
    public struct Source {
        public var behaviour = SourceBehaviour()
        /// The last window's score (the model's, or the baseline's without a model) and features (nil before the
        /// first scored window).
        public var score: Double?
        /// The last window's baseline score (learned deviations of its most unusual feature).
        public var baselineScore: Double?
        public var features: [Double] = []
        var above = 0
        /// When it was quarantined, or nil.
        public var quarantinedSince: Instant?
        /// Why (the features that stood out).
        public var reason = ""
        var quietSince: Instant?
        public var windows = 0
        public var refusedWrites = 0
        /// What this source itself did while learning; it is judged against this once it has a few windows.
        public var ownProfile = BehaviourProfile()
    }

    /// Windows of its own a source needs while learning to be judged against its own profile.
    public static let ownProfileWindows = 3

    public let config: SecurityConfig
    /// The model that decides; nil: the baseline decides.
    public let scorer: BehaviourModelScorer?
    /// The score above which a window is anomalous: the model's alarm, or the baseline's threshold.
    public var threshold: Double { scorer == nil ? config.threshold : config.alarm }
    public private(set) var profile: BehaviourProfile
    public private(set) var sources: [String: Source] = [:]
    /// Quarantines since start.
    public private(set) var quarantines: UInt64 = 0
    /// Learning ends here.
    public let learningUntil: Instant
    /// Cost of the per-request feature update (the observer's work), for make bench.
    public private(set) var requestCost = LatencyHistogram()
    /// Cost of closing a window: every source's features, score and verdict.
    public private(set) var windowCost = LatencyHistogram()
    /// Called when a source is quarantined or released.
    public var onChange: ((String, Bool) -> Void)?
    private let loop: EventLoop
    private let logger: Logger
    private var timer: TimerID?

    public init(config: SecurityConfig, loop: EventLoop, logger: Logger) {
        self.config = config
        self.loop = loop
        self.logger = logger
        learningUntil = loop.now + config.learn
        profile = config.learn == .zero ? .simulationDefault : BehaviourProfile()
        scorer = config.model.flatMap { BehaviourModelScorer(name: $0) }
        if let name = config.model, scorer == nil {
            logger.warning("security.model", ["model": name, "reason": "not a compiled-in model of the behaviour features", "instead": "the statistical baseline decides"])
        }
    }

    deinit { stop() }

    /// True while normal behaviour is being learned.
    public var learning: Bool { loop.now < learningUntil }

    /// Starts the window timer.
    public func start() {
        logger.notice("security.start", ["window": durationText(config.window), "learn": durationText(config.learn),
                                         "decides": scorer.map { "model \($0.model.name), alarm \(formatFixed(config.alarm, digits: 4))" } ?? "baseline",
                                         "threshold": config.threshold, "confirm": config.confirm,
                                         "release_after": config.releaseAfter.map(durationText) ?? "never (operator)",
                                         "refuse_connections": config.refuseConnections ? 1 : 0])
        schedule(at: loop.now + config.window)
    }

    public func stop() {
        if let timer { loop.cancel(timer) }
        timer = nil
    }

    /// Sources tracked one by one; beyond this, new addresses share the source `other` (an attacker with many
    /// addresses cannot grow the agent's memory without bound).
    public static let maximumSources = 256

    /// `192.0.2.7` for `::ffff:192.0.2.7`; `other` for a new address once ``maximumSources`` are tracked.
    func key(_ host: String) -> String {
        let k = CommandBlock.normalized(host)
        return sources[k] != nil || sources.count < Self.maximumSources ? k : "other"
    }

    public func isQuarantined(_ host: String) -> Bool { sources[key(host)]?.quarantinedSince != nil }

    /// The sources quarantined now.
    public var quarantined: [String] { sources.filter { $0.value.quarantinedSince != nil }.map(\.key).sorted() }

    /// Counts a write refused because the source is quarantined.
    public func refusedWrite(_ host: String) { sources[key(host)]?.refusedWrites += 1 }

    // MARK: ModbusRequestObserver

    public func connected(_ client: ModbusClientInfo) -> Bool {
        let k = key(client.host)
        sources[k, default: Source()].behaviour.connections += 1
        return !(config.refuseConnections && sources[k]?.quarantinedSince != nil)
    }

    public func disconnected(_ client: ModbusClientInfo, requests: Int) {
        if requests == 0 { sources[key(client.host), default: Source()].behaviour.idleConnections += 1 }
    }

    public func answered(_ client: ModbusClientInfo, unit: UInt8, pdu: ArraySlice<UInt8>, action: HandlerAction) {
        let started = loop.preciseNow()
        let exception: Bool
        switch action {
        case .reply: exception = false
        case .replyException, .close: exception = true
        }
        let now = loop.now
        let learning = now < learningUntil
        sources[key(client.host), default: Source()].behaviour.request(pdu, exception: exception, at: now, learning: learning)
        requestCost.record(loop.preciseNow() - started)
    }

    // MARK: windows

    private func schedule(at deadline: Instant) {
        timer = loop.schedule(at: deadline) { [weak self] in
            guard let self else { return }
            self.schedule(at: deadline + self.config.window)
            self.closeWindow()
        }
    }

    /// Scores every source's window; learns it while learning; quarantines and releases.
    public func closeWindow() {
        let started = loop.preciseNow()
        defer { windowCost.record(loop.preciseNow() - started) }
        let seconds = Double(config.window.nanoseconds) / 1e9
        let now = loop.now
        let learning = now < learningUntil
        for key in sources.keys.sorted() {
            guard var s = sources[key] else { continue }
            let active = s.behaviour.requests > 0 || s.behaviour.connections > 0
            if active {
                let x = s.behaviour.features(seconds: seconds)
                s.features = x
                s.windows += 1
                if learning {
                    profile.learn(x)
                    s.ownProfile.learn(x)
                    s.score = nil
                    s.baselineScore = nil
                } else {
                    let baseline = judgedBy(s).score(x)
                    s.baselineScore = baseline
                    s.score = scorer?.score(x) ?? baseline
                }
            } else {
                s.score = learning ? nil : 0
                s.baselineScore = s.score
            }
            s.behaviour.nextWindow()
            if !learning, let score = s.score { judge(key, &s, score: score, at: now) }
            sources[key] = s
        }
    }

    private func judge(_ key: String, _ s: inout Source, score: Double, at now: Instant) {
        if s.quarantinedSince == nil {
            s.above = score > threshold ? s.above + 1 : 0
            guard s.above >= config.confirm else { return }
            s.quarantinedSince = now
            s.quietSince = nil
            quarantines &+= 1
            s.reason = explain(s.features, judgedBy(s))
            let action = config.refuseConnections ? "writes and connections refused" : "writes refused"
            let release = config.releaseAfter.map { "after \(durationText($0)) of normal behaviour" } ?? "by an operator only"
            let baseline = formatFixed(s.baselineScore ?? 0, digits: 1) + "σ"
            if let scorer {
                logger.warning("security.quarantined", ["source": key, "model": scorer.model.name, "score": formatFixed(score, digits: 3),
                                                        "alarm": formatFixed(threshold, digits: 3), "baseline": baseline, "stood_out": s.reason,
                                                        "action": action, "release": release])
            } else {
                logger.warning("security.quarantined", ["source": key, "score": formatFixed(score, digits: 1), "stood_out": s.reason,
                                                        "action": action, "release": release])
            }
            onChange?(key, true)
        } else {
            if score < threshold * config.clear {
                if s.quietSince == nil { s.quietSince = now }
                if let after = config.releaseAfter, let quiet = s.quietSince, now - quiet >= after {
                    release(key, &s, by: "quiet for \(durationText(after))")
                }
            } else {
                s.quietSince = nil
            }
        }
    }

    private func release(_ key: String, _ s: inout Source, by who: String) {
        s.quarantinedSince = nil
        s.quietSince = nil
        s.above = 0
        logger.notice("security.released", ["source": key, "by": who])
        onChange?(key, false)
    }

    /// Releases `host` (an operator's command); the answer says what happened.
    @discardableResult
    public func release(_ host: String, by who: String) -> String {
        let k = key(host)
        guard var s = sources[k], s.quarantinedSince != nil else {
            return "release: \(k) is not quarantined (quarantined: \(quarantined.isEmpty ? "none" : quarantined.joined(separator: ", ")))"
        }
        release(k, &s, by: who)
        sources[k] = s
        return "release: \(k) released"
    }

    /// The profile a source is judged against: its own when it was seen enough while learning, else everyone's.
    func judgedBy(_ s: Source) -> BehaviourProfile {
        s.ownProfile.count >= Self.ownProfileWindows ? s.ownProfile : profile
    }

    /// The features that stood out: those above half the baseline's threshold, most unusual first, with value and
    /// normal. When none does (the source behaved so while learning too) and the model decides: the features 3 or
    /// more standard deviations from the model's normal training data, with the training mean.
    func explain(_ x: [Double], _ profile: BehaviourProfile) -> String {
        let z = profile.zScores(x)
        let order = z.indices.sorted { z[$0] > z[$1] }.filter { z[$0] > config.threshold / 2 }
        if order.isEmpty, let scorer {
            let d = scorer.deviations(x)
            let means = scorer.model.info.featureMeans
            let far = d.indices.sorted { abs(d[$0]) > abs(d[$1]) }.filter { abs(d[$0]) >= 3 }
            if !far.isEmpty {
                return far.map { i in
                    "\(SourceBehaviour.featureNames[i]) \(formatFixed(x[i], digits: 2)) (trained normal \(formatFixed(Double(means[i]), digits: 2)), "
                        + "\(formatFixed(d[i], digits: 1))σ of the model's training data)"
                }.joined(separator: ", ")
            }
        }
        return (order.isEmpty ? Array(z.indices.sorted { z[$0] > z[$1] }.prefix(1)) : order).map { i in
            "\(SourceBehaviour.featureNames[i]) \(formatFixed(x[i], digits: 2)) (normal \(formatFixed(profile.means[i], digits: 2)), \(formatFixed(z[i], digits: 1))σ)"
        }.joined(separator: ", ")
    }
}

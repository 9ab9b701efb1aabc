import YAML

/// `security:`: behaviour features per client of the agent's server, and quarantine.
///
/// ```yaml
/// security:
///   learn: 5m                 # learn normal first; nothing is quarantined meanwhile (0: from the start, against
///                             # the built-in profile of the simulation's M2M traffic), default 5m
///   window: 10s               # feature window, default 10s
///   model: m2m_behaviour      # the anomaly model that scores each source and decides (default, when compiled
///                             # in); none: the statistical baseline learned here decides
///   alarm: default            # model score above which a window is anomalous, default: the model's alarm
///                             # threshold from training
///   threshold: 8              # baseline score (learned standard deviations of the most unusual feature), default
///                             # 8: decides with model: none; else features above threshold/2 are named in the log
///   confirm: 2                # windows in a row above it before quarantine, default 2
///   release_after: 2m         # released after this long below clear × threshold, default 2m; never: operator only
///   clear: 0.5                # default 0.5
///   refuse_connections: false # also refuse a quarantined source's connections, default false (writes only)
/// ```
enum SecuritySection {
    static let key = "security"
    static let keys = ["learn", "window", "model", "alarm", "threshold", "confirm", "release_after", "clear", "refuse_connections"]

    /// `model` is the compiled-in models' signature (nil: unknown; then only `model: none` is accepted).
    static func decode(_ node: YAMLNode?, _ c: ConfigContext, hasServer: Bool, model: ModelSignature?) -> SecurityConfig? {
        guard let node else { return nil }
        let r = c.reader
        guard let f = r.fields(node, what: "security", known: keys) else { return nil }
        if !hasServer { r.error(node.mark, "security: watches the clients of this agent's Modbus server; add a server: section") }
        var s = SecurityConfig(location: node.mark)
        if let n = f["learn"], let d = r.duration(n, "learn") { s.learn = d }
        if let n = f["window"], let d = r.positiveDuration(n, "window") {
            if d < .seconds(1) { r.error(n.mark, "window: \(durationText(d)) is too short to measure a rate; at least 1s") } else { s.window = d }
        }
        let fitting = (model?.companions ?? []).filter { $0.kind == .anomaly && $0.features == SecurityConfig.featureNames }
        var behaviourModel = fitting.first { $0.name == SecurityConfig.defaultModel }
        if let n = f["model"], let name = r.string(n, "model") {
            if name == "none" {
                behaviourModel = nil
            } else if let m = fitting.first(where: { $0.name == name }) {
                behaviourModel = m
            } else {
                let names = fitting.map(\.name)
                r.error(n.mark, "model: '\(name)' is not a compiled-in behaviour model (an anomaly model of the \(SecurityConfig.featureNames.count) security features); \(Spelling.hint(for: name, among: names))behaviour models: \(names.isEmpty ? "none" : names.joined(separator: ", ")) (fieldagent model), or none")
                behaviourModel = nil
            }
        }
        s.model = behaviourModel?.name
        s.alarm = behaviourModel?.alarm ?? 0
        if let n = f["alarm"], let t = r.string(n, "alarm"), t != "default" {
            if behaviourModel == nil {
                r.error(n.mark, "alarm: is the behaviour model's score; with model: none the baseline's threshold: decides")
            } else if let v = Double(t), v.isFinite, v > 0 { s.alarm = v } else { r.error(n.mark, "alarm: '\(t)' is not a score; a positive number, or default (\(s.alarm), from training)") }
        }
        if let n = f["threshold"], let t = r.string(n, "threshold") {
            if let v = Double(t), v.isFinite, v >= 2, v <= 1000 { s.threshold = v } else { r.error(n.mark, "threshold: '\(t)': a score from 2 to 1000") }
        }
        if let n = f["confirm"], let v = r.int(n, "confirm", in: 1...100) { s.confirm = v }
        if let n = f["release_after"], let t = r.string(n, "release_after") {
            if t == "never" { s.releaseAfter = nil } else if let d = r.positiveDuration(n, "release_after") { s.releaseAfter = d }
        }
        if let n = f["clear"], let t = r.string(n, "clear") {
            if let v = Double(t), (0.1...1).contains(v) { s.clear = v } else { r.error(n.mark, "clear: '\(t)': a fraction from 0.1 to 1") }
        }
        if let n = f["refuse_connections"], let b = r.bool(n, "refuse_connections") { s.refuseConnections = b }
        return s
    }
}

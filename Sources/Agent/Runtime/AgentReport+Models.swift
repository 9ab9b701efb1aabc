import Config
import EventLoop
import Service

/// The anomaly decision and the estimates in `fieldagent status` and the metrics.
extension Agent {
    /// Status lines: the anomaly score against its thresholds with the level, and each estimate's outputs.
    func companionStatusLines() -> [String] {
        guard let d = decision, let m = d.companions else { return [] }
        var out: [String] = []
        if let a = m.anomaly, let levels = m.levels {
            var line = "  anomaly \(a.model): score \(m.score.map { formatFixed($0, digits: 3) } ?? "none (inputs invalid)"), "
                + "level \(CompanionMonitor.levelName(levels.inForce)) (warn \(formatFixed(a.warn, digits: 3)), alarm \(formatFixed(a.alarm, digits: 3)), "
                + "clear ×\(formatFixed(a.clear, digits: 2)), confirm \(a.confirm)), \(m.levelChanges) level changes"
            if levels.latched { line += "; alarm LATCHED until reset (accepted once the score is below warn): fieldagent reset \(config.name)" }
            out.append(line)
        }
        for e in m.estimates {
            let values = e.values.indices.map { i in
                "\(e.config.outputs[i]) \(e.values[i].isFinite ? formatFixed(e.values[i], digits: 1) : "none") \(i < e.config.units.count ? e.config.units[i] : "")"
            }
            out.append("  estimate \(e.config.model): " + values.joined(separator: ", "))
        }
        return out
    }

    /// Status lines of `security:`: learning or watching, each source's score, the quarantined ones and why.
    func securityStatusLines() -> [String] {
        guard let q = quarantine else { return [] }
        let left: Duration = q.learningUntil - loop.now
        let phase = q.learning ? "learning normal behaviour for \(formatSeconds(left)) more" : "watching"
        var out = ["security: " + phase
                   + ", \(q.sources.count) sources, \(q.quarantines) quarantines, "
                   + (q.scorer.map { "model \($0.model.name) decides (alarm \(formatFixed(q.threshold, digits: 4))), baseline explains" }
                      ?? "baseline decides (threshold \(formatFixed(q.config.threshold, digits: 1)))"),
                   "  cost: features per request \(q.requestCost.summary); scoring per window \(q.windowCost.summary)"]
        for (host, s) in q.sources.sorted(by: { $0.key < $1.key }) {
            var line = "  \(host): score \(s.score.map { formatFixed($0, digits: q.scorer == nil ? 1 : 4) } ?? "-")"
            if q.scorer != nil { line += " (baseline \(s.baselineScore.map { formatFixed($0, digits: 1) } ?? "-")σ)" }
            line += ", \(s.windows) windows"
            if s.quarantinedSince != nil { line += ", QUARANTINED (\(s.reason)), \(s.refusedWrites) writes refused" }
            out.append(line)
        }
        for (name, d) in (identity?.devices ?? [:]).sorted(by: { $0.key < $1.key }) {
            out.append("  device \(name): \(d.answers) answers, \(formatFixed(d.learnedMilliseconds, digits: 2)) ms while learning, "
                       + (d.suspect.map { "SUSPECT (\($0)): possible swap or spoof" } ?? "answers like itself"))
        }
        return out
    }

    /// Metric families of `security:`.
    func securityMetricFamilies() -> [MetricFamily] {
        guard let q = quarantine else { return [] }
        let agent = [MetricFamily.Label("agent", config.name)]
        var score = MetricFamily("fieldagent_source_score", help: "Behaviour score per server client address (the behaviour model's, or the baseline's in learned deviations).", type: .gauge)
        var held = MetricFamily("fieldagent_source_quarantined", help: "1 while the client address is quarantined.", type: .gauge)
        for (host, s) in q.sources.sorted(by: { $0.key < $1.key }) {
            score.samples.append(.init(labels: agent + [.init("source", host)], value: s.score ?? .nan))
            held.samples.append(.init(labels: agent + [.init("source", host)], value: s.quarantinedSince == nil ? 0 : 1))
        }
        var suspect = MetricFamily("fieldagent_device_identity_suspect", help: "1 while a polled device answers unlike itself (possible swap or spoof).", type: .gauge)
        for (name, d) in (identity?.devices ?? [:]).sorted(by: { $0.key < $1.key }) {
            suspect.samples.append(.init(labels: agent + [.init("device", name)], value: d.suspect == nil ? 0 : 1))
        }
        return [score, held, suspect, MetricFamily("fieldagent_quarantines_total", help: "Sources quarantined since start.", type: .counter,
                                          samples: [.init(labels: agent, value: Double(q.quarantines))])]
    }

    /// Metric families: score, level, thresholds, estimates.
    func companionMetricFamilies() -> [MetricFamily] {
        guard let d = decision, let m = d.companions else { return [] }
        let agent = [MetricFamily.Label("agent", config.name)]
        var out: [MetricFamily] = []
        if let a = m.anomaly, let levels = m.levels {
            let model = agent + [.init("model", a.model)]
            out.append(MetricFamily("fieldagent_anomaly_score", help: "The anomaly model's last score (NaN while its inputs are invalid).", type: .gauge,
                                    samples: [.init(labels: model, value: m.score ?? .nan)]))
            out.append(MetricFamily("fieldagent_anomaly_level", help: "The anomaly level in force: 0 normal, 1 warn, 2 alarm, -1 none.", type: .gauge,
                                    samples: [.init(labels: model, value: Double(levels.inForce ?? -1))]))
            out.append(MetricFamily("fieldagent_anomaly_threshold", help: "The anomaly decision's thresholds.", type: .gauge,
                                    samples: [.init(labels: model + [.init("level", "warn")], value: a.warn),
                                              .init(labels: model + [.init("level", "alarm")], value: a.alarm)]))
        }
        var estimates = MetricFamily("fieldagent_estimate", help: "Regression model outputs at the last decision (NaN while invalid).", type: .gauge)
        for e in m.estimates {
            for i in e.values.indices {
                estimates.samples.append(.init(labels: agent + [.init("model", e.config.model), .init("output", e.config.outputs[i]),
                                                                .init("unit", i < e.config.units.count ? e.config.units[i] : "")], value: e.values[i]))
            }
        }
        if !estimates.samples.isEmpty { out.append(estimates) }
        return out
    }
}

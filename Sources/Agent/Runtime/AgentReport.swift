import Config
import EventLoop
import Modbus
import Service

/// What `fieldagent status` prints and what the Prometheus textfile holds: the agent's state, read on the loop.
extension Agent {
    /// A human-readable report: identity, decision, features, links, actuators, latency, counters.
    public func statusText() -> String {
        let now = loop.now
        func ago(_ t: Instant?) -> String { t.map { formatSeconds(now - $0) + " ago" } ?? "never" }
        var out: [String] = []
        out.append("agent \(config.name) (board \(config.board.name), config \(config.file))")
        out.append("  uptime \(formatSeconds(now - startedAt)), backend \(chips.backend.rawValue), alarms: \(alarms)")
        if let d = decision {
            var line = "decision: \(d.state)"
            if let c = d.currentClass {
                line += ", class \(d.decision.labels[c]) (p=\(formatFixed(d.probabilities[c], digits: 2)))"
                if let since = d.classSince { line += " since \(ago(since))" }
            } else {
                line += ": \(d.reason)"
            }
            out.append(line)
            if let l = d.latchedClass {
                var latched = "  LATCHED: \(d.decision.labels[l])"
                if let since = d.latchedSince { latched += " since \(ago(since))" }
                if let m = d.modelClass, m != l { latched += " (the model now sees \(d.decision.labels[m]))" }
                latched += "; reset once the machine reads \(d.decision.labels[0]): fieldagent reset \(config.name), command bit reset"
                if let input = d.decision.resetInput { latched += ", or input \(input)" }
                out.append(latched)
            }
            out.append("  every \(durationText(d.decision.every)), \(d.inferences) inferences, \(d.classChanges) class changes, tick \(d.tickTime.summary)")
            if !d.probabilities.isEmpty {
                out.append("  last output: " + zip(d.decision.labels, d.probabilities).map { "\($0) \(formatFixed($1, digits: 2))" }.joined(separator: ", "))
            }
            out += companionStatusLines()
        } else {
            out.append("decision: none (no decide: section)")
        }
        if let bank = features, !bank.features.isEmpty {
            bank.evaluate(at: now)
            out.append("features:")
            for f in bank.features {
                let value = f.value.map { formatFixed($0, digits: 3) } ?? "invalid: \(f.invalidReason ?? "?")"
                out.append("  \(f.config.name) = \(value)   (\(f.config.reduction.rawValue) of \(f.config.source) over \(f.config.window)\(f.rejected > 0 ? ", \(f.rejected) rejected" : ""))")
            }
        }
        if let sensors {
            out.append("sensors:")
            for dev in sensors.devices {
                let link = sensors.link(of: dev.name)
                let c = sensors.counters(of: dev.name) ?? DeviceCounters()
                out.append("  \(dev.name) \(dev.endpoint): \(link?.state.rawValue ?? "?"), last answer \(ago(link?.lastSeen)), \(c.requests) requests, \(c.failures) failures, \(c.exceptions) exceptions"
                           + (sensors.problem(of: dev.name).map { " [\($0)]" } ?? ""))
            }
        }
        if let peers {
            out.append("peers:")
            for p in peers.peers {
                var line = "  \(p.config.name) \(p.config.host):\(p.config.port): \(p.link.rawValue), last seen \(ago(p.lastSeen))"
                if let s = p.status, s.isCompatible {
                    let labels = decision?.decision.labels ?? []
                    let c = s.healthClass.map { $0 < labels.count ? labels[$0] : "class \($0)" } ?? "no class"
                    line += ", \(p.link == .up ? "" : "last known: ")\(s.name): \(s.state?.description ?? "?"), \(c) (\(formatFixed(s.confidence, digits: 2))), alarms \(s.alarms)"
                }
                if let i = peers.index(of: p.config.name), let problem = peers.reason(i) { line += " [\(problem)]" }
                out.append(line)
            }
        }
        out.append("outputs:")
        for o in outputs { out.append("  \(o.name) = \(o.value ? "on" : "off") (safe \(o.safeValue ? "on" : "off"))") }
        for t in decision?.plan.targets ?? [] {
            if case .modbus = t.target {
                out.append("  \(t.target) = \(t.applied.map { formatFixed($0, digits: 1) } ?? "not written yet") (wanted \(formatFixed(t.desired, digits: 1)), safe \(formatFixed(t.safe, digits: 1)), \(t.cause))")
            }
        }
        if let tls = tlsClient {
            let days = tls.daysLeft.map { $0 < 0 ? "EXPIRED \(-$0) days ago" : "expires in \($0) days" } ?? "expiry unknown"
            let soon = (tls.daysLeft ?? 0) < AgentRuntime.expiryWarningDays ? " — renew it and send SIGHUP" : ""
            out.append("tls: certificate \(tls.identity.certificate) \(days)\(soon)\(tls.identity.crl.map { ", CRL \($0)" } ?? "")")
        }
        out += securityStatusLines()
        out.append("latency: edge → output \(edgeToOutput.summary); \(edgeCount) edges")
        if let c = commands {
            out.append("commands: bits 0x\(String(c.bits, radix: 16)), sequence \(c.sequence), last write \(ago(c.lastWrite)), \(c.accepted) accepted, \(c.refused) refused")
        }
        out += uplinkStatusLines()
        return out.joined(separator: "\n") + "\n"
    }

    /// One line for systemd's STATUS: `line-a: normal (p=0.99); sensors 1/1 up; peers 1/1 up; 4 inputs, 5 outputs`.
    public func oneLineStatus() -> String {
        var parts: [String] = []
        if let d = decision {
            if let c = d.currentClass { parts.append("\(d.decision.labels[c]) (p=\(formatFixed(d.probabilities[c], digits: 2)))") } else { parts.append("\(d.state): \(d.reason)") }
            if let l = d.latchedClass { parts.append("\(d.decision.labels[l]) LATCHED until reset") }
        }
        if let sensors {
            let up = sensors.devices.filter { sensors.link(of: $0.name)?.state == .up }.count
            parts.append("sensors \(up)/\(sensors.devices.count) up")
        }
        if let peers { parts.append("peers \(peers.peers.filter { $0.link == .up }.count)/\(peers.peers.count) up") }
        parts.append("\(inputs.count) inputs, \(outputs.count) outputs")
        return "\(config.name): " + parts.joined(separator: "; ")
    }

    /// The agent's counters and gauges in the Prometheus model (rendered by the status socket and the textfile).
    public func metricFamilies() -> [MetricFamily] {
        let agent = [MetricFamily.Label("agent", config.name)]
        func one(_ name: String, _ help: String, _ type: MetricFamily.Kind, _ value: Double) -> MetricFamily {
            MetricFamily(name, help: help, type: type, samples: [.init(labels: agent, value: value)])
        }
        let now = loop.now
        var out: [MetricFamily] = [
            one("fieldagent_uptime_seconds", "Seconds since the agent started.", .gauge, Double((now - startedAt).nanoseconds) / 1e9),
            one("fieldagent_gpio_edges_total", "Debounced GPIO input edges.", .counter, Double(edgeCount)),
            one("fieldagent_alarm_bits", "The register map's alarm bits (input register 7).", .gauge, Double(alarms.rawValue)),
        ]
        if let p99 = edgeToOutput.percentile(0.99) {
            out.append(one("fieldagent_edge_to_output_p99_seconds", "99th percentile of GPIO edge to output write since start.", .gauge, Double(p99.nanoseconds) / 1e9))
        }
        if let d = decision {
            out.append(one("fieldagent_inferences_total", "Model inferences.", .counter, Double(d.inferences)))
            out.append(one("fieldagent_decisions_total", "Class changes after hysteresis.", .counter, Double(d.classChanges)))
            out.append(one("fieldagent_failsafe", "1 while decided actuators are held safe (fail-safe or starting).", .gauge, d.currentClass == nil ? 1 : 0))
            out.append(one("fieldagent_health_class", "The class in force (model output index); -1 when none.", .gauge, Double(d.currentClass ?? -1)))
            out.append(one("fieldagent_latched_class", "The latched class (model output index), held until a reset; -1 when none.", .gauge, Double(d.latchedClass ?? -1)))
            var probs = MetricFamily("fieldagent_class_probability", help: "The last inference's probability per class.", type: .gauge)
            for (label, p) in zip(d.decision.labels, d.probabilities) { probs.samples.append(.init(labels: agent + [.init("class", label)], value: p)) }
            out.append(probs)
            if let p99 = d.tickTime.percentile(0.99) {
                out.append(one("fieldagent_decision_tick_p99_seconds", "99th percentile of one decision tick (features, model, actuators).", .gauge, Double(p99.nanoseconds) / 1e9))
            }
            out += companionMetricFamilies()
        }
        if let bank = features, !bank.features.isEmpty {
            var values = MetricFamily("fieldagent_feature_value", help: "Feature values (NaN while invalid).", type: .gauge)
            var rejected = MetricFamily("fieldagent_samples_rejected_total", help: "Sensor samples rejected as garbage (NaN, infinite, out of range), per feature.", type: .counter)
            for f in bank.features {
                values.samples.append(.init(labels: agent + [.init("feature", f.config.name)], value: f.value ?? .nan))
                rejected.samples.append(.init(labels: agent + [.init("feature", f.config.name)], value: Double(f.rejected)))
            }
            out += [values, rejected]
        }
        var requests = MetricFamily("fieldagent_modbus_requests_total", help: "Modbus requests sent, per sensor device and peer.", type: .counter)
        var failures = MetricFamily("fieldagent_modbus_errors_total", help: "Modbus requests that failed (timeout, connection) or got an exception, per device and peer.", type: .counter)
        var up = MetricFamily("fieldagent_link_up", help: "1 when the device or peer link is up, 0 when stale or down.", type: .gauge)
        for dev in sensors?.devices ?? [] {
            let labels = agent + [.init("device", dev.name), .init("role", "sensor")]
            let c = sensors?.counters(of: dev.name) ?? DeviceCounters()
            requests.samples.append(.init(labels: labels, value: Double(c.requests)))
            failures.samples.append(.init(labels: labels, value: Double(c.failures + c.exceptions)))
            up.samples.append(.init(labels: labels, value: sensors?.link(of: dev.name)?.state == .up ? 1 : 0))
        }
        for p in peers?.peers ?? [] {
            let labels = agent + [.init("device", p.config.name), .init("role", "peer")]
            let c = peers?.counters(of: p.config.name) ?? DeviceCounters()
            requests.samples.append(.init(labels: labels, value: Double(c.requests)))
            failures.samples.append(.init(labels: labels, value: Double(c.failures + c.exceptions)))
            up.samples.append(.init(labels: labels, value: p.link == .up ? 1 : 0))
        }
        if !requests.samples.isEmpty { out += [requests, failures, up] }
        if let tls = tlsClient, let days = tls.daysLeft {
            out.append(one("fieldagent_tls_certificate_days_left", "Whole days until the agent's TLS certificate expires (negative once it has).", .gauge, Double(days)))
            if let t = tls.notAfter {
                out.append(one("fieldagent_tls_certificate_expiry_timestamp_seconds", "When the agent's TLS certificate expires (Unix time).", .gauge, Double(t)))
            }
        }
        var outputsFamily = MetricFamily("fieldagent_output_value", help: "GPIO outputs' logical values.", type: .gauge)
        for o in outputs { outputsFamily.samples.append(.init(labels: agent + [.init("output", o.name)], value: o.value ? 1 : 0)) }
        if !outputsFamily.samples.isEmpty { out.append(outputsFamily) }
        if let c = commands {
            out.append(MetricFamily("fieldagent_command_writes_total", help: "Writes to the command block, by outcome.", type: .counter,
                                    samples: [.init(labels: agent + [.init("outcome", "accepted")], value: Double(c.accepted)),
                                              .init(labels: agent + [.init("outcome", "refused")], value: Double(c.refused))]))
        }
        out += uplinkMetricFamilies()
        return out + securityMetricFamilies()
    }
}

/// `3.2s`, `5m 12s`, `2h 03m`.
func formatSeconds(_ d: Duration) -> String {
    let s = Double(d.nanoseconds) / 1e9
    if s < 60 { return formatFixed(s, digits: 1) + "s" }
    let total = Int(s)
    if total < 3600 { return "\(total / 60)m \(total % 60)s" }
    let m = (total / 60) % 60
    return "\(total / 3600)h \(m < 10 ? "0" : "")\(m)m"
}

import Modbus
import YAML

/// `features:`: named numbers computed over a window of samples, for the model and the register map.
///
/// ```yaml
/// features:
///   - name: vibration_rms_g           # required; the model's inputs are matched by these names
///     from: machine.vibration_rms     # <device>.<point>[i] (polled Modbus point), <peer>.class|confidence|alarms|value<N>,
///                                     # or an input name (0/1)
///     take: mean                      # last | mean | rms | peak | slope (default last)
///     over: 5s                        # window: a sample count (10) or a duration (5s, at least 2 × the source's
///                                     # poll interval); needed except for last
///     per: 10m                        # slope only: its time unit (°C per 10 min); default 1s
///     range: [0, 50]                  # valid samples; others (and NaN) are rejected as garbage; default any finite value
/// ```
enum FeaturesSection {
    static let key = "features"
    static let keys = ["name", "from", "take", "over", "per", "range"]

    static func decode(_ node: YAMLNode?, _ c: ConfigContext, devices: [ModbusDeviceConfig], peers: [PeerConfig]) -> [FeatureConfig] {
        let r = c.reader
        var out: [FeatureConfig] = []
        var seen: [String: Int] = [:]
        for item in r.list(node, key) {
            let what = item["name"]?.scalarValue.map { "feature '\($0)'" } ?? "a feature"
            guard let f = r.fields(item, what: what, known: keys) else { continue }
            let name = r.uniqueName(f, in: what, at: item.mark, kind: "feature", seen: &seen)
            if let name { c.featureNames.insert(name) }
            var source: FeatureConfig.Source?
            if let text = r.required(f, "from", in: what, at: item.mark), let n = f["from"] {
                source = resolve(text, at: n.mark, c, devices: devices, peers: peers)
            }
            let reduction = f["take"].map { r.choice($0, "take", FeatureConfig.Reduction.allCases) } ?? .last
            var window: FeatureConfig.Window? = .samples(1)
            if let n = f["over"], let text = r.string(n, "over") {
                if let count = Int(text) {
                    if (1...10_000).contains(count) { window = .samples(count) } else {
                        r.error(n.mark, "over: \(count) samples is out of range; use 1…10000 samples or a duration")
                        window = nil
                    }
                } else if let d = YAMLScalar.duration(text), d > .zero {
                    if d <= YAMLScalar.maximumDuration { window = .duration(d) } else {
                        r.error(n.mark, "over: \(text) is longer than the maximum \(YAMLScalar.format(YAMLScalar.maximumDuration)) (7 days)")
                        window = nil
                    }
                } else {
                    r.error(n.mark, "over: '\(text)' is neither a sample count (10) nor a duration above zero (5s, 500ms, 10m)")
                    window = nil
                }
            } else if let reduction, reduction != .last {
                r.error(item.mark, "\(what) takes the \(reduction.rawValue) of a window; add 'over:' with a sample count (10) or a duration (5s)")
                window = nil
            }
            if let reduction, reduction == .slope, case .samples(let n)? = window, n < 2 {
                r.error(f["over"]?.mark ?? item.mark, "\(what): a slope needs at least 2 samples in its window")
                window = nil
            }
            var per: Duration? = .seconds(1)
            if let n = f["per"] {
                per = r.positiveDuration(n, "per")
                if reduction != .slope { r.error(n.mark, "\(what): 'per' is the time unit of a slope; it needs 'take: slope'") }
            }
            var range: ClosedRange<Double>?? = .some(nil)
            if let n = f["range"] { range = decodeRange(n, what, r) }
            if case .duration(let span)? = window, let source, let n = f["over"],
               let interval = sampleInterval(of: source, devices: devices, peers: peers), span < interval * 2 {
                r.error(n.mark, "\(what): over: \(YAMLScalar.format(span)) is shorter than two samples of \(source) (one every \(YAMLScalar.format(interval))), so the window would often be empty; use at least \(YAMLScalar.format(interval * 2)) or a sample count")
                window = nil
            }
            guard let name, let source, let reduction, let window, let per, let range else { continue }
            out.append(FeatureConfig(name: name, source: source, reduction: reduction, window: window, slopePer: per,
                                     validRange: range, location: item.mark))
        }
        return out
    }

    /// `machine.vibration`, `machine.vibration[2]`, `line-b.class`, `button`.
    private static func resolve(_ text: String, at mark: SourceLocation, _ c: ConfigContext,
                                devices: [ModbusDeviceConfig], peers: [PeerConfig]) -> FeatureConfig.Source? {
        let r = c.reader
        let parts = text.split(separator: ".", maxSplits: 1).map(String.init)
        guard !parts.isEmpty else {
            r.error(mark, "from: '\(text)' names no source; write <device>.<point>, <peer>.class|confidence|alarms|value<N>, or an input name")
            return nil
        }
        if parts.count == 1 {
            if c.names.kind(of: text) == .input { return .input(name: text) }
            let inputs = c.names.names(.input)
            let hint = Spelling.hint(for: text, among: inputs)
            r.error(mark, "from: '\(text)' is not an input; \(hint)write <device>.<point>, <peer>.class|confidence|alarms|value<N>, or an input name (inputs: \(inputs.isEmpty ? "none" : inputs.joined(separator: ", ")))")
            return nil
        }
        let owner = parts[0]
        var field = parts[1]
        if let peer = peers.first(where: { $0.name == owner }) {
            switch field {
            case "class": return .peer(peer: peer.name, field: .healthClass)
            case "confidence": return .peer(peer: peer.name, field: .confidence)
            case "alarms": return .peer(peer: peer.name, field: .alarms)
            default:
                if field.hasPrefix("value"), let n = Int(field.dropFirst(5)), (0..<16).contains(n) { return .peer(peer: peer.name, field: .value(n)) }
                r.error(mark, "from: peer '\(owner)' serves class, confidence, alarms and value0…value15, not '\(field)'")
                return nil
            }
        }
        guard let device = devices.first(where: { $0.name == owner }) else {
            let all = devices.map(\.name) + peers.map(\.name)
            r.error(mark, "from: '\(owner)' is neither a Modbus device nor a peer; \(Spelling.hint(for: owner, among: all))known: \(all.isEmpty ? "none" : all.joined(separator: ", "))")
            return nil
        }
        var index = 0
        if field.hasSuffix("]"), let open = field.firstIndex(of: "[") {
            guard let i = Int(field[field.index(after: open)..<field.index(before: field.endIndex)]), i >= 0 else {
                r.error(mark, "from: '\(text)': the index in [] must be a whole number from 0")
                return nil
            }
            index = i
            field = String(field[..<open])
        }
        guard let point = device.points.first(where: { $0.name == field }) else {
            let names = device.points.map(\.name)
            r.error(mark, "from: device '\(owner)' has no point '\(field)'; \(Spelling.hint(for: field, among: names))points: \(names.isEmpty ? "none" : names.joined(separator: ", "))")
            return nil
        }
        guard point.pollInterval != nil else {
            r.error(mark, "from: point '\(field)' of device '\(owner)' has no 'poll', so it never has samples; give it a poll interval")
            return nil
        }
        guard index < point.count else {
            r.error(mark, "from: '\(text)': point '\(field)' has \(point.count) value(s), indexes 0…\(point.count - 1)")
            return nil
        }
        return .modbus(device: owner, point: field, index: index)
    }

    /// How often `source` delivers a sample: its point's poll interval or its peer's read interval; nil for inputs
    /// (sampled by the decision tick, whenever it runs).
    private static func sampleInterval(of source: FeatureConfig.Source, devices: [ModbusDeviceConfig], peers: [PeerConfig]) -> Duration? {
        switch source {
        case .modbus(let d, let p, _): devices.first { $0.name == d }?.points.first { $0.name == p }?.pollInterval
        case .peer(let name, _): peers.first { $0.name == name }?.interval
        case .input: nil
        }
    }

    private static func decodeRange(_ node: YAMLNode, _ what: String, _ r: ConfigReader) -> ClosedRange<Double>?? {
        let items = r.list(node, "range")
        guard items.count == 2, let lo = items[0].scalarValue.flatMap(Double.init), let hi = items[1].scalarValue.flatMap(Double.init),
              lo.isFinite, hi.isFinite else {
            r.error(node.mark, "\(what): range is two numbers, low and high: range: [0, 50]")
            return nil
        }
        guard lo <= hi else {
            r.error(node.mark, "\(what): range [\(items[0].scalarValue ?? ""), \(items[1].scalarValue ?? "")] is empty; write the low end first")
            return nil
        }
        return .some(lo...hi)
    }
}

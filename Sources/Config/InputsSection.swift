import YAML

/// `inputs:`: GPIO inputs with name, pin, bias, active_low, debounce, edges.
enum InputsSection {
    /// The top-level key.
    static let key = "inputs"
    /// The keys of one entry.
    static let keys = ["name", "pin", "bias", "active_low", "debounce", "edges"]

    static func decode(_ node: YAMLNode?, _ c: ConfigContext) -> [InputConfig] {
        let r = c.reader
        var out: [InputConfig] = []
        for item in r.list(node, key) {
            let what = item["name"]?.scalarValue.map { "input '\($0)'" } ?? "an input"
            guard let f = r.fields(item, what: what, known: keys) else { continue }
            let name = c.declareName(f, kind: .input, entry: item.mark)
            let pin = c.claimPin(f["pin"], owner: what, entry: item.mark)
            let bias = f["bias"].map { r.choice($0, "bias", InputConfig.Bias.allCases) } ?? .asIs
            let activeLow = f["active_low"].map { r.bool($0, "active_low") } ?? false
            let debounce = f["debounce"].map { r.duration($0, "debounce") } ?? .zero
            let edges = f["edges"].map { r.choice($0, "edges", InputConfig.Edges.allCases) } ?? .both
            guard let name, let pin, let bias, let activeLow, let debounce, let edges else { continue }
            if let d = f["debounce"], debounce > InputConfig.maximumDebounce {
                r.error(d.mark, "debounce: \(YAMLScalar.format(debounce)) is longer than the maximum \(YAMLScalar.format(InputConfig.maximumDebounce)) (the kernel's debounce holds about 4000 s)")
                continue
            }
            if let d = f["debounce"], debounce > .seconds(10) {
                r.warning(d.mark, "debounce of \(debounce) is unusually long; edges shorter than that are ignored")
            }
            out.append(InputConfig(name: name, pin: pin, bias: bias, activeLow: activeLow, debounce: debounce, edges: edges,
                                   location: item.mark))
        }
        return out
    }
}

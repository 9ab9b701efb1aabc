import YAML

/// `inputs:` — GPIO inputs: name, pin, bias, active_low, debounce, edges.
enum InputsSection {
    static let keys = ["name", "pin", "bias", "active_low", "debounce", "edges"]

    static func decode(_ node: YAMLNode?, reader r: ConfigReader, pins: inout PinRegistry) -> [InputConfig] {
        var out: [InputConfig] = []
        for item in r.list(node, "inputs") {
            guard let f = r.fields(item, what: "an input", known: keys) else { continue }
            guard let name = r.required(f, "name", in: "an input", at: item.mark), validName(name, f["name"]!.mark, r) else { continue }
            let pin = pins.claim(f["pin"], owner: "input \(name)", at: item.mark)
            let bias = f["bias"].map { r.choice($0, "bias", InputConfig.Bias.allCases) } ?? .asIs
            let activeLow = f["active_low"].map { r.bool($0, "active_low") } ?? false
            let debounce = f["debounce"].map { r.duration($0, "debounce") } ?? .zero
            let edges = f["edges"].map { r.choice($0, "edges", InputConfig.Edges.allCases) } ?? .both
            guard let pin, let bias, let activeLow, let debounce, let edges else { continue }
            if debounce > .seconds(10) { r.warning(f["debounce"]!.mark, "debounce of \(debounce) is unusually long") }
            out.append(InputConfig(name: name, pin: pin, bias: bias, activeLow: activeLow, debounce: debounce, edges: edges, location: item.mark))
        }
        return out
    }
}

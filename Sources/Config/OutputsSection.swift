import YAML

/// `outputs:` — GPIO outputs: name, pin, initial, safe, active_low.
enum OutputsSection {
    static let keys = ["name", "pin", "initial", "safe", "active_low"]

    static func decode(_ node: YAMLNode?, reader r: ConfigReader, pins: inout PinRegistry) -> [OutputConfig] {
        var out: [OutputConfig] = []
        for item in r.list(node, "outputs") {
            guard let f = r.fields(item, what: "an output", known: keys) else { continue }
            guard let name = r.required(f, "name", in: "an output", at: item.mark), validName(name, f["name"]!.mark, r) else { continue }
            let pin = pins.claim(f["pin"], owner: "output \(name)", at: item.mark)
            let initial = f["initial"].map { r.bool($0, "initial") } ?? false
            let activeLow = f["active_low"].map { r.bool($0, "active_low") } ?? false
            guard let pin, let initial, let activeLow else { continue }
            let safe = f["safe"].map { r.bool($0, "safe") } ?? initial
            guard let safe else { continue }
            out.append(OutputConfig(name: name, pin: pin, initial: initial, safe: safe, activeLow: activeLow, location: item.mark))
        }
        return out
    }
}

import YAML

/// `outputs:`: GPIO outputs with name, pin, initial, safe, active_low.
enum OutputsSection {
    /// The top-level key.
    static let key = "outputs"
    /// The keys of one entry.
    static let keys = ["name", "pin", "initial", "safe", "active_low"]

    static func decode(_ node: YAMLNode?, _ c: ConfigContext) -> [OutputConfig] {
        let r = c.reader
        var out: [OutputConfig] = []
        for item in r.list(node, key) {
            let what = item["name"]?.scalarValue.map { "output '\($0)'" } ?? "an output"
            guard let f = r.fields(item, what: what, known: keys) else { continue }
            let name = c.declareName(f, kind: .output, entry: item.mark)
            let pin = c.claimPin(f["pin"], owner: what, entry: item.mark)
            let initial = f["initial"].map { r.bool($0, "initial") } ?? false
            let safe: Bool?? = f["safe"].map { r.bool($0, "safe") }
            let activeLow = f["active_low"].map { r.bool($0, "active_low") } ?? false
            guard let name, let pin, let initial, let activeLow, safe != .some(nil) else { continue }
            out.append(OutputConfig(name: name, pin: pin, initial: initial, safe: safe ?? initial, activeLow: activeLow,
                                    location: item.mark))
        }
        return out
    }
}

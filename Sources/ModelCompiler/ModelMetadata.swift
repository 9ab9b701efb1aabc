/// Names and input normalization that come with a model, from `MODEL.meta` next to the .tflite:
///
///     # comments
///     labels: normal, degraded, fault          output classes, in output order
///     features: vibration_rms_g, ...           input features, in input order
///     means: 0.68, ...                         per feature: the model sees (value − mean) / std
///     stds: 0.38, ...
struct ModelMetadata {
    var labels: [String] = []
    var features: [String] = []
    var means: [Float] = []
    var stds: [Float] = []

    init() {}

    init(text: String, path: String) throws(ModelError) {
        for (n, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            if line.allSatisfy({ $0 == " " || $0 == "\t" || $0 == "\r" }) { continue }
            guard let colon = line.firstIndex(of: ":") else {
                throw ModelError("\(path):\(n + 1): expected 'key: value, value, ...' (labels, features, means, stds)")
            }
            let key = line[..<colon].trimmingSpaces
            let values = line[line.index(after: colon)...].split(separator: ",").map { $0.trimmingSpaces }.filter { !$0.isEmpty }
            func numbers() throws(ModelError) -> [Float] {
                var result: [Float] = []
                for v in values {
                    guard let x = Float(v) else { throw ModelError("\(path):\(n + 1): '\(v)' is not a number") }
                    result.append(x)
                }
                return result
            }
            switch key {
            case "labels": labels = values
            case "features": features = values
            case "means": means = try numbers()
            case "stds": stds = try numbers()
            default: throw ModelError("\(path):\(n + 1): unknown key '\(key)' (labels, features, means, stds)")
            }
        }
        if !means.isEmpty && means.count != features.count || stds.count != means.count {
            throw ModelError("\(path): means and stds need one value per feature (\(features.count))")
        }
        if stds.contains(where: { $0 <= 0 }) { throw ModelError("\(path): stds must be positive") }
    }
}

extension Substring {
    var trimmingSpaces: String {
        String(drop(while: { $0 == " " || $0 == "\t" }).reversed().drop(while: { $0 == " " || $0 == "\t" || $0 == "\r" }).reversed())
    }
}

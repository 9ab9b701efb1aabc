/// Names and input normalization that come with a model, from `MODEL.meta` next to the .tflite:
///
///     # comments
///     labels: normal, degraded, fault          output classes, in output order
///     features: vibration_rms_g, ...           input features, in input order
///     means: 0.68, ...                         per feature: the model sees (value − mean) / std
///     stds: 0.38, ...
///     kind: anomaly                            classifier (default) | anomaly | regression
///     score: reconstruction                    anomaly: reconstruction (autoencoder) | output
///     thresholds: 0.21, 0.35                   anomaly: default warn, alarm (scores of normal training data at…)
///     threshold_percentiles: 99, 99.9          … these percentiles)
///     outputs: rul                             regression: output names, in output order
///     units: h                                 regression: their units
///     output_scales: 250                       regression: value = offset + scale × dequantized output
///     output_offsets: 0
struct ModelMetadata {
    var labels: [String] = []
    var features: [String] = []
    var means: [Float] = []
    var stds: [Float] = []
    var kind: String?
    var score: String?
    var thresholds: [Float] = []
    var thresholdPercentiles: [Float] = []
    var outputs: [String] = []
    var units: [String] = []
    var outputScales: [Float] = []
    var outputOffsets: [Float] = []

    static let keys = "labels, features, means, stds, kind, score, thresholds, threshold_percentiles, outputs, units, output_scales, output_offsets"

    init() {}

    init(text: String, path: String) throws(ModelError) {
        for (n, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            if line.allSatisfy({ $0 == " " || $0 == "\t" || $0 == "\r" }) { continue }
            guard let colon = line.firstIndex(of: ":") else {
                throw ModelError("\(path):\(n + 1): expected 'key: value, value, ...' (\(Self.keys))")
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
            case "kind": kind = values.first
            case "score": score = values.first
            case "thresholds": thresholds = try numbers()
            case "threshold_percentiles": thresholdPercentiles = try numbers()
            case "outputs": outputs = values
            case "units": units = values
            case "output_scales": outputScales = try numbers()
            case "output_offsets": outputOffsets = try numbers()
            default: throw ModelError("\(path):\(n + 1): unknown key '\(key)' (\(Self.keys))")
            }
        }
        if !means.isEmpty && means.count != features.count || stds.count != means.count {
            throw ModelError("\(path): means and stds need one value per feature (\(features.count))")
        }
        if stds.contains(where: { $0 <= 0 }) { throw ModelError("\(path): stds must be positive") }
        if !thresholds.isEmpty && (thresholds.count != 2 || !(thresholds[0] <= thresholds[1]) || thresholds.contains(where: { !$0.isFinite || $0 < 0 })) {
            throw ModelError("\(path): thresholds: two finite scores ≥ 0, warn ≤ alarm")
        }
        if !thresholdPercentiles.isEmpty && thresholdPercentiles.count != 2 { throw ModelError("\(path): threshold_percentiles: two, for warn and alarm") }
        for (key, list) in [("units", units.count), ("output_scales", outputScales.count), ("output_offsets", outputOffsets.count)]
        where list != 0 && list != outputs.count {
            throw ModelError("\(path): \(key) needs one value per output (\(outputs.count))")
        }
        if outputScales.contains(where: { !$0.isFinite }) || outputOffsets.contains(where: { !$0.isFinite }) {
            throw ModelError("\(path): output_scales and output_offsets must be finite")
        }
    }
}

extension Substring {
    var trimmingSpaces: String {
        String(drop(while: { $0 == " " || $0 == "\t" }).reversed().drop(while: { $0 == " " || $0 == "\t" || $0 == "\r" }).reversed())
    }
}

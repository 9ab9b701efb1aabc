import CommandLineTool
import CompiledModel
import Inference
import ModelCatalog

/// `fieldagent model`: what model is compiled into this binary.
enum ModelCommand {
    static let command = Command(
        name: "model",
        summary: "List the compiled-in models; show one: kind, operators, parameters, arena, MACs, sha256",
        help: """
        USAGE: fieldagent model [NAME]

        Without NAME: one line per int8 model compiled into this binary (Models/models.yaml): name, kind,
        input and output sizes, arena and constant bytes, and what its output means. With NAME: that model in
        full: the .tflite it came from and its sha256, input and output quantization (real = scale ×
        (q − zero_point)), class, feature and output names, the anomaly score's default thresholds, the static
        arena and constant sizes, and each operator with its multiply-accumulates. The models are data in the
        binary: nothing is read at run time. To build in another classifier:

          make model MODEL=path/to/model.tflite && make      (make model alone restores the manifest's)

        EXAMPLES:
          fieldagent model
          fieldagent model machine_anomaly
          fieldagent predict --help        run one on a vector
        """,
        run: { args in
            let name = args.positional()
            try args.finish()
            guard let name else {
                print(list(CompiledModels.all))
                return 0
            }
            guard let entry = CompiledModels.named(name) else {
                throw UsageError("fieldagent model: no model '\(name)'; compiled in: \(CompiledModels.all.map(\.name).joined(separator: ", "))")
            }
            print(describe(entry.info, entry: entry))
            return 0
        })

    /// One line per model.
    static func list(_ entries: [CompiledModelEntry]) -> String {
        var lines = ["name".padding(18) + "kind".padding(12) + "in→out".padding(9) + "arena".padding(8) + "flash".padding(8) + "output"]
        for e in entries {
            lines.append(e.name.padding(18) + e.kind.rawValue.padding(12) + "\(e.info.input.count)→\(e.info.output.count)".padding(9)
                + "\(e.info.arenaBytes)".padding(8) + "\(e.info.constantBytes)".padding(8) + meaning(e))
        }
        return lines.joined(separator: "\n")
    }

    /// What the model's output means, in a few words.
    static func meaning(_ e: CompiledModelEntry) -> String {
        switch e.kind {
        case .classifier: return "classes " + e.info.labels.joined(separator: ", ")
        case .anomaly:
            guard let a = e.anomaly else { return "score" }
            return "score (\(a.score.rawValue)); warn \(a.warn) (p\(formatNumber(a.warnPercentile))), alarm \(a.alarm) (p\(formatNumber(a.alarmPercentile)))"
        case .regression: return e.outputs.map { "\($0.name) [\($0.unit)]" }.joined(separator: ", ")
        }
    }

    static func formatNumber(_ x: Double) -> String { x == x.rounded() ? String(Int(x)) : String(x) }

    static func shape(_ s: [Int]) -> String { "[" + s.map(String.init).joined(separator: ",") + "]" }

    static func describe(_ m: ModelInfo, entry: CompiledModelEntry? = nil) -> String {
        var lines: [String] = []
        lines.append("model      \(m.name) (from \(m.source))")
        if let entry { lines.append("kind       \(entry.kind.rawValue): \(meaning(entry))") }
        lines.append("sha256     \(m.sha256)")
        lines.append("input      \(shape(m.input.shape)) int8, scale \(m.input.scale), zero point \(m.input.zeroPoint)")
        lines.append("output     \(shape(m.output.shape)) int8, scale \(m.output.scale), zero point \(m.output.zeroPoint)")
        if !m.labels.isEmpty { lines.append("classes    " + m.labels.joined(separator: ", ")) }
        if !m.features.isEmpty {
            lines.append("features   (input = (value − mean) / std, then int8)")
            for (i, name) in m.features.enumerated() {
                let norm = i < m.featureMeans.count ? "mean \(m.featureMeans[i]), std \(m.featureStds[i])" : ""
                lines.append("  \(String(i).padding(3))\(name.padding(26))\(norm)")
            }
        }
        lines.append("parameters \(m.parameters)")
        lines.append("MACs       \(m.macs) per inference")
        lines.append("arena      \(m.arenaBytes) bytes (static, planned at build time)")
        lines.append("constants  \(m.constantBytes) bytes (weights, folded biases, multipliers)")
        lines.append("kernels    \(KernelSet.active) (this CPU: \(KernelSet.available.map(\.description).joined(separator: ", ")))")
        lines.append("operators  \(m.operators.count)")
        let width = m.operators.map(\.name.count).max() ?? 8
        for (i, op) in m.operators.enumerated() {
            let macs = op.macs > 0 ? "  \(op.macs) MACs" : ""
            lines.append("  \(String(i).padding(3))\(op.name.padding(width + 1))\(op.summary)\(macs)")
        }
        return lines.joined(separator: "\n")
    }
}

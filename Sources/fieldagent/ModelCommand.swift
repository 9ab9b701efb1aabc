import CompiledModel
import Inference

/// `fieldagent model`: what model is compiled into this binary.
enum ModelCommand {
    static let command = Command(
        name: "model",
        summary: "Show the compiled-in model: operators, parameters, arena, MACs, source sha256",
        help: """
        USAGE: fieldagent model

        Prints the int8 model compiled into this binary by fieldagent-modelc: the .tflite it came from and its
        sha256, input and output shapes with their quantization (real = scale × (q − zero_point)), the class and
        feature names, the static arena and constant sizes, and each operator with its multiply-accumulates.
        The model is data in the binary: nothing is read at run time. To build in another model:

          make model MODEL=path/to/model.tflite && make      (make model alone restores the default)

        EXAMPLES:
          fieldagent model
          fieldagent predict --help        run it on a vector
        """,
        run: { args in
            try args.finish()
            print(describe(CompiledModel.info))
            return 0
        })

    static func shape(_ s: [Int]) -> String { "[" + s.map(String.init).joined(separator: ",") + "]" }

    static func describe(_ m: ModelInfo) -> String {
        var lines: [String] = []
        lines.append("model      \(m.name) (from \(m.source))")
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

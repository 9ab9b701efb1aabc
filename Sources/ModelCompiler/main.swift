import Glibc

/// fieldagent-modelc: compiles a fully int8-quantized .tflite into C constant data and a Swift `predict`.
let usage = """
    USAGE: fieldagent-modelc MODEL.tflite [options]
           fieldagent-modelc --manifest Models/models.yaml [--c-out DIR] [--swift-out DIR] [--summary]

    Reads an int8 .tflite, checks every operator and tensor, plans the activation arena and writes:
      C-OUT/PREFIX.c, C-OUT/include/HEADER   aligned const weights, folded biases, multipliers; the static arena
      SWIFT-OUT/TYPE.swift                    ModelInfo and predict(input:output:) calling the kernels in order
    Class and feature names and the input normalization come from MODEL.meta next to the model when it
    exists (or --meta FILE).
    With --manifest, compiles every model the manifest names (each with its kind, type, prefix and header; see
    Models/README.md) and writes SWIFT-OUT/CompiledModels.swift, the list of compiled-in models with their kinds.

    OPTIONS:
      --c-out DIR        default Sources/CModelWeights
      --swift-out DIR    default Sources/CompiledModel
      --prefix NAME      C symbol and file prefix (default fa_model)
      --header FILE      header file name (default PREFIX.h)
      --c-module NAME    C module the Swift file imports (default CModelWeights)
      --type NAME        Swift type (default CompiledModel)
      --name NAME        model name (default: the file's base name)
      --meta FILE        labels, features, normalization (default: MODEL.meta when present)
      --regenerate TEXT  the command printed in the generated headers (default: make model MODEL=MODEL)
      --kind KIND        classifier (default), anomaly or regression: checked against the metadata
      --manifest FILE    compile the models FILE lists (Models/models.yaml)
      --summary          print operators, arena and sizes

    EXAMPLES:
      fieldagent-modelc Models/machine_health.tflite
      make model MODEL=path/to/other.tflite
    """

struct Invocation {
    var model = ""
    var cOut = "Sources/CModelWeights"
    var swiftOut = "Sources/CompiledModel"
    var prefix = "fa_model"
    var header: String?
    var cModule = "CModelWeights"
    var typeName = "CompiledModel"
    var name: String?
    var meta: String?
    var regenerate: String?
    var summary = false
    var kind = "classifier"
    var manifest: String?

    init(_ args: [String]) throws(ModelError) {
        var i = 0
        func value() throws(ModelError) -> String {
            i += 1
            guard i < args.count else { throw ModelError("\(args[i - 1]) needs a value (see --help)") }
            return args[i]
        }
        while i < args.count {
            switch args[i] {
            case "--c-out": cOut = try value()
            case "--swift-out": swiftOut = try value()
            case "--prefix": prefix = try value()
            case "--header": header = try value()
            case "--c-module": cModule = try value()
            case "--type": typeName = try value()
            case "--name": name = try value()
            case "--meta": meta = try value()
            case "--regenerate": regenerate = try value()
            case "--summary": summary = true
            case "--kind": kind = try value()
            case "--manifest": manifest = try value()
            case let a where a.hasPrefix("-"): throw ModelError("unknown option \(a) (see --help)")
            case let a:
                guard model.isEmpty else { throw ModelError("unexpected argument \(a): one model at a time") }
                model = a
            }
            i += 1
        }
        if manifest != nil {
            guard model.isEmpty else { throw ModelError("--manifest compiles the models it lists; drop \(model)") }
            return
        }
        guard !model.isEmpty else { throw ModelError("missing MODEL.tflite (see --help)") }
    }
}

@discardableResult
func compile(_ inv: Invocation) throws(ModelError) -> CompiledSummary {
    let bytes = try FileIO.read(inv.model)
    let model: TFLiteModel
    do { model = try TFLiteModel(bytes: bytes) } catch { throw ModelError("\(inv.model): \(error)") }
    guard !model.operators.isEmpty else { throw ModelError("\(inv.model): the model has no operators") }
    let (input, output, lowered): (TFLiteModel.Tensor, TFLiteModel.Tensor, [LoweredOperator])
    do { (input, output, lowered) = try Lowering(model: model).lower() } catch { throw ModelError("\(inv.model): \(error)") }
    let (operators, plan) = MemoryPlanner.planWithTiles(operators: lowered, input: input.index, output: output.index) {
        model.tensors[$0].count
    }
    let base = String(inv.model.split(separator: "/").last ?? "model")
    let stem = base.hasSuffix(".tflite") ? String(base.dropLast(7)) : base
    var names = ModelMetadata()
    let namesPath = inv.meta ?? (inv.model.hasSuffix(".tflite") ? String(inv.model.dropLast(7)) : inv.model) + ".meta"
    if inv.meta != nil || FileIO.exists(namesPath) {
        names = try ModelMetadata(text: String(decoding: try FileIO.read(namesPath), as: UTF8.self), path: namesPath)
    }
    if !names.labels.isEmpty && names.labels.count != output.count {
        throw ModelError("\(namesPath): \(names.labels.count) labels for \(output.count) outputs")
    }
    if !names.features.isEmpty && names.features.count != input.count {
        throw ModelError("\(namesPath): \(names.features.count) features for \(input.count) inputs")
    }
    try checkKind(inv.kind, names, input: input.count, output: output.count, path: namesPath)
    let generator = CodeGenerator(
        options: .init(
            source: inv.model, sha256: SHA256.hex(bytes), name: inv.name ?? stem, cPrefix: inv.prefix,
            headerName: inv.header ?? inv.prefix + ".h", cModule: inv.cModule, typeName: inv.typeName,
            regenerate: inv.regenerate ?? "make model MODEL=\(inv.model)", labels: names.labels, features: names.features,
            means: names.means, stds: names.stds),
        input: input, output: output, operators: operators, plan: plan)
    try FileIO.makeDirectory(inv.cOut + "/include")
    try FileIO.makeDirectory(inv.swiftOut)
    try FileIO.write(generator.source(), to: "\(inv.cOut)/\(inv.prefix).c")
    try FileIO.write(generator.header(), to: "\(inv.cOut)/include/\(inv.header ?? inv.prefix + ".h")")
    try FileIO.write(generator.swift(), to: "\(inv.swiftOut)/\(inv.typeName).swift")
    if inv.summary {
        print("\(inv.model): \(operators.count) operators, arena \(plan.arenaBytes) bytes, constants "
            + "\(generator.constants.reduce(0) { $0 + $1.bytes }) bytes, \(operators.reduce(0) { $0 + $1.info.macs }) MACs")
        for op in operators { print("  \(op.index) \(op.name) \(op.info.summary)") }
    }
    return CompiledSummary(name: inv.name ?? stem, kind: inv.kind, typeName: inv.typeName, meta: names)
}

/// The metadata a model of `kind` needs, and its agreement with the model's shapes.
func checkKind(_ kind: String, _ meta: ModelMetadata, input: Int, output: Int, path: String) throws(ModelError) {
    if let declared = meta.kind, declared != kind {
        throw ModelError("\(path): kind: \(declared), but the model is compiled as \(kind)")
    }
    switch kind {
    case "classifier":
        break
    case "anomaly":
        guard meta.thresholds.count == 2 else { throw ModelError("\(path): an anomaly model needs 'thresholds: WARN, ALARM' (scores from training)") }
        switch meta.score ?? "reconstruction" {
        case "reconstruction":
            guard input == output else {
                throw ModelError("\(path): score: reconstruction needs as many outputs as inputs (\(input) in, \(output) out)")
            }
        case "output": break
        case let other: throw ModelError("\(path): score: '\(other)'; reconstruction or output")
        }
    case "regression":
        guard !meta.outputs.isEmpty, meta.outputs.count == output else {
            throw ModelError("\(path): a regression model needs 'outputs:' naming each of its \(output) outputs")
        }
    default:
        throw ModelError("--kind \(kind): classifier, anomaly or regression")
    }
}

/// Compiles every model of the manifest and writes the registry of compiled-in models.
func compileManifest(_ inv: Invocation, path: String) throws(ModelError) {
    let manifest = try ModelManifest(path: path)
    var summaries: [CompiledSummary] = []
    for e in manifest.entries {
        var one = inv
        one.manifest = nil
        one.model = e.file
        one.name = e.name
        one.kind = e.kind
        one.typeName = e.typeName
        one.prefix = e.prefix
        one.header = e.header
        one.regenerate = "make model"
        do { summaries.append(try compile(one)) } catch { throw ModelError("\(e.place): \(error)") }
    }
    try FileIO.write(RegistryGenerator.swift(summaries, manifest: path), to: "\(inv.swiftOut)/CompiledModels.swift")
}

let arguments = Array(CommandLine.arguments.dropFirst())
if arguments.contains("--help") || arguments.contains("-h") {
    print(usage)
    exit(0)
}
do {
    let invocation = try Invocation(arguments)
    if let manifest = invocation.manifest {
        try compileManifest(invocation, path: manifest)
    } else {
        try compile(invocation)
    }
} catch {
    let message = Array("fieldagent-modelc: \(error)\n".utf8)
    _ = message.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
    exit(1)
}

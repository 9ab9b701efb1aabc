import Glibc

/// fieldagent-modelc: compiles a fully int8-quantized .tflite into C constant data and a Swift `predict`.
let usage = """
    USAGE: fieldagent-modelc MODEL.tflite [options]

    Reads an int8 .tflite, checks every operator and tensor, plans the activation arena and writes:
      C-OUT/PREFIX.c, C-OUT/include/HEADER   aligned const weights, folded biases, multipliers; the static arena
      SWIFT-OUT/TYPE.swift                    ModelInfo and predict(input:output:) calling the kernels in order
    Class and feature names and the input normalization come from MODEL.meta next to the model when it
    exists (or --meta FILE).

    OPTIONS:
      --c-out DIR        default Sources/CModelWeights
      --swift-out DIR    default Sources/CompiledModel
      --prefix NAME      C symbol and file prefix (default fa_model)
      --header FILE      header file name (default CModelWeights.h)
      --c-module NAME    C module the Swift file imports (default CModelWeights)
      --type NAME        Swift type (default CompiledModel)
      --name NAME        model name (default: the file's base name)
      --meta FILE        labels, features, normalization (default: MODEL.meta when present)
      --regenerate TEXT  the command printed in the generated headers (default: make model MODEL=MODEL)
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
    var header = "CModelWeights.h"
    var cModule = "CModelWeights"
    var typeName = "CompiledModel"
    var name: String?
    var meta: String?
    var regenerate: String?
    var summary = false

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
            case let a where a.hasPrefix("-"): throw ModelError("unknown option \(a) (see --help)")
            case let a:
                guard model.isEmpty else { throw ModelError("unexpected argument \(a): one model at a time") }
                model = a
            }
            i += 1
        }
        guard !model.isEmpty else { throw ModelError("missing MODEL.tflite (see --help)") }
    }
}

func compile(_ inv: Invocation) throws(ModelError) {
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
    let generator = CodeGenerator(
        options: .init(
            source: inv.model, sha256: SHA256.hex(bytes), name: inv.name ?? stem, cPrefix: inv.prefix,
            headerName: inv.header, cModule: inv.cModule, typeName: inv.typeName,
            regenerate: inv.regenerate ?? "make model MODEL=\(inv.model)", labels: names.labels, features: names.features,
            means: names.means, stds: names.stds),
        input: input, output: output, operators: operators, plan: plan)
    try FileIO.makeDirectory(inv.cOut + "/include")
    try FileIO.makeDirectory(inv.swiftOut)
    try FileIO.write(generator.source(), to: "\(inv.cOut)/\(inv.prefix).c")
    try FileIO.write(generator.header(), to: "\(inv.cOut)/include/\(inv.header)")
    try FileIO.write(generator.swift(), to: "\(inv.swiftOut)/\(inv.typeName).swift")
    if inv.summary {
        print("\(inv.model): \(operators.count) operators, arena \(plan.arenaBytes) bytes, constants "
            + "\(generator.constants.reduce(0) { $0 + $1.bytes }) bytes, \(operators.reduce(0) { $0 + $1.info.macs }) MACs")
        for op in operators { print("  \(op.index) \(op.name) \(op.info.summary)") }
    }
}

let arguments = Array(CommandLine.arguments.dropFirst())
if arguments.contains("--help") || arguments.contains("-h") {
    print(usage)
    exit(0)
}
do {
    try compile(try Invocation(arguments))
} catch {
    let message = Array("fieldagent-modelc: \(error)\n".utf8)
    _ = message.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
    exit(1)
}

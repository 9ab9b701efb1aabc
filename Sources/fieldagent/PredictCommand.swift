import CommandLineTool
import Agent
import CompiledModel
import EventLoop
import Glibc
import Inference
import ModelCatalog

/// `fieldagent predict`: run the compiled-in model on one vector, or on a file of recorded vectors.
enum PredictCommand {
    static let command = Command(
        name: "predict",
        summary: "Run a compiled-in model on a vector (argv or stdin) or on a file of int8 vectors",
        help: """
        USAGE: fieldagent predict [--model NAME] [--int8] [--repeat N] [VALUE...]
               fieldagent predict [--model NAME] --raw-int8 IN.bin --out OUT.bin [--values OUT.txt]

        --model NAME picks one of the compiled-in models (fieldagent model lists them; default: the classifier).
        An anomaly model also prints its score (computed on the device from the int8 input and output) and
        thresholds, a regression model its named values with units.

        One vector: VALUEs separated by spaces or commas, from the command line or (with none, or '-') from
        stdin. By default they are raw feature values in the order 'fieldagent model' lists; they are normalized
        with the model's means and stds (when it has them) and quantized to the model's int8 input. With --int8
        they are the model's int8 input already (-128…127). Prints the int8 output, its real values, the top
        class and the latency of one inference (the median of --repeat N runs, default 1).

        Batch: --raw-int8 reads IN.bin as back-to-back int8 input vectors (no header, the format of the
        reference NAME.inputs.bin files) and writes the int8 outputs back to back to OUT.bin; --values also
        writes one line per vector: the top class index, the anomaly score, or the regression values.

        EXAMPLES:
          fieldagent predict 0.25 0.8 3.2 3.0 0.1 25 48 0.2 8 1.5 1480 0.86
          echo "1.1,4.2,4.4,6.5,0.32,27,72,2.4,10.2,6.5,1455,0.78" | fieldagent predict
          fieldagent predict --int8 --repeat 1000 -- -25 -25 -25 -25 -25 -25 -25 -25 -25 -25 -25 -25
          fieldagent predict --raw-int8 recorded.bin --out outputs.bin
          fieldagent predict --model machine_anomaly 1.1 4.2 4.4 6.5 0.32 27 72 2.4 10.2 6.5 1455 0.78
          fieldagent predict --model machine_rul --raw-int8 Models/machine_rul.inputs.bin --out /tmp/o.bin --values /tmp/rul.txt
        """,
        run: { args in
            let modelName = try args.option("--model")
            guard let model = modelName.map(CompiledModels.named) ?? defaultModel else {
                throw UsageError("fieldagent predict: no model '\(modelName ?? "")'; compiled in: \(CompiledModels.all.map(\.name).joined(separator: ", "))")
            }
            let valuesPath = try args.option("--values")
            let int8 = args.flag("--int8")
            let repeats = try args.option("--repeat", expecting: "a positive number") { Int($0).flatMap { $0 > 0 ? $0 : nil } } ?? 1
            let rawIn = try args.option("--raw-int8")
            let out = try args.option("--out")
            _ = args.flag("--")
            if let rawIn {
                guard let out else { throw UsageError("fieldagent predict: --raw-int8 needs --out OUT.bin") }
                try args.finish()
                try batch(model, input: rawIn, output: out, values: valuesPath)
                return 0
            }
            if out != nil || valuesPath != nil { throw UsageError("fieldagent predict: --out and --values go with --raw-int8 IN.bin") }
            var words: [String] = []
            while let w = args.positional() { words.append(w) }
            try args.finish()
            if words.isEmpty || words == ["-"] {
                words = []
                while let line = readLine() { words.append(line) }
            }
            let values = words.joined(separator: " ").split(whereSeparator: { $0 == " " || $0 == "," || $0 == "\t" })
            try single(model, values.map(String.init), int8: int8, repeats: repeats)
            return 0
        })

    /// The classifier (the first one of the manifest), else the first model.
    static var defaultModel: CompiledModelEntry? { CompiledModels.all.first { $0.kind == .classifier } ?? CompiledModels.all.first }

    /// What one inference says, per kind: the top class index, the anomaly score, or the regression values.
    static func values(_ model: CompiledModelEntry, input: UnsafePointer<Int8>, output: UnsafePointer<Int8>) -> String {
        switch model.kind {
        case .classifier:
            var best = 0
            for i in 0..<model.info.output.count where output[i] > output[best] { best = i }
            return String(best)
        case .anomaly:
            return model.anomalyScore(input: input, output: output).map { formatFixed($0, digits: 6) } ?? "nan"
        case .regression:
            return model.outputs.indices.map { formatFixed(model.regressionValue($0, output: output) ?? .nan, digits: 4) }.joined(separator: " ")
        }
    }

    static func single(_ model: CompiledModelEntry, _ values: [String], int8: Bool, repeats: Int) throws {
        let info = model.info
        let n = info.input.count
        guard values.count == n else {
            let names = info.features.isEmpty ? "" : " (" + info.features.joined(separator: ", ") + ")"
            throw UsageError("fieldagent predict: got \(values.count) values; the model takes \(n)\(names)")
        }
        var input = [Int8](repeating: 0, count: n)
        if int8 {
            for (i, v) in values.enumerated() {
                guard let q = Int(v), q >= -128, q <= 127 else {
                    throw UsageError("fieldagent predict: value \(i + 1) '\(v)' is not an int8 (-128…127)")
                }
                input[i] = Int8(q)
            }
        } else {
            var reals = [Float](repeating: 0, count: n)
            for (i, v) in values.enumerated() {
                guard let x = Float(v), x.isFinite else {
                    throw UsageError("fieldagent predict: value \(i + 1) '\(v)' is not a number (use --int8 for int8 input)")
                }
                reals[i] = x
            }
            reals.withUnsafeBufferPointer { r in
                input.withUnsafeMutableBufferPointer { q in
                    // Valid: both buffers hold the model's input count.
                    info.quantizeFeatures(r.baseAddress!, into: q.baseAddress!)
                }
            }
        }
        var output = [Int8](repeating: 0, count: info.output.count)
        var samples: [Int64] = []
        input.withUnsafeBufferPointer { i in
            output.withUnsafeMutableBufferPointer { o in
                // Valid: both buffers have the model's sizes for the duration of the closure.
                for _ in 0..<repeats {
                    let t0 = MonotonicClock.now()
                    model.predict(i.baseAddress!, o.baseAddress!)
                    samples.append((MonotonicClock.now() - t0).nanoseconds)
                }
            }
        }
        samples.sort()
        let top = output.indices.max(by: { output[$0] < output[$1] }) ?? 0
        let label = top < info.labels.count ? info.labels[top] : "class \(top)"
        print("input    " + input.map(String.init).joined(separator: " "))
        print("output   " + output.map(String.init).joined(separator: " "))
        print("real     " + output.map { formatFixed(Double(info.output.dequantize($0)), digits: 4) }.joined(separator: " "))
        if info.labels.count == output.count {
            print("classes  " + zip(info.labels, output).map { "\($0)=\(formatFixed(Double(info.output.dequantize($1)), digits: 3))" }.joined(separator: " "))
        }
        switch model.kind {
        case .classifier:
            print("top      \(label) (index \(top))")
        case .anomaly:
            let score = input.withUnsafeBufferPointer { i in output.withUnsafeBufferPointer { o in Self.values(model, input: i.baseAddress!, output: o.baseAddress!) } }
            let spec = model.anomaly!
            print("score    \(score) (warn \(spec.warn), alarm \(spec.alarm))")
        case .regression:
            for (k, o) in model.outputs.enumerated() {
                let v = output.withUnsafeBufferPointer { model.regressionValue(k, output: $0.baseAddress!) } ?? .nan
                print("\(o.name.padding(8))\(formatFixed(v, digits: 2)) \(o.unit)")
            }
        }
        let median = Double(samples[samples.count / 2]) / 1000
        print("latency  \(formatFixed(Double(median), digits: 2)) µs" + (repeats > 1 ? " (median of \(repeats))" : " (one cold run; --repeat 1000 for a steady figure)"))
    }

    static func batch(_ model: CompiledModelEntry, input path: String, output outPath: String, values valuesPath: String?) throws {
        let info = model.info
        let bytes = try readAll(path)
        let n = info.input.count, m = info.output.count
        guard !bytes.isEmpty, bytes.count % n == 0 else {
            throw PredictError("\(path): \(bytes.count) bytes is not a whole number of \(n)-byte input vectors")
        }
        let vectors = bytes.count / n
        var outputs = [Int8](repeating: 0, count: vectors * m)
        let t0 = MonotonicClock.now()
        bytes.withUnsafeBufferPointer { i in
            outputs.withUnsafeMutableBufferPointer { o in
                // Valid: i holds `vectors` inputs and o as many outputs.
                for v in 0..<vectors { model.predict(i.baseAddress! + v * n, o.baseAddress! + v * m) }
            }
        }
        let elapsed = MonotonicClock.now() - t0
        try writeAll(outputs, to: outPath)
        if let valuesPath {
            var text = ""
            bytes.withUnsafeBufferPointer { i in
                outputs.withUnsafeBufferPointer { o in
                    // Valid: i holds `vectors` inputs and o as many outputs.
                    for v in 0..<vectors { text += values(model, input: i.baseAddress! + v * n, output: o.baseAddress! + v * m) + "\n" }
                }
            }
            try writeAll(Array(text.utf8).map { Int8(bitPattern: $0) }, to: valuesPath)
        }
        print("\(vectors) vectors → \(outPath) (\(vectors * m) bytes), \(formatFixed(Double(Double(elapsed.nanoseconds) / 1000 / Double(vectors)), digits: 2)) µs per inference")
    }

    static func readAll(_ path: String) throws -> [Int8] {
        guard let f = fopen(path, "rb") else { throw PredictError("\(path): \(String(cString: strerror(errno)))") }
        defer { fclose(f) }
        var bytes: [Int8] = []
        var chunk = [Int8](repeating: 0, count: 65536)
        while true {
            let got = chunk.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, f) }
            if got == 0 { break }
            bytes += chunk[0..<got]
        }
        if ferror(f) != 0 { throw PredictError("\(path): read error") }
        return bytes
    }

    static func writeAll(_ bytes: [Int8], to path: String) throws {
        guard let f = fopen(path, "wb") else { throw PredictError("\(path): \(String(cString: strerror(errno)))") }
        let written = bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, f) }
        let closed = fclose(f)
        guard written == bytes.count, closed == 0 else { throw PredictError("\(path): write error") }
    }
}

/// A predict input that cannot be used: the file and what is wrong with it.
struct PredictError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

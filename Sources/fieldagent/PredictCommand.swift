import CommandLineTool
import Agent
import CompiledModel
import EventLoop
import Glibc
import Inference

/// `fieldagent predict`: run the compiled-in model on one vector, or on a file of recorded vectors.
enum PredictCommand {
    static let command = Command(
        name: "predict",
        summary: "Run the compiled-in model on a vector (argv or stdin) or on a file of int8 vectors",
        help: """
        USAGE: fieldagent predict [--int8] [--repeat N] [VALUE...]
               fieldagent predict --raw-int8 IN.bin --out OUT.bin

        One vector: VALUEs separated by spaces or commas, from the command line or (with none, or '-') from
        stdin. By default they are raw feature values in the order 'fieldagent model' lists; they are normalized
        with the model's means and stds (when it has them) and quantized to the model's int8 input. With --int8
        they are the model's int8 input already (-128…127). Prints the int8 output, its real values, the top
        class and the latency of one inference (the median of --repeat N runs, default 1).

        Batch: --raw-int8 reads IN.bin as back-to-back int8 input vectors (no header, the format of the
        reference NAME.inputs.bin files) and writes the int8 outputs back to back to OUT.bin.

        EXAMPLES:
          fieldagent predict 0.25 0.8 3.2 3.0 0.1 25 48 0.2 8 1.5 1480 0.86
          echo "1.1,4.2,4.4,6.5,0.32,27,72,2.4,10.2,6.5,1455,0.78" | fieldagent predict
          fieldagent predict --int8 --repeat 1000 -- -25 -25 -25 -25 -25 -25 -25 -25 -25 -25 -25 -25
          fieldagent predict --raw-int8 recorded.bin --out outputs.bin
        """,
        run: { args in
            let int8 = args.flag("--int8")
            let repeats = try args.option("--repeat", expecting: "a positive number") { Int($0).flatMap { $0 > 0 ? $0 : nil } } ?? 1
            let rawIn = try args.option("--raw-int8")
            let out = try args.option("--out")
            _ = args.flag("--")
            if let rawIn {
                guard let out else { throw UsageError("fieldagent predict: --raw-int8 needs --out OUT.bin") }
                try args.finish()
                try batch(input: rawIn, output: out)
                return 0
            }
            if out != nil { throw UsageError("fieldagent predict: --out goes with --raw-int8 IN.bin") }
            var words: [String] = []
            while let w = args.positional() { words.append(w) }
            try args.finish()
            if words.isEmpty || words == ["-"] {
                words = []
                while let line = readLine() { words.append(line) }
            }
            let values = words.joined(separator: " ").split(whereSeparator: { $0 == " " || $0 == "," || $0 == "\t" })
            try single(values.map(String.init), int8: int8, repeats: repeats)
            return 0
        })

    static func single(_ values: [String], int8: Bool, repeats: Int) throws {
        let info = CompiledModel.info
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
                    CompiledModel.predict(input: i.baseAddress!, output: o.baseAddress!)
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
        print("top      \(label) (index \(top))")
        let median = Double(samples[samples.count / 2]) / 1000
        print("latency  \(formatFixed(Double(median), digits: 2)) µs" + (repeats > 1 ? " (median of \(repeats))" : " (one cold run; --repeat 1000 for a steady figure)"))
    }

    static func batch(input path: String, output outPath: String) throws {
        let info = CompiledModel.info
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
                for v in 0..<vectors { CompiledModel.predict(input: i.baseAddress! + v * n, output: o.baseAddress! + v * m) }
            }
        }
        let elapsed = MonotonicClock.now() - t0
        try writeAll(outputs, to: outPath)
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

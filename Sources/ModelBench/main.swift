import CompiledModel
import Glibc
import Inference
import ReferenceModels

/// fieldagent-bench-model: per-inference latency of the compiled-in models, batch 1, one thread.
/// Prints one line per model: `name median_us p99_us arena_bytes iterations` (read by Models/bench/bench.py).
/// Inputs cycle through the model's reference vectors when `--inputs DIR` has NAME.inputs.bin, else a fixed pattern.
/// `--model NAME` runs one model only; `--kernels SET` runs on another kernel set (portable, sse41, avx2, avx512vnni,
/// neon, dotprod) than the best one the CPU has.

func now() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}

func readFile(_ path: String) -> [Int8]? {
    guard let f = fopen(path, "rb") else { return nil }
    defer { fclose(f) }
    var bytes: [Int8] = []
    var chunk = [Int8](repeating: 0, count: 65536)
    while true {
        let n = chunk.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, f) }
        if n == 0 { break }
        bytes += chunk[0..<n]
    }
    return bytes
}

func bench<M: CompiledNetwork>(_ model: M.Type, directory: String?, seconds: Double, only: String?) {
    if let only, only != M.info.name { return }
    let inCount = M.info.input.count, outCount = M.info.output.count
    var inputs = directory.flatMap { readFile("\($0)/\(M.info.name).inputs.bin") } ?? []
    if inputs.count < inCount { inputs = (0..<(inCount * 16)).map { Int8(truncatingIfNeeded: $0 &* 37 &+ 11) } }
    let vectors = inputs.count / inCount
    var output = [Int8](repeating: 0, count: outCount)
    var samples: [Double] = []
    samples.reserveCapacity(200_000)
    inputs.withUnsafeBufferPointer { inBuf in
        output.withUnsafeMutableBufferPointer { outBuf in
            // Valid: inBuf holds `vectors` whole input vectors, outBuf one output vector.
            let base = inBuf.baseAddress!, out = outBuf.baseAddress!
            for i in 0..<2000 { M.predict(input: base + (i % vectors) * inCount, output: out) }  // warm-up
            let start = now()
            var i = 0
            while Double(now() - start) < seconds * 1e9 && samples.count < 200_000 {
                let t0 = now()
                M.predict(input: base + (i % vectors) * inCount, output: out)
                let t1 = now()
                samples.append(Double(t1 - t0) / 1000)
                i += 1
            }
        }
    }
    samples.sort()
    let median = samples[samples.count / 2]
    let p99 = samples[min(samples.count - 1, samples.count * 99 / 100)]
    print("\(M.info.name) \(median) \(p99) \(M.info.arenaBytes) \(samples.count)")
}

var args = Array(CommandLine.arguments.dropFirst())
var directory: String? = nil
var seconds = 1.0
var only: String? = nil
while let a = args.first {
    args.removeFirst()
    switch a {
    case "--inputs": directory = args.isEmpty ? nil : args.removeFirst()
    case "--seconds": seconds = args.isEmpty ? 1 : Double(args.removeFirst()) ?? 1
    case "--model": only = args.isEmpty ? nil : args.removeFirst()
    case "--kernels":
        let name = args.isEmpty ? "" : args.removeFirst()
        guard let set = KernelSet.allCases.first(where: { $0.description == name }), KernelSet.select(set) else {
            print("fieldagent-bench-model: kernel set '\(name)' is not available here; available: \(KernelSet.available)")
            exit(2)
        }
    default:
        print("USAGE: fieldagent-bench-model [--inputs DIR] [--seconds S] [--model NAME] [--kernels SET]")
        exit(2)
    }
}
bench(MLPHealth.self, directory: directory, seconds: seconds, only: only)
bench(CNNVibration.self, directory: directory, seconds: seconds, only: only)
bench(AEAnomaly.self, directory: directory, seconds: seconds, only: only)
bench(ZooConv.self, directory: directory, seconds: seconds, only: only)
bench(ZooResidual.self, directory: directory, seconds: seconds, only: only)
bench(ZooDSCNN.self, directory: directory, seconds: seconds, only: only)
bench(CompiledModel.self, directory: directory, seconds: seconds, only: only)

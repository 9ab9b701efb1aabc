import Inference
import ReferenceModels
import Testing

/// Every shared model gives TFLite Micro's bytes for every reference vector.
@Suite(.serialized)
struct ReferenceModelTests {
    static let models: [any CompiledNetwork.Type] = [
        MLPHealth.self, CNNVibration.self, AEAnomaly.self, ZooConv.self, ZooResidual.self, ZooDSCNN.self,
    ]

    /// Runs `model` over back-to-back vectors and returns the outputs back to back.
    static func run(_ model: any CompiledNetwork.Type, inputs: [Int8]) -> [Int8] {
        let inCount = model.info.input.count, outCount = model.info.output.count
        let vectors = inputs.count / inCount
        var outputs = [Int8](repeating: 0, count: vectors * outCount)
        inputs.withUnsafeBufferPointer { i in
            outputs.withUnsafeMutableBufferPointer { o in
                // Valid: i holds `vectors` input vectors and o as many output vectors.
                for v in 0..<vectors { model.predictExclusively(input: i.baseAddress! + v * inCount, output: o.baseAddress! + v * outCount) }
            }
        }
        return outputs
    }

    /// Checks `model` on every kernel set this CPU runs (the portable Swift kernels, and AVX2 / AVX-512 VNNI on x86,
    /// NEON / dot product on arm64), then goes back to the set that was active.
    static func check(_ model: any CompiledNetwork.Type, inputs: String, expected: String) throws {
        let name = model.info.name
        let input = try #require(Fixtures.bytes("\(name).\(inputs).bin"), "Models/reference/\(name).\(inputs).bin")
        let want = try #require(Fixtures.bytes("\(name).\(expected).bin"))
        #expect(input.count % model.info.input.count == 0)
        let active = KernelSet.active
        defer { KernelSet.select(active) }
        for set in KernelSet.available {
            #expect(KernelSet.select(set))
            let got = run(model, inputs: input)
            #expect(got.count == want.count)
            let differing = zip(got, want).enumerated().filter { $0.element.0 != $0.element.1 }
            #expect(differing.isEmpty, "\(name) on \(set): \(differing.count) bytes differ; first at \(differing.first.map { "byte \($0.offset): got \($0.element.0), TFLM \($0.element.1)" } ?? "")")
        }
    }

    @Test func theMachineRunsMoreThanThePortableKernels() {
        // Every x86-64 CI machine has AVX2 and every arm64 one NEON: the micro-kernels are really exercised.
        #if arch(x86_64)
        #expect(KernelSet.x86AVX2.isAvailable)
        #expect(KernelSet.x86SSE41.isAvailable)
        #elseif arch(arm64)
        #expect(KernelSet.armNEON.isAvailable)
        #endif
        #expect(KernelSet.available.first == .portable)
        #expect(KernelSet.available.contains(KernelSet.active))
        #expect(KernelSet.active == KernelSet.available.last, "the best set the CPU has is chosen at start")
    }

    @Test("reference vectors give exactly TFLite Micro's output", arguments: models.indices)
    func referenceVectorsAreBitExact(index: Int) throws {
        try Self.check(Self.models[index], inputs: "inputs", expected: "expected")
    }

    @Test("stress vectors (zero point, −128, 127, random) give exactly TFLite Micro's output", arguments: models.indices)
    func stressVectorsAreBitExact(index: Int) throws {
        try Self.check(Self.models[index], inputs: "stress_inputs", expected: "stress_expected")
    }

    @Test func generatedModelsRecordTheirSource() {
        #expect(MLPHealth.info.sha256 == "c6ed266aa40dcef549b0dd575ce7768a707137bdc73660bf9c1929006f551a6c")
        #expect(CNNVibration.info.macs == 174_176)
        #expect(MLPHealth.info.macs == 1072)
        #expect(MLPHealth.info.parameters == 1123)
    }
}

import CompiledModel
import Glibc
import Inference
import ModelCatalog
import Testing

/// The models of Models/models.yaml compiled into the product: kinds, bit-exactness with TFLite Micro on held-out
/// vectors (written by make train), and the anomaly score and remaining life read from their int8 outputs.
@Suite(.serialized)
struct CompiledModelsTests {
    /// `name: …, kind: …` of each entry of Models/models.yaml, in file order (read as text: the test target
    /// does not link the YAML parser).
    static func manifestEntries() throws -> [(name: String, kind: String)] {
        let bytes = try #require(Fixtures.bytes("../models.yaml"), "Models/models.yaml")
        let text = String(decoding: bytes.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        func value(_ key: String, in line: Substring) -> String? {
            for part in line.split(whereSeparator: { $0 == "{" || $0 == "}" || $0 == "," }) {
                let field = part.drop { $0 == " " }
                if field.hasPrefix(key + ": ") { return String(field.dropFirst(key.count + 2)) }
            }
            return nil
        }
        return text.split(separator: "\n").filter { $0.hasPrefix("  - {") }.compactMap { line in
            guard let n = value("name", in: line), let k = value("kind", in: line) else { return nil }
            return (n, k)
        }
    }

    @Test func theBinaryHoldsWhatTheManifestNames() throws {
        let manifest = try Self.manifestEntries()
        #expect(manifest.count == 4)
        #expect(CompiledModels.all.map(\.name) == manifest.map(\.name))
        #expect(CompiledModels.all.map(\.kind.rawValue) == manifest.map(\.kind))
        for m in CompiledModels.all { #expect(m.info.source == "Models/\(m.name).tflite") }
        #expect(CompiledModels.named("machine_health")?.info.labels == ["normal", "degraded", "fault"])
        #expect(CompiledModels.named("nope") == nil)
    }

    @Test("held-out vectors give exactly TFLite Micro's output", arguments: ["machine_anomaly", "machine_rul", "m2m_behaviour"])
    func heldOutVectorsAreBitExact(name: String) throws {
        let model = try #require(CompiledModels.named(name))
        let input = try #require(Fixtures.bytes("../\(name).inputs.bin"), "Models/\(name).inputs.bin (make train)")
        let want = try #require(Fixtures.bytes("../\(name).expected.bin"))
        let (n, m) = (model.info.input.count, model.info.output.count)
        #expect(input.count == 256 * n && want.count == 256 * m)
        var got = [Int8](repeating: 0, count: want.count)
        input.withUnsafeBufferPointer { i in
            got.withUnsafeMutableBufferPointer { o in
                // Valid: i holds 256 inputs of n bytes, o 256 outputs of m bytes (checked above).
                for v in 0..<min(input.count / n, want.count / m) { model.predict(i.baseAddress! + v * n, o.baseAddress! + v * m) }
            }
        }
        let differing = zip(got, want).enumerated().filter { $0.element.0 != $0.element.1 }
        #expect(differing.isEmpty, "\(name): \(differing.count) bytes differ from TFLite Micro")
    }

    /// The operating points of the simulated machine (SimulatedMachine.features) at severity 0 and 1.
    static let normalPoint: [Float] = [0.25, 0.8, 3.2, 3.0, 0.10, 25.0, 48.0, 0.2, 8.0, 1.5, 1480, 0.86]
    static let faultPoint: [Float] = [1.10, 4.2, 4.4, 6.5, 0.32, 27.0, 72.0, 2.4, 10.2, 6.5, 1455, 0.78]

    @Test func theAnomalyScoreIsTheDequantizedReconstructionError() throws {
        let model = try #require(CompiledModels.named("machine_anomaly"))
        let spec = try #require(model.anomaly)
        #expect(spec.score == .reconstruction && spec.warn > 0 && spec.warn <= spec.alarm)
        #expect(spec.warnPercentile == 99 && spec.alarmPercentile == 99.9)
        // The window mean of the normal point's samples (peak_g is a peak, so use the model's own mean).
        var normal = Self.normalPoint
        normal[1] = model.info.featureMeans[1]
        for (features, anomalous) in [(normal, false), (Self.faultPoint, true)] {
            let (input, output) = model.run(features: features)
            var sum = 0.0
            for i in input.indices {
                let d = Double(model.info.input.dequantize(input[i])) - Double(model.info.output.dequantize(output[i]))
                sum += d * d
            }
            let score = try #require(input.withUnsafeBufferPointer { i in
                output.withUnsafeBufferPointer { o in model.anomalyScore(input: i.baseAddress!, output: o.baseAddress!) }
            })
            #expect(abs(score - sum / Double(input.count)) < 1e-9)
            #expect(anomalous ? score > spec.alarm : score < spec.warn, "score \(score), thresholds \(spec.warn) \(spec.alarm)")
        }
    }

    @Test func theRemainingLifeCountsDownWithWear() throws {
        let model = try #require(CompiledModels.named("machine_rul"))
        #expect(model.outputs == [RegressionOutput(name: "rul", unit: "h", scale: 250, offset: 0)])
        func rul(_ features: [Float]) -> Double {
            let (_, output) = model.run(features: features)
            return output.withUnsafeBufferPointer { model.regressionValue(0, output: $0.baseAddress!) } ?? -1
        }
        let healthy = rul(Self.normalPoint), failed = rul(Self.faultPoint)
        #expect(healthy > 150, "healthy machine: \(healthy) h")
        #expect(failed < 40, "failed machine: \(failed) h")
        var out: [Int8] = [0]
        #expect(out.withUnsafeMutableBufferPointer { model.regressionValue(1, output: $0.baseAddress!) } == nil)
    }
}

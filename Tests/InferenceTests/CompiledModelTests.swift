import CompiledModel
import Inference
import Testing

/// The default model (Models/machine_health.tflite) as the agent uses it: named features in, a class out.
@Suite(.serialized)
struct CompiledModelTests {
    @Test func theDefaultModelIsTheMachineHealthClassifier() {
        let info = CompiledModel.info
        #expect(info.source == "Models/machine_health.tflite")
        #expect(info.labels == ["normal", "degraded", "fault"])
        #expect(info.features.count == 12 && info.input.count == 12)
        #expect(info.featureMeans.count == 12 && info.featureStds.count == 12)
        #expect(info.output.scale == 1.0 / 256 && info.output.zeroPoint == -128)
    }

    @Test("typical readings are classified as their class", arguments: [
        // vibration rms, peak, crest, kurtosis, high band, frequency, temperature, rise, current, imbalance, rpm, pf
        ([0.25, 0.8, 3.2, 3.0, 0.10, 25, 48, 0.2, 8.0, 1.5, 1480, 0.86] as [Float], "normal"),
        ([0.55, 1.9, 3.6, 3.9, 0.18, 25.5, 58, 0.9, 8.9, 3.2, 1472, 0.83], "degraded"),
        ([1.10, 4.2, 4.4, 6.5, 0.32, 27, 72, 2.4, 10.2, 6.5, 1455, 0.78], "fault"),
    ])
    func typicalReadingsAreClassified(features: [Float], expected: String) {
        let probabilities = CompiledModel.predict(features: features)
        let top = probabilities.indices.max(by: { probabilities[$0] < probabilities[$1] })!
        #expect(CompiledModel.info.labels[top] == expected, "\(probabilities)")
        #expect(abs(probabilities.reduce(0, +) - 1) < 0.02)
    }
}

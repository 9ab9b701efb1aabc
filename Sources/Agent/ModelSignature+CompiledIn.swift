import Boards
import CompiledModel
import Config
import ModelCatalog

extension ModelSignature {
    /// The labels, input features and highest reachable class probability of the classifier compiled into this
    /// binary (its int8 output at 127, dequantized as the decision engine does), with the other compiled-in models
    /// (anomaly and regression) as companions.
    public static var compiledIn: ModelSignature {
        let info = CompiledModel.info
        let classifier = CompiledModels.all.first { $0.kind == .classifier && $0.info.sha256 == info.sha256 }
        let companions = CompiledModels.all.compactMap { e -> CompanionModel? in
            switch e.kind {
            case .classifier: return nil
            case .anomaly:
                return CompanionModel(name: e.name, kind: .anomaly, features: e.info.features, warn: e.anomaly?.warn ?? 0, alarm: e.anomaly?.alarm ?? 0)
            case .regression:
                return CompanionModel(name: e.name, kind: .regression, features: e.info.features, outputs: e.outputs.map(\.name), units: e.outputs.map(\.unit))
            }
        }
        return ModelSignature(labels: info.labels, features: info.features, maximumProbability: Double(info.output.dequantize(Int8.max)),
                              name: classifier?.name ?? info.name, companions: companions)
    }
}

extension ConfigLoader {
    /// A loader for this binary: boards from `catalog`, `decide:` checked against the compiled-in models.
    public static func forThisBinary(catalog: BoardCatalog) -> ConfigLoader {
        ConfigLoader(catalog: catalog, model: .compiledIn)
    }
}

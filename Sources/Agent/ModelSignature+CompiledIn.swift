import Boards
import CompiledModel
import Config

extension ModelSignature {
    /// The labels, input features and highest reachable class probability of the model compiled into this binary
    /// (its int8 output at 127, dequantized as the decision engine does).
    public static var compiledIn: ModelSignature {
        let info = CompiledModel.info
        return ModelSignature(labels: info.labels, features: info.features,
                              maximumProbability: Double(info.output.dequantize(Int8.max)))
    }
}

extension ConfigLoader {
    /// A loader for this binary: boards from `catalog`, `decide:` checked against the compiled-in model.
    public static func forThisBinary(catalog: BoardCatalog) -> ConfigLoader {
        ConfigLoader(catalog: catalog, model: .compiledIn)
    }
}

import Boards
import CompiledModel
import Config

extension ModelSignature {
    /// The labels and input features of the model compiled into this binary.
    public static var compiledIn: ModelSignature {
        ModelSignature(labels: CompiledModel.info.labels, features: CompiledModel.info.features)
    }
}

extension ConfigLoader {
    /// A loader for this binary: boards from `catalog`, `decide:` checked against the compiled-in model.
    public static func forThisBinary(catalog: BoardCatalog) -> ConfigLoader {
        ConfigLoader(catalog: catalog, model: .compiledIn)
    }
}

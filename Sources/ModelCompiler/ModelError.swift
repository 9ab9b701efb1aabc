/// Why a model cannot be compiled, with the place (operator, tensor) and what to do about it.
struct ModelError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
